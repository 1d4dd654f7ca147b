/**
 * Parsing `.ipc` text into a {@link FileAst}, using the precompiled grammar.
 * Parse failures come back as E001 diagnostics, never as exceptions.
 *
 * @module
 */

import * as ohm from "ohm-js";
import { IPC_RECIPE } from "./ipc.ohm-recipe.ts";
import type {
  Arg,
  Comment,
  Entry,
  EnumValueDecl,
  Expr,
  FieldDecl,
  FileAst,
  Item,
  MethodDecl,
  Name,
  NumberLit,
  Ref,
  Span,
  Stage,
  StringLit,
  TypeRef,
} from "./ast.ts";
import { diag, type Diagnostic, type Label } from "./diagnostics.ts";

// `makeRecipe` is exported by ohm-js 17 but missing from its type declarations.
const makeRecipe = (ohm as unknown as { makeRecipe(recipe: string): ohm.Grammar }).makeRecipe;

/**
 * The `.ipc` grammar, built from the precompiled recipe.
 *
 * @example Matching a file
 * ```ts
 * import { grammar } from "./parse.ts";
 * console.log(grammar.match("topology t").succeeded()); // true
 * ```
 */
export const grammar: ohm.Grammar = makeRecipe(IPC_RECIPE);

/**
 * Bracket nesting beyond this is rejected before ohm's recursion can overflow.
 * @example Reading the limit
 * ```ts
 * import { MAX_NESTING } from "./parse.ts";
 * console.log(MAX_NESTING); // 64
 * ```
 */
export const MAX_NESTING = 64;

let fileId = 0;

function span(node: ohm.Node): Span {
  return { file: fileId, start: node.source.startIdx, end: node.source.endIdx };
}

function unescape(body: string): string {
  return body.replace(/\\(u\{[0-9a-fA-F]{1,6}\}|.)/gs, (_, e: string) => {
    switch (e) {
      case "n":
        return "\n";
      case "t":
        return "\t";
      case "r":
        return "\r";
      case "0":
        return "\0";
      default:
        if (e.startsWith("u{")) {
          const cp = parseInt(e.slice(2, -1), 16);
          return cp <= 0x10ffff ? String.fromCodePoint(cp) : "\ufffd";
        }
        return e;
    }
  });
}

type Action = (this: ohm.NonterminalNode, ...children: ohm.Node[]) => unknown;
const ast = (n: ohm.Node) => n["ast"]() as unknown;
const list = <T>(n: ohm.Node) => n.children.map((c) => c["ast"]() as T);
const opt = <T>(n: ohm.Node) => (n.numChildren === 0 ? null : (n.child(0)["ast"]() as T));

