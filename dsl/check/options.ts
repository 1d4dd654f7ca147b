/**
 * The options pass: evaluates parameters (with `--set` overrides), endpoint
 * options and process properties; checks types, units and ranges; fills in
 * defaults.
 *
 * @module
 */

import type { Entry, Expr, Span } from "../ast.ts";
import { diag } from "../diagnostics.ts";
import {
  type OptionSpec,
  PARAM_TYPES,
  PROCESS_DEFAULTS,
  PROCESS_PROPERTIES,
  UNITS,
} from "../kinds.ts";
import { parseExpr } from "../parse.ts";
import { suggest } from "../_suggest.ts";
import type { Readiness, RestartPolicy } from "../model.ts";
import {
  type CallArg,
  type Ctx,
  type EndpointSym,
  type ModuleInfo,
  type ParamSym,
  type ProcessProps,
  type ProcessSym,
  type Value,
  type ValueContext,
  valueContext,
} from "./_context.ts";

const MAX = Number.MAX_SAFE_INTEGER;
const keyText = (e: Entry) => (e.key.type === "name" ? e.key.text : e.key.value);

/** How a value type is named in messages. */
function typeName(v: Value | string): string {
  const t = typeof v === "string" ? v : v.t;
  switch (t) {
    case "int":
      return "a number";
    case "size":
      return "a size";
    case "duration":
      return "a duration";
    case "string":
      return "a string";
    case "bool":
      return "true or false";
    case "list":
      return "a list";
    case "map":
      return "a `{ }` block";
    case "word":
      return typeof v === "string" ? "a word" : `the word '${v.t === "word" ? v.v : ""}'`;
    case "call":
      return "a call";
    case "process":
      return "a process";
    default:
      return "a value";
  }
}

/**
 * Formats a resolved number in its type's units, for messages.
 *
 * @param t The value type.
 * @param v Bytes, milliseconds or a plain number.
 * @returns e.g. `64KiB`, `30s`, `255`.
 * @example Formatting sizes and durations
 * ```ts
 * import { showAmount } from "./options.ts";
 * showAmount("size", 65536); // "64KiB"
 * showAmount("duration", 30000); // "30s"
 * ```
 */
export function showAmount(t: "int" | "size" | "duration", v: number): string {
  if (t === "int") return String(v);
  if (t === "size") {
    for (const u of ["TiB", "GiB", "MiB", "KiB"] as const) {
      const f = UNITS[u]?.factor ?? 1;
      if (v !== 0 && v % f === 0) return `${v / f}${u}`;
    }
    return `${v}B`;
  }
  if (v === -1) return "forever";
  for (const u of ["h", "m", "s"] as const) {
    const f = UNITS[u]?.factor ?? 1;
    if (v !== 0 && v % f === 0) return `${v / f}${u}`;
  }
  return `${v}ms`;
}

class Evaluator {
  #evaluating = new Set<ParamSym>();
  constructor(readonly ctx: Ctx) {}

  error(span: Span): Value {
    return { t: "error", span };
  }

