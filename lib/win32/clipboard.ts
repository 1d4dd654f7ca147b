/**
 * The Windows clipboard through user32.
 *
 * - Every call opens the clipboard, does its work within one synchronous
 *   stretch of JavaScript, and closes it in a `finally`, so it is closed on
 *   every path.
 * - OpenClipboard fails while another process has the clipboard open; it is
 *   retried with growing delays (10, 20, 40, 80, 160, then 250 ms) until the
 *   call's timeout, then `ClipboardBusyError` (a `TimeoutError`). The delays
 *   are timers: the event loop runs meanwhile.
 * - Data is HGLOBAL memory (GlobalAlloc(GMEM_MOVEABLE), GlobalLock, copy,
 *   GlobalUnlock). After SetClipboardData succeeds the system owns it;
 *   when it fails, ipckit frees it.
 * - A write opens the clipboard with a message-only window of its own, made
 *   and destroyed around the write: SetClipboardData needs an owner window
 *   after EmptyClipboard, and a window that is gone is never sent
 *   WM_DESTROYCLIPBOARD by a later writer, so no other process waits on
 *   this thread, which runs no message loop. Reads open it with a window
 *   kept for the process, which never owns the clipboard.
 *
 * @module
 */
import { decodeWide, detachBuffer, encodeWide, nativeBuffer } from "../ffi/mod.ts";
import { ClipboardBusyError, type TimeoutError } from "../errors.ts";
import {
  type ClipboardBackend,
  type ClipboardPayload,
  type ClipboardWait,
  decodeCfHtml,
  delay,
  encodeCfHtml,
} from "../_clipboard_common.ts";
import { lastWin32Error, Win32Error } from "./error.ts";
import { kernel32 } from "./kernel32.ts";
import { MessageWindow } from "./message_loop.ts";
import { user32 } from "./user32.ts";

const GMEM_MOVEABLE = 0x0002;
const HWND_MESSAGE = 0xfffffffffffffffdn; // (HWND)-3: the parent of message-only windows
const WM_CLIPBOARDUPDATE = 0x031d;

/** Predefined formats, by the names formats() reports; `gdi` ones are handles, not bytes. */
const PREDEFINED: Record<string, { id: number; gdi?: true }> = {
  CF_TEXT: { id: 1 },
  CF_BITMAP: { id: 2, gdi: true },
  CF_METAFILEPICT: { id: 3, gdi: true },
  CF_SYLK: { id: 4 },
  CF_DIF: { id: 5 },
  CF_TIFF: { id: 6 },
  CF_OEMTEXT: { id: 7 },
  CF_DIB: { id: 8 },
  CF_PALETTE: { id: 9, gdi: true },
  CF_PENDATA: { id: 10 },
  CF_RIFF: { id: 11 },
  CF_WAVE: { id: 12 },
  CF_UNICODETEXT: { id: 13 },
  CF_ENHMETAFILE: { id: 14, gdi: true },
  CF_HDROP: { id: 15 },
  CF_LOCALE: { id: 16 },
  CF_DIBV5: { id: 17 },
  CF_OWNERDISPLAY: { id: 0x80, gdi: true },
  CF_DSPTEXT: { id: 0x81 },
  CF_DSPBITMAP: { id: 0x82, gdi: true },
  CF_DSPMETAFILEPICT: { id: 0x83, gdi: true },
  CF_DSPENHMETAFILE: { id: 0x8e, gdi: true },
};
const PREDEFINED_NAMES = new Map(Object.entries(PREDEFINED).map(([name, f]) => [f.id, name]));
const CF_UNICODETEXT = 13;
const CF_DIB = 8;
const HTML_FORMAT = "HTML Format";
const PNG_FORMAT = "PNG";
/** What each standard format is on Windows, for formats(). */
const STANDARD_OF: Record<string, string> = {
  CF_TEXT: "text",
  CF_OEMTEXT: "text",
  CF_UNICODETEXT: "text",
  CF_DIB: "dib",
  CF_DIBV5: "dib",
  CF_BITMAP: "dib",
  [HTML_FORMAT]: "html",
  [PNG_FORMAT]: "png",
};

const registered = new Map<string, number>();

/**
 * A registered format's id (RegisterClipboardFormatW returns the same id in
 * every process); DDE shares this table.
 *
 * @param name The format's name.
 * @returns Its id.
 * @example The id of a registered format
 * ```ts
 * import { registerClipboardFormat } from "./clipboard.ts";
 * const id = registerClipboardFormat("XlTable");
 * ```
 */
export function registerClipboardFormat(name: string): number {
  let id = registered.get(name);
  if (id === undefined) {
    id = user32.symbols.RegisterClipboardFormatW(encodeWide(name));
    if (id === 0) throw lastWin32Error("RegisterClipboardFormatW");
    registered.set(name, id);
  }
  return id;
}

