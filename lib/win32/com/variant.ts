/**
 * VARIANT conversion, both ways. A VARIANT is 24 bytes on x64: the type
 * (`vt`, u16) at 0 and the value at 8; a DECIMAL fills bytes 0-15 itself.
 *
 * | VARIANT | JavaScript |
 * |---|---|
 * | VT_EMPTY / VT_NULL | `undefined` / `null` |
 * | VT_BOOL | `boolean` |
 * | VT_I1, VT_I2, VT_I4, VT_INT, VT_UI1, VT_UI2, VT_UI4, VT_UINT, VT_R4, VT_R8 | `number` (a JS integer in int32 range is written as VT_I4, any other number as VT_R8) |
 * | VT_I8 / VT_UI8 | `bigint` (written as VT_I8 when it fits, else VT_UI8) |
 * | VT_CY | {@link Currency} (the exact int64 count of 1/10,000ths) |
 * | VT_DECIMAL | {@link Decimal} (an exact 96-bit integer and a scale 0-28) |
 * | VT_DATE | `Date` (read and written as local wall-clock time, to the millisecond) |
 * | VT_BSTR | `string` (UTF-16 as is, embedded NULs kept) |
 * | VT_ERROR | {@link SCode} ({@link MISSING} is DISP_E_PARAMNOTFOUND: an omitted optional argument) |
 * | VT_ARRAY of VT_UI1 (one dimension) | `Uint8Array` |
 * | VT_ARRAY of anything else, any dimensions | nested JS arrays, the leftmost dimension outermost; a rectangular nested array is written as one multi-dimensional SAFEARRAY of VARIANT, a jagged one as nested SAFEARRAYs |
 * | VT_DISPATCH / VT_UNKNOWN | a wrapper object from the registered {@link VariantObjectCodec} (lib/com.ts registers `ComObject`) |
 * | VT_BYREF of any of these | the referenced value |
 *
 * Functions, symbols and other objects are refused with a `TypeError`
 * before anything native is allocated ({@link checkVariantValue}).
 * Ownership: what {@link encodeVariant} writes belongs to the VARIANT and is
 * freed by {@link clearVariant} (VariantClear); {@link decodeVariant} copies
 * (strings, arrays) or adds a reference (objects) and never frees.
 *
 * @module
 */
import { nativeBuffer } from "../../ffi/mod.ts";
import { ComError } from "./error.ts";
import { oleaut32 } from "./oleaut32.ts";

/** VARTYPE values. */
export const VT = {
  EMPTY: 0,
  NULL: 1,
  I2: 2,
  I4: 3,
  R4: 4,
  R8: 5,
  CY: 6,
  DATE: 7,
  BSTR: 8,
  DISPATCH: 9,
  ERROR: 10,
  BOOL: 11,
  VARIANT: 12,
  UNKNOWN: 13,
  DECIMAL: 14,
  I1: 16,
  UI1: 17,
  UI2: 18,
  UI4: 19,
  I8: 20,
  UI8: 21,
  INT: 22,
  UINT: 23,
  ARRAY: 0x2000,
  BYREF: 0x4000,
} as const;

/** The size of a VARIANT on x64, in bytes. */
export const VARIANT_SIZE = 24;

const TYPE_MASK = 0x0fff;

/**
 * A VT_CY currency amount, exact: the int64 count of 1/10,000ths of a unit.
 *
 * @example Exact arithmetic-free round trip
 * ```ts
 * import { Currency } from "./variant.ts";
 * const price = Currency.from("922337203685477.5807"); // the largest CY
 * price.scaled; // 9223372036854775807n
 * price.toString(); // "922337203685477.5807"
 * ```
 */
export class Currency {
  /**
   * @param scaled The amount times 10,000, as a signed 64-bit integer.
   */
  constructor(readonly scaled: bigint) {
    if (typeof scaled !== "bigint" || BigInt.asIntN(64, scaled) !== scaled) {
      throw new RangeError(
        `Cannot make a currency of ${String(scaled)}/10000: it must be a signed 64-bit bigint`,
      );
    }
  }

  /**
   * Makes a currency amount from a decimal string (up to 4 decimals), a
   * number (rounded to 4 decimals) or a bigint count of whole units.
   *
   * @param value The amount.
   * @returns The currency.
   * @example Currency from a number
   * ```ts
   * import { Currency } from "./variant.ts";
   * Currency.from(1.5).toString(); // "1.5000"
   * ```
   */
  static from(value: string | number | bigint): Currency {
    if (typeof value === "bigint") return new Currency(value * 10_000n);
    if (typeof value === "number") {
      if (!Number.isFinite(value)) throw new RangeError(`Cannot make a currency of ${value}`);
      return Currency.from(value.toFixed(4));
    }
    const { unscaled, scale } = parseDecimalText(value, "currency");
    if (scale > 4) {
      throw new RangeError(`Cannot make a currency of '${value}': it has more than 4 decimals`);
    }
    return new Currency(unscaled * 10n ** BigInt(4 - scale));
  }