  param(p: ParamSym): Value {
    if (p.value) return p.value;
    if (this.#evaluating.has(p)) return this.error(p.decl.name.span);
    this.#evaluating.add(p);
    p.value = evaluateParam(this, p);
    this.#evaluating.delete(p);
    return p.value;
  }

  eval(m: ModuleInfo | null, expr: Expr, context: ValueContext): Value {
    const ctx = this.ctx;
    switch (expr.type) {
      case "number":
        return this.number(expr.value, expr.unit, expr.raw, expr.span);
      case "string":
        return { t: "string", v: expr.value, span: expr.span };
      case "bool":
        return { t: "bool", v: expr.value, span: expr.span };
      case "ref": {
        if (context === "word" && expr.parts.length === 1) {
          return { t: "word", v: expr.text, span: expr.span };
        }
        if (context === "timeout" && expr.text === "forever") {
          return { t: "word", v: "forever", span: expr.span };
        }
        const target = ctx.refs.get(expr);
        if (!target) return this.error(expr.span);
        if (target.sym === "process") return { t: "process", sym: target, span: expr.span };
        const v = this.param(target);
        return { ...v, span: expr.span } as Value;
      }
      case "list":
        return {
          t: "list",
          items: expr.items.map((i) =>
            this.eval(m, i, context === "processes" ? "process" : "value")
          ),
          span: expr.span,
        };
      case "map": {
        const seen = new Map<string, Span>();
        const entries: { key: string; keySpan: Span; value: Value }[] = [];
        for (const e of expr.entries) {
          const key = keyText(e);
          const first = seen.get(key);
          if (first) ctx.diagnostics.push(diag.duplicateOption(e.key.span, key, first));
          seen.set(key, e.key.span);
          entries.push({ key, keySpan: e.key.span, value: this.eval(m, e.value, "value") });
        }
        return { t: "map", entries, span: expr.span };
      }
      case "call":
        if (context !== "word") {
          ctx.diagnostics.push(diag.typeMismatch(
            expr.span,
            "a value",
            `a call to '${expr.callee.text}'`,
            "calls such as `on-failure(...)` and `log(...)` are only for `restart` and `ready`",
          ));
          return this.error(expr.span);
        }
        return {
          t: "call",
          name: expr.callee.text,
          nameSpan: expr.callee.span,
          args: expr.args.map((a): CallArg => ({
            name: a.name?.text ?? null,
            nameSpan: a.name?.span ?? null,
            value: this.eval(m, a.value, "value"),
            span: a.span,
          })),
          span: expr.span,
        };
      case "paren":
        return {
          ...this.eval(m, expr.inner, context === "word" ? "value" : context),
          span: expr.span,
        } as Value;
      case "binary":
        return this.binary(
          expr.op,
          this.eval(m, expr.left, "value"),
          this.eval(m, expr.right, "value"),
          expr.span,
        );
    }
  }

  number(value: number, unit: string | null, raw: string, span: Span): Value {
    let t: "int" | "size" | "duration" = "int";
    let factor = 1;
    if (unit !== null) {
      const u = UNITS[unit];
      if (!u) {
        const units = Object.keys(UNITS);
        const s = suggest(unit, units);
        this.ctx.diagnostics.push(diag.badUnit(
          span,
          `unknown unit '${unit}' in '${raw}'`,
          "unknown unit",
          `${
            s ? `did you mean '${s}'? ` : ""
          }sizes use B, KB, MB, GB, KiB, MiB, GiB, TiB; durations use ms, s, m, h`,
        ));
        return this.error(span);
      }
      t = u.type;
      factor = u.factor;
    }
    const v = value * factor;
    if (!Number.isFinite(v) || v > MAX) {
      this.ctx.diagnostics.push(diag.outOfRange(
        span,
        `'${raw}' is too large`,
        "too large",
        `numbers must stay below 2^53 (${MAX})${t === "int" ? "" : " after units are applied"}`,
      ));
      return this.error(span);
    }
    if (!Number.isInteger(v)) {
      const what = t === "size" ? "bytes" : t === "duration" ? "milliseconds" : "a whole number";
      this.ctx.diagnostics.push(diag.outOfRange(
        span,
        `'${raw}' is not a whole number${t === "int" ? "" : ` of ${what}`}`,
        "fractional",
        t === "int"
          ? "write a whole number"
          : `use a smaller unit, e.g. ${t === "size" ? "`1536B`" : "`1500ms`"}`,
      ));
      return this.error(span);
    }
    return { t, v, span };
  }

  binary(op: "+" | "-" | "*" | "/", l: Value, r: Value, span: Span): Value {
    if (l.t === "error" || r.t === "error") return this.error(span);
    const num = (x: Value) => x.t === "int" || x.t === "size" || x.t === "duration";
    const fail = (what: string) => {
      this.ctx.diagnostics.push(diag.typeMismatch(
        span,
        "operands that fit together",
        what,
        "`+` and `-` join values of the same type (or two strings); `*` and `/` scale a size or duration by a number",
      ));
      return this.error(span);
    };
    if (op === "+" && l.t === "string" && r.t === "string") {
      return { t: "string", v: l.v + r.v, span };
    }
    if (!num(l) || !num(r)) return fail(`${typeName(l)} ${op} ${typeName(r)}`);
    const a = l as Value & { t: "int" | "size" | "duration"; v: number };
    const b = r as Value & { t: "int" | "size" | "duration"; v: number };
    let t: "int" | "size" | "duration";
    let v: number;
    if (op === "+" || op === "-") {
      if (a.t !== b.t) return fail(`${typeName(a)} ${op} ${typeName(b)}`);
      t = a.t;
      v = op === "+" ? a.v + b.v : a.v - b.v;
    } else if (op === "*") {
      if (a.t !== "int" && b.t !== "int") return fail(`${typeName(a)} * ${typeName(b)}`);
      t = a.t === "int" ? b.t : a.t;
      v = a.v * b.v;
    } else {
      if (b.t !== "int") return fail(`${typeName(a)} / ${typeName(b)}`);
      if (b.v === 0) {
        this.ctx.diagnostics.push(
          diag.outOfRange(
            span,
            "division by zero",
            "divides by zero",
            "divide by a number other than 0",
          ),
        );
        return this.error(span);
      }
      t = a.t;
      v = Math.floor(a.v / b.v);
    }
    if (Math.abs(v) > MAX) {
      this.ctx.diagnostics.push(
        diag.outOfRange(
          span,
          "the result is too large",
          "too large",
          `numbers must stay below 2^53 (${MAX})`,
        ),
      );
      return this.error(span);
    }
    return { t, v, span };
  }

  /** Checks a value against an option spec; returns the resolved scalar or undefined. */
  coerce(value: Value, spec: OptionSpec, what: string): number | string | boolean | undefined {
    const ctx = this.ctx;
    if (value.t === "error") return undefined;
    const mismatch = (expected: string, help: string) => {
      ctx.diagnostics.push(diag.typeMismatch(value.span, expected, typeName(value), help));
      return undefined;
    };
    switch (spec.type) {
      case "int":
      case "size":
      case "duration": {
        if (
          spec.type === "duration" && spec.forever && value.t === "word" && value.v === "forever"
        ) return -1;
        if (value.t !== spec.type) {
          if (
            (value.t === "int" || value.t === "size" || value.t === "duration") &&
            spec.type !== "int"
          ) {
            const example = spec.type === "size" ? "64KiB" : "250ms";
            ctx.diagnostics.push(diag.badUnit(
              value.span,
              `${what} is ${typeName(spec.type)}, but this is ${typeName(value)}`,
              value.t === "int" ? "no unit" : "wrong unit",
              spec.type === "size"
                ? `give a size with a unit, e.g. \`${example}\`${
                  value.t === "int" && value.v > 0 ? ` or \`${value.v}B\`` : ""
                }`
                : `give a duration with a unit, e.g. \`${example}\` or \`30s\``,
            ));
            return undefined;
          }
          if (value.t === "size" || value.t === "duration") {
            ctx.diagnostics.push(
              diag.badUnit(
                value.span,
                `${what} is a plain number, but this is ${typeName(value)}`,
                "unexpected unit",
                "remove the unit",
              ),
            );
            return undefined;
          }
          if (value.t === "string" && /^\s*[0-9][0-9_.]*\s*[A-Za-z]*\s*$/.test(value.v)) {
            return mismatch(typeName(spec.type), `remove the quotes: \`${value.v.trim()}\``);
          }
          return mismatch(typeName(spec.type), `${what}: ${spec.doc}`);
        }
        const v = value.v;
        const t = spec.type;
        if (spec.min !== undefined && v < spec.min) {
          const zero = t === "size" && v === 0;
          ctx.diagnostics.push(diag.outOfRange(
            value.span,
            zero
              ? `${what} cannot be 0 bytes`
              : `${what} must be at least ${showAmount(t, spec.min)}, found ${showAmount(t, v)}`,
            zero ? "empty" : "too small",
            zero
              ? "nothing can be mapped or buffered in 0 bytes; give a size such as `64KiB`"
              : spec.doc,
          ));
          return undefined;
        }
        if (spec.max !== undefined && v > spec.max) {
          ctx.diagnostics.push(diag.outOfRange(
            value.span,
            `${what} must be at most ${showAmount(t, spec.max)}, found ${showAmount(t, v)}`,
            "too large",
            spec.doc,
          ));
          return undefined;
        }
        return v;
      }
      case "string":
        if (value.t !== "string") {
          return mismatch(
            "a string",
            value.t === "word" || value.t === "process" ? "put the text in quotes" : spec.doc,
          );
        }
        if (spec.nonEmpty && value.v === "") {
          ctx.diagnostics.push(
            diag.outOfRange(value.span, `${what} cannot be empty`, "empty", spec.doc),
          );
          return undefined;
        }
        return value.v;
      case "bool":
        if (value.t !== "bool") return mismatch("true or false", spec.doc);
        return value.v;
      case "enum":
        if (value.t === "string" && spec.values.includes(value.v)) {
          return mismatch(
            `one of ${spec.values.join(", ")}`,
            `write it without quotes: \`${value.v}\``,
          );
        }
        if (value.t !== "word") return mismatch(`one of ${spec.values.join(", ")}`, spec.doc);
        if (!spec.values.includes(value.v)) {
          ctx.diagnostics.push(
            diag.badChoice(value.span, what, value.v, spec.values, suggest(value.v, spec.values)),
          );
          return undefined;
        }
        return value.v;
      case "process":
        if (value.t !== "process") {
          return mismatch("a process", "name one of the topology's processes");
        }
        return value.sym.name;
    }
  }
}

