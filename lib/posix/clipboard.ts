/**
 * The Linux clipboard: the X11 `CLIPBOARD` selection, through libX11 and
 * libXfixes over FFI (ICCCM).
 *
 * - One X connection per process, opened on first use, with one hidden
 *   window that owns the selection and receives answers.
 * - Writing takes ownership; this process then answers SelectionRequest
 *   events itself (TARGETS, the text aliases, text/html, image/png,
 *   image/bmp, custom atoms), with INCR for data over the largest request.
 * - Reading asks the owner (XConvertSelection) and waits for its
 *   SelectionNotify, following INCR transfers.
 * - Change events are XFixes SelectionNotify events.
 *
 * Nothing polls: the connection's descriptor is watched by the Linux reactor
 * only while something needs events (the selection is owned, a read or an
 * INCR transfer runs, a watch is open), so a process with none of those
 * exits on its own. Round trips to the X server (atom lookups, the owner
 * check) are synchronous; the server is local and answers in microseconds.
 *
 * @module
 */
import { callback, encodeC, nativeBuffer, readCString } from "../ffi/mod.ts";
import process from "node:process";
import { DisplayUnavailableError } from "../errors.ts";
import {
  bmpToDib,
  type ClipboardBackend,
  type ClipboardPayload,
  type ClipboardWait,
  decodeCfHtml,
  dibToBmp,
  Waitpoint,
} from "../_clipboard_common.ts";
import { cancelWaits, POLL, waitReady } from "./reactor.ts";
import {
  libX11,
  libXfixes,
  X,
  X_ERROR_HANDLER,
  XDestroyWindowEvent,
  XEVENT_SIZE,
  XFixesSelectionNotifyEvent,
  XPropertyEvent,
  XSelectionClearEvent,
  XSelectionEvent,
  XSelectionRequestEvent,
} from "./x11.ts";

/** Target names ipckit serves and understands, per standard format. */
const TEXT_TARGETS = ["UTF8_STRING", "text/plain;charset=utf-8", "TEXT"];
const HTML_TARGET = "text/html";
const PNG_TARGET = "image/png";
const BMP_TARGET = "image/bmp";
/** Targets that describe the selection rather than hold data. */
const META_TARGETS = ["TARGETS", "MULTIPLE", "TIMESTAMP", "SAVE_TARGETS", "DELETE", "INCR"];
/** A requestor that stops taking INCR chunks for this long is dropped. */
const INCR_STALL_MS = 30_000;
/** The largest INCR chunk (the request size caps it too). */
const INCR_CHUNK = 1 << 20;

interface Connection {
  display: bigint;
  fd: number;
  window: bigint;
  /** Bytes that fit in one ChangeProperty request. */
  maxPropertyBytes: number;
  fixesEventBase: number;
  atoms: Map<string, bigint>;
  names: Map<bigint, string>;
}

/** What this process offers while it owns CLIPBOARD: target atom → type atom and bytes. */
type Offer = Map<bigint, { type: bigint; bytes: Uint8Array; format: 8 | 32 }>;

/** A read in progress: its property on our window and the events it waits for. */
interface Read {
  property: bigint;
  target: bigint;
  point: Waitpoint;
  /** The owner's SelectionNotify: the property it filled, or None. */
  answer: bigint | null;
  /** PropertyNotify(NewValue) events on the property since INCR began. */
  incrChunks: number;
  incr: boolean;
}

/** An INCR transfer this process serves. */
interface Transfer {
  requestor: bigint;
  property: bigint;
  type: bigint;
  bytes: Uint8Array;
  offset: number;
  /** The zero-length chunk that ends the transfer was sent. */
  finished: boolean;
  stall: ReturnType<typeof setTimeout>;
}

let connection: Connection | null = null;
let offer: Offer | null = null;
const reads = new Map<bigint, Read>();
const transfers = new Map<string, Transfer>();
const watchers = new Set<(sequenceNumber: number) => void>();
let changes = 0;
let pumping = false;
let readCounter = 0;
const event = new Uint8Array(XEVENT_SIZE);
const eventView = new DataView(event.buffer);
/** Xlib reports protocol errors to this handler (its default exits the process). */
let errorHandler: ReturnType<typeof callback> | null = null;

