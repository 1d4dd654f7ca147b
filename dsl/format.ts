/**
 * The canonical formatter behind `ipckit fmt`. It prints from the AST, so the
 * layout depends only on the program and its comments: a block goes on one
 * line when that line fits in {@link BLOCK_WIDTH} columns, it holds no comments
 * and (for a process) it has a single property; otherwise one entry per line. Comments
 * are kept where they were: before a statement, at the end of its line, or
 * inside a block. At most one blank line is kept between statements.
 *
 * @module
 */

import type { Comment, Entry, Expr, FileAst, Item, MethodDecl, Span, TypeRef } from "./ast.ts";
import type { Diagnostic } from "./diagnostics.ts";
import { parse } from "./parse.ts";

/**
 * Lines longer than this are broken where the syntax allows.
 * @example Reading the width
 * ```ts
 * import { LINE_WIDTH } from "./format.ts";
 * console.log(LINE_WIDTH); // 100
 * ```
 */
export const LINE_WIDTH = 100;
/**
 * A `{ }` block stays on its declaration's line only if that line fits in this width.
 * @example Reading the width
 * ```ts
 * import { BLOCK_WIDTH } from "./format.ts";
 * console.log(BLOCK_WIDTH); // 80
 * ```
 */
export const BLOCK_WIDTH = 80;
const INDENT = "  ";

/** A unit of layout: something printed on its own line(s), with comments around it. */
interface Unit {
  span: Span;
  render: (indent: string) => string[];
}

class Printer {
  #used: boolean[];
  constructor(readonly text: string, readonly comments: Comment[]) {
    this.#used = comments.map(() => false);
  }

  /** Takes the unused comments that start inside `[start, end)`. */
  take(start: number, end: number): Comment[] {
    const out: Comment[] = [];
    this.comments.forEach((c, i) => {
      if (!this.#used[i] && c.span.start >= start && c.span.start < end) {
        this.#used[i] = true;
        out.push(c);
      }
    });
    return out;
  }

  has(start: number, end: number): boolean {
    return this.comments.some((c, i) =>
      !this.#used[i] && c.span.start >= start && c.span.start < end
    );
  }

  /** True when the source has a blank line between two offsets. */
  blankBetween(a: number, b: number): boolean {
    const gap = this.text.slice(a, b);
    return /\n[ \t\r]*\n/.test(gap);
  }

  sameLine(a: number, b: number): boolean {
    return !this.text.slice(a, b).includes("\n");
  }

  units(units: Unit[], indent: string, from: number, to: number): string[] {
    const out: string[] = [];
    let prevEnd = from;
    let first = true;
    const pushBlank = (a: number, b: number) => {
      if (!first && this.blankBetween(a, b) && out[out.length - 1] !== "") out.push("");
    };
    for (const [index, unit] of units.entries()) {
      const nextStart = units[index + 1]?.span.start ?? to;
      const leading = this.take(prevEnd, unit.span.start);
      for (const c of leading) {
        pushBlank(prevEnd, c.span.start);
        out.push(indent + c.text);
        prevEnd = c.span.end;
        first = false;
      }
      pushBlank(prevEnd, unit.span.start);
      const body = unit.render(indent);
      // Comments inside the unit that no nested block claimed go just above it.
      for (const c of this.take(unit.span.start, unit.span.end)) out.push(indent + c.text);
      out.push(...body);
      prevEnd = unit.span.end;
      const next = this.comments.find((c) =>
        c.span.start >= prevEnd && c.span.start < Math.min(to, nextStart) &&
        this.sameLine(prevEnd, c.span.start)
      );
      if (next && this.take(next.span.start, next.span.start + 1).length > 0) {
        out[out.length - 1] += ` ${next.text}`;
        prevEnd = next.span.end;
      }
      first = false;
    }
    for (const c of this.take(prevEnd, to)) {
      pushBlank(prevEnd, c.span.start);
      out.push(indent + c.text);
      prevEnd = c.span.end;
      first = false;
    }
    return out;
  }
}

const keyText = (e: Entry) => (e.key.type === "name" ? e.key.text : e.key.raw);

/** One-line form of an expression. */
function inline(e: Expr): string {
  switch (e.type) {
    case "number":
    case "string":
      return e.raw;
    case "bool":
      return String(e.value);
    case "ref":
      return e.text;
    case "list":
      return `[${e.items.map(inline).join(", ")}]`;
    case "map":
      return e.entries.length === 0 ? "{}" : `{ ${e.entries.map(inlineEntry).join(", ")} }`;
    case "call":
      return `${e.callee.text}(${
        e.args.map((a) => (a.name ? `${a.name.text} = ${inline(a.value)}` : inline(a.value))).join(
          ", ",
        )
      })`;
    case "binary":
      return `${inline(e.left)} ${e.op} ${inline(e.right)}`;
    case "paren":
      return `(${inline(e.inner)})`;
  }
}

