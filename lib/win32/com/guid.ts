/**
 * GUIDs (CLSIDs, IIDs): parsing and formatting the registry form
 * `{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}` to and from the 16 bytes of a
 * `GUID` struct (Data1 u32, Data2 u16, Data3 u16 little-endian, Data4 as
 * written). Pure functions, plus the interface IDs the client needs.
 *
 * @module
 */

const GUID_PATTERN =
  /^\{?([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})\}?$/i;

/**
 * Whether a string is a GUID (with or without braces), as opposed to a ProgID.
 *
 * @param text The string.
 * @returns `true` for `{0D43FE01-F093-11CF-8940-00A0C9054228}` and the like.
 * @example Using isGuid
 * ```ts
 * import { isGuid } from "./guid.ts";
 * isGuid("Scripting.Dictionary"); // false
 * isGuid("{EE09B103-97E0-11CF-978F-00A02463E06F}"); // true
 * ```
 */
export function isGuid(text: string): boolean {
  return GUID_PATTERN.test(text);
}

/**
 * Parses a GUID into its 16-byte binary form.
 *
 * @param text `{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}`; the braces are optional.
 * @returns The bytes of a `GUID` struct.
 * @example Parsing IID_IDispatch
 * ```ts
 * import { parseGuid } from "./guid.ts";
 * parseGuid("{00020400-0000-0000-C000-000000000046}")[0]; // 0x00
 * ```
 */
export function parseGuid(text: string): Uint8Array {
  const match = GUID_PATTERN.exec(text);
  if (!match) {
    throw new TypeError(
      `Cannot parse GUID '${text}': expected {xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}`,
    );
  }
  const [, d1, d2, d3, d4a, d4b] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const bytes = new Uint8Array(16);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, parseInt(d1, 16), true);
  view.setUint16(4, parseInt(d2, 16), true);
  view.setUint16(6, parseInt(d3, 16), true);
  const tail = d4a + d4b;
  for (let i = 0; i < 8; i++) bytes[8 + i] = parseInt(tail.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

/**
 * Formats 16 GUID bytes in registry form, upper case, with braces.
 *
 * @param bytes The bytes of a `GUID` struct.
 * @returns `{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}`.
 * @example Using formatGuid
 * ```ts
 * import { formatGuid, parseGuid } from "./guid.ts";
 * formatGuid(parseGuid("00020400-0000-0000-c000-000000000046")); // "{00020400-0000-0000-C000-000000000046}"
 * ```
 */
export function formatGuid(bytes: Uint8Array): string {
  if (bytes.byteLength !== 16) {
    throw new RangeError(`Cannot format a GUID of ${bytes.byteLength} bytes: a GUID has 16`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, 16);
  const hex = (n: number, width: number) => n.toString(16).toUpperCase().padStart(width, "0");
  const tail = [...bytes.subarray(8)].map((b) => hex(b, 2)).join("");
  return `{${hex(view.getUint32(0, true), 8)}-${hex(view.getUint16(4, true), 4)}-${
    hex(view.getUint16(6, true), 4)
  }-${tail.slice(0, 4)}-${tail.slice(4)}}`;
}

/** IID_NULL: the `riid` that GetIDsOfNames and Invoke require. */
export const IID_NULL: Uint8Array = new Uint8Array(16);
/** IID_IUnknown. */
export const IID_IUnknown: Uint8Array = parseGuid("{00000000-0000-0000-C000-000000000046}");
/** IID_IDispatch. */
export const IID_IDispatch: Uint8Array = parseGuid("{00020400-0000-0000-C000-000000000046}");
/** IID_IEnumVARIANT. */
export const IID_IEnumVARIANT: Uint8Array = parseGuid("{00020404-0000-0000-C000-000000000046}");
