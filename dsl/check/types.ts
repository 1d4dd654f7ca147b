/**
 * The types pass: declares `record` and `enum` types, numbers their fields
 * and values, resolves every field and method type, and checks services'
 * methods. It builds the program's {@link SchemaModel}, which maps one to one
 * onto proto3 (docs/rpc.md).
 *
 * @module
 */

import type { EndpointDecl, EnumDecl, NumberLit, RecordDecl, Span, TypeRef } from "../ast.ts";
import { diag } from "../diagnostics.ts";
import type { FieldModel, MethodModel, ScalarType } from "../model.ts";
import { suggest } from "../_suggest.ts";
import { type Ctx, type ModuleInfo, visibleNames } from "./_context.ts";

/**
 * The built-in scalar types.
 * @example Testing a name
 * ```ts
 * import { SCALAR_TYPES } from "./types.ts";
 * console.log(SCALAR_TYPES.includes("i64")); // true
 * ```
 */
export const SCALAR_TYPES: readonly ScalarType[] = [
  "bool",
  "i32",
  "i64",
  "u32",
  "u64",
  "f32",
  "f64",
  "string",
  "bytes",
  "timestamp",
  "duration",
];

/** proto3's largest field number; 19000–19999 are reserved by Protocol Buffers. */
const MAX_FIELD = 2 ** 29 - 1;
const RESERVED_FROM = 19000;
const RESERVED_TO = 19999;
const MAX_ENUM = 2 ** 31 - 1;

/** What a type reference resolved to. */
type Resolved =
  | { kind: "scalar"; name: ScalarType }
  | { kind: "record" | "enum"; name: string }
  | { kind: "list" | "map"; of: Resolved }
  | { kind: "error" };

/**
 * Declares and checks every record, enum and service method, and fills
 * `ctx.schema`.
 *
 * @param ctx Shared checker state, after the names pass.
 * @returns Nothing; the schema goes to `ctx.schema`, findings to `ctx.diagnostics`.
 * @example Running the pass
 * ```ts
 * import type { Ctx } from "./_context.ts";
 * import { checkTypes } from "./types.ts";
 * declare const ctx: Ctx;
 * checkTypes(ctx);
 * ```
 */
export function checkTypes(ctx: Ctx): void {
  ctx.schema.package = ctx.modules[0]?.ast.name.text ?? "";
  for (const m of ctx.modules) {
    for (const item of m.items) {
      if (item.type !== "record" && item.type !== "enum") continue;
      const name = m.prefix + item.name.text;
      const prev = ctx.types.get(name);
      if (prev) {
        ctx.diagnostics.push(diag.duplicate(item.name.span, "type", name, prev.decl.name.span));
        continue;
      }
      ctx.types.set(name, { sym: item.type, name, decl: item, module: m });
    }
  }
  for (const t of ctx.types.values()) {
    if (t.decl.type === "record") checkRecord(ctx, t.module, t.name, t.decl);
    else checkEnum(ctx, t.name, t.decl);
  }
  for (const ep of ctx.endpoints) {
    if (ep.decl.methods) checkService(ctx, ep.module, ep.name, ep.decl);
  }
}

function checkRecord(ctx: Ctx, m: ModuleInfo, name: string, decl: RecordDecl): void {
  const fields: FieldModel[] = [];
  const names = new Map<string, Span>();
  const numbers = new Map<number, Span>();
  let previous = 0;
  for (const f of decl.fields) {
    const first = names.get(f.name.text);
    if (first) ctx.diagnostics.push(diag.duplicate(f.name.span, "field", f.name.text, first));
    else names.set(f.name.text, f.name.span);
    const at = f.tag?.span ?? f.name.span;
    const number = fieldNumber(ctx, f.tag, at, previous, `record '${name}'`, numbers);
    previous = number;
    const type = resolveType(ctx, m, f.fieldType, "a record field");
    if (type.kind === "error") continue;
    let model: FieldModel;
    if (type.kind === "list" || type.kind === "map") {
      if (f.optional) {
        ctx.diagnostics.push(diag.invalidType(
          f.name.span,
          `field '${f.name.text}' is a ${type.kind} and cannot be optional`,
          `optional ${type.kind}`,
          `an empty ${type.kind} already means "none"; remove the \`?\``,
        ));
        continue;
      }
      model = { name: f.name.text, number, type: typeName(type.of), repeated: type.kind };
    } else {
      model = { name: f.name.text, number, type: typeName(type) };
    }
    if (f.optional) model.optional = true;
    fields.push(model);
  }
  ctx.schema.records[name] = { fields };
}

