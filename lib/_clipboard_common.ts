/**
 * What the Windows and X11 clipboards share: the formats ipckit knows, the
 * checks on what a caller writes, and the pure codecs (CF_HTML's offset
 * header, DIB ↔ BMP file).
 *
 * @module
 */
import { toBytes } from "./_pipe_common.ts";
import { TimeoutError } from "./errors.ts";

/** The formats with a meaning of their own; any other name is a custom (OS-registered) format. */
export const STANDARD_FORMATS = ["text", "html", "png", "dib"] as const;

/** A standard format name. */
export type StandardFormat = typeof STANDARD_FORMATS[number];

/** Bytes as a caller may give them (a string is encoded as UTF-8). */
export type BinaryInput = Uint8Array | ArrayBufferView | ArrayBuffer | string;

/**
 * What one {@link Clipboard.write} puts on the clipboard: any mix of formats,
 * offered together (at least one).
 */
export interface ClipboardData {
  /** Plain text: CF_UNICODETEXT on Windows; UTF8_STRING (and its aliases) on X11. */
  text?: string;
  /** An HTML fragment: "HTML Format" (CF_HTML) on Windows; `text/html` on X11. */
  html?: string;
  /** A PNG file's bytes: the registered "PNG" format on Windows; `image/png` on X11. */
  png?: BinaryInput;
  /** A packed DIB (BITMAPINFOHEADER, colours, pixels): CF_DIB on Windows; `image/bmp` on X11. */
  dib?: BinaryInput;
  /** Custom formats, by OS name (a registered clipboard format on Windows, a target atom on X11). */
  custom?: Record<string, BinaryInput>;
}

/** A checked write: every format as bytes or text, custom names validated. */
export interface ClipboardPayload {
  text?: string;
  html?: string;
  png?: Uint8Array;
  dib?: Uint8Array;
  custom: Map<string, Uint8Array>;
}

/** The longest custom format name (Windows format names are atoms, at most 255 characters). */
export const MAX_FORMAT_NAME = 255;

/**
 * Checks a custom format name.
 *
 * @param name The name.
 * @param reserved OS names this platform uses for the standard formats, refused for custom data.
 * @returns The name.
 * @example
 * ```ts
 * import { checkFormatName } from "./_clipboard_common.ts";
 * checkFormatName("application/x-ipckit", []); // "application/x-ipckit"
 * ```
 */
export function checkFormatName(name: unknown, reserved: readonly string[]): string {
  if (typeof name !== "string") {
    throw new TypeError(`Cannot use clipboard format ${String(name)}: a format is a string`);
  }
  if (name.length === 0 || name.length > MAX_FORMAT_NAME || name.includes("\0")) {
    throw new TypeError(
      `Cannot use clipboard format '${name}': a name has 1 to ${MAX_FORMAT_NAME} characters and no NUL`,
    );
  }
  if ((STANDARD_FORMATS as readonly string[]).includes(name) || reserved.includes(name)) {
    throw new TypeError(
      `Cannot write custom clipboard format '${name}': it is a standard format; use the ${
        standardFor(name, reserved)
      } field`,
    );
  }
  return name;
}

function standardFor(name: string, reserved: readonly string[]): string {
  if ((STANDARD_FORMATS as readonly string[]).includes(name)) return `'${name}'`;
  return reserved.includes(name) ? "matching standard" : "'custom'";
}

/**
 * Checks and normalises what a caller wants written.
 *
 * @param data The formats.
 * @param reserved OS names of the standard formats on this platform.
 * @returns The payload, every binary format as a Uint8Array copy.
 * @example
 * ```ts
 * import { checkClipboardData } from "./_clipboard_common.ts";
 * checkClipboardData({ text: "hi", custom: { "x-app": "data" } }, []).custom.size; // 1
 * ```
 */
