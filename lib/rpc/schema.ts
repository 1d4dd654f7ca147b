/**
 * RPC schemas as plain data, and the proto3 descriptors built from them at run
 * time with `@bufbuild/protobuf` (the wire codec is that library's, not ours).
 * A {@link MessageCodec} turns the plain JavaScript values of docs/rpc.md
 * (`bigint` for 64-bit integers, `Date` for timestamps, milliseconds for
 * durations, enum value names) into proto3 binary and JSON and back.
 *
 * @module
 */
import {
  create,
  createFileRegistry,
  type DescField,
  type DescMessage,
  fromBinary,
  fromJson,
  type JsonValue,
  type MessageInitShape,
  toBinary,
  toJson,
} from "@bufbuild/protobuf";
import {
  type DescriptorProtoSchema,
  type EnumDescriptorProtoSchema,
  FieldDescriptorProto_Label,
  FieldDescriptorProto_Type,
  type FieldDescriptorProtoSchema,
  file_google_protobuf_duration,
  file_google_protobuf_timestamp,
  FileDescriptorProtoSchema,
  type ServiceDescriptorProtoSchema,
} from "@bufbuild/protobuf/wkt";

type DescriptorInit = MessageInitShape<typeof DescriptorProtoSchema>;
type FieldInit = MessageInitShape<typeof FieldDescriptorProtoSchema>;

/** One field of a record: see docs/rpc.md for the types. */
export interface RpcField {
  name: string;
  /** The field number on the wire. */
  number: number;
  /** A scalar (`i64`, `string`, `timestamp`, …) or the name of a record or enum. */
  type: string;
  /** `list<type>` or `map<string, type>`. */
  repeated?: "list" | "map";
  /** Absent and default are told apart. */
  optional?: boolean;
}

/** One method of a service. */
export interface RpcMethod {
  name: string;
  input: string;
  output: string;
  clientStreaming: boolean;
  serverStreaming: boolean;
}

/**
 * The declarations behind one or more services, as plain data: what the
 * `.ipc` checker produces (`Topology.schema`) and what `ipckit gen ts` embeds.
 *
 * @example A one-method schema
 * ```ts
 * import type { RpcSchema } from "./schema.ts";
 * const schema: RpcSchema = {
 *   package: "calc",
 *   records: { Pair: { fields: [{ name: "a", number: 1, type: "i64" }] } },
 *   enums: {},
 *   services: {
 *     calc: { methods: [{ name: "add", input: "Pair", output: "Pair", clientStreaming: false, serverStreaming: false }] },
 *   },
 * };
 * ```
 */
export interface RpcSchema {
  /** The proto package (the topology's name). */
  package: string;
  records: Record<string, { fields: RpcField[] }>;
  enums: Record<string, { values: { name: string; number: number }[] }>;
  services: Record<string, { methods: RpcMethod[] }>;
}

const T = FieldDescriptorProto_Type;
const SCALARS: Record<string, FieldDescriptorProto_Type> = {
  bool: T.BOOL,
  i32: T.INT32,
  i64: T.INT64,
  u32: T.UINT32,
  u64: T.UINT64,
  f32: T.FLOAT,
  f64: T.DOUBLE,
  string: T.STRING,
  bytes: T.BYTES,
};
const WELL_KNOWN: Record<string, string> = {
  timestamp: ".google.protobuf.Timestamp",
  duration: ".google.protobuf.Duration",
};

/**
 * The proto name of a `.ipc` name: dots of qualified names (`common.Point`)
 * and hyphens become `_`, since a dot would mean a package in proto.
 *
 * @param name The `.ipc` type name.
 * @returns The proto message or enum name.
 * @example
 * ```ts
 * import { protoName } from "./schema.ts";
 * console.log(protoName("common.Point")); // "common_Point"
 * ```
 */
export function protoName(name: string): string {
  return name.replace(/[.-]/g, "_");
}

/**
 * The proto name of an enum value: `Color.red` becomes `COLOR_RED`, the proto
 * convention that keeps values of different enums apart in one package.
 *
 * @param enumName The enum's `.ipc` name.
 * @param value The value's name.
 * @returns The proto value name.
 * @example
 * ```ts
 * import { protoEnumValue } from "./schema.ts";
 * console.log(protoEnumValue("Color", "dark_red")); // "COLOR_DARK_RED"
 * ```
 */
export function protoEnumValue(enumName: string, value: string): string {
  const upper = (s: string) => protoName(s).replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase();
  return `${upper(enumName)}_${upper(value)}`;
}