function displayError(): DisplayUnavailableError | null {
  const display = process.env.DISPLAY;
  if (display) return null;
  if (process.env.WAYLAND_DISPLAY) {
    return new DisplayUnavailableError(
      "Cannot use the clipboard: this is a Wayland session without X11 (WAYLAND_DISPLAY is set, " +
        "DISPLAY is not); ipckit's Linux clipboard speaks X11, so start Xwayland (most compositors " +
        "do, and set DISPLAY) or run under an X server",
      "wayland-only",
    );
  }
  return new DisplayUnavailableError(
    "Cannot use the clipboard: DISPLAY is not set; ipckit's Linux clipboard needs an X server: " +
      "set DISPLAY (e.g. DISPLAY=:0), or start one with `Xvfb :99 &` and set DISPLAY=:99",
    "no-display",
  );
}

function connect(): Connection {
  if (connection) return connection;
  const missing = displayError();
  if (missing) throw missing;
  const name = process.env.DISPLAY!;
  let x: typeof libX11.symbols;
  try {
    x = libX11.symbols;
    void libXfixes.symbols;
  } catch (error) {
    throw new DisplayUnavailableError(
      "Cannot use the clipboard: the X client libraries are missing (libX11.so.6, " +
        "libXfixes.so.3); install them (Debian: apt-get install libx11-6 libxfixes3)",
      "missing-library",
      { cause: error },
    );
  }
  errorHandler ??= callback(X_ERROR_HANDLER, () => 0);
  x.XSetErrorHandler(errorHandler);
  const display = x.XOpenDisplay(encodeC(name));
  if (display === 0n) {
    throw new DisplayUnavailableError(
      `Cannot use the clipboard: cannot connect to X display '${name}' (DISPLAY): ` +
        "check that its X server runs and that this user may connect (xauth, XAUTHORITY)",
      "unreachable",
    );
  }
  const root = x.XDefaultRootWindow(display);
  const window = x.XCreateSimpleWindow(display, root, 0, 0, 1, 1, 0, 0n, 0n);
  x.XSelectInput(display, window, X.PropertyChangeMask);
  const units = Number(x.XExtendedMaxRequestSize(display)) || Number(x.XMaxRequestSize(display));
  const bases = new Int32Array(2);
  if (!libXfixes.symbols.XFixesQueryExtension(display, bases.subarray(0, 1), bases.subarray(1))) {
    x.XCloseDisplay(display);
    throw new DisplayUnavailableError(
      `Cannot use the clipboard: X display '${name}' lacks the XFIXES extension, needed for change events`,
      "unreachable",
    );
  }
  const c: Connection = {
    display,
    fd: x.XConnectionNumber(display),
    window,
    // A ChangeProperty request has a 24-byte header (28 with BIG-REQUESTS).
    maxPropertyBytes: units * 4 - 32,
    fixesEventBase: bases[0]!,
    atoms: new Map(),
    names: new Map(),
  };
  connection = c;
  // Every owner change of CLIPBOARD: what sequenceNumber() counts and watch() reports.
  libXfixes.symbols.XFixesSelectSelectionInput(
    display,
    window,
    atom("CLIPBOARD"),
    X.SetSelectionOwnerNotifyMask | X.SelectionWindowDestroyNotifyMask |
      X.SelectionClientCloseNotifyMask,
  );
  dispatchSoon();
  return c;
}

/** The atom for a name (interned: created when missing). */
function atom(name: string): bigint {
  const c = connection!;
  let value = c.atoms.get(name);
  if (value === undefined) {
    value = io(() => libX11.symbols.XInternAtom(c.display, encodeC(name), X.False));
    c.atoms.set(name, value);
    c.names.set(value, name);
  }
  return value;
}