function typeText(t: TypeRef): string {
  const args = t.args.length > 0 ? `<${t.args.map(typeText).join(", ")}>` : "";
  return `${t.stream ? "stream " : ""}${t.name.text}${args}`;
}

function methodText(m: MethodDecl): string {
  return `${m.name.text}(${typeText(m.input)}): ${typeText(m.output)}`;
}

function inlineEntry(e: Entry): string {
  return `${keyText(e)} = ${inline(e.value)}`;
}

function fits(indent: string, line: string): boolean {
  return indent.length + line.length <= LINE_WIDTH;
}

class Formatter {
  constructor(readonly p: Printer) {}

  /** Lines for `prefix` followed by an expression, breaking lists and maps if needed. */
  expr(prefix: string, e: Expr, indent: string, suffix = ""): string[] {
    const one = prefix + inline(e) + suffix;
    const commented = this.p.has(e.span.start, e.span.end);
    if (!commented && fits(indent, one)) return [indent + one];
    const inner = indent + INDENT;
    if (e.type === "list") {
      const units: Unit[] = e.items.map((item) => ({
        span: item.span,
        render: (ind) => this.expr("", item, ind, ","),
      }));
      return [
        indent + prefix + "[",
        ...this.p.units(units, inner, e.span.start + 1, e.span.end),
        indent + "]" + suffix,
      ];
    }
    if (e.type === "map") {
      return this.block(prefix + "{", e.entries, e.span.start + 1, e.span.end, indent, suffix);
    }
    return [indent + one];
  }

  block(
    open: string,
    entries: Entry[],
    from: number,
    to: number,
    indent: string,
    suffix = "",
  ): string[] {
    const units: Unit[] = entries.map((entry) => ({
      span: entry.span,
      render: (ind) => this.expr(`${keyText(entry)} = `, entry.value, ind),
    }));
    return [
      indent + open,
      ...this.p.units(units, indent + INDENT, from, to),
      indent + "}" + suffix,
    ];
  }

  /** A declaration header followed by an optional `{ }` block. */
  withBlock(
    header: string,
    entries: Entry[] | null,
    span: Span,
    indent: string,
    maxInline: number,
  ) {
    if (entries === null) return [indent + header];
    const commented = this.p.has(span.start, span.end);
    if (entries.length === 0 && !commented) return [indent + header + " {}"];
    const one = `${header} { ${entries.map(inlineEntry).join(", ")} }`;
    if (!commented && entries.length <= maxInline && indent.length + one.length <= BLOCK_WIDTH) {
      return [indent + one];
    }
    return this.block(`${header} {`, entries, span.start, span.end, indent);
  }

