/**
 * The system clipboard, one per session: Windows' clipboard through user32
 * (OpenClipboard, SetClipboardData with HGLOBAL memory,
 * AddClipboardFormatListener) and X11's `CLIPBOARD` selection through
 * libX11 and libXfixes on Linux. It is a singleton, not an endpoint: there
 * is no name, nothing to create or open, and no `.ipc` kind.
 *
 * Formats: `"text"` (any Unicode text, UTF-16 on Windows, UTF-8 on X11),
 * `"html"` (CF_HTML / `text/html`), `"png"` and `"dib"` (image bytes), and
 * custom formats by their OS name (a registered clipboard format on
 * Windows, a target atom on X11).
 *
 * @example Text, and several formats at once
 * ```ts
 * import { Clipboard } from "./clipboard.ts";
 * await Clipboard.writeText("tëst-✓-𝄞");
 * console.log(await Clipboard.readText()); // "tëst-✓-𝄞"
 * await Clipboard.write({ text: "bold", html: "<b>bold</b>", custom: { "x-app/ref": "42" } });
 * console.log(await Clipboard.formats()); // ["text", "html", "x-app/ref"]
 * ```
 *
 * @module
 */
import { platform } from "./ffi/mod.ts";
import { ClosedError, UnsupportedPlatformError } from "./errors.ts";
import {
  checkClipboardData,
  checkText,
  type ClipboardBackend,
  type ClipboardData,
  type ClipboardWait,
  STANDARD_FORMATS,
} from "./_clipboard_common.ts";
import * as x11 from "./posix/clipboard.ts";
import * as win32 from "./win32/clipboard.ts";

export type { BinaryInput, ClipboardData, StandardFormat } from "./_clipboard_common.ts";

const backend: ClipboardBackend | null = platform === "windows"
  ? win32.clipboard
  : platform === "linux"
  ? x11.clipboard
  : null;

function os(): ClipboardBackend {
  if (!backend) {
    throw new UnsupportedPlatformError(
      `Cannot use the clipboard on ${platform}: ipckit has it on Windows and on Linux (X11)`,
    );
  }
  backend.check();
  return backend;
}

/** Options of every clipboard call that can wait. */
export interface ClipboardOptions {
  /**
   * How long the call may wait, in ms. Windows: for another process to close
   * the clipboard (OpenClipboard is retried with growing delays; default
   * 2000 ms, about 10 attempts), then `ClipboardBusyError`. X11: for the
   * owner's answer (default 5000 ms), then `TimeoutError`.
   */
  timeout?: number;
  /** Cancels the call; it rejects with `signal.reason`. */
  signal?: AbortSignal;
}

/** Options of {@link Clipboard.watch}. */
export interface ClipboardWatchOptions {
  /** Ends the watch; a pending `next()` rejects with `signal.reason`. */
  signal?: AbortSignal;
}

/** One change of the clipboard's contents. */
export interface ClipboardChange {
  /** {@link Clipboard.sequenceNumber} right after the change. */
  readonly sequenceNumber: number;
}

function budget(options: ClipboardOptions | undefined, b: ClipboardBackend): ClipboardWait {
  if (options !== undefined && (typeof options !== "object" || options === null)) {
    throw new TypeError("Cannot use the clipboard: options must be an object");
  }
  const timeout = options?.timeout ?? b.defaultTimeout;
  if (typeof timeout !== "number" || Number.isNaN(timeout) || timeout < 0) {
    throw new RangeError(
      `Cannot use the clipboard with timeout ${String(timeout)}: use ms >= 0 or Infinity`,
    );
  }
  const signal = options?.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError("Cannot use the clipboard: signal must be an AbortSignal");
  }
  signal?.throwIfAborted();
  return { timeout, deadline: performance.now() + timeout, signal };
}

function checkReadFormat(format: unknown): string {
  if (typeof format !== "string") {
    throw new TypeError(
      `Cannot read clipboard format ${
        String(format)
      }: a format is a string ("text", "html", "png", "dib" or a custom name)`,
    );
  }
  if (format.length === 0 || format.length > 255 || format.includes("\0")) {
    throw new TypeError(
      `Cannot read clipboard format '${format}': a name has 1 to 255 characters and no NUL`,
    );
  }
  return format;
}

/**
 * The system clipboard. Every call is static: there is one clipboard per
 * session (a Windows window station; an X display on Linux).
 *
 * Semantics both OSes share:
 * - a write replaces everything on the clipboard with the formats given;
 * - a read returns `null` when the clipboard does not offer that format;
 * - `timeout` and `signal` bound every call that can wait.
 *
 * Where they differ (docs/mechanisms.md has the details):
 * - **Windows** copies the data into the system at `write()`; it stays after
 *   the process exits. The clipboard is a lock: while another process has it
 *   open, calls retry with growing delays and fail with `ClipboardBusyError`.
 * - **X11** has no clipboard storage: the writing process owns the
 *   `CLIPBOARD` selection and answers other programs' requests itself
 *   (INCR transfers for large data). While it owns the selection, it stays
 *   alive to serve it; when it exits, the data is gone unless a clipboard
 *   manager took a copy. `clear()`, or another program's write, releases it.
 *   With no `DISPLAY` (or on Wayland without X11), every call throws
 *   `DisplayUnavailableError`.
 *
 * @example Copy and paste between processes
 * ```ts
 * import { Clipboard } from "./clipboard.ts";
 * await Clipboard.write({ text: "A1", custom: { "application/x-sheet-cell": "A1=42" } });
 * // in another process:
 * const cell = await Clipboard.read("application/x-sheet-cell"); // Uint8Array | null
 * ```
 */