function evaluateParam(ev: Evaluator, p: ParamSym): Value {
  const ctx = ev.ctx;
  const declared = p.decl.declaredType?.text ?? null;
  if (declared !== null && !(PARAM_TYPES as readonly string[]).includes(declared)) {
    ctx.diagnostics.push(diag.badChoice(
      p.decl.declaredType?.span ?? p.decl.name.span,
      "parameter type",
      declared,
      PARAM_TYPES,
      suggest(declared, PARAM_TYPES),
    ));
    return ev.error(p.decl.name.span);
  }
  let value = ev.eval(p.module, p.decl.value, "value");
  if (value.t === "error") return value;
  const type = declared ?? value.t;
  if (!(PARAM_TYPES as readonly string[]).includes(type)) {
    ctx.diagnostics.push(diag.typeMismatch(
      value.span,
      "a number, size, duration, string or bool",
      typeName(value),
      "a parameter holds one scalar value",
    ));
    return ev.error(value.span);
  }
  if (value.t !== type) {
    ctx.diagnostics.push(diag.typeMismatch(
      value.span,
      typeName(type),
      typeName(value),
      `the parameter is declared \`${type}\``,
    ));
    return ev.error(value.span);
  }
  const override = ctx.overrides.find((o) => o.name === p.name);
  if (override) {
    const o = overrideValue(ev, override, type);
    if (o) value = o;
  }
  return value;
}