/**
 * The name of the synthetic entry message of a map field (`by_name` →
 * `ByNameEntry`), as protoc names it.
 *
 * @param field The field's name.
 * @returns The entry message's name.
 * @example
 * ```ts
 * import { mapEntryName } from "./schema.ts";
 * console.log(mapEntryName("by_name")); // "ByNameEntry"
 * ```
 */
export function mapEntryName(field: string): string {
  return protoName(field).split("_").map((p) => p.charAt(0).toUpperCase() + p.slice(1)).join("") +
    "Entry";
}

function camel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function fieldType(
  schema: RpcSchema,
  type: string,
  pkg: string,
): { type: FieldDescriptorProto_Type; typeName?: string } {
  const scalar = SCALARS[type];
  if (scalar !== undefined) return { type: scalar };
  const wellKnown = WELL_KNOWN[type];
  if (wellKnown) return { type: T.MESSAGE, typeName: wellKnown };
  if (schema.enums[type]) return { type: T.ENUM, typeName: `${pkg}.${protoName(type)}` };
  if (schema.records[type]) return { type: T.MESSAGE, typeName: `${pkg}.${protoName(type)}` };
  throw new TypeError(`Cannot use type '${type}' in an RPC schema: it is not declared`);
}

/**
 * Builds the `google.protobuf.FileDescriptorProto` of a schema, as plain
 * init data (what `protoc` would produce from `ipckit gen proto`).
 *
 * @param schema The schema.
 * @returns The descriptor, ready for `create(FileDescriptorProtoSchema, …)`.
 * @example
 * ```ts
 * import { fileDescriptor } from "./schema.ts";
 * const file = fileDescriptor({ package: "p", records: {}, enums: {}, services: {} });
 * console.log(file.name); // "p.proto"
 * ```
 */
export function fileDescriptor(
  schema: RpcSchema,
): MessageInitShape<typeof FileDescriptorProtoSchema> {
  const pkg = `.${protoName(schema.package)}`;
  const messages: DescriptorInit[] = [];
  for (const [name, record] of Object.entries(schema.records)) {
    const nested: DescriptorInit[] = [];
    const oneofs: { name: string }[] = [];
    const fields: FieldInit[] = [];
    for (const f of record.fields) {
      const base = {
        name: protoName(f.name),
        number: f.number,
        jsonName: camel(protoName(f.name)),
      };
      const t = fieldType(schema, f.type, pkg);
      if (f.repeated === "map") {
        const entry = mapEntryName(f.name);
        nested.push({
          name: entry,
          options: { mapEntry: true },
          field: [
            { name: "key", number: 1, jsonName: "key", label: 1, type: T.STRING },
            { name: "value", number: 2, jsonName: "value", label: 1, ...t },
          ],
        });
        fields.push({
          ...base,
          label: FieldDescriptorProto_Label.REPEATED,
          type: T.MESSAGE,
          typeName: `${pkg}.${protoName(name)}.${entry}`,
        });
      } else if (f.repeated === "list") {
        fields.push({ ...base, label: FieldDescriptorProto_Label.REPEATED, ...t });
      } else if (f.optional && t.type !== T.MESSAGE) {
        // proto3 `optional`: a synthetic oneof named `_<field>` tracks presence.
        fields.push({
          ...base,
          label: FieldDescriptorProto_Label.OPTIONAL,
          ...t,
          proto3Optional: true,
          oneofIndex: oneofs.length,
        });
        oneofs.push({ name: `_${protoName(f.name)}` });
      } else {
        fields.push({ ...base, label: FieldDescriptorProto_Label.OPTIONAL, ...t });
      }
    }
    messages.push({ name: protoName(name), field: fields, nestedType: nested, oneofDecl: oneofs });
  }
  const enums: MessageInitShape<typeof EnumDescriptorProtoSchema>[] = Object.entries(schema.enums)
    .map((
      [name, e],
    ) => ({
      name: protoName(name),
      value: e.values.map((v) => ({ name: protoEnumValue(name, v.name), number: v.number })),
    }));
  const services: MessageInitShape<typeof ServiceDescriptorProtoSchema>[] = Object.entries(
    schema.services,
  ).map((
    [name, s],
  ) => ({
    name: protoName(name),
    method: s.methods.map((m) => ({
      name: protoName(m.name),
      inputType: `${pkg}.${protoName(m.input)}`,
      outputType: `${pkg}.${protoName(m.output)}`,
      clientStreaming: m.clientStreaming,
      serverStreaming: m.serverStreaming,
    })),
  }));
  return {
    name: `${protoName(schema.package)}.proto`,
    package: protoName(schema.package),
    syntax: "proto3",
    dependency: ["google/protobuf/timestamp.proto", "google/protobuf/duration.proto"],
    messageType: messages,
    enumType: enums,
    service: services,
  };
}