  /** @returns The exact amount with 4 decimals, e.g. `"-12.3400"`. */
  toString(): string {
    return formatScaled(this.scaled, 4);
  }

  /** @returns The amount as a (possibly rounded) number. */
  toNumber(): number {
    return Number(this.toString());
  }

  /** @returns The exact string, for JSON. */
  toJSON(): string {
    return this.toString();
  }
}

/** 2^96: DECIMAL holds a 96-bit magnitude. */
const DECIMAL_LIMIT = 1n << 96n;

/**
 * A VT_DECIMAL number, exact: `unscaled / 10^scale`, with a magnitude below
 * 2^96 and a scale from 0 to 28.
 *
 * @example Using Decimal
 * ```ts
 * import { Decimal } from "./variant.ts";
 * const d = Decimal.from("-79228162514264337593543950.335");
 * d.scale; // 3
 * d.toString(); // "-79228162514264337593543950.335"
 * ```
 */
export class Decimal {
  /**
   * @param unscaled The signed integer before scaling (|unscaled| < 2^96).
   * @param scale The power of ten it is divided by, 0-28.
   */
  constructor(readonly unscaled: bigint, readonly scale: number) {
    if (typeof unscaled !== "bigint" || unscaled >= DECIMAL_LIMIT || unscaled <= -DECIMAL_LIMIT) {
      throw new RangeError(
        `Cannot make a decimal of ${String(unscaled)}: its magnitude must be below 2^96`,
      );
    }
    if (!Number.isInteger(scale) || scale < 0 || scale > 28) {
      throw new RangeError(
        `Cannot make a decimal with scale ${scale}: it must be an integer from 0 to 28`,
      );
    }
  }

  /**
   * Parses a decimal string exactly, or converts a number through its
   * shortest decimal form.
   *
   * @param value `"123.45"`, `"-0.001"`, a number or a bigint.
   * @returns The decimal.
   * @example Decimal from a string
   * ```ts
   * import { Decimal } from "./variant.ts";
   * Decimal.from("1.10").scale; // 2
   * ```
   */
  static from(value: string | number | bigint): Decimal {
    if (typeof value === "bigint") return new Decimal(value, 0);
    if (typeof value === "number") {
      if (!Number.isFinite(value)) throw new RangeError(`Cannot make a decimal of ${value}`);
      const text = value.toString();
      if (/e/i.test(text)) return Decimal.from(value.toFixed(Math.min(28, 20)));
      return Decimal.from(text);
    }
    const { unscaled, scale } = parseDecimalText(value, "decimal");
    return new Decimal(unscaled, scale);
  }

  /** @returns The exact value, e.g. `"-1.50"` (the scale's trailing zeros kept). */
  toString(): string {
    return formatScaled(this.unscaled, this.scale);
  }

  /** @returns The value as a (possibly rounded) number. */
  toNumber(): number {
    return Number(this.toString());
  }

  /** @returns The exact string, for JSON. */
  toJSON(): string {
    return this.toString();
  }
}

/**
 * A VT_ERROR value: an HRESULT carried as data (not thrown).
 *
 * @example Using SCode
 * ```ts
 * import { SCode } from "./variant.ts";
 * new SCode(0x80020004).hresult; // DISP_E_PARAMNOTFOUND
 * ```
 */
export class SCode {
  /** @param hresult The code, as an unsigned 32-bit number. */
  constructor(readonly hresult: number) {
    this.hresult = hresult >>> 0;
  }
}

/**
 * An omitted optional argument (VT_ERROR with DISP_E_PARAMNOTFOUND), as
 * VBScript passes for `obj.Method 1, , 3`.
 */
export const MISSING: SCode = new SCode(0x80020004);

/** How COM objects inside VARIANTs become JavaScript values and back. */
export interface VariantObjectCodec {
  /**
   * The interface pointer for a JavaScript value, with one reference added
   * for the VARIANT (which VariantClear releases), or `undefined` when the
   * value is not one of this codec's objects.
   */
  encode(value: object): { pointer: bigint; dispatch: boolean } | undefined;
  /**
   * A JavaScript value for an interface pointer found in a VARIANT (add a
   * reference to keep it), or `undefined` to let an earlier codec try.
   */
  decode(pointer: bigint, dispatch: boolean): unknown;
}

const codecs: VariantObjectCodec[] = [];

