/**
 * The syntax tree of one `.ipc` file, as produced by {@link parse}. Every node
 * carries the {@link Span} of the text it came from, so every later pass can
 * point at source.
 *
 * @module
 */

/**
 * A half-open range `[start, end)` of UTF-16 offsets in one source file.
 *
 * @example Pointing at the first five characters of file 0
 * ```ts
 * import type { Span } from "./ast.ts";
 * const span: Span = { file: 0, start: 0, end: 5 };
 * ```
 */
export interface Span {
  /** The id of the file in its {@link SourceFiles} registry. */
  file: number;
  /** Offset of the first character. */
  start: number;
  /** Offset just past the last character. */
  end: number;
}

/** A plain identifier with its span. */
export interface Name {
  type: "name";
  text: string;
  span: Span;
}

/** A dotted reference: `log`, `common.log`, `producer.stdout`. */
export interface Ref {
  type: "ref";
  parts: Name[];
  /** The parts joined with `.`. */
  text: string;
  span: Span;
}

/** A number with an optional unit: `4`, `64KiB`, `250ms`. */
export interface NumberLit {
  type: "number";
  /** The literal as written, e.g. `1_000` or `64KiB`. */
  raw: string;
  /** The numeric part, underscores removed. */
  value: number;
  /** The unit as written (`KiB`, `ms`), or `null` for a plain number. */
  unit: string | null;
  span: Span;
}

/** A string literal; `raw` keeps the quotes and escapes as written. */
export interface StringLit {
  type: "string";
  raw: string;
  value: string;
  span: Span;
}

/** `true` or `false`. */
export interface BoolLit {
  type: "bool";
  value: boolean;
  span: Span;
}

/** `[a, b, c]`. */
export interface ListExpr {
  type: "list";
  items: Expr[];
  span: Span;
}

/** `{ key = value ... }` used as a value (e.g. `env`, `backoff`). */
export interface MapExpr {
  type: "map";
  entries: Entry[];
  span: Span;
}

/** A named or positional argument of a {@link CallExpr}. */
export interface Arg {
  type: "arg";
  name: Name | null;
  value: Expr;
  span: Span;
}

/** `on-failure(max = 5, within = 30s)`, `log("listening")`. */
export interface CallExpr {
  type: "call";
  callee: Name;
  args: Arg[];
  span: Span;
}

/** `a + b`, `a - b`, `a * b`, `a / b`. */
export interface BinaryExpr {
  type: "binary";
  op: "+" | "-" | "*" | "/";
  left: Expr;
  right: Expr;
  span: Span;
}

/** `( expr )`; kept so that the formatter prints what was written. */
export interface ParenExpr {
  type: "paren";
  inner: Expr;
  span: Span;
}

/** Any value expression. */
export type Expr =
  | NumberLit
  | StringLit
  | BoolLit
  | Ref
  | ListExpr
  | MapExpr
  | CallExpr
  | BinaryExpr
  | ParenExpr;

/** `key = value` inside a `{ }` block. */
export interface Entry {
  type: "entry";
  key: Name | StringLit;
  value: Expr;
  span: Span;
}

/** `import "path.ipc" as alias`. */
export interface ImportDecl {
  type: "import";
  path: StringLit;
  alias: Name | null;
  span: Span;
}

/** `param name: type = default`. */
export interface ParamDecl {
  type: "param";
  name: Name;
  declaredType: Name | null;
  value: Expr;
  span: Span;
}

/** `kind name { options }`, or `service name { options and methods }`. */
export interface EndpointDecl {
  type: "endpoint";
  kind: Name;
  name: Name;
  /** `null` when written without a block. */
  options: Entry[] | null;
  /** A service's methods, in source order; absent for other kinds. */
  methods?: MethodDecl[];
  span: Span;
}

/** A type in a field or method: `i64`, `Point`, `list<Point>`, `stream Point`. */
export interface TypeRef {
  type: "typeRef";
  name: Ref;
  /** Type arguments of `list<T>` and `map<string, T>`; empty for plain names. */
  args: TypeRef[];
  /** Written with `stream` in front (only a method's argument or result may be). */
  stream: boolean;
  span: Span;
}

/** `name?: type @3` inside a record. */
export interface FieldDecl {
  type: "field";
  name: Name;
  optional: boolean;
  fieldType: TypeRef;
  /** The explicit field number after `@`, or `null` to number it after the previous field. */
  tag: NumberLit | null;
  span: Span;
}

/** `record Name { fields }`: a message type. */
export interface RecordDecl {
  type: "record";
  name: Name;
  fields: FieldDecl[];
  span: Span;
}