const actions: Record<string, Action> = {
  File(header, items, _end) {
    const name = ast(header) as Name;
    const file: FileAst = {
      type: "file",
      name,
      items: list<Item>(items),
      comments: [],
      span: span(this),
    };
    return file;
  },
  Header(_kw, name) {
    return ast(name);
  },
  Import(_kw, path, alias) {
    return {
      type: "import",
      path: ast(path) as StringLit,
      alias: opt<Name>(alias),
      span: span(this),
    } satisfies Item;
  },
  ImportAlias(_as, name) {
    return ast(name);
  },
  Param(_kw, name, type, _eq, value) {
    return {
      type: "param",
      name: ast(name) as Name,
      declaredType: opt<Name>(type),
      value: ast(value) as Expr,
      span: span(this),
    } satisfies Item;
  },
  ParamType(_colon, name) {
    return ast(name);
  },
  Process(_kw, name, replicas, block) {
    return {
      type: "process",
      name: ast(name) as Name,
      replicas: opt<Expr>(replicas),
      props: opt<Entry[]>(block),
      span: span(this),
    } satisfies Item;
  },
  Replicas(_open, expr, _close) {
    return ast(expr);
  },
  Guard_block(_kw, platform, _open, items, _close) {
    return {
      type: "when",
      platform: ast(platform) as Name,
      block: true,
      items: list<Item>(items),
      span: span(this),
    } satisfies Item;
  },
  Guard_single(_kw, platform, item) {
    return {
      type: "when",
      platform: ast(platform) as Name,
      block: false,
      items: [ast(item) as Item],
      span: span(this),
    } satisfies Item;
  },
  Endpoint(kind, name, block) {
    return {
      type: "endpoint",
      kind: ast(kind) as Name,
      name: ast(name) as Name,
      options: opt<Entry[]>(block),
      span: span(this),
    } satisfies Item;
  },
  Record(_kw, name, _open, fields, _close) {
    return {
      type: "record",
      name: ast(name) as Name,
      fields: list<FieldDecl>(fields),
      span: span(this),
    } satisfies Item;
  },
  Field(name, optional, _colon, fieldType, tag, _comma) {
    const type = ast(fieldType) as TypeRef;
    const number = opt<NumberLit>(tag);
    return {
      type: "field",
      name: ast(name) as Name,
      optional: optional.numChildren > 0,
      fieldType: type,
      tag: number,
      span: { ...span(this), end: (number ?? type).span.end },
    } satisfies FieldDecl;
  },
  FieldTag(_at, number) {
    return ast(number);
  },
  TypeExpr_stream(_kw, inner) {
    return { ...(ast(inner) as TypeRef), stream: true, span: span(this) } satisfies TypeRef;
  },
  TypeExpr_generic(name, _open, args, _close) {
    const n = ast(name) as Name;
    return {
      type: "typeRef",
      name: { type: "ref", parts: [n], text: n.text, span: n.span },
      args: args.asIteration().children.map(ast) as TypeRef[],
      stream: false,
      span: span(this),
    } satisfies TypeRef;
  },
  TypeExpr_named(ref) {
    return {
      type: "typeRef",
      name: ast(ref) as Ref,
      args: [],
      stream: false,
      span: span(this),
    } satisfies TypeRef;
  },
  Enum(_kw, name, _open, values, _close) {
    return {
      type: "enum",
      name: ast(name) as Name,
      values: list<EnumValueDecl>(values),
      span: span(this),
    } satisfies Item;
  },
  EnumValue(name, tag, _comma) {
    const n = ast(name) as Name;
    const number = opt<NumberLit>(tag);
    return {
      type: "enumValue",
      name: n,
      tag: number,
      span: { ...span(this), end: (number ?? n).span.end },
    } satisfies EnumValueDecl;
  },
  Service(kw, name, _open, entries, _close) {
    const all = list<Entry | MethodDecl>(entries);
    return {
      type: "endpoint",
      kind: { type: "name", text: "service", span: span(kw) },
      name: ast(name) as Name,
      options: all.filter((e): e is Entry => e.type === "entry"),
      methods: all.filter((e): e is MethodDecl => e.type === "method"),
      span: span(this),
    } satisfies Item;
  },
  Method(name, _open, input, _close, _colon, output, _comma) {
    const out = ast(output) as TypeRef;
    return {
      type: "method",
      name: ast(name) as Name,
      input: ast(input) as TypeRef,
      output: out,
      span: { ...span(this), end: out.span.end },
    } satisfies MethodDecl;
  },
  Flow(first, _arrow, rest) {
    return {
      type: "flow",
      stages: [ast(first) as Stage, ...(rest.asIteration().children.map(ast) as Stage[])],
      span: span(this),
    } satisfies Item;
  },
  Stage(refs) {
    return {
      type: "stage",
      refs: refs.asIteration().children.map(ast) as Ref[],
      span: span(this),
    } satisfies Stage;
  },
  Ref(parts) {
    const names = parts.asIteration().children.map(ast) as Name[];
    return {
      type: "ref",
      parts: names,
      text: names.map((n) => n.text).join("."),
      span: span(this),
    } satisfies Ref;
  },
  Block(_open, entries, _close) {
    return list<Entry>(entries);
  },
  Entry(key, _eq, value, _comma) {
    return {
      type: "entry",
      key: ast(key) as Name | StringLit,
      value: ast(value) as Expr,
      span: { ...span(this), end: value.source.endIdx },
    } satisfies Entry;
  },
  AddExpr_add(l, _op, r) {
    return binary(this, "+", l, r);
  },
  AddExpr_sub(l, _op, r) {
    return binary(this, "-", l, r);
  },
  MulExpr_mul(l, _op, r) {
    return binary(this, "*", l, r);
  },
  MulExpr_div(l, _op, r) {
    return binary(this, "/", l, r);
  },
  Primary_paren(_open, inner, _close) {
    return { type: "paren", inner: ast(inner) as Expr, span: span(this) } satisfies Expr;
  },
  Primary_list(_open, items, _comma, _close) {
    return {
      type: "list",
      items: items.asIteration().children.map(ast) as Expr[],
      span: span(this),
    } satisfies Expr;
  },
  Primary_map(block) {
    return { type: "map", entries: ast(block) as Entry[], span: span(this) } satisfies Expr;
  },
  Call(callee, _open, args, _comma, _close) {
    return {
      type: "call",
      callee: ast(callee) as Name,
      args: args.asIteration().children.map(ast) as Arg[],
      span: span(this),
    } satisfies Expr;
  },
  Arg_named(name, _eq, value) {
    return {
      type: "arg",
      name: ast(name) as Name,
      value: ast(value) as Expr,
      span: span(this),
    } satisfies Arg;
  },
  Arg_positional(value) {
    return { type: "arg", name: null, value: ast(value) as Expr, span: span(this) } satisfies Arg;
  },
  name(_ident) {
    return { type: "name", text: this.sourceString, span: span(this) } satisfies Name;
  },
  kindName(_ident) {
    return { type: "name", text: this.sourceString, span: span(this) } satisfies Name;
  },
  quantity(digits, _dot, fraction, unit) {
    const num = digits.sourceString.replaceAll("_", "") +
      (fraction.numChildren > 0 ? "." + fraction.sourceString.replaceAll("_", "") : "");
    return {
      type: "number",
      raw: this.sourceString,
      value: Number(num),
      unit: unit.numChildren > 0 ? unit.sourceString : null,
      span: span(this),
    } satisfies Expr;
  },
  string_double(_open, _chars, _close) {
    const raw = this.sourceString;
    return { type: "string", raw, value: unescape(raw.slice(1, -1)), span: span(this) };
  },
  string_single(_open, _chars, _close) {
    const raw = this.sourceString;
    return { type: "string", raw, value: raw.slice(1, -1), span: span(this) };
  },
  boolean(_word) {
    return { type: "bool", value: this.sourceString === "true", span: span(this) } satisfies Expr;
  },
};