/**
 * Registers how objects cross VARIANTs. The last registered codec is asked
 * first; the client's `ComObject` registers one, the server its own.
 *
 * @param codec The codec.
 * @example Using registerObjectCodec
 * ```ts
 * import { registerObjectCodec } from "./variant.ts";
 * registerObjectCodec({ encode: () => undefined, decode: () => undefined });
 * ```
 */
export function registerObjectCodec(codec: VariantObjectCodec): void {
  codecs.unshift(codec);
}

function encodeObject(value: object): { pointer: bigint; dispatch: boolean } | undefined {
  for (const codec of codecs) {
    const encoded = codec.encode(value);
    if (encoded) return encoded;
  }
  return undefined;
}

function decodeObject(pointer: bigint, dispatch: boolean): unknown {
  if (pointer === 0n) return null;
  for (const codec of codecs) {
    const decoded = codec.decode(pointer, dispatch);
    if (decoded !== undefined) return decoded;
  }
  throw new ComError(0x80020008, {
    operation: "Reading a COM object from a VARIANT (no codec registered)",
  });
}

// ---- checking ----------------------------------------------------------------

/**
 * Throws a `TypeError` (or `RangeError`) for a value that has no VARIANT
 * form, before anything native is allocated. Arrays are checked element by
 * element, and the message says where the bad element is.
 *
 * @param value The value.
 * @param where What the value is, for the message (`"argument 2"`).
 * @example Refusing a function
 * ```ts
 * import { checkVariantValue } from "./variant.ts";
 * try {
 *   checkVariantValue(() => 1, "argument 0");
 * } catch (error) {
 *   console.log((error as TypeError).message);
 * }
 * ```
 */
export function checkVariantValue(value: unknown, where = "value"): void {
  switch (typeof value) {
    case "undefined":
    case "boolean":
    case "string":
      return;
    case "number":
      return;
    case "bigint":
      if (value < -(1n << 63n) || value >= 1n << 64n) {
        throw new RangeError(`Cannot pass ${where} ${value}n to COM: it needs more than 64 bits`);
      }
      return;
    case "object": {
      if (value === null || value instanceof Currency || value instanceof Decimal) return;
      if (value instanceof SCode || value instanceof Uint8Array) return;
      if (value instanceof Date) {
        if (Number.isNaN(value.getTime())) {
          throw new RangeError(`Cannot pass ${where} to COM: it is an invalid Date`);
        }
        return;
      }
      if (Array.isArray(value)) {
        value.forEach((element, i) => checkVariantValue(element, `${where}[${i}]`));
        return;
      }
      if (codecs.some((codec) => isEncodable(codec, value))) return;
      const kind = value.constructor?.name ?? "Object";
      throw new TypeError(
        `Cannot pass ${where} to COM: a ${kind} has no VARIANT form (pass a COM object, an array, a Uint8Array, a Date, a string, a number, a bigint, a boolean, null or undefined)`,
      );
    }
    default:
      throw new TypeError(`Cannot pass ${where} to COM: a ${typeof value} has no VARIANT form`);
  }
}

function isEncodable(codec: VariantObjectCodec, value: object): boolean {
  const encoded = codec.encode(value);
  if (!encoded) return false;
  // The check must not keep the reference encode() added for a VARIANT.
  releasePointer(encoded.pointer);
  return true;
}

let releasePointer: (pointer: bigint) => void = () => {};

/**
 * Sets how {@link checkVariantValue} drops the reference a codec's trial
 * `encode` added (the vtable module's `release`; set by the client).
 *
 * @param release The release function.
 * @example Using setReleaseFunction
 * ```ts
 * import { setReleaseFunction } from "./variant.ts";
 * setReleaseFunction(() => {});
 * ```
 */
export function setReleaseFunction(release: (pointer: bigint) => void): void {
  releasePointer = release;
}

// ---- encoding ------------------------------------------------------------------

/**
 * Writes a JavaScript value as a VARIANT into native memory. What it
 * allocates (a BSTR, a SAFEARRAY, an object reference) belongs to the
 * VARIANT: free it with {@link clearVariant}.
 *
 * @param view A view over native memory (from `NativeMemory` or `nativeBuffer`).
 * @param offset Where the VARIANT starts in `view`.
 * @param value The value (checked first with {@link checkVariantValue}).
 * @param where What the value is, for error messages.
 * @example Writing an int32
 * ```ts
 * import { encodeVariant, VARIANT_SIZE } from "./variant.ts";
 * const view = new DataView(new ArrayBuffer(VARIANT_SIZE));
 * encodeVariant(view, 0, 42);
 * view.getUint16(0, true); // 3 (VT_I4)
 * ```
 */
