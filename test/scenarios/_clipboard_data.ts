// Data the clipboard scenarios write and check: a real 1×1 PNG, a 2×2 DIB,
// custom bytes covering every byte value, and a digest to compare them by.
import { createHash } from "node:crypto";

/** A 1×1 red PNG. */
export const PNG = Uint8Array.from([
  0x89,
  0x50,
  0x4e,
  0x47,
  0x0d,
  0x0a,
  0x1a,
  0x0a,
  0x00,
  0x00,
  0x00,
  0x0d,
  0x49,
  0x48,
  0x44,
  0x52,
  0x00,
  0x00,
  0x00,
  0x01,
  0x00,
  0x00,
  0x00,
  0x01,
  0x08,
  0x02,
  0x00,
  0x00,
  0x00,
  0x90,
  0x77,
  0x53,
  0xde,
  0x00,
  0x00,
  0x00,
  0x0c,
  0x49,
  0x44,
  0x41,
  0x54,
  0x08,
  0xd7,
  0x63,
  0xf8,
  0xcf,
  0xc0,
  0x00,
  0x00,
  0x03,
  0x01,
  0x01,
  0x00,
  0x18,
  0xdd,
  0x8d,
  0xb0,
  0x00,
  0x00,
  0x00,
  0x00,
  0x49,
  0x45,
  0x4e,
  0x44,
  0xae,
  0x42,
  0x60,
  0x82,
]);

/** A 2×2 32-bit bottom-up DIB (BITMAPINFOHEADER + 16 bytes of pixels). */
export const DIB = (() => {
  const dib = new Uint8Array(40 + 16);
  const view = new DataView(dib.buffer);
  view.setUint32(0, 40, true); // biSize
  view.setInt32(4, 2, true); // biWidth
  view.setInt32(8, 2, true); // biHeight
  view.setUint16(12, 1, true); // biPlanes
  view.setUint16(14, 32, true); // biBitCount
  view.setUint32(20, 16, true); // biSizeImage
  for (let i = 0; i < 16; i++) dib[40 + i] = i * 16 + 1;
  return dib;
})();

/** The custom format's name and bytes (every byte value, an odd length). */
export const CUSTOM_FORMAT = "application/x-ipckit-tëst";
export const CUSTOM = Uint8Array.from({ length: 1001 }, (_, i) => i % 256);

export const TEXT = "tëst-✓-𝄞";
export const HTML = "<p>tëst <b>✓</b> 𝄞</p>";

/** A large "PNG" (the signature, then a pattern) that forces INCR on X11. */
export function bigPng(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (Math.imul(i, 2654435761) >>> 24) & 0xff;
  bytes.set(PNG.subarray(0, 8));
  return bytes;
}

/** SHA-256 of bytes, hex (null stays null). */
export function digest(bytes: Uint8Array | null): string | null {
  return bytes === null ? null : createHash("sha256").update(bytes).digest("hex");
}

/**
 * What clipboard_contention.ts writes once it has read back its first write:
 * the holder (clipboard_peer.ts) starts its long hold only then, so that hold
 * never races the scenario's read (under load it did, and the read waited out
 * its 2 s budget).
 */
export const LONG_HOLD_GO = "go on to the long hold";