/** The atom for a name only if the server knows it (nobody can offer a target no one interned). */
function existingAtom(name: string): bigint {
  const c = connection!;
  const known = c.atoms.get(name);
  if (known !== undefined) return known;
  const value = io(() => libX11.symbols.XInternAtom(c.display, encodeC(name), X.True));
  if (value !== X.None) {
    c.atoms.set(name, value);
    c.names.set(value, name);
  }
  return value;
}

function atomName(value: bigint): string {
  const c = connection!;
  const known = c.names.get(value);
  if (known !== undefined) return known;
  const pointer = io(() => libX11.symbols.XGetAtomName(c.display, value));
  if (pointer === 0n) return `atom ${value}`;
  const name = readCString(pointer);
  libX11.symbols.XFree(pointer);
  c.atoms.set(name, value);
  c.names.set(value, name);
  return name;
}

/** The window that owns CLIPBOARD now (a round trip). */
function selectionOwner(c: Connection): bigint {
  return io(() => libX11.symbols.XGetSelectionOwner(c.display, atom("CLIPBOARD")));
}

// --- the event pump ------------------------------------------------------------------------

let dispatchScheduled = false;

/**
 * Makes an Xlib call that may use the connection: one that waits for a reply, or flushes.
 * While Xlib (over XCB) waits to read or write, it reads whatever the server sent meanwhile
 * into its queue, and the descriptor no longer shows those events as readable. They are
 * handled in a microtask, right after the current synchronous work, before the pump can park.
 */
function io<T>(call: () => T): T {
  const result = call();
  dispatchSoon();
  return result;
}

/** Handles queued events, and sends buffered requests, right after the current synchronous work. */
function dispatchSoon(): void {
  if (dispatchScheduled) return;
  dispatchScheduled = true;
  queueMicrotask(() => {
    dispatchScheduled = false;
    dispatchPending();
  });
}

function needsEvents(): boolean {
  return offer !== null || reads.size > 0 || transfers.size > 0 || watchers.size > 0;
}

/** Starts watching the connection when something needs events. */
function ensurePump(): void {
  dispatchPending();
  if (pumping || !needsEvents()) return;
  pumping = true;
  void pump();
}

/** Stops watching the connection when nothing needs events any more, so the process may exit. */
function releasePump(): void {
  if (pumping && !needsEvents() && connection) cancelWaits(connection.fd, "the X connection");
}

async function pump(): Promise<void> {
  const c = connection!;
  try {
    while (needsEvents()) {
      dispatchPending();
      if (!needsEvents()) break;
      await waitReady(c.fd, POLL.IN);
    }
  } catch {
    // cancelWaits: nothing needs events any more.
  } finally {
    pumping = false;
  }
  // Something may have started needing events while the wait was being cancelled.
  if (needsEvents()) ensurePump();
}

/**
 * Handles every event Xlib has read or can read without blocking. XPending first sends what
 * is buffered, then reads; the loop ends on an XPending that found nothing, so the requests
 * the handlers made are sent and nothing read is left unhandled. (No XFlush after it: a flush
 * may read events into the queue, where the parked poll would not see them.)
 */
function dispatchPending(): void {
  const c = connection;
  if (!c) return;
  const x = libX11.symbols;
  while (x.XPending(c.display) > 0) {
    x.XNextEvent(c.display, event);
    handle(c);
  }
}

function handle(c: Connection): void {
  const type = eventView.getInt32(0, true) & 0x7f;
  switch (type) {
    case X.SelectionRequest:
      return onSelectionRequest(c);
    case X.SelectionNotify:
      return onSelectionNotify();
    case X.SelectionClear:
      if (XSelectionClearEvent.get(eventView, "selection") === atom("CLIPBOARD")) {
        offer = null;
        releasePump();
      }
      return;
    case X.PropertyNotify:
      return onPropertyNotify(c);
    case X.DestroyNotify: {
      const gone = XDestroyWindowEvent.get(eventView, "window");
      for (const t of [...transfers.values()]) if (t.requestor === gone) endTransfer(t);
      return;
    }
    default:
      if (type === c.fixesEventBase + X.XFixesSelectionNotify) {
        if (XFixesSelectionNotifyEvent.get(eventView, "selection") !== atom("CLIPBOARD")) return;
        changes++;
        for (const notify of watchers) notify(changes);
      }
  }
}

