/**
 * String codecs for native calls: NUL-terminated UTF-16LE ("wide", Win32 `W`
 * functions) and UTF-8 (libc). Pure functions; no FFI.
 *
 * @module
 */

/**
 * Encodes a string as NUL-terminated UTF-16LE. JavaScript strings are already
 * UTF-16, so astral characters become their surrogate pairs, as Win32 expects.
 *
 * @param text The string.
 * @returns Bytes to pass as a `buffer` argument (an LPCWSTR).
 * @example
 * ```ts
 * import { encodeWide } from "./strings.ts";
 * encodeWide("tëst-✓-𝄞").byteLength; // 22: 10 code units + NUL, 2 bytes each
 * ```
 */
export function encodeWide(text: string): Uint8Array {
  const bytes = new Uint8Array((text.length + 1) * 2);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < text.length; i++) view.setUint16(i * 2, text.charCodeAt(i), true);
  return bytes;
}

/**
 * Decodes UTF-16LE bytes up to the first NUL unit (or the end).
 *
 * @param bytes UTF-16LE bytes.
 * @returns The string.
 * @example
 * ```ts
 * import { decodeWide, encodeWide } from "./strings.ts";
 * decodeWide(encodeWide("tëst-✓-𝄞")); // "tëst-✓-𝄞"
 * ```
 */
export function decodeWide(bytes: Uint8Array): string {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const units = Math.floor(bytes.byteLength / 2);
  let end = 0;
  while (end < units && view.getUint16(end * 2, true) !== 0) end++;
  const chunks: string[] = [];
  for (let i = 0; i < end; i += 4096) {
    const slice: number[] = [];
    for (let j = i; j < Math.min(end, i + 4096); j++) slice.push(view.getUint16(j * 2, true));
    chunks.push(String.fromCharCode(...slice));
  }
  return chunks.join("");
}

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

/**
 * Encodes a string as NUL-terminated UTF-8 (a C string).
 *
 * @param text The string; must not contain NUL.
 * @returns Bytes to pass as a `buffer` argument.
 * @example
 * ```ts
 * import { encodeC } from "./strings.ts";
 * encodeC("/dev/shm/x").at(-1); // 0
 * ```
 */
export function encodeC(text: string): Uint8Array {
  if (text.includes("\0")) {
    throw new TypeError(`Cannot pass '${text}' to C: it contains a NUL character`);
  }
  const encoded = utf8.encode(text);
  const bytes = new Uint8Array(encoded.byteLength + 1);
  bytes.set(encoded);
  return bytes;
}

/**
 * Decodes UTF-8 bytes up to the first NUL (or the end).
 *
 * @param bytes UTF-8 bytes.
 * @returns The string.
 * @example
 * ```ts
 * import { decodeC, encodeC } from "./strings.ts";
 * decodeC(encodeC("héllo")); // "héllo"
 * ```
 */
export function decodeC(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return utf8Decoder.decode(end < 0 ? bytes : bytes.subarray(0, end));
}

/**
 * Joins byte chunks into one array (the chunk itself when there is only one).
 *
 * @param parts The chunks, in order.
 * @returns Their bytes, back to back.
 * @example
 * ```ts
 * import { concatBytes } from "./strings.ts";
 * concatBytes([new Uint8Array([1]), new Uint8Array([2, 3])]); // Uint8Array [1, 2, 3]
 * ```
 */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.byteLength;
  }
  return out;
}