function fieldNumber(
  ctx: Ctx,
  tag: NumberLit | null,
  at: Span,
  previous: number,
  owner: string,
  seen: Map<number, Span>,
  enumValue = false,
): number {
  const number = tag ? tag.value : enumValue && seen.size === 0 ? 0 : previous + 1;
  if (tag) {
    const low = enumValue ? 0 : 1;
    const high = enumValue ? MAX_ENUM : MAX_FIELD;
    if (tag.unit !== null || !Number.isInteger(number) || number < low || number > high) {
      ctx.diagnostics.push(diag.numberOutOfRange(
        tag.span,
        `${owner} uses number ${tag.raw}, outside ${low} to ${high}`,
        "not a valid number",
        enumValue
          ? "enum values are numbered with whole numbers from 0"
          : `field numbers are whole numbers from 1 to ${high}`,
      ));
      return number;
    }
    if (!enumValue && number >= RESERVED_FROM && number <= RESERVED_TO) {
      ctx.diagnostics.push(diag.numberOutOfRange(
        tag.span,
        `${owner} uses number ${number}, which Protocol Buffers reserves`,
        "reserved number",
        `numbers ${RESERVED_FROM} to ${RESERVED_TO} are reserved; pick another`,
      ));
      return number;
    }
    if (enumValue && seen.size === 0 && number !== 0) {
      ctx.diagnostics.push(diag.numberOutOfRange(
        tag.span,
        `${owner} starts at ${number}, not 0`,
        "first value must be 0",
        "the first value of an enum is its default and must be number 0",
      ));
      return number;
    }
  }
  const first = seen.get(number);
  if (first) {
    let next = Math.max(...seen.keys()) + 1;
    if (!enumValue && next >= RESERVED_FROM && next <= RESERVED_TO) next = RESERVED_TO + 1;
    ctx.diagnostics.push(diag.duplicateNumber(at, owner, number, first, next));
  } else {
    seen.set(number, at);
  }
  return number;
}

function checkEnum(ctx: Ctx, name: string, decl: EnumDecl): void {
  const values: { name: string; number: number }[] = [];
  const names = new Map<string, Span>();
  const numbers = new Map<number, Span>();
  let previous = 0;
  for (const v of decl.values) {
    const first = names.get(v.name.text);
    if (first) ctx.diagnostics.push(diag.duplicate(v.name.span, "enum value", v.name.text, first));
    else names.set(v.name.text, v.name.span);
    const at = v.tag?.span ?? v.name.span;
    const number = fieldNumber(ctx, v.tag, at, previous, `enum '${name}'`, numbers, true);
    previous = number;
    values.push({ name: v.name.text, number });
  }
  if (decl.values.length === 0) {
    ctx.diagnostics.push(diag.invalidType(
      decl.name.span,
      `enum '${name}' has no values`,
      "empty enum",
      "an enum needs at least one value; the first one is the default",
    ));
  }
  ctx.schema.enums[name] = { values };
}