function overrideValue(ev: Evaluator, o: Ctx["overrides"][number], type: string): Value | null {
  const ctx = ev.ctx;
  if (type === "string") return { t: "string", v: o.value, span: o.valueSpan };
  const expr = parseExpr(o.value, o.valueSpan.file);
  const shifted = expr && (expr.type === "number" || expr.type === "bool") ? expr : null;
  if (!shifted) {
    ctx.diagnostics.push(diag.badSet(
      o.valueSpan,
      `'${o.value}' is not ${typeName(type)}`,
      `'${o.name}' is ${typeName(type)}, e.g. ${
        type === "int"
          ? "`--set " + o.name + "=4`"
          : type === "size"
          ? "`--set " + o.name + "=64KiB`"
          : type === "duration"
          ? "`--set " + o.name + "=30s`"
          : "`--set " + o.name + "=true`"
      }`,
    ));
    return null;
  }
  const v = shifted.type === "bool"
    ? { t: "bool" as const, v: shifted.value, span: o.valueSpan }
    : ev.number(shifted.value, shifted.unit, shifted.raw, o.valueSpan);
  if (v.t === "error") return null;
  if (v.t !== type) {
    ctx.diagnostics.push(
      diag.badSet(
        o.valueSpan,
        `'${o.value}' is ${typeName(v)}, not ${typeName(type)}`,
        `'${o.name}' is declared as ${typeName(type)}`,
      ),
    );
    return null;
  }
  return v;
}