/** Encodes and decodes one record type. */
export interface MessageCodec {
  /** The record's `.ipc` name. */
  readonly name: string;
  /** Plain value → proto3 binary. */
  encode(value: unknown): Uint8Array;
  /** proto3 binary → plain value; throws on malformed input. */
  decode(bytes: Uint8Array): unknown;
  /** Plain value → proto3 JSON. */
  toJson(value: unknown): JsonValue;
  /** proto3 JSON → plain value; throws on malformed input. */
  fromJson(json: JsonValue): unknown;
}

type Convert = (value: unknown) => unknown;

/** A schema compiled into descriptors and codecs. */
export class CompiledSchema {
  readonly #messages = new Map<string, DescMessage>();
  readonly #codecs = new Map<string, MessageCodec>();
  readonly #toInit = new Map<string, Convert>();
  readonly #fromMessage = new Map<string, Convert>();
  readonly #building = new Set<string>();

  /**
   * @param schema The schema to compile.
   * @example
   * ```ts
   * import { CompiledSchema } from "./schema.ts";
   * const compiled = new CompiledSchema({
   *   package: "p",
   *   records: { R: { fields: [{ name: "n", number: 1, type: "i64" }] } },
   *   enums: {},
   *   services: {},
   * });
   * compiled.codec("R").decode(compiled.codec("R").encode({ n: 5n })); // { n: 5n }
   * ```
   */
  constructor(readonly schema: RpcSchema) {
    const registry = createFileRegistry(
      create(FileDescriptorProtoSchema, fileDescriptor(schema)),
      (file) =>
        file === "google/protobuf/timestamp.proto"
          ? file_google_protobuf_timestamp
          : file === "google/protobuf/duration.proto"
          ? file_google_protobuf_duration
          : undefined,
    );
    for (const name of Object.keys(schema.records)) {
      const desc = registry.getMessage(`${protoName(schema.package)}.${protoName(name)}`);
      if (!desc) throw new TypeError(`Cannot compile record '${name}'`);
      this.#messages.set(name, desc);
    }
  }

  /**
   * The codec of a record.
   *
   * @param record The record's `.ipc` name.
   * @returns Its codec.
   * @example
   * ```ts
   * import { CompiledSchema } from "./schema.ts";
   * declare const compiled: CompiledSchema;
   * const bytes = compiled.codec("Pair").encode({ a: 1, b: 2 });
   * ```
   */
  codec(record: string): MessageCodec {
    let codec = this.#codecs.get(record);
    if (codec) return codec;
    const desc = this.#messages.get(record);
    if (!desc) {
      throw new TypeError(`Cannot find record '${record}' in schema '${this.schema.package}'`);
    }
    const toInit = this.#initOf(record);
    const fromMessage = this.#plainOf(record);
    codec = {
      name: record,
      encode: (value) => toBinary(desc, create(desc, toInit(value) as never)),
      decode: (bytes) => fromMessage(fromBinary(desc, bytes)),
      toJson: (value) => toJson(desc, create(desc, toInit(value) as never)),
      fromJson: (json) => fromMessage(fromJson(desc, json)),
    };
    this.#codecs.set(record, codec);
    return codec;
  }