function binary(
  node: ohm.NonterminalNode,
  op: "+" | "-" | "*" | "/",
  l: ohm.Node,
  r: ohm.Node,
): Expr {
  return { type: "binary", op, left: ast(l) as Expr, right: ast(r) as Expr, span: span(node) };
}

const semantics = grammar.createSemantics().addOperation(
  "ast",
  actions as unknown as ohm.ActionDict<unknown>,
);

interface Scan {
  comments: Comment[];
  tooDeep: Span | null;
  openers: number[];
}

/**
 * One linear pass that finds comments and bracket depth, skipping strings the
 * way the grammar lexes them.
 */
function scan(text: string, file: number): Scan {
  const comments: Comment[] = [];
  const openers: number[] = [];
  let tooDeep: Span | null = null;
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === "#") {
      let j = text.indexOf("\n", i);
      if (j === -1) j = text.length;
      comments.push({ text: text.slice(i, j).trimEnd(), span: { file, start: i, end: j } });
      i = j;
    } else if (c === '"' || c === "'") {
      i++;
      while (i < text.length && text[i] !== c && text[i] !== "\n") {
        i += c === '"' && text[i] === "\\" ? 2 : 1;
      }
      i++;
    } else {
      if (c === "(" || c === "[" || c === "{") {
        openers.push(i);
        if (openers.length > MAX_NESTING && !tooDeep) tooDeep = { file, start: i, end: i + 1 };
      } else if (c === ")" || c === "]" || c === "}") {
        openers.pop();
      }
      i++;
    }
  }
  return { comments, tooDeep, openers };
}

/** Describes the text at a failure position the way a person would name it. */
function describeFound(text: string, pos: number): string {
  if (pos >= text.length) return "end of file";
  const rest = text.slice(pos);
  const word = /^[A-Za-z_][A-Za-z0-9_]*(?:-[A-Za-z_][A-Za-z0-9_]*)*/.exec(rest);
  if (word) return `'${word[0]}'`;
  const num = /^[0-9][0-9_.]*[A-Za-z]*/.exec(rest);
  if (num) return `'${num[0]}'`;
  const ch = String.fromCodePoint(rest.codePointAt(0) ?? 0);
  if (ch === "\n" || ch === "\r") return "end of line";
  const code = ch.codePointAt(0) ?? 0;
  if (code < 32 || code === 127) return `control character U+${code.toString(16).padStart(4, "0")}`;
  return `'${ch}'`;
}