function checkEntries(
  ctx: Ctx,
  entries: Entry[],
  known: readonly string[],
  where: string,
  misspelled: Set<string> = new Set(),
): Map<string, Entry> {
  const out = new Map<string, Entry>();
  for (const e of entries) {
    const key = keyText(e);
    const first = out.get(key);
    if (first) {
      ctx.diagnostics.push(diag.duplicateOption(e.key.span, key, first.key.span));
      continue;
    }
    if (!known.includes(key)) {
      const s = suggest(key, known);
      if (s !== undefined) misspelled.add(s);
      ctx.diagnostics.push(diag.unknownOption(e.key.span, where, key, known, s));
      continue;
    }
    out.set(key, e);
  }
  return out;
}

function evaluateEndpoint(ev: Evaluator, ep: EndpointSym): void {
  const ctx = ev.ctx;
  const spec = ep.spec;
  if (!spec) return;
  const kind = ep.decl.kind.text;
  const known = Object.keys(spec.options);
  const misspelled = new Set<string>();
  const where = `${kind} '${ep.decl.name.text}'`;
  const entries = checkEntries(ctx, ep.decl.options ?? [], known, where, misspelled);
  for (const [key, o] of Object.entries(spec.options)) {
    const entry = entries.get(key);
    if (!entry) {
      // A misspelt option already has its own error; "missing" would repeat it.
      if (o.required && !misspelled.has(key)) {
        ctx.diagnostics.push(
          diag.missingOption(
            ep.decl.name.span,
            `${kind} '${ep.decl.name.text}'`,
            key,
            o.example ?? `${key} = …`,
          ),
        );
      } else if (o.default !== undefined && (!o.platforms || o.platforms.includes(ctx.platform))) {
        ep.options[key] = o.default;
      }
      continue;
    }
    const value = ev.eval(ep.module, entry.value, valueContext(ctx, kind, key));
    const resolved = ev.coerce(value, o, `'${key}'`);
    ep.optionSpans[key] = entry.value.span;
    if (resolved === undefined) continue;
    ep.options[key] = resolved;
    if (o.type === "process" && value.t === "process") ep.server = value.sym;
  }
  // Cross-option rule: a semaphore cannot start above its maximum.
  const initial = ep.options["initial"];
  const max = ep.options["max"];
  if (
    kind === "semaphore" && typeof initial === "number" && typeof max === "number" && initial > max
  ) {
    ctx.diagnostics.push(diag.outOfRange(
      ep.optionSpans["initial"] ?? ep.decl.name.span,
      `semaphore '${ep.decl.name.text}' starts at ${initial} but its maximum is ${max}`,
      "above max",
      "make `initial` at most `max`",
      ep.optionSpans["max"] ? [{ span: ep.optionSpans["max"], message: "maximum set here" }] : [],
    ));
  }
}

/**
 * Splits a command string into argv the way a POSIX shell would, without
 * expanding anything: whitespace separates words, quotes group them, and a
 * backslash escapes the next character outside single quotes.
 *
 * @param command The command text.
 * @returns The words, or a reason when a quote is not closed.
 * @example Splitting a command with quotes
 * ```ts
 * import { splitCommand } from "./options.ts";
 * splitCommand(`bun "my script.ts" --x`); // { argv: ["bun", "my script.ts", "--x"] }
 * ```
 */
export function splitCommand(command: string): { argv: string[] } | { error: string } {
  const argv: string[] = [];
  let cur = "";
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < command.length; i++) {
    const c = command[i] ?? "";
    if (quote === "'") {
      if (c === "'") quote = null;
      else cur += c;
    } else if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === "\\" && (command[i + 1] === '"' || command[i + 1] === "\\")) {
        cur += command[++i];
      } else cur += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === "\\" && i + 1 < command.length) {
      cur += command[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) argv.push(cur);
      cur = "";
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quote) return { error: `unclosed ${quote === '"' ? "double" : "single"} quote` };
  if (inWord) argv.push(cur);
  return { argv };
}

interface Variant {
  args: { name: string; spec: OptionSpec }[];
}