  /** Plain record → init shape for `create`. */
  #initOf(record: string): Convert {
    const known = this.#toInit.get(record);
    if (known) return known;
    const desc = this.#messages.get(record)!;
    const fields: [string, string, Convert][] = [];
    const convert: Convert = (value) => {
      if (value === null || typeof value !== "object") {
        throw new TypeError(`Cannot encode ${describe(value)} as record '${record}'`);
      }
      const init: Record<string, unknown> = {};
      const source = value as Record<string, unknown>;
      for (const [name, local, one] of fields) {
        const v = source[name];
        if (v !== undefined && v !== null) init[local] = one(v);
      }
      return init;
    };
    this.#toInit.set(record, convert);
    for (const f of this.schema.records[record]!.fields) {
      const field = desc.fields.find((d) => d.number === f.number)!;
      const one = this.#valueToInit(f, record);
      const each: Convert = f.repeated === "list"
        ? (v) => Array.from(v as Iterable<unknown>, one)
        : f.repeated === "map"
        ? (v) => {
          const out: Record<string, unknown> = {};
          for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = one(x);
          return out;
        }
        : one;
      fields.push([f.name, field.localName, each]);
    }
    return convert;
  }

  #valueToInit(f: RpcField, record: string): Convert {
    const where = `field '${f.name}' of '${record}'`;
    switch (f.type) {
      case "i64":
      case "u64":
        return (v) => {
          if (typeof v === "bigint") return v;
          if (typeof v === "number" && Number.isInteger(v)) return BigInt(v);
          throw new TypeError(`Cannot encode ${describe(v)} as ${f.type} ${where}`);
        };
      case "timestamp":
        return (v) => {
          if (!(v instanceof Date) || Number.isNaN(v.getTime())) {
            throw new TypeError(`Cannot encode ${describe(v)} as a timestamp ${where}`);
          }
          const ms = v.getTime();
          const seconds = Math.floor(ms / 1000);
          return { seconds: BigInt(seconds), nanos: Math.round((ms - seconds * 1000) * 1e6) };
        };
      case "duration":
        return (v) => {
          if (typeof v !== "number" || !Number.isFinite(v)) {
            throw new TypeError(`Cannot encode ${describe(v)} as a duration ${where}`);
          }
          const seconds = Math.trunc(v / 1000);
          return { seconds: BigInt(seconds), nanos: Math.round((v - seconds * 1000) * 1e6) };
        };
      default: {
        const e = this.schema.enums[f.type];
        if (e) {
          const numbers = new Map(e.values.map((x) => [x.name, x.number]));
          return (v) => {
            const n = typeof v === "number" ? v : numbers.get(String(v)) ?? Number(v);
            if (!Number.isInteger(n)) {
              throw new TypeError(`Cannot encode ${describe(v)} as enum '${f.type}' ${where}`);
            }
            return n;
          };
        }
        if (this.schema.records[f.type]) return (v) => this.#initOf(f.type)(v);
        return (v) => v;
      }
    }
  }

  /** Decoded message → plain record. */
  #plainOf(record: string): Convert {
    const known = this.#fromMessage.get(record);
    if (known) return known;
    const desc = this.#messages.get(record)!;
    const fields: [string, string, Convert, unknown][] = [];
    const convert: Convert = (message) => {
      const m = message as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const [name, local, one, absent] of fields) {
        const v = m[local];
        if (v === undefined) {
          const value = typeof absent === "function" ? absent() : absent;
          if (value !== undefined) out[name] = value;
        } else {
          out[name] = one(v);
        }
      }
      return out;
    };
    this.#fromMessage.set(record, convert);
    for (const f of this.schema.records[record]!.fields) {
      const field = desc.fields.find((d) => d.number === f.number)!;
      const one = this.#valueToPlain(f);
      const each: Convert = f.repeated === "list"
        ? (v) => (v as unknown[]).map(one)
        : f.repeated === "map"
        ? (v) => {
          const out: Record<string, unknown> = {};
          for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = one(x);
          return out;
        }
        : one;
      fields.push([f.name, field.localName, each, this.#absentValue(f, field)]);
    }
    return convert;
  }

  /** What a field reads as when the message lacks it: `undefined` = leave it out. */
  #absentValue(f: RpcField, field: DescField): unknown {
    if (f.optional || f.repeated || field.fieldKind !== "message") return undefined;
    if (f.type === "timestamp") return () => new Date(0);
    if (f.type === "duration") return 0;
    const desc = this.#messages.get(f.type)!;
    // A record that contains itself gets one level of defaults, not endless ones.
    return () => {
      if (this.#building.has(f.type)) return undefined;
      this.#building.add(f.type);
      try {
        return this.#plainOf(f.type)(create(desc));
      } finally {
        this.#building.delete(f.type);
      }
    };
  }

  #valueToPlain(f: RpcField): Convert {
    switch (f.type) {
      case "timestamp":
        return (v) => {
          const t = v as { seconds: bigint; nanos: number };
          return new Date(Number(t.seconds) * 1000 + t.nanos / 1e6);
        };
      case "duration":
        return (v) => {
          const d = v as { seconds: bigint; nanos: number };
          return Number(d.seconds) * 1000 + d.nanos / 1e6;
        };
      default: {
        const e = this.schema.enums[f.type];
        if (e) {
          const names = new Map(e.values.map((x) => [x.number, x.name]));
          // A value a newer peer added reads as its number, in digits.
          return (v) => names.get(v as number) ?? String(v);
        }
        if (this.schema.records[f.type]) return (v) => this.#plainOf(f.type)(v);
        return (v) => v;
      }
    }
  }
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (value instanceof Date) return "an invalid Date";
  return typeof value === "object" ? "an object" : `${typeof value} ${String(value).slice(0, 40)}`;
}