export function encodeVariant(
  view: DataView,
  offset: number,
  value: unknown,
  where = "value",
): void {
  checkVariantValue(value, where);
  writeChecked(view, offset, value);
}

function writeChecked(view: DataView, offset: number, value: unknown): void {
  // The reserved words and the value's 16 bytes start clean.
  for (let i = 0; i < VARIANT_SIZE; i += 8) view.setBigUint64(offset + i, 0n, true);
  const setType = (vt: number) => view.setUint16(offset, vt, true);
  const at = offset + 8;
  switch (typeof value) {
    case "undefined":
      return setType(VT.EMPTY);
    case "boolean":
      setType(VT.BOOL);
      return view.setInt16(at, value ? -1 : 0, true);
    case "number":
      if (
        Number.isInteger(value) && value >= -0x80000000 && value <= 0x7fffffff &&
        !Object.is(value, -0)
      ) {
        setType(VT.I4);
        return view.setInt32(at, value, true);
      }
      setType(VT.R8);
      return view.setFloat64(at, value, true);
    case "bigint":
      if (value >= -(1n << 63n) && value < 1n << 63n) {
        setType(VT.I8);
        return view.setBigInt64(at, value, true);
      }
      setType(VT.UI8);
      return view.setBigUint64(at, value, true);
    case "string":
      setType(VT.BSTR);
      return view.setBigUint64(at, allocBstr(value), true);
  }
  if (value === null) return setType(VT.NULL);
  if (value instanceof Currency) {
    setType(VT.CY);
    return view.setBigInt64(at, value.scaled, true);
  }
  if (value instanceof Decimal) return writeDecimal(view, offset, value);
  if (value instanceof Date) {
    setType(VT.DATE);
    return view.setFloat64(at, dateToVariantTime(value), true);
  }
  if (value instanceof SCode) {
    setType(VT.ERROR);
    return view.setInt32(at, value.hresult | 0, true);
  }
  if (value instanceof Uint8Array) {
    const array = createByteArray(value);
    setType(VT.ARRAY | VT.UI1);
    return view.setBigUint64(at, array, true);
  }
  if (Array.isArray(value)) {
    const array = createVariantArray(value);
    setType(VT.ARRAY | VT.VARIANT);
    return view.setBigUint64(at, array, true);
  }
  const object = encodeObject(value as object)!;
  setType(object.dispatch ? VT.DISPATCH : VT.UNKNOWN);
  view.setBigUint64(at, object.pointer, true);
}

function writeDecimal(view: DataView, offset: number, value: Decimal): void {
  const negative = value.unscaled < 0n;
  const magnitude = negative ? -value.unscaled : value.unscaled;
  view.setUint16(offset, VT.DECIMAL, true); // overlays DECIMAL.wReserved
  view.setUint8(offset + 2, value.scale);
  view.setUint8(offset + 3, negative ? 0x80 : 0);
  view.setUint32(offset + 4, Number(magnitude >> 64n), true); // Hi32
  view.setBigUint64(offset + 8, magnitude & 0xffffffffffffffffn, true); // Lo64
}

/**
 * The dimensions of a nested array when it is rectangular (every element at
 * each level an array of one length), else `null` (a jagged array, written
 * as a one-dimensional SAFEARRAY whose elements are SAFEARRAYs).
 *
 * @param array The array.
 * @returns The lengths, outermost first: `[2, 3]` for two rows of three.
 * @example Using rectangularShape
 * ```ts
 * import { rectangularShape } from "./variant.ts";
 * rectangularShape([[1, 2, 3], [4, 5, 6]]); // [2, 3]
 * rectangularShape([[1], [2, 3]]); // [2]
 * ```
 */
export function rectangularShape(array: readonly unknown[]): number[] {
  const shape = [array.length];
  let level: readonly unknown[] = array;
  while (level.length > 0 && level.every((e) => Array.isArray(e))) {
    const inner = level as readonly unknown[][];
    const length = inner[0]!.length;
    if (!inner.every((e) => e.length === length)) break;
    shape.push(length);
    level = inner.flat();
    // A level of empty arrays ends the shape (their contents are unknowable).
    if (length === 0) break;
  }
  return shape;
}

function createSafeArray(vt: number, shape: readonly number[]): bigint {
  const bounds = new DataView(new ArrayBuffer(8 * shape.length));
  shape.forEach((count, i) => {
    bounds.setUint32(i * 8, count, true); // cElements
    bounds.setInt32(i * 8 + 4, 0, true); // lLbound
  });
  const array = oleaut32.symbols.SafeArrayCreate(vt, shape.length, bounds);
  if (array === 0n) throw new ComError(0x8007000e, { operation: "SafeArrayCreate" });
  return array;
}