function evalVariant(
  ev: Evaluator,
  value: Value,
  what: string,
  variants: Record<string, Variant>,
): { name: string; args: Record<string, number | string | boolean> } | undefined {
  const ctx = ev.ctx;
  const names = Object.keys(variants);
  if (value.t === "error") return undefined;
  if (value.t !== "word" && value.t !== "call") {
    ctx.diagnostics.push(
      diag.typeMismatch(
        value.span,
        `one of ${names.join(", ")}`,
        typeName(value),
        PROCESS_PROPERTIES[what]?.shape ?? "",
      ),
    );
    return undefined;
  }
  const name = value.t === "word" ? value.v : value.name;
  const variant = variants[name];
  if (!variant) {
    ctx.diagnostics.push(
      diag.badChoice(
        value.t === "word" ? value.span : value.nameSpan,
        `'${what}' value`,
        name,
        names,
        suggest(name, names),
      ),
    );
    return undefined;
  }
  const args: Record<string, number | string | boolean> = {};
  const given = new Map<string, CallArg>();
  const argNames = variant.args.map((a) => a.name);
  let positional = 0;
  for (const a of value.t === "call" ? value.args : []) {
    const key = a.name ?? argNames[positional++];
    if (key === undefined) {
      ctx.diagnostics.push(
        diag.typeMismatch(
          a.span,
          `at most ${argNames.length} argument${argNames.length === 1 ? "" : "s"}`,
          "another argument",
          `'${name}' takes ${argNames.length === 0 ? "no arguments" : argNames.join(", ")}`,
        ),
      );
      continue;
    }
    if (!argNames.includes(key)) {
      const d = diag.unknownOption(
        a.nameSpan ?? a.span,
        `'${name}'`,
        key,
        argNames,
        suggest(key, argNames),
      );
      d.message = d.message.replace("option", "argument");
      ctx.diagnostics.push(d);
      continue;
    }
    const first = given.get(key);
    if (first) {
      ctx.diagnostics.push(
        diag.duplicateOption(a.nameSpan ?? a.span, key, first.nameSpan ?? first.span),
      );
      continue;
    }
    given.set(key, a);
  }
  for (const a of variant.args) {
    const g = given.get(a.name);
    if (!g) {
      if (a.spec.required) {
        ctx.diagnostics.push(
          diag.missingOption(value.span, `'${name}'`, a.name, a.spec.example ?? a.name),
        );
      } else if (a.spec.default !== undefined) args[a.name] = a.spec.default;
      continue;
    }
    const r = ev.coerce(g.value, a.spec, `'${a.name}'`);
    if (r !== undefined) args[a.name] = r;
  }
  return { name, args };
}

const RESTART: Record<string, Variant> = {
  never: { args: [] },
  always: { args: [] },
  "on-failure": {
    args: [
      {
        name: "max",
        spec: {
          type: "int",
          min: 1,
          max: 1_000_000,
          default: 5,
          doc: "restarts allowed within the window",
        },
      },
      {
        name: "within",
        spec: {
          type: "duration",
          min: 1,
          default: 60_000,
          doc: "the window that `max` counts restarts in",
        },
      },
    ],
  },
};

const TIMEOUT: OptionSpec = {
  type: "duration",
  min: 1,
  default: PROCESS_DEFAULTS.readyTimeoutMs,
  doc: "how long to wait for readiness",
};

const READY: Record<string, Variant> = {
  notify: { args: [{ name: "timeout", spec: TIMEOUT }] },
  log: {
    args: [
      {
        name: "pattern",
        spec: {
          type: "string",
          nonEmpty: true,
          required: true,
          example: 'log("listening")',
          doc: "text that marks readiness",
        },
      },
      { name: "timeout", spec: TIMEOUT },
    ],
  },
  none: { args: [] },
};