/** The format id for a name a caller reads. */
function formatId(name: string): number {
  const predefined = PREDEFINED[name];
  if (!predefined) return registerClipboardFormat(name);
  if (predefined.gdi) {
    throw new TypeError(
      `Cannot read clipboard format '${name}': it holds a GDI handle, not bytes (read "dib" for images)`,
    );
  }
  return predefined.id;
}

/**
 * A format id's name: a standard format's `CF_` name, a registered
 * format's name, or `format <id>`.
 *
 * @param id The format id.
 * @returns Its name.
 * @example The name of CF_UNICODETEXT
 * ```ts
 * import { clipboardFormatName } from "./clipboard.ts";
 * clipboardFormatName(13); // "CF_UNICODETEXT"
 * ```
 */
export function clipboardFormatName(id: number): string {
  const predefined = PREDEFINED_NAMES.get(id);
  if (predefined) return predefined;
  const buffer = new Uint8Array(512);
  const length = user32.symbols.GetClipboardFormatNameW(id, buffer, 256);
  return length > 0 ? decodeWide(buffer) : `format ${id}`;
}

const RETRY_DELAYS = [10, 20, 40, 80, 160];
const MAX_DELAY = 250;

/**
 * Opens the clipboard (retrying while another process holds it), runs `work`
 * and closes it, whatever happens. Always with a window: Wine lets openers
 * that pass NULL take the open clipboard from one another (it compares
 * windows, not threads, so a second NULL opener succeeds and the first one's
 * GetClipboardData then fails with ERROR_CLIPBOARD_NOT_OPEN), which real
 * Windows never does.
 * - With `owned` (writes), a message-only window made for this call is the
 *   owner SetClipboardData needs after EmptyClipboard, destroyed right after.
 * - Reads use one message-only window kept for the process: a window that
 *   only opens the clipboard never owns it, so no message is ever sent to it.
 *   (Making and destroying a window costs 1–6 ms under Wine.)
 */
async function withClipboard<T>(
  wait: ClipboardWait,
  what: string,
  work: () => T,
  owned = false,
): Promise<T> {
  const u = user32.symbols;
  for (let attempt = 1;; attempt++) {
    const window = owned ? createWindow() : (readerWindow ||= createWindow());
    let failure: Win32Error;
    try {
      if (u.OpenClipboard(window)) {
        try {
          return work();
        } finally {
          u.CloseClipboard();
        }
      }
      failure = lastWin32Error("OpenClipboard");
    } finally {
      // Also while waiting to retry: nothing is sent to a window that does not exist.
      if (owned) u.DestroyWindow(window);
    }
    const remaining = wait.deadline - performance.now();
    if (remaining <= 0) throw busy(wait, what, attempt, failure);
    await delay(Math.min(RETRY_DELAYS[attempt - 1] ?? MAX_DELAY, remaining), wait.signal);
  }
}

/** The window reads open the clipboard with (0n until the first read). */
let readerWindow = 0n;

function createWindow(): bigint {
  const empty = encodeWide("");
  const window = user32.symbols.CreateWindowExW(
    0,
    encodeWide("STATIC"),
    empty,
    0,
    0,
    0,
    0,
    0,
    HWND_MESSAGE,
    0n,
    0n,
    0n,
  );
  if (window === 0n) throw lastWin32Error("CreateWindowExW");
  return window;
}

function busy(
  wait: ClipboardWait,
  what: string,
  attempts: number,
  cause: Win32Error,
): TimeoutError {
  const holder = user32.symbols.GetOpenClipboardWindow();
  const pid = new Uint32Array(1);
  if (holder !== 0n) user32.symbols.GetWindowThreadProcessId(holder, pid);
  const who = pid[0] ? `process ${pid[0]}` : "another process";
  return new ClipboardBusyError(
    `Cannot ${what}: ${who} kept the clipboard open for ${wait.timeout} ms (${attempts} attempts to open it)`,
    pid[0]!,
    attempts,
    { cause },
  );
}

/** Copies bytes into new HGLOBAL memory and hands it to the clipboard (or frees it on failure). */
function setData(format: number, bytes: Uint8Array): void {
  const k = kernel32.symbols;
  // A zero-size block cannot be locked; the data's length travels as the block's size anyway.
  const memory = k.GlobalAlloc(GMEM_MOVEABLE, BigInt(Math.max(bytes.length, 1)));
  if (memory === 0n) throw lastWin32Error("GlobalAlloc");
  try {
    const address = k.GlobalLock(memory);
    if (address === 0n) throw lastWin32Error("GlobalLock");
    const view = nativeBuffer(address, Math.max(bytes.length, 1));
    new Uint8Array(view).set(bytes);
    detachBuffer(view);
    k.GlobalUnlock(memory);
    if (user32.symbols.SetClipboardData(format, memory) === 0n) {
      throw lastWin32Error("SetClipboardData");
    }
  } catch (error) {
    k.GlobalFree(memory);
    throw error;
  }
}