function withData<T>(array: bigint, use: (data: bigint) => T): T {
  const out = new BigUint64Array(1);
  const hr = oleaut32.symbols.SafeArrayAccessData(array, out);
  if (hr < 0) throw new ComError(hr, { operation: "SafeArrayAccessData" });
  try {
    return use(out[0]!);
  } finally {
    oleaut32.symbols.SafeArrayUnaccessData(array);
  }
}

function createByteArray(bytes: Uint8Array): bigint {
  const array = createSafeArray(VT.UI1, [bytes.byteLength]);
  if (bytes.byteLength > 0) {
    withData(array, (data) => new Uint8Array(nativeBuffer(data, bytes.byteLength)).set(bytes));
  }
  return array;
}

function createVariantArray(values: readonly unknown[]): bigint {
  const shape = rectangularShape(values);
  const array = createSafeArray(VT.VARIANT, shape);
  const total = shape.reduce((a, b) => a * b, 1);
  if (total === 0) return array;
  try {
    withData(array, (data) => {
      const view = new DataView(nativeBuffer(data, total * VARIANT_SIZE));
      // SAFEARRAYs are column-major: the leftmost (outermost) index varies fastest.
      const visit = (level: readonly unknown[], dim: number, index: number, stride: number) => {
        level.forEach((element, i) => {
          const at = index + i * stride;
          if (dim === shape.length - 1) writeChecked(view, at * VARIANT_SIZE, element);
          else visit(element as unknown[], dim + 1, at, stride * shape[dim]!);
        });
      };
      visit(values, 0, 0, 1);
    });
  } catch (error) {
    oleaut32.symbols.SafeArrayDestroy(array);
    throw error;
  }
  return array;
}

// ---- decoding ------------------------------------------------------------------

/**
 * Reads a VARIANT from native memory as a JavaScript value. Strings and
 * arrays are copied and objects get a reference of their own, so the
 * VARIANT still owns what it held (free it with {@link clearVariant}).
 *
 * @param view A view over native memory.
 * @param offset Where the VARIANT starts in `view`.
 * @returns The value.
 * @example Reading what encodeVariant wrote
 * ```ts
 * import { decodeVariant, encodeVariant, VARIANT_SIZE } from "./variant.ts";
 * const view = new DataView(new ArrayBuffer(VARIANT_SIZE));
 * encodeVariant(view, 0, 2n ** 63n);
 * decodeVariant(view, 0); // 9223372036854775808n (VT_UI8)
 * ```
 */
export function decodeVariant(view: DataView, offset: number): unknown {
  const vt = view.getUint16(offset, true);
  if (vt & VT.BYREF) {
    const target = view.getBigUint64(offset + 8, true);
    return readReferenced(vt & ~VT.BYREF, target);
  }
  if (vt === VT.DECIMAL) return readDecimal(view, offset);
  return readValue(vt, view, offset + 8);
}

function readReferenced(vt: number, address: bigint): unknown {
  if (address === 0n) return null;
  if (vt === VT.VARIANT) return decodeVariant(new DataView(nativeBuffer(address, VARIANT_SIZE)), 0);
  return readValue(vt, new DataView(nativeBuffer(address, valueSize(vt))), 0);
}

function valueSize(vt: number): number {
  if (vt & VT.ARRAY) return 8;
  switch (vt) {
    case VT.I1:
    case VT.UI1:
      return 1;
    case VT.I2:
    case VT.UI2:
    case VT.BOOL:
      return 2;
    case VT.I4:
    case VT.UI4:
    case VT.INT:
    case VT.UINT:
    case VT.R4:
    case VT.ERROR:
      return 4;
    case VT.DECIMAL:
      return 16;
    default:
      return 8;
  }
}