// --- serving the selection -----------------------------------------------------------------

function onSelectionRequest(c: Connection): void {
  const get = <K extends Parameters<typeof XSelectionRequestEvent.get>[1]>(k: K) =>
    XSelectionRequestEvent.get(eventView, k);
  const requestor = get("requestor");
  const selection = get("selection");
  const target = get("target");
  const time = get("time");
  // Obsolete requestors pass None: the target's name is the property then (ICCCM 2.2).
  const property = get("property") === X.None ? target : get("property");
  let answered = false;
  if (selection === atom("CLIPBOARD") && offer && get("owner") === c.window) {
    if (target === atom("TARGETS")) {
      const atoms = new BigUint64Array([atom("TARGETS"), ...offer.keys()]);
      changeProperty(c, requestor, property, X.XA_ATOM, 32, longs(atoms), atoms.length);
      answered = true;
    } else {
      const entry = offer.get(target);
      if (entry) answered = serve(c, requestor, property, entry);
    }
  }
  // MULTIPLE and TIMESTAMP are not offered; a request for them, or for a target this process
  // does not have, is refused with property None.
  const notify = new Uint8Array(XEVENT_SIZE);
  const view = new DataView(notify.buffer);
  XSelectionEvent.set(view, "type", X.SelectionNotify);
  XSelectionEvent.set(view, "send_event", 1);
  XSelectionEvent.set(view, "display", c.display);
  XSelectionEvent.set(view, "requestor", requestor);
  XSelectionEvent.set(view, "selection", selection);
  XSelectionEvent.set(view, "target", target);
  XSelectionEvent.set(view, "property", answered ? property : X.None);
  XSelectionEvent.set(view, "time", time);
  libX11.symbols.XSendEvent(c.display, requestor, X.False, 0n, notify);
}