/** A copy of a format's bytes (the whole block: GlobalSize), or null when it is not on offer. */
function getData(format: number): Uint8Array | null {
  const k = kernel32.symbols;
  if (!user32.symbols.IsClipboardFormatAvailable(format)) return null;
  const memory = user32.symbols.GetClipboardData(format);
  if (memory === 0n) throw lastWin32Error("GetClipboardData");
  const size = Number(k.GlobalSize(memory));
  if (size === 0) return new Uint8Array(0);
  const address = k.GlobalLock(memory);
  if (address === 0n) throw lastWin32Error("GlobalLock");
  try {
    const view = nativeBuffer(address, size);
    const copy = new Uint8Array(view).slice();
    detachBuffer(view);
    return copy;
  } finally {
    k.GlobalUnlock(memory);
  }
}

/** CF_HTML, with a NUL after it as most readers expect. */
function htmlBytes(fragment: string): Uint8Array {
  const envelope = encodeCfHtml(fragment);
  const out = new Uint8Array(envelope.length + 1);
  out.set(envelope);
  return out;
}

/** The formats of a write, as (id, bytes), ids registered before the clipboard is opened. */
function prepare(payload: ClipboardPayload): [number, Uint8Array][] {
  const out: [number, Uint8Array][] = [];
  if (payload.text !== undefined) out.push([CF_UNICODETEXT, encodeWide(payload.text)]);
  if (payload.html !== undefined) {
    out.push([registerClipboardFormat(HTML_FORMAT), htmlBytes(payload.html)]);
  }
  if (payload.png) out.push([registerClipboardFormat(PNG_FORMAT), payload.png]);
  if (payload.dib) out.push([CF_DIB, payload.dib]);
  for (const [name, bytes] of payload.custom) out.push([registerClipboardFormat(name), bytes]);
  return out;
}

/**
 * The Windows clipboard backend (lib/clipboard.ts dispatches to it on Windows).
 *
 * @example The sequence number
 * ```ts
 * import { clipboard } from "./clipboard.ts";
 * // On Windows: console.log(clipboard.sequenceNumber());
 * ```
 */
export const clipboard: ClipboardBackend = {
  defaultTimeout: 2000,
  reservedNames: [HTML_FORMAT, PNG_FORMAT, ...Object.keys(PREDEFINED)],

  check() {},

  read(format, wait) {
    const id = format === "text"
      ? CF_UNICODETEXT
      : format === "html"
      ? registerClipboardFormat(HTML_FORMAT)
      : format === "png"
      ? registerClipboardFormat(PNG_FORMAT)
      : format === "dib"
      ? CF_DIB
      : formatId(format);
    return withClipboard(wait, "read the clipboard", () => {
      const bytes = getData(id);
      if (bytes === null) return null;
      if (format === "text") return decodeWide(bytes);
      if (format === "html") return decodeCfHtml(bytes);
      return bytes;
    });
  },

  async write(payload, wait) {
    const formats = prepare(payload);
    await withClipboard(wait, "write to the clipboard", () => {
      if (!user32.symbols.EmptyClipboard()) throw lastWin32Error("EmptyClipboard");
      for (const [id, bytes] of formats) setData(id, bytes);
    }, true);
  },

  async clear(wait) {
    await withClipboard(wait, "clear the clipboard", () => {
      if (!user32.symbols.EmptyClipboard()) throw lastWin32Error("EmptyClipboard");
    }, true);
  },

  formats(wait) {
    return withClipboard(wait, "list the clipboard's formats", () => {
      const names = new Set<string>();
      for (let id = user32.symbols.EnumClipboardFormats(0); id !== 0;) {
        const name = clipboardFormatName(id);
        names.add(STANDARD_OF[name] ?? name);
        id = user32.symbols.EnumClipboardFormats(id);
      }
      return [...names];
    });
  },

  sequenceNumber() {
    return user32.symbols.GetClipboardSequenceNumber();
  },

  async subscribe(onChange) {
    // WM_CLIPBOARDUPDATE is posted: the loop answers at once and the handler runs here after.
    const window = await MessageWindow.create({
      className: "ipckit.ClipboardWatch",
      handlers: {
        [WM_CLIPBOARDUPDATE]: () => onChange(user32.symbols.GetClipboardSequenceNumber()),
      },
      posted: [WM_CLIPBOARDUPDATE],
    });
    try {
      // The listener belongs to the window's thread: register it there.
      const [ok, error] = await window.batch([
        [user32, "AddClipboardFormatListener", window.hwnd],
        [kernel32, "GetLastError"],
      ]);
      if (!ok) throw new Win32Error(error, "AddClipboardFormatListener");
    } catch (error) {
      await window.close();
      throw error;
    }
    return async () => {
      await window.call(user32, "RemoveClipboardFormatListener", window.hwnd);
      await window.close();
    };
  },
};