/** Reads one value of type `vt` stored at `at` (a VARIANT's value field, a SAFEARRAY element). */
function readValue(vt: number, view: DataView, at: number): unknown {
  if (vt & VT.ARRAY) return readSafeArray(view.getBigUint64(at, true), vt & TYPE_MASK);
  switch (vt) {
    case VT.EMPTY:
      return undefined;
    case VT.NULL:
      return null;
    case VT.I1:
      return view.getInt8(at);
    case VT.UI1:
      return view.getUint8(at);
    case VT.I2:
      return view.getInt16(at, true);
    case VT.UI2:
      return view.getUint16(at, true);
    case VT.I4:
    case VT.INT:
      return view.getInt32(at, true);
    case VT.UI4:
    case VT.UINT:
      return view.getUint32(at, true);
    case VT.R4:
      return view.getFloat32(at, true);
    case VT.R8:
      return view.getFloat64(at, true);
    case VT.I8:
      return view.getBigInt64(at, true);
    case VT.UI8:
      return view.getBigUint64(at, true);
    case VT.BOOL:
      return view.getInt16(at, true) !== 0;
    case VT.CY:
      return new Currency(view.getBigInt64(at, true));
    case VT.DATE:
      return variantTimeToDate(view.getFloat64(at, true));
    case VT.ERROR:
      return new SCode(view.getUint32(at, true));
    case VT.BSTR:
      return readBstr(view.getBigUint64(at, true));
    case VT.DISPATCH:
    case VT.UNKNOWN:
      return decodeObject(view.getBigUint64(at, true), vt === VT.DISPATCH);
    case VT.DECIMAL:
      return readDecimal(view, at);
    case VT.VARIANT:
      return decodeVariant(view, at);
    default:
      throw new ComError(0x80020008, { operation: `Reading a VARIANT of type ${vt}` }); // DISP_E_BADVARTYPE
  }
}

function readDecimal(view: DataView, at: number): Decimal {
  const scale = view.getUint8(at + 2);
  const negative = (view.getUint8(at + 3) & 0x80) !== 0;
  const magnitude = (BigInt(view.getUint32(at + 4, true)) << 64n) | view.getBigUint64(at + 8, true);
  return new Decimal(negative ? -magnitude : magnitude, scale);
}

function readSafeArray(array: bigint, vt: number): unknown {
  if (array === 0n) return null;
  const dims = oleaut32.symbols.SafeArrayGetDim(array);
  const shape: number[] = [];
  const bound = new Int32Array(1);
  for (let dim = 1; dim <= dims; dim++) {
    let hr = oleaut32.symbols.SafeArrayGetLBound(array, dim, bound);
    const lower = bound[0]!;
    if (hr >= 0) hr = oleaut32.symbols.SafeArrayGetUBound(array, dim, bound);
    if (hr < 0) throw new ComError(hr, { operation: "SafeArrayGetUBound" });
    shape.push(Math.max(0, bound[0]! - lower + 1));
  }
  const total = shape.reduce((a, b) => a * b, 1);
  if (total === 0) return vt === VT.UI1 && dims === 1 ? new Uint8Array(0) : emptyNested(shape);
  const size = oleaut32.symbols.SafeArrayGetElemsize(array);
  return withData(array, (data) => {
    const bytes = new Uint8Array(nativeBuffer(data, total * size));
    if (vt === VT.UI1 && dims === 1) return bytes.slice();
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const element = (index: number) =>
      vt === VT.VARIANT ? decodeVariant(view, index * size) : readValue(vt, view, index * size);
    const build = (dim: number, index: number, stride: number): unknown[] =>
      Array.from(
        { length: shape[dim]! },
        (_, i) =>
          dim === shape.length - 1
            ? element(index + i * stride)
            : build(dim + 1, index + i * stride, stride * shape[dim]!),
      );
    return build(0, 0, 1);
  });
}

function emptyNested(shape: readonly number[]): unknown[] {
  const build = (dim: number): unknown[] =>
    dim === shape.length - 1 ? [] : Array.from({ length: shape[dim]! }, () => build(dim + 1));
  return build(0);
}

/**
 * Frees what a VARIANT owns (VariantClear) and leaves it VT_EMPTY. Values
 * that own nothing are only reset, without a native call.
 *
 * @param view A view over the VARIANT's native memory.
 * @param offset Where it starts in `view`.
 * @param address Its native address (the same memory as `view` at `offset`).
 * @example Using clearVariant
 * ```ts
 * import { clearVariant } from "./variant.ts";
 * // clearVariant(scratch.view, 0, scratch.address);
 * ```
 */
export function clearVariant(view: DataView, offset: number, address: bigint): void {
  const vt = view.getUint16(offset, true);
  const owns = !(vt & VT.BYREF) &&
    ((vt & VT.ARRAY) !== 0 || vt === VT.BSTR || vt === VT.DISPATCH || vt === VT.UNKNOWN ||
      vt === 36);
  if (owns) {
    const hr = oleaut32.symbols.VariantClear(address);
    if (hr < 0) throw new ComError(hr, { operation: "VariantClear" });
  }
  view.setUint16(offset, VT.EMPTY, true);
}

/**
 * Reads a VARIANT at a native address (see {@link decodeVariant}).
 *
 * @param address The VARIANT's address.
 * @returns The value.
 * @example Using readVariant
 * ```ts
 * import { readVariant } from "./variant.ts";
 * // const value = readVariant(pVarResult);
 * ```
 */
export function readVariant(address: bigint): unknown {
  return decodeVariant(new DataView(nativeBuffer(address, VARIANT_SIZE)), 0);
}