/** Format-32 data is an array of C longs (8 bytes each on x86-64), as Xlib expects. */
function longs(values: BigUint64Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

function changeProperty(
  c: Connection,
  window: bigint,
  property: bigint,
  type: bigint,
  format: 8 | 32,
  data: Uint8Array,
  count: number,
): void {
  libX11.symbols.XChangeProperty(
    c.display,
    window,
    property,
    type,
    format,
    X.PropModeReplace,
    data,
    count,
  );
}

function serve(
  c: Connection,
  requestor: bigint,
  property: bigint,
  entry: { type: bigint; bytes: Uint8Array; format: 8 | 32 },
): boolean {
  const { bytes, type } = entry;
  if (bytes.length <= c.maxPropertyBytes) {
    const count = entry.format === 32 ? bytes.length / 8 : bytes.length;
    changeProperty(c, requestor, property, type, entry.format, bytes, count);
    return true;
  }
  // INCR (ICCCM 2.7.2): announce the size, then one chunk per deletion of the property by the
  // requestor, then an empty chunk. Watch the requestor's properties, and its end.
  const key = `${requestor}:${property}`;
  const old = transfers.get(key);
  if (old) endTransfer(old);
  libX11.symbols.XSelectInput(
    c.display,
    requestor,
    X.PropertyChangeMask | X.StructureNotifyMask,
  );
  const size = new BigUint64Array([BigInt(bytes.length)]);
  changeProperty(c, requestor, property, atom("INCR"), 32, longs(size), 1);
  const transfer: Transfer = {
    requestor,
    property,
    type,
    bytes,
    offset: 0,
    finished: false,
    stall: stallTimer(key),
  };
  transfers.set(key, transfer);
  return true;
}

function stallTimer(key: string): ReturnType<typeof setTimeout> {
  const timer = setTimeout(() => {
    const t = transfers.get(key);
    if (t) endTransfer(t);
  }, INCR_STALL_MS);
  // The pump keeps the process alive while a transfer runs; the timer only limits it.
  (timer as { unref?: () => void }).unref?.();
  return timer;
}

function endTransfer(t: Transfer): void {
  clearTimeout(t.stall);
  const key = `${t.requestor}:${t.property}`;
  transfers.delete(key);
  const c = connection!;
  if (![...transfers.values()].some((other) => other.requestor === t.requestor)) {
    libX11.symbols.XSelectInput(c.display, t.requestor, 0n);
  }
  releasePump();
}

function onPropertyNotify(c: Connection): void {
  const window = XPropertyEvent.get(eventView, "window");
  const property = XPropertyEvent.get(eventView, "atom");
  const state = XPropertyEvent.get(eventView, "state");
  if (window === c.window) {
    const read = reads.get(property);
    if (read?.incr && state === X.PropertyNewValue) {
      read.incrChunks++;
      read.point.wake();
    }
    return;
  }
  const t = transfers.get(`${window}:${property}`);
  if (!t || state !== X.PropertyDelete) return;
  if (t.finished) return endTransfer(t);
  clearTimeout(t.stall);
  t.stall = stallTimer(`${window}:${property}`);
  const chunk = t.bytes.subarray(t.offset, t.offset + Math.min(INCR_CHUNK, c.maxPropertyBytes));
  changeProperty(c, t.requestor, t.property, t.type, 8, chunk, chunk.length);
  t.offset += chunk.length;
  // The empty chunk ends the transfer; the requestor's deletion of it is not awaited.
  if (chunk.length === 0) endTransfer(t);
}

// --- reading the selection -----------------------------------------------------------------

function onSelectionNotify(): void {
  const property = XSelectionEvent.get(eventView, "property");
  const target = XSelectionEvent.get(eventView, "target");
  // An answer names the property we asked for; a refusal names None and the target. The server
  // delivers answers in the order of the requests, so the oldest waiting read gets it.
  for (const read of reads.values()) {
    if (read.answer !== null) continue;
    if (property !== X.None ? read.property === property : read.target === target) {
      read.answer = property;
      read.point.wake();
      return;
    }
  }
}

/** One property read off our window (deleted once read whole), with its type. */
function takeProperty(c: Connection, property: bigint): { type: bigint; bytes: Uint8Array } {
  const x = libX11.symbols;
  const type = new BigUint64Array(1);
  const format = new Int32Array(1);
  const count = new BigUint64Array(1);
  const after = new BigUint64Array(1);
  const data = new BigUint64Array(1);
  const parts: Uint8Array[] = [];
  let offset = 0n; // in 32-bit units
  for (;;) {
    const status = io(() =>
      x.XGetWindowProperty(
        c.display,
        c.window,
        property,
        offset,
        0x1fffffffn,
        X.True,
        X.AnyPropertyType,
        type,
        format,
        count,
        after,
        data,
      )
    );
    if (status !== X.Success) {
      throw new Error(`Cannot read the clipboard: XGetWindowProperty failed (status ${status})`);
    }
    const unit = format[0] === 32 ? 8 : format[0] === 16 ? 2 : 1;
    const length = Number(count[0]) * unit;
    if (data[0] !== 0n) {
      if (length > 0) parts.push(new Uint8Array(nativeBuffer(data[0]!, length)).slice());
      x.XFree(data[0]!);
    }
    if (after[0] === 0n) break;
    // The offset counts 32-bit units of the property as the server stores it.
    offset += (count[0]! * BigInt(format[0]!)) / 32n;
  }
  const total = parts.reduce((n, p) => n + p.length, 0);
  const bytes = parts.length === 1 ? parts[0]! : new Uint8Array(total);
  if (parts.length !== 1) {
    let at = 0;
    for (const p of parts) {
      bytes.set(p, at);
      at += p.length;
    }
  }
  return { type: type[0]!, bytes };
}

/** Asks the owner for a target and waits for its answer, following INCR. Null if refused. */
async function convert(target: bigint, wait: ClipboardWait): Promise<Uint8Array | null> {
  const c = connection!;
  const x = libX11.symbols;
  const property = atom(`IPCKIT_SELECTION_${readCounter++ % 64}`);
  if (reads.has(property)) throw new Error("Cannot read the clipboard: 64 reads are running");
  const read: Read = {
    property,
    target,
    point: new Waitpoint(),
    answer: null,
    incrChunks: 0,
    incr: false,
  };
  reads.set(property, read);
  try {
    x.XDeleteProperty(c.display, c.window, property);
    x.XConvertSelection(c.display, atom("CLIPBOARD"), target, property, c.window, X.CurrentTime);
    ensurePump();
    while (read.answer === null) await read.point.wait(wait, "read the clipboard");
    if (read.answer === X.None) return null;
    const first = takeProperty(c, property);
    if (first.type !== atom("INCR")) return first.bytes;
    // INCR: deleting the announcement (done by takeProperty) asks for the first chunk.
    read.incr = true;
    read.incrChunks = 0;
    ensurePump();
    const parts: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      while (read.incrChunks === 0) await read.point.wait(wait, "read the clipboard (INCR)");
      read.incrChunks--;
      const chunk = takeProperty(c, property).bytes;
      if (chunk.length === 0) break;
      parts.push(chunk);
      total += chunk.length;
    }
    const bytes = new Uint8Array(total);
    let at = 0;
    for (const p of parts) {
      bytes.set(p, at);
      at += p.length;
    }
    return bytes;
  } finally {
    reads.delete(property);
    x.XDeleteProperty(c.display, c.window, property);
    dispatchSoon();
    releasePump();
  }
}