function checkService(ctx: Ctx, m: ModuleInfo, name: string, decl: EndpointDecl): void {
  const methods: MethodModel[] = [];
  const names = new Map<string, Span>();
  for (const method of decl.methods ?? []) {
    const first = names.get(method.name.text);
    if (first) {
      ctx.diagnostics.push(diag.duplicate(method.name.span, "method", method.name.text, first));
      continue;
    }
    names.set(method.name.text, method.name.span);
    const input = resolveType(ctx, m, method.input, "", true);
    const output = resolveType(ctx, m, method.output, "", true);
    let ok = true;
    for (const [t, ref] of [[input, method.input], [output, method.output]] as const) {
      if (t.kind === "error") ok = false;
      else if (t.kind !== "record") {
        ctx.diagnostics.push(diag.methodTypeNotRecord(ref.span, method.name.text, describe(t)));
        ok = false;
      }
    }
    if (!ok) continue;
    methods.push({
      name: method.name.text,
      input: typeName(input),
      output: typeName(output),
      clientStreaming: method.input.stream,
      serverStreaming: method.output.stream,
    });
  }
  ctx.schema.services[name] = { methods };
}

function describe(t: Resolved): string {
  switch (t.kind) {
    case "scalar":
      return `the built-in type '${t.name}'`;
    case "enum":
      return `the enum '${t.name}'`;
    case "list":
    case "map":
      return `a ${t.kind}`;
    default:
      return "a type";
  }
}

function typeText(t: TypeRef): string {
  return `${t.name.text}${t.args.length > 0 ? `<${t.args.map(typeText).join(", ")}>` : ""}`;
}

function typeName(t: Resolved): string {
  return t.kind === "scalar" || t.kind === "record" || t.kind === "enum" ? t.name : "";
}

function resolveType(
  ctx: Ctx,
  m: ModuleInfo,
  ref: TypeRef,
  where: string,
  method = false,
  nested = false,
): Resolved {
  if (ref.stream && (!method || nested)) {
    ctx.diagnostics.push(
      diag.streamNotAllowed(ref.span, nested ? "inside another type" : where),
    );
    return { kind: "error" };
  }
  const text = ref.name.text;
  if (ref.args.length > 0 || text === "list" || text === "map") {
    const arity = text === "map" ? 2 : 1;
    if ((text !== "list" && text !== "map") || ref.args.length !== arity) {
      ctx.diagnostics.push(diag.invalidType(
        ref.span,
        text === "list" || text === "map"
          ? `${text} takes ${arity} type argument${arity === 1 ? "" : "s"}, not ${ref.args.length}`
          : `'${text}' takes no type arguments`,
        "wrong type arguments",
        "write `list<T>` or `map<string, T>`",
      ));
      return { kind: "error" };
    }
    const key = text === "map" ? ref.args[0] : undefined;
    const value = ref.args[arity - 1]!;
    if (key && (key.name.text !== "string" || key.args.length > 0 || key.stream)) {
      ctx.diagnostics.push(diag.invalidType(
        key.span,
        `map keys must be strings, not '${key.name.text}'`,
        "not string",
        "write `map<string, T>`; for other keys use a list of records",
      ));
      return { kind: "error" };
    }
    if (value.args.length > 0 || value.name.text === "list" || value.name.text === "map") {
      ctx.diagnostics.push(diag.invalidType(
        value.span,
        `a ${text} cannot hold a ${value.name.text} directly`,
        "nested collection",
        `proto3 has no ${text} of ${value.name.text}s; wrap the inner one in a record, e.g. \`record Row { items: ${
          typeText(value)
        } }\`, and use \`${text}<${text === "map" ? "string, " : ""}Row>\``,
      ));
      return { kind: "error" };
    }
    const of = resolveType(ctx, m, value, where, method, true);
    return of.kind === "error" ? of : { kind: text, of };
  }
  if ((SCALAR_TYPES as readonly string[]).includes(text)) {
    return { kind: "scalar", name: text as ScalarType };
  }
  const sym = ctx.types.get(m.prefix + text);
  if (sym) return { kind: sym.sym, name: sym.name };
  const candidates = [...SCALAR_TYPES, "list", "map", ...visibleNames(ctx.types.keys(), m.prefix)];
  ctx.diagnostics.push(diag.unknownType(ref.name.span, text, suggest(text, candidates)));
  return { kind: "error" };
}