/** `name @2` inside an enum. */
export interface EnumValueDecl {
  type: "enumValue";
  name: Name;
  tag: NumberLit | null;
  span: Span;
}

/** `enum Name { values }`. */
export interface EnumDecl {
  type: "enum";
  name: Name;
  values: EnumValueDecl[];
  span: Span;
}

/** `name(stream? Input): stream? Output` inside a service. */
export interface MethodDecl {
  type: "method";
  name: Name;
  input: TypeRef;
  output: TypeRef;
  span: Span;
}

/** `process name[replicas] { properties }`. */
export interface ProcessDecl {
  type: "process";
  name: Name;
  replicas: Expr | null;
  props: Entry[] | null;
  span: Span;
}

/** One comma-separated list of references between arrows. */
export interface Stage {
  type: "stage";
  refs: Ref[];
  span: Span;
}

/** `a, b -> log -> logger`, `a.stdout -> b.stdin`. */
export interface FlowDecl {
  type: "flow";
  stages: Stage[];
  span: Span;
}

/** `when linux { items }` or `when linux item`. */
export interface GuardDecl {
  type: "when";
  platform: Name;
  /** `true` for the `{ }` form. */
  block: boolean;
  items: Item[];
  span: Span;
}

/** A top-level statement. */
export type Item =
  | ImportDecl
  | ParamDecl
  | EndpointDecl
  | ProcessDecl
  | FlowDecl
  | GuardDecl
  | RecordDecl
  | EnumDecl;

/** A `#` comment; `text` starts with `#`. */
export interface Comment {
  text: string;
  span: Span;
}

/** One parsed `.ipc` file. */
export interface FileAst {
  type: "file";
  /** The name after `topology`. */
  name: Name;
  items: Item[];
  /** Comments in source order (the grammar skips them; the formatter keeps them). */
  comments: Comment[];
  span: Span;
}

/** Any node that carries a span. */
export type AnyNode =
  | FileAst
  | Item
  | Expr
  | Entry
  | Arg
  | Stage
  | Name
  | TypeRef
  | FieldDecl
  | EnumValueDecl
  | MethodDecl;

/** One registered source text. */
export interface SourceFile {
  id: number;
  /** The path shown in diagnostics. */
  path: string;
  text: string;
}

/**
 * A registry of source texts, so spans can stay three small numbers.
 *
 * @example Registering a file and reading it back
 * ```ts
 * import { SourceFiles } from "./ast.ts";
 * const files = new SourceFiles();
 * const id = files.add("hello.ipc", "topology hello\n");
 * console.log(files.get(id).path); // "hello.ipc"
 * ```
 */
export class SourceFiles {
  #files: SourceFile[] = [];

  /**
   * Registers a text under a display path.
   *
   * @param path The path shown in diagnostics.
   * @param text The file's contents.
   * @returns The new file id.
   * @example Adding a file
   * ```ts
   * import { SourceFiles } from "./ast.ts";
   * const id = new SourceFiles().add("a.ipc", "topology a");
   * ```
   */
  add(path: string, text: string): number {
    const id = this.#files.length;
    this.#files.push({ id, path, text });
    return id;
  }

  /**
   * Looks up a registered file.
   *
   * @param id A file id returned by {@link SourceFiles.add}.
   * @returns The file; a placeholder when the id is unknown.
   * @example Reading a path
   * ```ts
   * import { SourceFiles } from "./ast.ts";
   * const files = new SourceFiles();
   * console.log(files.get(files.add("a.ipc", "")).path);
   * ```
   */
  get(id: number): SourceFile {
    return this.#files[id] ?? { id, path: "<unknown>", text: "" };
  }

  /**
   * Lists all registered files.
   *
   * @returns The files in registration order.
   * @example Counting files
   * ```ts
   * import { SourceFiles } from "./ast.ts";
   * console.log(new SourceFiles().all().length); // 0
   * ```
   */
  all(): readonly SourceFile[] {
    return this.#files;
  }
}

/**
 * Builds the span that covers two spans of the same file.
 *
 * @param a The first span.
 * @param b The last span.
 * @returns A span from `a.start` to `b.end`.
 * @example Joining two names
 * ```ts
 * import { joinSpans } from "./ast.ts";
 * joinSpans({ file: 0, start: 0, end: 3 }, { file: 0, start: 7, end: 9 }); // 0..9
 * ```
 */
export function joinSpans(a: Span, b: Span): Span {
  return { file: a.file, start: Math.min(a.start, b.start), end: Math.max(a.end, b.end) };
}