/**
 * Reads the first of `names` the owner offers. The owner's TARGETS decide, since some owners
 * (xclip) answer any target with their one piece of data; an owner that does not answer
 * TARGETS is asked for each name in turn. With `direct`, the names are asked for without
 * TARGETS (for text, which such owners answer with text anyway: one round trip, not two).
 */
async function readTarget(
  names: readonly string[],
  wait: ClipboardWait,
  direct = false,
): Promise<Uint8Array | null> {
  const c = connect();
  const wanted = names.map(existingAtom).filter((a) => a !== X.None);
  if (wanted.length === 0) return null;
  if (offer) {
    const own = ownOffer(c);
    if (own) {
      const target = wanted.find((a) => own.has(a));
      return target === undefined ? null : own.get(target)!.bytes.slice();
    }
  }
  const offered = direct ? null : await targetAtoms(wait);
  for (const target of offered ? wanted.filter((a) => offered.includes(a)) : wanted) {
    const bytes = await convert(target, wait);
    if (bytes) return bytes;
  }
  return null;
}

/** What this process offers, when it owns the selection (answered without a round trip). */
function ownOffer(c: Connection): Offer | null {
  const owner = selectionOwner(c);
  return owner === c.window ? offer : null;
}

/** The owner's TARGETS: [] when there is no owner, null when the owner does not answer them. */
async function targetAtoms(wait: ClipboardWait): Promise<bigint[] | null> {
  const c = connect();
  if (selectionOwner(c) === X.None) return [];
  const own = offer && ownOffer(c);
  if (own) return [atom("TARGETS"), ...own.keys()];
  const bytes = await convert(atom("TARGETS"), wait);
  if (!bytes) return null;
  return [...new BigUint64Array(bytes.slice().buffer, 0, Math.floor(bytes.length / 8))];
}

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

function decodeHtml(bytes: Uint8Array): string {
  // Firefox offers text/html as UTF-16 with a byte-order mark.
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder("utf-16le").decode(bytes);
  const text = utf8Decoder.decode(bytes);
  // Some programs put a CF_HTML envelope on X11 too.
  return text.startsWith("Version:") ? decodeCfHtml(bytes) : text;
}

function isLatin1(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0xff) return false;
  return true;
}