  item(item: Item, indent: string): string[] {
    switch (item.type) {
      case "import":
        return [indent + `import ${item.path.raw}${item.alias ? ` as ${item.alias.text}` : ""}`];
      case "param":
        return this.expr(
          `param ${item.name.text}${item.declaredType ? `: ${item.declaredType.text}` : ""} = `,
          item.value,
          indent,
        );
      case "endpoint": {
        const header = `${item.kind.text} ${item.name.text}`;
        if (item.methods) {
          // A service lists its options, then its methods, one per line.
          const units: Unit[] = [
            ...(item.options ?? []).map((entry) => ({
              span: entry.span,
              render: (ind: string) => this.expr(`${keyText(entry)} = `, entry.value, ind),
            })),
            ...item.methods.map((m) => ({
              span: m.span,
              render: (ind: string) => [ind + methodText(m)],
            })),
          ].sort((a, b) => a.span.start - b.span.start);
          // A service with a single method (or option) may sit on one line.
          const only = item.methods.length === 1 && !item.options?.length
            ? methodText(item.methods[0]!)
            : item.methods.length === 0 && item.options?.length === 1
            ? inlineEntry(item.options[0]!)
            : null;
          const one = `${header} { ${only} }`;
          if (
            only !== null && !this.p.has(item.span.start, item.span.end) &&
            indent.length + one.length <= BLOCK_WIDTH
          ) return [indent + one];
          return this.members(header, units, item.name.span.end, item.span.end, indent);
        }
        return this.withBlock(
          header,
          item.options,
          { ...item.span, start: item.name.span.end },
          indent,
          Infinity,
        );
      }
      case "process": {
        const header = `process ${item.name.text}${
          item.replicas ? `[${inline(item.replicas)}]` : ""
        }`;
        const start = item.replicas ? item.replicas.span.end : item.name.span.end;
        return this.withBlock(header, item.props, { ...item.span, start }, indent, 1);
      }
      case "record": {
        const fields = item.fields.map((f) =>
          `${f.name.text}${f.optional ? "?" : ""}: ${typeText(f.fieldType)}${
            f.tag ? ` @${f.tag.raw}` : ""
          }`
        );
        const one = `record ${item.name.text} { ${fields.join(", ")} }`;
        if (
          fields.length > 0 && !this.p.has(item.span.start, item.span.end) &&
          indent.length + one.length <= BLOCK_WIDTH
        ) return [indent + one];
        return this.members(
          `record ${item.name.text}`,
          item.fields.map((f) => ({
            span: f.span,
            render: (ind: string) => [
              `${ind}${f.name.text}${f.optional ? "?" : ""}: ${typeText(f.fieldType)}${
                f.tag ? ` @${f.tag.raw}` : ""
              }`,
            ],
          })),
          item.name.span.end,
          item.span.end,
          indent,
        );
      }
      case "enum": {
        const values = item.values.map((v) => `${v.name.text}${v.tag ? ` @${v.tag.raw}` : ""}`);
        const one = `enum ${item.name.text} { ${values.join(", ")} }`;
        if (
          !this.p.has(item.span.start, item.span.end) && indent.length + one.length <= BLOCK_WIDTH
        ) {
          return [indent + (values.length === 0 ? `enum ${item.name.text} {}` : one)];
        }
        return this.members(
          `enum ${item.name.text}`,
          item.values.map((v, i) => ({ span: v.span, render: (ind: string) => [ind + values[i]] })),
          item.name.span.end,
          item.span.end,
          indent,
        );
      }
      case "flow":
        return [indent + item.stages.map((s) => s.refs.map((r) => r.text).join(", ")).join(" -> ")];
      case "when": {
        const head = `when ${item.platform.text}`;
        if (!item.block) {
          const [only] = item.items;
          if (!only) return [indent + head + " {}"];
          const lines = this.item(only, indent);
          lines[0] = indent + head + " " + (lines[0] ?? "").slice(indent.length);
          return lines;
        }
        const units = item.items.map((i) => this.unit(i));
        return [
          indent + head + " {",
          ...this.p.units(units, indent + INDENT, item.platform.span.end, item.span.end),
          indent + "}",
        ];
      }
    }
  }

  /** `header {`, one member per line, `}`; an empty body stays `header {}`. */
  members(header: string, units: Unit[], from: number, to: number, indent: string): string[] {
    if (units.length === 0 && !this.p.has(from, to)) return [indent + header + " {}"];
    return [
      indent + header + " {",
      ...this.p.units(units, indent + INDENT, from, to),
      indent + "}",
    ];
  }

  unit(item: Item): Unit {
    return { span: item.span, render: (ind) => this.item(item, ind) };
  }
}

/**
 * Prints a parsed file in canonical form.
 *
 * @param ast The file, as parsed from `text` (its comments are used).
 * @param text The source the AST came from (for blank lines).
 * @returns The formatted text, ending with one newline.
 * @example Formatting an AST
 * ```ts
 * import { parse } from "./parse.ts";
 * import { formatAst } from "./format.ts";
 * const text = "topology t\nshm   a {size=1KiB}\n";
 * console.log(formatAst(parse(text, 0).ast!, text)); // "topology t\nshm a { size = 1KiB }\n"
 * ```
 */
export function formatAst(ast: FileAst, text: string): string {
  const printer = new Printer(text, ast.comments);
  const f = new Formatter(printer);
  const start = Math.max(0, text.lastIndexOf("topology", ast.name.span.start));
  const header: Unit = {
    span: { ...ast.name.span, start },
    render: (ind) => [`${ind}topology ${ast.name.text}`],
  };
  const lines = printer.units([header, ...ast.items.map((i) => f.unit(i))], "", 0, text.length + 1);
  return lines.map((l) => l.trimEnd()).join("\n") + "\n";
}

/** What {@link format} returns. */
export interface FormatResult {
  /** The formatted text, or `null` when the input does not parse. */
  text: string | null;
  diagnostics: Diagnostic[];
}

/**
 * Formats `.ipc` source text.
 *
 * @param text The source.
 * @param file The file id for diagnostics (see `SourceFiles`).
 * @returns The canonical text, or the syntax error that prevents formatting.
 * @example Formatting source text
 * ```ts
 * import { format } from "./format.ts";
 * format("topology t\nprocess a {run=\"x\"}", 0).text; // 'topology t\nprocess a { run = "x" }\n'
 * ```
 */
export function format(text: string, file: number): FormatResult {
  const parsed = parse(text, file);
  if (!parsed.ast) return { text: null, diagnostics: parsed.diagnostics };
  return { text: formatAst(parsed.ast, text), diagnostics: [] };
}