export class Clipboard {
  private constructor() {}

  /**
   * Reads the clipboard's text.
   *
   * @param options `timeout`, `signal`.
   * @returns The text, or `null` when the clipboard holds no text.
   * @example
   * ```ts
   * import { Clipboard } from "./clipboard.ts";
   * const text = await Clipboard.readText({ timeout: 1000 });
   * ```
   */
  static readText(options?: ClipboardOptions): Promise<string | null> {
    return Clipboard.read("text", options);
  }

  /**
   * Replaces the clipboard's contents with text.
   *
   * @param text Any Unicode text (no NUL character, no lone surrogate: TypeError).
   * @param options `timeout`, `signal`.
   * @returns When the clipboard holds the text.
   * @example
   * ```ts
   * import { Clipboard } from "./clipboard.ts";
   * await Clipboard.writeText("tëst-✓-𝄞");
   * ```
   */
  static async writeText(text: string, options?: ClipboardOptions): Promise<void> {
    checkText(text, "text");
    await Clipboard.write({ text }, options);
  }

  /**
   * Reads one format.
   *
   * @param format `"text"` or `"html"` (returned as a string), `"png"`, `"dib"`, or a custom
   *   format's OS name (returned as bytes).
   * @param options `timeout`, `signal`.
   * @returns The data, or `null` when the clipboard does not offer the format.
   * @example
   * ```ts
   * import { Clipboard } from "./clipboard.ts";
   * const html = await Clipboard.read("html"); // the fragment, without CF_HTML's header
   * const png = await Clipboard.read("png"); // Uint8Array | null
   * ```
   */
  static read(format: "text" | "html", options?: ClipboardOptions): Promise<string | null>;
  static read(format: string, options?: ClipboardOptions): Promise<Uint8Array | null>;
  static async read(
    format: string,
    options?: ClipboardOptions,
  ): Promise<string | Uint8Array | null> {
    const name = checkReadFormat(format);
    const b = os();
    return await b.read(name, budget(options, b));
  }

  /**
   * Replaces the clipboard's contents with one or more formats, offered together.
   *
   * @param data The formats (at least one): `text`, `html`, `png`, `dib`, `custom`.
   * @param options `timeout`, `signal`.
   * @returns When the clipboard offers the data.
   * @example
   * ```ts
   * import { Clipboard } from "./clipboard.ts";
   * const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10]); // the start of a PNG file
   * await Clipboard.write({ text: "logo", html: "<img alt=logo>", png });
   * ```
   */
  static async write(data: ClipboardData, options?: ClipboardOptions): Promise<void> {
    const b = os();
    const payload = checkClipboardData(data, b.reservedNames);
    await b.write(payload, budget(options, b));
  }

  /**
   * Empties the clipboard (Windows: EmptyClipboard; X11: the `CLIPBOARD`
   * selection gets no owner, which also releases this process if it owned it).
   *
   * @param options `timeout`, `signal`.
   * @returns When the clipboard is empty.
   * @example
   * ```ts
   * import { Clipboard } from "./clipboard.ts";
   * await Clipboard.clear();
   * ```
   */
  static async clear(options?: ClipboardOptions): Promise<void> {
    const b = os();
    await b.clear(budget(options, b));
  }

  /**
   * The formats on offer: the standard names (`"text"`, `"html"`, `"png"`,
   * `"dib"`) for those the clipboard holds or can convert to, then the OS
   * names of the others (Windows: registered names and `CF_*` names; X11:
   * target atoms other than `TARGETS`, `MULTIPLE`, `TIMESTAMP`, `SAVE_TARGETS`).
   *
   * @param options `timeout`, `signal`.
   * @returns The names, standard ones first.
   * @example
   * ```ts
   * import { Clipboard } from "./clipboard.ts";
   * if ((await Clipboard.formats()).includes("png")) console.log("an image");
   * ```
   */
  static async formats(options?: ClipboardOptions): Promise<string[]> {
    const b = os();
    const names = await b.formats(budget(options, b));
    const standard = STANDARD_FORMATS.filter((f) => names.includes(f));
    return [...standard, ...names.filter((n) => !standard.includes(n as never))];
  }