export function checkClipboardData(data: unknown, reserved: readonly string[]): ClipboardPayload {
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw new TypeError(
      "Cannot write to the clipboard: pass an object of formats, e.g. { text: 'hi' }",
    );
  }
  const known = ["text", "html", "png", "dib", "custom"];
  for (const key of Object.keys(data)) {
    if (!known.includes(key)) {
      throw new TypeError(
        `Cannot write clipboard format '${key}': the formats are text, html, png, dib and custom`,
      );
    }
  }
  const d = data as ClipboardData;
  const payload: ClipboardPayload = { custom: new Map() };
  for (const key of ["text", "html"] as const) {
    const value = d[key];
    if (value === undefined) continue;
    payload[key] = checkText(value, key);
  }
  if (d.png !== undefined) {
    const png = binary(d.png, "png");
    if (!isPng(png)) {
      throw new TypeError(
        "Cannot write clipboard png: the data does not start with PNG's signature",
      );
    }
    payload.png = png;
  }
  if (d.dib !== undefined) {
    const dib = binary(d.dib, "dib");
    dibPixelOffset(dib); // throws when it is not a DIB
    payload.dib = dib;
  }
  if (d.custom !== undefined) {
    if (typeof d.custom !== "object" || d.custom === null || Array.isArray(d.custom)) {
      throw new TypeError("Cannot write custom clipboard formats: pass an object of name → bytes");
    }
    for (const [name, value] of Object.entries(d.custom)) {
      payload.custom.set(checkFormatName(name, reserved), binary(value, `format '${name}'`));
    }
  }
  if (
    payload.text === undefined && payload.html === undefined && !payload.png && !payload.dib &&
    payload.custom.size === 0
  ) {
    throw new TypeError(
      "Cannot write to the clipboard: no format given (use Clipboard.clear() to empty it)",
    );
  }
  return payload;
}

function binary(value: unknown, what: string): Uint8Array {
  if (
    typeof value === "string" || value instanceof ArrayBuffer || ArrayBuffer.isView(value)
  ) {
    return toBytes(value as BinaryInput, "the clipboard").slice();
  }
  throw new TypeError(
    `Cannot write clipboard ${what}: it must be bytes (Uint8Array, ArrayBuffer) or a string, not ${
      kind(value)
    }`,
  );
}

function kind(value: unknown): string {
  return value === null ? "null" : Array.isArray(value) ? "an array" : typeof value;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * Whether bytes start with PNG's 8-byte signature.
 *
 * @param bytes The data.
 * @returns True for PNG data.
 * @example
 * ```ts
 * import { isPng } from "./_clipboard_common.ts";
 * isPng(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10])); // true
 * ```
 */
export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b);
}

const DIB_HEADER_SIZES = [12, 40, 52, 56, 108, 124];
const BI_BITFIELDS = 3;

/**
 * Where the pixels of a packed DIB start: after the header, the colour masks
 * of a 40-byte BI_BITFIELDS header, and the colour table.
 *
 * @param dib A packed DIB.
 * @returns The offset of the pixel array.
 * @example
 * ```ts
 * import { dibPixelOffset } from "./_clipboard_common.ts";
 * const dib = new Uint8Array(44);
 * new DataView(dib.buffer).setUint32(0, 40, true); // biSize
 * new DataView(dib.buffer).setUint16(14, 32, true); // biBitCount
 * dibPixelOffset(dib); // 40
 * ```
 */
export function dibPixelOffset(dib: Uint8Array): number {
  const view = new DataView(dib.buffer, dib.byteOffset, dib.byteLength);
  const headerSize = dib.length >= 4 ? view.getUint32(0, true) : 0;
  if (!DIB_HEADER_SIZES.includes(headerSize) || dib.length < headerSize) {
    throw new TypeError(
      "Cannot use the data as a DIB: it does not start with a BITMAPINFOHEADER (or a V4/V5 or core header)",
    );
  }
  if (headerSize === 12) {
    const bits = view.getUint16(10, true);
    return 12 + (bits <= 8 ? 3 << bits : 0);
  }
  const bits = view.getUint16(14, true);
  const compression = view.getUint32(16, true);
  const used = view.getUint32(32, true);
  const colours = used !== 0 ? used : bits <= 8 ? 1 << bits : 0;
  const masks = headerSize === 40 && compression === BI_BITFIELDS ? 12 : 0;
  return headerSize + masks + colours * 4;
}

/**
 * A BMP file from a packed DIB (X11 offers images as `image/bmp`, Windows
 * as CF_DIB, which is the file without its 14-byte header).
 *
 * @param dib A packed DIB.
 * @returns The BMP file's bytes.
 * @example
 * ```ts
 * import { bmpToDib, dibToBmp } from "./_clipboard_common.ts";
 * const dib = new Uint8Array(44);
 * new DataView(dib.buffer).setUint32(0, 40, true);
 * new DataView(dib.buffer).setUint16(14, 32, true);
 * bmpToDib(dibToBmp(dib)).length; // 44
 * ```
 */
export function dibToBmp(dib: Uint8Array): Uint8Array {
  const pixels = dibPixelOffset(dib);
  const bmp = new Uint8Array(14 + dib.length);
  const view = new DataView(bmp.buffer);
  bmp[0] = 0x42; // "BM"
  bmp[1] = 0x4d;
  view.setUint32(2, bmp.length, true);
  view.setUint32(10, 14 + pixels, true);
  bmp.set(dib, 14);
  return bmp;
}