function buildOffer(payload: ClipboardPayload): Offer {
  const out: Offer = new Map();
  const put = (name: string, bytes: Uint8Array, type = name) =>
    out.set(atom(name), { type: atom(type), bytes, format: 8 });
  if (payload.text !== undefined) {
    const bytes = utf8.encode(payload.text);
    for (const name of TEXT_TARGETS) put(name, bytes, "UTF8_STRING");
    // STRING is Latin-1 (ICCCM): offered only when the text fits, never altered.
    if (isLatin1(payload.text)) {
      put("STRING", Uint8Array.from(payload.text, (ch) => ch.charCodeAt(0)));
    }
  }
  if (payload.html !== undefined) put(HTML_TARGET, utf8.encode(payload.html));
  if (payload.png) put(PNG_TARGET, payload.png);
  if (payload.dib) put(BMP_TARGET, dibToBmp(payload.dib));
  for (const [name, bytes] of payload.custom) put(name, bytes);
  return out;
}

/**
 * The X11 clipboard backend (lib/clipboard.ts dispatches to it on Linux).
 *
 * @example Reading the text through the backend
 * ```ts
 * import { clipboard } from "./clipboard.ts";
 * const wait = { timeout: 1000, deadline: performance.now() + 1000, signal: undefined };
 * if (process.env.DISPLAY) console.log(await clipboard.read("text", wait));
 * ```
 */
export const clipboard: ClipboardBackend = {
  defaultTimeout: 5000,
  reservedNames: [
    ...TEXT_TARGETS,
    "STRING",
    "text/plain",
    HTML_TARGET,
    PNG_TARGET,
    BMP_TARGET,
    ...META_TARGETS,
  ],

  check() {
    connect();
  },

  async read(format, wait) {
    switch (format) {
      case "text": {
        const bytes = await readTarget(["UTF8_STRING", "text/plain;charset=utf-8"], wait, true);
        if (bytes) return utf8Decoder.decode(bytes);
        const latin1 = await readTarget(["STRING"], wait, true);
        return latin1 ? new TextDecoder("latin1").decode(latin1) : null;
      }
      case "html": {
        const bytes = await readTarget([HTML_TARGET], wait);
        return bytes ? decodeHtml(bytes) : null;
      }
      case "png":
        return await readTarget([PNG_TARGET], wait);
      case "dib": {
        const bytes = await readTarget([BMP_TARGET], wait);
        return bytes ? bmpToDib(bytes) : null;
      }
      default:
        return await readTarget([format], wait);
    }
  },

  write(payload) {
    const c = connect();
    const next = buildOffer(payload);
    const x = libX11.symbols;
    x.XSetSelectionOwner(c.display, atom("CLIPBOARD"), c.window, X.CurrentTime);
    // A round trip: the server has processed the request, so other clients see the new owner.
    if (selectionOwner(c) !== c.window) {
      return Promise.reject(
        new Error(
          "Cannot write to the clipboard: the X server did not make this process its owner",
        ),
      );
    }
    offer = next;
    ensurePump();
    return Promise.resolve();
  },

  clear() {
    const c = connect();
    offer = null;
    libX11.symbols.XSetSelectionOwner(c.display, atom("CLIPBOARD"), X.None, X.CurrentTime);
    libX11.symbols.XSync(c.display, X.False);
    dispatchPending();
    releasePump();
    return Promise.resolve();
  },

  async formats(wait) {
    const names = ((await targetAtoms(wait)) ?? []).map(atomName);
    const out = new Set<string>();
    for (const name of names) {
      if (META_TARGETS.includes(name)) continue;
      if (TEXT_TARGETS.includes(name) || name === "STRING" || name === "text/plain") {
        out.add("text");
      } else if (name === HTML_TARGET) out.add("html");
      else if (name === PNG_TARGET) out.add("png");
      else if (name === BMP_TARGET) out.add("dib");
      else out.add(name);
    }
    return [...out];
  },

  sequenceNumber() {
    const c = connect();
    // A round trip first: every change the server made before now has reached this process.
    libX11.symbols.XSync(c.display, X.False);
    dispatchPending();
    return changes;
  },

  subscribe(onChange) {
    const c = connect();
    libX11.symbols.XSync(c.display, X.False);
    dispatchPending();
    const notify = (n: number) => onChange(n);
    watchers.add(notify);
    ensurePump();
    return Promise.resolve(() => {
      watchers.delete(notify);
      releasePump();
      return Promise.resolve();
    });
  },
};