  /**
   * A number that changes whenever the clipboard's contents change.
   * Windows: `GetClipboardSequenceNumber`, system-wide, the same in every
   * process. X11 has no such counter: this one counts the `CLIPBOARD`
   * owner changes the X server reported to this process (XFixes) since its
   * first clipboard call, so it starts at 0 and compares only within one
   * process.
   *
   * @returns The sequence number.
   * @example
   * ```ts
   * import { Clipboard } from "./clipboard.ts";
   * const before = Clipboard.sequenceNumber();
   * await Clipboard.writeText("x");
   * Clipboard.sequenceNumber() !== before; // true
   * ```
   */
  static sequenceNumber(): number {
    return os().sequenceNumber();
  }

  /**
   * Watches the clipboard: one {@link ClipboardChange} per change of its
   * contents, by this process or any other (Windows:
   * AddClipboardFormatListener on a message-only window of ipckit's
   * message-loop thread; X11: XFixes selection events). The process stays
   * alive while a watch is open. Await `ready` before relying on seeing a
   * change made right after.
   *
   * @param options `signal` ends the watch.
   * @returns The watch: an async iterable, closed with `close()`, `await using` or `break`.
   * @example
   * ```ts
   * import { Clipboard } from "./clipboard.ts";
   * const controller = new AbortController();
   * const watch = Clipboard.watch({ signal: controller.signal });
   * await watch.ready;
   * for await (const change of watch) {
   *   console.log(change.sequenceNumber, await Clipboard.readText());
   *   break;
   * }
   * ```
   */
  static watch(options?: ClipboardWatchOptions): ClipboardWatch {
    const signal = options?.signal;
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      throw new TypeError("Cannot watch the clipboard: signal must be an AbortSignal");
    }
    signal?.throwIfAborted();
    return new ClipboardWatch(os(), signal);
  }
}

/**
 * An open watch of the clipboard (see {@link Clipboard.watch}). Changes are
 * queued until read, none is dropped. `close()` (idempotent) stops it; a
 * `next()` pending then rejects with `ClosedError`, as does any later one.
 *
 * @example Ending a watch with a signal
 * ```ts
 * import { Clipboard } from "./clipboard.ts";
 * await using watch = Clipboard.watch({ signal: AbortSignal.timeout(5000) });
 * const first = await watch.next(); // rejects with the signal's TimeoutError after 5 s
 * ```
 */
export class ClipboardWatch implements AsyncIterableIterator<ClipboardChange>, AsyncDisposable {
  /** Resolves once changes are being delivered (rejects if the watch could not start). */
  readonly ready: Promise<void>;
  readonly #queue: ClipboardChange[] = [];
  #waiter: { resolve(r: IteratorResult<ClipboardChange>): void; reject(e: unknown): void } | null =
    null;
  #error: unknown = null;
  #stop: Promise<(() => Promise<void>) | null>;
  #closing: Promise<void> | null = null;
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort = () => this.#end(this.#signal!.reason);

  /** @internal Use {@link Clipboard.watch}. */
  constructor(backend: ClipboardBackend, signal: AbortSignal | undefined) {
    this.#signal = signal;
    this.#stop = backend.subscribe((sequenceNumber) => this.#push({ sequenceNumber })).catch(
      (error) => {
        this.#end(error);
        return null;
      },
    );
    this.ready = this.#stop.then(() => {
      if (this.#error !== null) throw this.#error;
    });
    // A watch that nobody awaits must not report an unhandled rejection.
    this.ready.catch(() => {});
    signal?.addEventListener("abort", this.#onAbort, { once: true });
  }

  /**
   * The next change.
   *
   * @returns The change; rejects with `signal.reason` after an abort, `ClosedError` after close.
   */
  next(): Promise<IteratorResult<ClipboardChange>> {
    if (this.#error !== null) return Promise.reject(this.#error);
    const change = this.#queue.shift();
    if (change) return Promise.resolve({ value: change, done: false });
    if (this.#waiter) {
      return Promise.reject(new TypeError("Cannot wait twice on one clipboard watch"));
    }
    return new Promise((resolve, reject) => (this.#waiter = { resolve, reject }));
  }

  /**
   * Ends the iteration (`break` in `for await` calls it) and closes the watch.
   *
   * @returns `{ done: true }`.
   */
  async return(): Promise<IteratorResult<ClipboardChange>> {
    await this.close();
    return { value: undefined, done: true };
  }

  /**
   * Stops watching (idempotent; the same promise every time).
   *
   * @returns When the OS delivers no more changes to this watch.
   */
  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    if (this.#error === null) {
      this.#end(new ClosedError("Cannot read the clipboard watch: it was closed"));
    }
    return this.#closing!;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #push(change: ClipboardChange): void {
    if (this.#error !== null) return;
    const waiter = this.#waiter;
    this.#waiter = null;
    if (waiter) waiter.resolve({ value: change, done: false });
    else this.#queue.push(change);
  }

  /** Ends the watch with the error every later `next()` gets. */
  #end(error: unknown): void {
    if (this.#error !== null) return;
    this.#error = error;
    this.#queue.length = 0;
    this.#signal?.removeEventListener("abort", this.#onAbort);
    const waiter = this.#waiter;
    this.#waiter = null;
    waiter?.reject(error);
    this.#closing = this.#stop.then((stop) => stop?.());
  }
}