/**
 * The packed DIB inside a BMP file.
 *
 * @param bmp A BMP file.
 * @returns The DIB (the file without its 14-byte header).
 * @example
 * ```ts
 * import { bmpToDib } from "./_clipboard_common.ts";
 * // const dib = bmpToDib(await Deno.readFile("x.bmp"));
 * ```
 */
export function bmpToDib(bmp: Uint8Array): Uint8Array {
  if (bmp.length < 14 + 12 || bmp[0] !== 0x42 || bmp[1] !== 0x4d) {
    throw new TypeError("Cannot read the image as BMP: it does not start with 'BM'");
  }
  return bmp.slice(14);
}

const HTML_PREFIX = "<html><body>\r\n<!--StartFragment-->";
const HTML_SUFFIX = "<!--EndFragment-->\r\n</body></html>";
const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

/**
 * Wraps an HTML fragment in the CF_HTML ("HTML Format") envelope: a header
 * of byte offsets into the UTF-8 text, then a document that marks the
 * fragment.
 *
 * @param fragment The HTML to offer.
 * @returns The UTF-8 bytes of the envelope (no terminating NUL).
 * @example
 * ```ts
 * import { decodeCfHtml, encodeCfHtml } from "./_clipboard_common.ts";
 * decodeCfHtml(encodeCfHtml("<b>tëst</b>")); // "<b>tëst</b>"
 * ```
 */
export function encodeCfHtml(fragment: string): Uint8Array {
  const field = (n: number) => String(n).padStart(10, "0");
  const header = (a: number, b: number, c: number, d: number) =>
    `Version:0.9\r\nStartHTML:${field(a)}\r\nEndHTML:${field(b)}\r\n` +
    `StartFragment:${field(c)}\r\nEndFragment:${field(d)}\r\n`;
  const headerLength = header(0, 0, 0, 0).length; // ASCII: characters are bytes
  const body = utf8.encode(fragment);
  const startFragment = headerLength + HTML_PREFIX.length;
  const endFragment = startFragment + body.length;
  const endHtml = endFragment + HTML_SUFFIX.length;
  const out = new Uint8Array(endHtml);
  out.set(utf8.encode(header(headerLength, endHtml, startFragment, endFragment)), 0);
  out.set(utf8.encode(HTML_PREFIX), headerLength);
  out.set(body, startFragment);
  out.set(utf8.encode(HTML_SUFFIX), endFragment);
  return out;
}

/**
 * The fragment a CF_HTML envelope marks (StartFragment..EndFragment), or its
 * whole HTML (StartHTML..EndHTML) when it marks none.
 *
 * @param bytes The envelope's bytes, as the clipboard holds them (a trailing NUL is ignored).
 * @returns The HTML text.
 * @example
 * ```ts
 * import { decodeCfHtml } from "./_clipboard_common.ts";
 * decodeCfHtml(new TextEncoder().encode("Version:0.9\r\nStartHTML:-1\r\nEndHTML:-1\r\n")); // ""
 * ```
 */
export function decodeCfHtml(bytes: Uint8Array): string {
  const nul = bytes.indexOf(0);
  const data = nul >= 0 ? bytes.subarray(0, nul) : bytes;
  // The header is ASCII "Key:value" lines; it ends where the HTML starts.
  const head = new TextDecoder("latin1").decode(data.subarray(0, Math.min(data.length, 1024)));
  const offsets: Record<string, number> = {};
  let headerEnd = 0;
  for (const match of head.matchAll(/([A-Za-z]+):([^\r\n]*)\r?\n/gy)) {
    offsets[match[1]!] = Number(match[2]);
    headerEnd = match.index! + match[0].length;
  }
  const range = (start: number | undefined, end: number | undefined) =>
    start !== undefined && end !== undefined && Number.isInteger(start) &&
      Number.isInteger(end) && start >= 0 && start <= end && end <= data.length
      ? data.subarray(start, end)
      : null;
  const chosen = range(offsets.StartFragment, offsets.EndFragment) ??
    range(offsets.StartHTML, offsets.EndHTML) ?? data.subarray(headerEnd);
  return utf8Decoder.decode(chosen);
}

