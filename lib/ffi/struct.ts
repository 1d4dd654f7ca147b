/**
 * Struct layouts with C alignment rules on 64-bit targets (Win64 and x86-64
 * System V agree for the field types used here): each field aligned to its
 * own size, the struct to its largest field, the size rounded up to that.
 * Pure layout math; reading and writing go through a DataView.
 *
 * @module
 */

/** Scalar field types (`pointer` is 8 bytes, read and written as bigint). */
export type FieldType =
  | "i8"
  | "u8"
  | "i16"
  | "u16"
  | "i32"
  | "u32"
  | "i64"
  | "u64"
  | "isize"
  | "usize"
  | "f32"
  | "f64"
  | "pointer";

/** A field: a scalar, a nested struct, or a fixed array `[type, count]`. */
export type FieldSpec =
  | FieldType
  // A nested layout of any fields: its own type parameter is checked where it is declared.
  // deno-lint-ignore no-explicit-any
  | StructLayout<any>
  // deno-lint-ignore no-explicit-any
  | readonly [FieldType | StructLayout<any>, number];

const SCALAR_SIZE: Record<FieldType, number> = {
  i8: 1,
  u8: 1,
  i16: 2,
  u16: 2,
  i32: 4,
  u32: 4,
  i64: 8,
  u64: 8,
  isize: 8,
  usize: 8,
  f32: 4,
  f64: 8,
  pointer: 8,
};

type FieldValue<S> = S extends "i64" | "u64" | "isize" | "usize" | "pointer" ? bigint
  : S extends FieldType ? number
  : never;

/** Fields that can be read or written as one scalar. */
type ScalarKeys<F> = { [K in keyof F]: F[K] extends FieldType ? K : never }[keyof F] & string;

/**
 * A struct's layout: offsets, size and alignment, with typed scalar access.
 *
 * @example OVERLAPPED
 * ```ts
 * import { struct } from "./struct.ts";
 * const OVERLAPPED = struct({
 *   Internal: "usize", InternalHigh: "usize", Offset: "u32", OffsetHigh: "u32", hEvent: "pointer",
 * });
 * OVERLAPPED.size; // 32
 * OVERLAPPED.offsetOf("hEvent"); // 24
 * ```
 */
export class StructLayout<F extends Record<string, FieldSpec>> {
  /** Size in bytes, including trailing padding. */
  readonly size: number;
  /** Alignment in bytes. */
  readonly align: number;
  readonly #offsets: Record<string, number> = {};

  /** @param fields Field specs in declaration order. */
  constructor(readonly fields: F) {
    let offset = 0;
    let align = 1;
    for (const [name, spec] of Object.entries(fields)) {
      const { size, align: fieldAlign } = measure(spec);
      offset = roundUp(offset, fieldAlign);
      this.#offsets[name] = offset;
      offset += size;
      align = Math.max(align, fieldAlign);
    }
    this.align = align;
    this.size = roundUp(offset, align);
  }

  /**
   * @param field A field name.
   * @returns Its byte offset from the start of the struct.
   */
  offsetOf(field: keyof F & string): number {
    const offset = this.#offsets[field];
    if (offset === undefined) throw new TypeError(`Unknown struct field '${field}'`);
    return offset;
  }

  /**
   * Reads a scalar field.
   *
   * @param view The memory.
   * @param field The field.
   * @param base Where the struct starts in `view`.
   * @returns The value (bigint for 64-bit fields).
   */
  get<K extends ScalarKeys<F>>(view: DataView, field: K, base = 0): FieldValue<F[K]> {
    const at = base + this.offsetOf(field);
    return readScalar(view, at, this.fields[field] as FieldType) as FieldValue<F[K]>;
  }

  /**
   * Writes a scalar field.
   *
   * @param view The memory.
   * @param field The field.
   * @param value The value.
   * @param base Where the struct starts in `view`.
   */
  set<K extends ScalarKeys<F>>(view: DataView, field: K, value: FieldValue<F[K]>, base = 0): void {
    writeScalar(view, base + this.offsetOf(field), this.fields[field] as FieldType, value);
  }
}

/**
 * Declares a struct layout.
 *
 * @param fields Field specs in declaration order.
 * @returns The layout.
 * @example
 * ```ts
 * import { struct } from "./struct.ts";
 * const POINT = struct({ x: "i32", y: "i32" });
 * const MSG = struct({
 *   hwnd: "pointer", message: "u32", wParam: "usize", lParam: "isize", time: "u32", pt: POINT,
 *   lPrivate: "u32",
 * });
 * MSG.size; // 48
 * ```
 */
export function struct<F extends Record<string, FieldSpec>>(fields: F): StructLayout<F> {
  return new StructLayout(fields);
}

function measure(spec: FieldSpec): { size: number; align: number } {
  if (spec instanceof StructLayout) return { size: spec.size, align: spec.align };
  if (Array.isArray(spec)) {
    // deno-lint-ignore no-explicit-any -- the element layout's fields are not needed here
    const [element, count] = spec as readonly [FieldType | StructLayout<any>, number];
    const inner = measure(element);
    return { size: inner.size * count, align: inner.align };
  }
  const size = SCALAR_SIZE[spec as FieldType];
  return { size, align: size };
}

function roundUp(n: number, align: number): number {
  return Math.ceil(n / align) * align;
}

function readScalar(view: DataView, at: number, type: FieldType): number | bigint {
  switch (type) {
    case "i8":
      return view.getInt8(at);
    case "u8":
      return view.getUint8(at);
    case "i16":
      return view.getInt16(at, true);
    case "u16":
      return view.getUint16(at, true);
    case "i32":
      return view.getInt32(at, true);
    case "u32":
      return view.getUint32(at, true);
    case "f32":
      return view.getFloat32(at, true);
    case "f64":
      return view.getFloat64(at, true);
    case "i64":
    case "isize":
      return view.getBigInt64(at, true);
    default:
      return view.getBigUint64(at, true);
  }
}

function writeScalar(view: DataView, at: number, type: FieldType, value: number | bigint): void {
  switch (type) {
    case "i8":
      return view.setInt8(at, Number(value));
    case "u8":
      return view.setUint8(at, Number(value));
    case "i16":
      return view.setInt16(at, Number(value), true);
    case "u16":
      return view.setUint16(at, Number(value), true);
    case "i32":
      return view.setInt32(at, Number(value), true);
    case "u32":
      return view.setUint32(at, Number(value), true);
    case "f32":
      return view.setFloat32(at, Number(value), true);
    case "f64":
      return view.setFloat64(at, Number(value), true);
    case "i64":
    case "isize":
      return view.setBigInt64(at, BigInt(value), true);
    default:
      return view.setBigUint64(at, BigInt(value), true);
  }
}