/**
 * Writes a value as a VARIANT at a native address (see {@link encodeVariant}).
 *
 * @param address The VARIANT's address (its old content is overwritten, not freed).
 * @param value The value.
 * @example Using writeVariant
 * ```ts
 * import { writeVariant } from "./variant.ts";
 * // writeVariant(pVarResult, "answer");
 * ```
 */
export function writeVariant(address: bigint, value: unknown): void {
  encodeVariant(new DataView(nativeBuffer(address, VARIANT_SIZE)), 0, value);
}

/**
 * Stores a value through a VT_BYREF VARIANT (an out parameter a server
 * received): into the referenced VARIANT for VT_BYREF|VT_VARIANT (freeing
 * its old content), or as the referenced scalar type otherwise.
 *
 * @param address The by-reference VARIANT's address.
 * @param value The value to store.
 * @example Using writeByRef
 * ```ts
 * import { writeByRef } from "./variant.ts";
 * // writeByRef(argumentAddress, 42);
 * ```
 */
export function writeByRef(address: bigint, value: unknown): void {
  const view = new DataView(nativeBuffer(address, VARIANT_SIZE));
  const vt = view.getUint16(0, true);
  if (!(vt & VT.BYREF)) {
    throw new TypeError(`Cannot write through a VARIANT of type ${vt}: it is not by reference`);
  }
  const target = view.getBigUint64(8, true);
  const base = vt & ~VT.BYREF;
  checkVariantValue(value);
  if (base === VT.VARIANT) {
    const inner = new DataView(nativeBuffer(target, VARIANT_SIZE));
    clearVariant(inner, 0, target);
    return writeChecked(inner, 0, value);
  }
  const out = new DataView(nativeBuffer(target, valueSize(base)));
  if (base === VT.BSTR && typeof value === "string") {
    const old = out.getBigUint64(0, true);
    out.setBigUint64(0, allocBstr(value), true);
    if (old !== 0n) oleaut32.symbols.SysFreeString(old);
    return;
  }
  writeScalar(out, base, value);
}

function writeScalar(out: DataView, vt: number, value: unknown): void {
  const mismatch = () =>
    new ComError(0x80020005, { operation: `Writing an out parameter of type ${vt}` });
  if (value instanceof Currency && vt === VT.CY) return out.setBigInt64(0, value.scaled, true);
  if (value instanceof Date && vt === VT.DATE) {
    return out.setFloat64(0, dateToVariantTime(value), true);
  }
  if (typeof value !== "number" && typeof value !== "boolean" && typeof value !== "bigint") {
    throw mismatch();
  }
  const n = typeof value === "boolean" ? (value ? -1 : 0) : value;
  switch (vt) {
    case VT.I1:
      return out.setInt8(0, Number(n));
    case VT.UI1:
      return out.setUint8(0, Number(n));
    case VT.I2:
      return out.setInt16(0, Number(n), true);
    case VT.BOOL:
      return out.setInt16(0, n ? -1 : 0, true);
    case VT.UI2:
      return out.setUint16(0, Number(n), true);
    case VT.I4:
    case VT.INT:
    case VT.ERROR:
      return out.setInt32(0, Number(n), true);
    case VT.UI4:
    case VT.UINT:
      return out.setUint32(0, Number(n), true);
    case VT.R4:
      return out.setFloat32(0, Number(n), true);
    case VT.R8:
      return out.setFloat64(0, Number(n), true);
    case VT.I8:
      return out.setBigInt64(0, BigInt(n as number | bigint), true);
    case VT.UI8:
      return out.setBigUint64(0, BigInt(n as number | bigint), true);
    case VT.CY:
      return out.setBigInt64(0, Currency.from(typeof n === "bigint" ? n : Number(n)).scaled, true);
    case VT.DATE:
      return out.setFloat64(0, Number(n), true);
    default:
      throw mismatch();
  }
}

// ---- BSTR ----------------------------------------------------------------------

/**
 * Allocates a BSTR (SysAllocStringLen) holding a string's UTF-16 code units.
 * Free it with SysFreeString, or let VariantClear do it.
 *
 * @param text The string (embedded NULs are kept).
 * @returns The BSTR.
 * @example Using allocBstr
 * ```ts
 * import { allocBstr } from "./variant.ts";
 * // const bstr = allocBstr("héllo");
 * ```
 */
export function allocBstr(text: string): bigint {
  const units = new Uint16Array(text.length + 1);
  for (let i = 0; i < text.length; i++) units[i] = text.charCodeAt(i);
  const bstr = oleaut32.symbols.SysAllocStringLen(units, text.length);
  if (bstr === 0n) throw new ComError(0x8007000e, { operation: "SysAllocStringLen" });
  return bstr;
}