/**
 * Checks text for the clipboard: a string that both clipboards carry
 * unchanged. CF_UNICODETEXT ends at the first NUL, and UTF-8 (X11) has no
 * encoding for a lone surrogate, so both are refused rather than altered.
 *
 * @param value The text.
 * @param what What it is, for the message.
 * @returns The text.
 * @example
 * ```ts
 * import { checkText } from "./_clipboard_common.ts";
 * checkText("tëst-✓-𝄞", "text"); // "tëst-✓-𝄞"
 * ```
 */
export function checkText(value: unknown, what: string): string {
  if (typeof value !== "string") {
    throw new TypeError(`Cannot write clipboard ${what}: it must be a string, not ${kind(value)}`);
  }
  if (value.includes("\0")) {
    throw new TypeError(
      `Cannot write clipboard ${what}: it contains a NUL character, which ends text on the Windows clipboard`,
    );
  }
  if (!isWellFormed(value)) {
    throw new TypeError(
      `Cannot write clipboard ${what}: it contains a lone surrogate, which is not Unicode text (UTF-8 cannot carry it)`,
    );
  }
  return value;
}

function isWellFormed(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0xd800 || unit > 0xdfff) continue;
    const next = text.charCodeAt(i + 1);
    if (unit > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) return false;
    i++;
  }
  return true;
}

/** How long a clipboard call may wait (a `performance.now()` deadline) and what cancels it. */
export interface ClipboardWait {
  /** The `timeout` option as given, in ms (for messages). */
  readonly timeout: number;
  /** `performance.now()` after which the call gives up (Infinity: never). */
  readonly deadline: number;
  readonly signal: AbortSignal | undefined;
}

/**
 * Waits `ms`, or rejects with `signal.reason` when the signal aborts first.
 *
 * @param ms Milliseconds.
 * @param signal Cancels the wait.
 * @returns When the time is up.
 * @example
 * ```ts
 * import { delay } from "./_clipboard_common.ts";
 * await delay(10);
 * ```
 */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * One thing a clipboard call waits for (an X event, an answer): `wake()`
 * ends the current {@link Waitpoint.wait}, which otherwise rejects at the
 * call's deadline with a TimeoutError or on abort with `signal.reason`.
 *
 * @example
 * ```ts
 * import { Waitpoint } from "./_clipboard_common.ts";
 * const point = new Waitpoint();
 * setTimeout(() => point.wake(), 1);
 * await point.wait({ timeout: 100, deadline: performance.now() + 100, signal: undefined }, "x");
 * ```
 */
export class Waitpoint {
  #wake: (() => void) | null = null;
  #pending = false;

  /** Ends the current wait (or the next one, if none is running). */
  wake(): void {
    if (this.#wake) this.#wake();
    else this.#pending = true;
  }

  /**
   * Waits for the next {@link wake}.
   *
   * @param budget The call's deadline and signal.
   * @param what What is awaited, for the timeout message.
   * @returns When woken.
   */
  wait(budget: ClipboardWait, what: string): Promise<void> {
    if (this.#pending) {
      this.#pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const { signal } = budget;
      if (signal?.aborted) return reject(signal.reason);
      const remaining = budget.deadline - performance.now();
      if (remaining <= 0) return reject(timeoutError(budget, what));
      const finish = () => {
        this.#wake = null;
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
      };
      const onAbort = () => {
        finish();
        reject(signal!.reason);
      };
      const timer = Number.isFinite(remaining)
        ? setTimeout(() => {
          finish();
          reject(timeoutError(budget, what));
        }, remaining)
        : undefined;
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#wake = () => {
        finish();
        resolve();
      };
    });
  }
}

function timeoutError(budget: ClipboardWait, what: string): TimeoutError {
  return new TimeoutError(`Cannot ${what}: timed out after ${budget.timeout} ms`);
}

/** What each OS's clipboard module provides to lib/clipboard.ts. */
export interface ClipboardBackend {
  /** The `timeout` of a call that gives none, in ms. */
  readonly defaultTimeout: number;
  /** OS names of the standard formats, refused as custom names. */
  readonly reservedNames: readonly string[];
  /** Fails (DisplayUnavailableError) when the clipboard cannot be reached at all. */
  check(): void;
  read(format: string, wait: ClipboardWait): Promise<string | Uint8Array | null>;
  write(payload: ClipboardPayload, wait: ClipboardWait): Promise<void>;
  clear(wait: ClipboardWait): Promise<void>;
  formats(wait: ClipboardWait): Promise<string[]>;
  sequenceNumber(): number;
  /**
   * Starts calling `onChange` with the sequence number after each change.
   * Resolves once changes are being delivered, with the function that stops them.
   */
  subscribe(onChange: (sequenceNumber: number) => void): Promise<() => Promise<void>>;
}