function evaluateProcess(ev: Evaluator, p: ProcessSym): void {
  const ctx = ev.ctx;
  const name = p.decl.name.text;
  if (p.decl.replicas) {
    const r = ev.coerce(ev.eval(p.module, p.decl.replicas, "value"), {
      type: "int",
      min: 1,
      max: PROCESS_DEFAULTS.maxReplicas,
      doc: `replicas are written \`${name}[3]\`, between 1 and ${PROCESS_DEFAULTS.maxReplicas}`,
    }, "the replica count");
    if (typeof r === "number") p.replicas = r;
  }
  const misspelled = new Set<string>();
  const known = Object.keys(PROCESS_PROPERTIES);
  const entries = checkEntries(ctx, p.decl.props ?? [], known, `process '${name}'`, misspelled);
  const props: ProcessProps = {
    argv: [],
    env: {},
    restart: { policy: "never" },
    backoff: { initialMs: PROCESS_DEFAULTS.backoffInitialMs, maxMs: PROCESS_DEFAULTS.backoffMaxMs },
    ready: { kind: "none" },
    stopSignal: PROCESS_DEFAULTS.stopSignal,
    graceMs: PROCESS_DEFAULTS.graceMs,
    after: [],
  };
  const get = (key: string) => {
    const e = entries.get(key);
    return e ? ev.eval(p.module, e.value, valueContext(ctx, "process", key)) : undefined;
  };

  const run = get("run");
  if (!run) {
    if (!entries.has("run") && !misspelled.has("run")) {
      ctx.diagnostics.push(
        diag.missingOption(
          p.decl.name.span,
          `process '${name}'`,
          "run",
          'run = ["bun", "examples/x/y.ts"]',
        ),
      );
    }
  } else if (run.t === "string") {
    const split = splitCommand(run.v);
    if ("error" in split) ctx.diagnostics.push(diag.badCommand(run.span, split.error));
    else if (split.argv.length === 0) {
      ctx.diagnostics.push(diag.badCommand(run.span, "the command is empty"));
    } else props.argv = split.argv;
  } else if (run.t === "list") {
    if (run.items.length === 0) {
      ctx.diagnostics.push(diag.badCommand(run.span, "the command is empty"));
    }
    for (const item of run.items) {
      if (item.t === "string") props.argv.push(item.v);
      else if (item.t !== "error") {
        ctx.diagnostics.push(
          diag.typeMismatch(
            item.span,
            "a string",
            typeName(item),
            'each word of a command is a string: `["sleep", "5"]`',
          ),
        );
      }
    }
    if (props.argv[0] === "") {
      ctx.diagnostics.push(diag.badCommand(run.span, "the program name is empty"));
    }
  } else if (run.t !== "error") {
    ctx.diagnostics.push(
      diag.typeMismatch(
        run.span,
        "a string or a list of strings",
        typeName(run),
        PROCESS_PROPERTIES["run"]?.doc ?? "",
      ),
    );
  }

  const cwd = get("cwd");
  if (cwd) {
    const v = ev.coerce(
      cwd,
      { type: "string", nonEmpty: true, doc: "the working directory" },
      "'cwd'",
    );
    if (typeof v === "string") props.cwd = v;
  }

  const env = get("env");
  if (env && env.t === "map") {
    for (const e of env.entries) {
      const v = e.value;
      if (v.t === "string" || v.t === "int" || v.t === "bool") props.env[e.key] = String(v.v);
      else if (v.t !== "error") {
        ctx.diagnostics.push(
          diag.typeMismatch(
            v.span,
            "a string",
            typeName(v),
            'environment values are strings: `env = { LOG = "debug" }`',
          ),
        );
      }
    }
  } else if (env && env.t !== "error") {
    ctx.diagnostics.push(
      diag.typeMismatch(
        env.span,
        'a `{ NAME = "value" }` block',
        typeName(env),
        'write `env = { LOG = "debug" }`',
      ),
    );
  }

  const restart = get("restart");
  if (restart) {
    const r = evalVariant(ev, restart, "restart", RESTART);
    if (r) {
      props.restart = r.name === "on-failure"
        ? {
          policy: "on-failure",
          max: Number(r.args["max"] ?? 5),
          withinMs: Number(r.args["within"] ?? 60_000),
        }
        : { policy: r.name as "never" | "always" } satisfies RestartPolicy;
    }
  }

  const backoff = get("backoff");
  if (backoff && backoff.t === "map") {
    const known = ["initial", "max"];
    for (const e of backoff.entries) {
      if (!known.includes(e.key)) {
        ctx.diagnostics.push(
          diag.unknownOption(e.keySpan, "backoff", e.key, known, suggest(e.key, known)),
        );
        continue;
      }
      const v = ev.coerce(
        e.value,
        { type: "duration", min: 1, doc: "a backoff delay" },
        `'${e.key}'`,
      );
      if (typeof v === "number") props.backoff[e.key === "initial" ? "initialMs" : "maxMs"] = v;
    }
    if (props.backoff.initialMs > props.backoff.maxMs) {
      ctx.diagnostics.push(
        diag.outOfRange(
          backoff.span,
          "the backoff starts above its maximum",
          "initial > max",
          "make `initial` at most `max`",
        ),
      );
    }
  } else if (backoff && backoff.t !== "error") {
    ctx.diagnostics.push(
      diag.typeMismatch(
        backoff.span,
        "a `{ initial = …, max = … }` block",
        typeName(backoff),
        "write `backoff = { initial = 100ms, max = 10s }`",
      ),
    );
  }

  const ready = get("ready");
  if (ready) {
    const r = evalVariant(ev, ready, "ready", READY);
    if (r) {
      const timeoutMs = Number(r.args["timeout"] ?? PROCESS_DEFAULTS.readyTimeoutMs);
      props.ready = r.name === "notify"
        ? { kind: "notify", timeoutMs }
        : r.name === "log"
        ? { kind: "log", pattern: String(r.args["pattern"] ?? ""), timeoutMs }
        : { kind: "none" } satisfies Readiness;
    }
  }

  const stop = get("stop");
  if (stop) {
    const v = ev.coerce(stop, {
      type: "enum",
      values: ["SIGTERM", "SIGINT", "SIGKILL"],
      doc: "the stop signal",
    }, "stop signal");
    if (typeof v === "string") props.stopSignal = v as ProcessProps["stopSignal"];
  }

  const grace = get("grace");
  if (grace) {
    const v = ev.coerce(grace, {
      type: "duration",
      min: 0,
      max: 3_600_000,
      doc: "the grace period before SIGKILL",
    }, "'grace'");
    if (typeof v === "number") props.graceMs = v;
  }

  const after = get("after");
  if (after) {
    const items = after.t === "list" ? after.items : [after];
    for (const item of items) {
      if (item.t === "process") props.after.push({ sym: item.sym, span: item.span });
      else if (item.t !== "error") {
        ctx.diagnostics.push(
          diag.typeMismatch(
            item.span,
            "a process",
            typeName(item),
            "`after` lists processes: `after = [db, cache]`",
          ),
        );
      }
    }
  }
  p.props = props;
}