const KEYWORDS = new Set([
  "topology",
  "import",
  "as",
  "param",
  "process",
  "when",
  "record",
  "enum",
  "service",
  "true",
  "false",
]);

function syntaxDiagnostic(text: string, match: ohm.FailedMatchResult, s: Scan): Diagnostic {
  const pos = match.getRightmostFailurePosition();
  const expected = match.getExpectedText();
  const found = describeFound(text, pos);
  const foundWord = /^'([A-Za-z_][\w-]*)'$/.exec(found)?.[1];
  const at: Span = {
    file: fileId,
    start: pos,
    end: Math.min(
      text.length,
      pos + Math.max(1, foundWord?.length ?? (found === "end of file" ? 0 : 1)),
    ),
  };
  if (found === "end of file") at.end = at.start;
  const secondary: Label[] = [];
  let help = "see docs/language.md for the syntax of each statement";
  if (pos === 0 || expected === '"topology"') {
    help = "every file starts with `topology <name>`";
  } else if (foundWord && KEYWORDS.has(foundWord) && expected.includes("a name")) {
    help = `'${foundWord}' is a keyword and cannot be used as a name`;
  } else if (found === "end of file" && s.openers.length > 0) {
    const open = s.openers[s.openers.length - 1] ?? 0;
    const closer = { "(": ")", "[": "]", "{": "}" }[text[open] ?? "("] ?? ")";
    help = `add the missing \`${closer}\``;
    secondary.push({ span: { file: fileId, start: open, end: open + 1 }, message: "unclosed" });
  } else if (expected.includes('"="')) {
    help = "options are written `name = value`";
  } else if (found.startsWith("control character") || /^'[^\x20-\x7e]'$/.test(found)) {
    help = "names use ASCII letters, digits, `_` and `-`; other text goes in quotes";
  } else if (expected.includes('"->"')) {
    help = "a flow joins names with `->`, e.g. `producer -> jobs -> worker`";
  }
  return diag.syntax(at, expected, found, help, secondary);
}

/** What {@link parse} returns: an AST, or the syntax error that stopped it. */
export interface ParseResult {
  ast: FileAst | null;
  diagnostics: Diagnostic[];
}

/**
 * Parses one `.ipc` text.
 *
 * @param text The source text.
 * @param file The file id that spans will carry (see {@link SourceFiles}).
 * @returns The AST with its comments, or `ast: null` and one E001 diagnostic.
 * @example Parsing a one-line topology
 * ```ts
 * import { parse } from "./parse.ts";
 * const { ast, diagnostics } = parse("topology hello\nshm buf { size = 4KiB }", 0);
 * console.log(ast?.items.length, diagnostics.length); // 1 0
 * ```
 */
export function parse(text: string, file: number): ParseResult {
  const s = scan(text, file);
  fileId = file;
  if (s.tooDeep) return { ast: null, diagnostics: [diag.tooDeep(s.tooDeep, MAX_NESTING)] };
  let match: ohm.MatchResult;
  try {
    match = grammar.match(text);
  } catch (e) {
    // A stack overflow on pathological input becomes a diagnostic, not a crash.
    if (e instanceof RangeError) {
      return {
        ast: null,
        diagnostics: [diag.tooDeep({ file, start: 0, end: 0 }, MAX_NESTING)],
      };
    }
    throw e;
  }
  if (match.failed()) return { ast: null, diagnostics: [syntaxDiagnostic(text, match, s)] };
  const tree = semantics(match)["ast"]() as FileAst;
  tree.comments = s.comments;
  tree.span = { file, start: 0, end: text.length };
  return { ast: tree, diagnostics: [] };
}

/**
 * Parses a single value expression, as used by `--set name=value`.
 *
 * @param text The value text.
 * @param file The file id that spans will carry.
 * @returns The expression, or `null` when the text is not a value.
 * @example Parsing a size
 * ```ts
 * import { parseExpr } from "./parse.ts";
 * console.log(parseExpr("64KiB", 0)?.type); // "number"
 * ```
 */
export function parseExpr(text: string, file: number): Expr | null {
  if (scan(text, file).tooDeep) return null;
  fileId = file;
  try {
    const m = grammar.match(text, "Expr");
    return m.succeeded() ? (semantics(m)["ast"]() as Expr) : null;
  } catch {
    return null;
  }
}