/**
 * Reads a BSTR's text, using its length prefix (so embedded NULs are kept).
 *
 * @param bstr The BSTR (NULL reads as the empty string, as COM defines).
 * @returns The string.
 * @example Using readBstr
 * ```ts
 * import { readBstr } from "./variant.ts";
 * readBstr(0n); // ""
 * ```
 */
export function readBstr(bstr: bigint): string {
  if (bstr === 0n) return "";
  const byteLength = oleaut32.symbols.SysStringByteLen(bstr);
  if (byteLength < 2) return "";
  const bytes = new Uint8Array(nativeBuffer(bstr, byteLength - (byteLength % 2)));
  // The decoder is fast but replaces lone surrogates with U+FFFD; a string that
  // shows U+FFFD is decoded again unit by unit, so the text is always exact.
  const text = utf16.decode(bytes);
  if (!text.includes("\uFFFD")) return text;
  const units = new Uint16Array(bytes.slice().buffer);
  let exact = "";
  for (let i = 0; i < units.length; i += 8192) {
    exact += String.fromCharCode(...units.subarray(i, i + 8192));
  }
  return exact;
}

const utf16 = new TextDecoder("utf-16le", { ignoreBOM: true });

// ---- pure conversions ----------------------------------------------------------

const DAY_MS = 86_400_000;
/** 1899-12-30, the OLE automation date epoch, in the UTC-based millisecond scale. */
const OLE_EPOCH_MS = Date.UTC(1899, 11, 30);

/**
 * Converts a Date to an OLE automation date (days since 1899-12-30, the
 * fraction the time of day), from its local wall-clock time. Before the
 * epoch the integer part counts days back and the fraction still adds time
 * (-1.25 is 1899-12-29 06:00), as OLE defines.
 *
 * @param date The date.
 * @returns The VT_DATE value.
 * @example Using dateToVariantTime
 * ```ts
 * import { dateToVariantTime } from "./variant.ts";
 * dateToVariantTime(new Date(1899, 11, 29, 6)); // -1.25
 * ```
 */
export function dateToVariantTime(date: Date): number {
  // The wall-clock fields, read as if they were UTC (setUTCFullYear keeps years 0-99 as they are).
  const wallClock = new Date(0);
  wallClock.setUTCFullYear(date.getFullYear(), date.getMonth(), date.getDate());
  wallClock.setUTCHours(
    date.getHours(),
    date.getMinutes(),
    date.getSeconds(),
    date.getMilliseconds(),
  );
  const wall = wallClock.getTime() - OLE_EPOCH_MS;
  const day = Math.floor(wall / DAY_MS);
  const time = wall - day * DAY_MS;
  return day >= 0 ? day + time / DAY_MS : day - time / DAY_MS;
}

/**
 * Converts an OLE automation date to a Date (local wall-clock time,
 * rounded to the millisecond).
 *
 * @param value The VT_DATE value.
 * @returns The date.
 * @example Using variantTimeToDate
 * ```ts
 * import { variantTimeToDate } from "./variant.ts";
 * variantTimeToDate(2).getDate(); // 1 (1900-01-01)
 * ```
 */
export function variantTimeToDate(value: number): Date {
  const day = Math.trunc(value);
  const wall = day * DAY_MS + Math.round(Math.abs(value - day) * DAY_MS);
  const utc = new Date(OLE_EPOCH_MS + wall);
  const date = new Date(0);
  date.setFullYear(utc.getUTCFullYear(), utc.getUTCMonth(), utc.getUTCDate());
  date.setHours(
    utc.getUTCHours(),
    utc.getUTCMinutes(),
    utc.getUTCSeconds(),
    utc.getUTCMilliseconds(),
  );
  return date;
}

function parseDecimalText(text: string, what: string): { unscaled: bigint; scale: number } {
  const match = /^\s*([+-]?)(\d*)(?:\.(\d*))?\s*$/.exec(text);
  if (!match || (match[2] === "" && (match[3] ?? "") === "")) {
    throw new TypeError(
      `Cannot make a ${what} of '${text}': expected digits with an optional decimal point`,
    );
  }
  const fraction = match[3] ?? "";
  const digits = BigInt((match[2] || "0") + fraction);
  return { unscaled: match[1] === "-" ? -digits : digits, scale: fraction.length };
}

function formatScaled(value: bigint, scale: number): string {
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(scale + 1, "0");
  const whole = digits.slice(0, digits.length - scale);
  const fraction = digits.slice(digits.length - scale);
  return `${negative ? "-" : ""}${whole}${scale > 0 ? "." + fraction : ""}`;
}