/**
 * Reports `--set` names that match no parameter.
 *
 * @param ctx Shared checker state, after the names pass.
 */
function checkOverrides(ctx: Ctx): void {
  for (const o of ctx.overrides) {
    if (ctx.params.has(o.name)) continue;
    const dropped = ctx.dropped.get(o.name);
    const s = suggest(o.name, ctx.params.keys());
    ctx.diagnostics.push(diag.badSet(
      o.nameSpan,
      `no parameter named '${o.name}'`,
      dropped
        ? `'${o.name}' is only declared \`when ${dropped}\``
        : s
        ? `did you mean '${s}'?`
        : ctx.params.size === 0
        ? "this topology declares no parameters"
        : `the parameters are: ${[...ctx.params.keys()].join(", ")}`,
    ));
  }
}

/**
 * Evaluates and checks every parameter, endpoint option and process property.
 *
 * @param ctx Shared checker state, after the names pass.
 * @returns Nothing; values go onto the symbols, findings to `ctx.diagnostics`.
 * @example Running the pass
 * ```ts
 * import type { Ctx } from "./_context.ts";
 * import { checkOptions } from "./options.ts";
 * declare const ctx: Ctx;
 * checkOptions(ctx);
 * ```
 */
export function checkOptions(ctx: Ctx): void {
  const ev = new Evaluator(ctx);
  checkOverrides(ctx);
  for (const p of ctx.params.values()) ev.param(p);
  for (const ep of ctx.endpoints) evaluateEndpoint(ev, ep);
  for (const p of ctx.processes) evaluateProcess(ev, p);
}
