/**
 * Mailslots on Windows: CreateMailslotW for the one reader (overlapped reads
 * on the process's completion port), CreateFileW on `\\.\mailslot\<name>`
 * for writers, GetMailslotInfo for the queue state.
 *
 * @module
 */
import { detachBuffer, encodeWide, nativeBuffer, NativeMemory } from "../ffi/mod.ts";
import {
  ClosedError,
  MessageTooLargeError,
  NameTakenError,
  NotFoundError,
  TimeoutError,
} from "../errors.ts";
import { checkPlainName } from "../_pipe_common.ts";
import type {
  MailslotInfo,
  MailslotReader,
  MailslotSender,
  MailslotSettings,
} from "../_mailslot_common.ts";
import { BROADCAST_LIMIT } from "../_mailslot_common.ts";
import { associate, cancelAll, readOverlapped, STATUS } from "./completion.ts";
import { ERROR, lastWin32Error, Win32Error } from "./error.ts";
import { kernel32 } from "./kernel32.ts";
import { ntError } from "./overlapped.ts";
import { sddlFor, SecurityAttributes } from "./security.ts";

const INVALID_HANDLE_VALUE = 0xffffffffffffffffn;
const MAILSLOT_WAIT_FOREVER = 0xffffffff;
const MAILSLOT_NO_MESSAGE = 0xffffffff;
const GENERIC_WRITE = 0x40000000;
const FILE_SHARE_READ = 0x1;
// Writers share with each other: Wine enforces share modes between mailslot clients, so a
// second writer opened with FILE_SHARE_READ alone fails with ERROR_SHARING_VIOLATION.
const WRITER_SHARE = FILE_SHARE_READ | 0x2 /* FILE_SHARE_WRITE */;
const OPEN_EXISTING = 3;
const ERROR_INSUFFICIENT_BUFFER = 122;
const STATUS_BUFFER_TOO_SMALL = 0xc0000023;

/**
 * The OS path of a mailslot name: a plain name maps to `\\.\mailslot\<name>`;
 * a path starting with `\\` (`\\*\mailslot\x`, `\\server\mailslot\x`) is unchanged.
 *
 * @param name A plain name or a full mailslot path.
 * @returns The path.
 * @example
 * ```ts
 * import { mailslotPath } from "./mailslot.ts";
 * mailslotPath("log"); // "\\\\.\\mailslot\\log"
 * ```
 */
export function mailslotPath(name: string): string {
  if (name.startsWith("\\\\")) return name;
  return `\\\\.\\mailslot\\${checkPlainName(name, "mailslot")}`;
}

// The writer must refuse a message larger than the reader's maximum, but it cannot ask the
// mailslot for it (GetMailslotInfo needs the reader's handle), and Wine does not refuse such
// writes itself. So the reader publishes its maximum in a 4-byte named mapping that lives
// exactly as long as its handle; writers of other programs' mailslots find none.
const PAGE_READWRITE = 0x04;
const FILE_MAP_READ = 0x0004;
const FILE_MAP_ALL_ACCESS = 0xf001f;

function limitName(path: string): Uint8Array {
  return encodeWide(
    `Local\\ipckit-mailslot-limit-${path.replace(/^\\\\[^\\]*\\mailslot\\/i, "").toLowerCase()}`,
  );
}

function publishLimit(path: string, maxMessageSize: number): bigint {
  const k = kernel32.symbols;
  const mapping = k.CreateFileMappingW(
    INVALID_HANDLE_VALUE,
    0n,
    PAGE_READWRITE,
    0,
    4,
    limitName(path),
  );
  if (mapping === 0n) return 0n;
  const view = k.MapViewOfFile(mapping, FILE_MAP_ALL_ACCESS, 0, 0, 4n);
  if (view !== 0n) {
    new DataView(nativeBuffer(view, 4)).setUint32(0, maxMessageSize, true);
    k.UnmapViewOfFile(view);
  }
  return mapping;
}

function readLimit(path: string): number | null {
  const k = kernel32.symbols;
  const mapping = k.OpenFileMappingW(FILE_MAP_READ, 0, limitName(path));
  if (mapping === 0n) return null;
  try {
    const view = k.MapViewOfFile(mapping, FILE_MAP_READ, 0, 0, 4n);
    if (view === 0n) return null;
    const buffer = nativeBuffer(view, 4);
    const limit = new DataView(buffer).getUint32(0, true);
    detachBuffer(buffer);
    k.UnmapViewOfFile(view);
    return limit === 0 ? null : limit;
  } finally {
    k.CloseHandle(mapping);
  }
}

class Win32MailslotReader implements MailslotReader {
  #handle: bigint;
  #buffer: NativeMemory;
  #reading: Promise<unknown> | null = null;
  #closed = false;
  /** Messages taken by a blocking read whose caller had aborted: the next reads' answers. */
  readonly #stashed: Uint8Array[] = [];
  /** Zero-length wake messages sent and not yet read back. */
  #wakes = 0;
  readonly #limit: bigint;

  /**
   * @param handle The mailslot handle (owned from now on).
   * @param overlappedIo Whether the handle is on the completion port. Wine opens mailslots
   *   for synchronous I/O only (the port refuses them); reads are then blocking calls.
   */
  constructor(
    handle: bigint,
    readonly name: string,
    readonly path: string,
    readonly settings: MailslotSettings,
    readonly overlappedIo: boolean,
  ) {
    this.#handle = handle;
    this.#buffer = NativeMemory.alloc(8 + Math.max(settings.maxMessageSize, 64 * 1024));
    this.#limit = publishLimit(path, settings.maxMessageSize);
  }

  read(timeout: number, signal?: AbortSignal): Promise<Uint8Array> {
    if (this.#closed) return Promise.reject(this.#closedError());
    const limit = Math.min(timeout, this.settings.readTimeout);
    const stashed = this.#stashed.shift();
    if (stashed) return Promise.resolve(stashed);
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (!this.overlappedIo) return this.#readBlockingAbortable(limit, signal);
    const reading = (this.#reading ?? Promise.resolve()).then(() => {
      signal?.throwIfAborted();
      return this.#readOverlapped(limit, signal);
    });
    this.#reading = reading.catch(() => {});
    return reading;
  }

  async #readOverlapped(limit: number, signal: AbortSignal | undefined): Promise<Uint8Array> {
    let timedOut = false;
    const timer = limit === Infinity ? undefined : setTimeout(() => {
      timedOut = true;
      cancelAll(this.#handle);
    }, limit);
    // CancelIoEx ends the read; the packet then says CANCELLED and nothing was taken.
    const onAbort = () => cancelAll(this.#handle);
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      for (;;) {
        const buffer = this.#buffer;
        let completion;
        try {
          completion = await readOverlapped(
            this.#handle,
            buffer.address + 8n,
            buffer.byteLength - 8,
          );
        } catch (error) {
          if (error instanceof Win32Error && error.code === ERROR_INSUFFICIENT_BUFFER) {
            this.#grow();
            continue;
          }
          throw error;
        }
        const { status, bytes } = completion;
        if (status === STATUS.SUCCESS) return this.#message(bytes);
        if (status === STATUS_BUFFER_TOO_SMALL) {
          this.#grow();
          continue;
        }
        if (status === STATUS.IO_TIMEOUT || (status === STATUS.CANCELLED && timedOut)) {
          throw this.#timeout(limit);
        }
        if (status === STATUS.CANCELLED && signal?.aborted && !this.#closed) throw signal.reason;
        if (status === STATUS.CANCELLED) throw this.#closedError();
        throw ntError(status, "ReadFile");
      }
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    }
  }

  /**
   * A blocking read (Wine) that an abort settles at once. The blocking call
   * cannot be cancelled, so it is ended the way close() ends it: a
   * zero-length message this reader sends itself. Every zero-length message
   * read while such wakes are outstanding counts as one (two empty messages
   * cannot be told apart, so which one is dropped does not matter), and a
   * real message the aborted call took instead is kept for the next read.
   */
  #readBlockingAbortable(limit: number, signal: AbortSignal | undefined): Promise<Uint8Array> {
    let settled = false;
    const reading = (this.#reading ?? Promise.resolve()).then(() =>
      this.#stashed.shift() ?? this.#readBlocking(limit, () => settled)
    );
    this.#reading = reading.catch(() => {});
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        if (settled) return;
        settled = true;
        this.#sendWake();
        // A message the call took before the wake belongs to the next read.
        reading.then((message) => message && this.#stashed.push(message), () => {});
        reject(signal!.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      reading.then(
        (message) => {
          signal?.removeEventListener("abort", onAbort);
          if (settled) return;
          settled = true;
          // Not aborted, so the call read until it had a message.
          resolve(message!);
        },
        (error) => {
          signal?.removeEventListener("abort", onAbort);
          if (settled) return;
          settled = true;
          reject(error);
        },
      );
    });
  }

  /** Ends a blocking ReadFile on this mailslot with a zero-length message of our own. */
  #sendWake(): void {
    const wake = kernel32.symbols.CreateFileW(
      encodeWide(this.path),
      GENERIC_WRITE,
      WRITER_SHARE,
      0n,
      OPEN_EXISTING,
      0,
      0n,
    );
    if (wake === INVALID_HANDLE_VALUE) return;
    using nothing = NativeMemory.alloc(8);
    if (kernel32.symbols.WriteFile(wake, nothing.address, 0, nothing.address, 0n)) this.#wakes++;
    kernel32.symbols.CloseHandle(wake);
  }

  /** A blocking read; null when `aborted()` says its caller has gone (it then reads no further). */
  async #readBlocking(limit: number, aborted: () => boolean): Promise<Uint8Array | null> {
    for (;;) {
      if (aborted()) return null;
      // The next message's size is known before reading: make room for it.
      const next = this.info().nextSize;
      if (next !== null && next > this.#buffer.byteLength - 8) this.#grow();
      // The mailslot's read timeout bounds this call (set per read: it may differ per call).
      kernel32.symbols.SetMailslotInfo(
        this.#handle,
        limit === Infinity ? MAILSLOT_WAIT_FOREVER : limit,
      );
      const buffer = this.#buffer;
      const ok = await kernel32.symbols.ReadFileAsync(
        this.#handle,
        buffer.address + 8n,
        buffer.byteLength - 8,
        buffer.address,
        0n,
      );
      if (this.#closed) throw this.#closedError();
      if (ok) {
        const bytes = buffer.view.getUint32(0, true);
        if (bytes === 0 && this.#wakes > 0) {
          this.#wakes--; // our own wake (or an equal empty message in its place)
          if (aborted()) return null;
          continue;
        }
        return this.#message(bytes);
      }
      // The error of a blocking call is not readable here: a message that grew past the
      // buffer is retried with room for it, anything else is the timeout passing.
      const after = this.info().nextSize;
      if (after !== null && after > this.#buffer.byteLength - 8) continue;
      if (after !== null) continue;
      throw this.#timeout(limit);
    }
  }

  #message(bytes: number): Uint8Array {
    return new Uint8Array(nativeBuffer(this.#buffer.address + 8n, Math.max(bytes, 1))).slice(
      0,
      bytes,
    );
  }

  #timeout(limit: number): TimeoutError {
    return new TimeoutError(
      `Cannot read from mailslot '${this.name}': no message within ${limit} ms`,
    );
  }

  /** The waiting message is larger than the buffer (maximum size 0 = any): make room for it. */
  #grow(): void {
    const next = this.info().nextSize ?? 0;
    const size = Math.max(next + 8, this.#buffer.byteLength * 2);
    this.#buffer.free();
    this.#buffer = NativeMemory.alloc(size);
  }

  info(): MailslotInfo {
    if (this.#closed) throw this.#closedError();
    const max = new Uint32Array(1);
    const next = new Uint32Array(1);
    const count = new Uint32Array(1);
    const timeout = new Uint32Array(1);
    if (!kernel32.symbols.GetMailslotInfo(this.#handle, max, next, count, timeout)) {
      throw lastWin32Error("GetMailslotInfo");
    }
    return {
      maxMessageSize: max[0]!,
      nextSize: next[0] === MAILSLOT_NO_MESSAGE ? null : next[0]!,
      count: count[0]!,
      readTimeout: this.settings.readTimeout,
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#reading) {
      if (this.overlappedIo) {
        cancelAll(this.#handle);
      } else {
        // A blocking ReadFile ends only with a message or its timeout: send it an empty one.
        this.#sendWake();
      }
      await this.#reading; // the buffer stays alive until the read has returned
    }
    this.#buffer.free();
    kernel32.symbols.CloseHandle(this.#handle);
    if (this.#limit !== 0n) kernel32.symbols.CloseHandle(this.#limit);
    this.#handle = 0n;
  }

  #closedError(): ClosedError {
    return new ClosedError(`Cannot read from mailslot '${this.name}': it is closed`);
  }
}

/**
 * Nothing to reclaim on Windows: a mailslot is a kernel object that disappears
 * with the last handle, including the handles of a process that died.
 *
 * @param _path The mailslot's OS name.
 * @returns Always false.
 * @example
 * ```ts
 * import { reclaimMailslot } from "./mailslot.ts";
 * reclaimMailslot("\\\\.\\mailslot\\jobs"); // false
 * ```
 */
export function reclaimMailslot(_path: string): boolean {
  return false;
}

/**
 * Creates the reading end of a mailslot.
 *
 * @param name The caller's name (for messages).
 * @param path The mailslot path (from {@link mailslotPath}).
 * @param settings Maximum message size (0 = any) and read timeout (ms; Infinity = forever).
 * @returns The reader.
 * @example
 * ```ts
 * import { createMailslot, mailslotPath } from "./mailslot.ts";
 * const slot = createMailslot("log", mailslotPath("log"), { maxMessageSize: 424, readTimeout: Infinity });
 * await slot.close();
 * ```
 */
export function createMailslot(
  name: string,
  path: string,
  settings: MailslotSettings,
): MailslotReader {
  const attributes = SecurityAttributes.fromSddl(sddlFor("user"), `mailslot '${name}'`);
  let handle: bigint;
  try {
    handle = kernel32.symbols.CreateMailslotW(
      encodeWide(path),
      settings.maxMessageSize,
      settings.readTimeout === Infinity ? MAILSLOT_WAIT_FOREVER : settings.readTimeout,
      attributes.address,
    );
  } finally {
    attributes.free();
  }
  if (handle === INVALID_HANDLE_VALUE) {
    const error = lastWin32Error("CreateMailslotW");
    if (error.code === ERROR.ALREADY_EXISTS || error.code === ERROR.ACCESS_DENIED) {
      throw new NameTakenError(
        `Cannot create mailslot '${name}': the name is taken (a mailslot has one reader)`,
        name,
        "mailslot",
        "mailslot",
        { cause: error },
      );
    }
    throw error;
  }
  let overlappedIo = true;
  try {
    associate(handle);
  } catch (error) {
    // Wine opens mailslots for synchronous I/O, which a completion port refuses
    // (ERROR_INVALID_PARAMETER): read with blocking calls instead.
    if (!(error instanceof Win32Error && error.code === ERROR.INVALID_PARAMETER)) {
      kernel32.symbols.CloseHandle(handle);
      throw error;
    }
    overlappedIo = false;
  }
  return new Win32MailslotReader(handle, name, path, settings, overlappedIo);
}

class Win32MailslotSender implements MailslotSender {
  #handle: bigint;

  constructor(handle: bigint, readonly name: string, readonly maxMessageSize: number | null) {
    this.#handle = handle;
  }

  write(data: Uint8Array): Promise<void> {
    if (this.#handle === 0n) {
      return Promise.reject(
        new ClosedError(`Cannot write to mailslot '${this.name}': it is closed`),
      );
    }
    // A mailslot write never waits for the reader: a plain synchronous WriteFile, whose
    // error is read right here on this thread.
    using memory = NativeMemory.alloc(8 + Math.max(1, data.byteLength));
    memory.bytes.set(data, 8);
    if (
      !kernel32.symbols.WriteFile(
        this.#handle,
        memory.address + 8n,
        data.byteLength,
        memory.address,
        0n,
      )
    ) {
      const error = lastWin32Error("WriteFile");
      // The mailslot refuses a message larger than its reader's maximum.
      if (error.code === ERROR.INVALID_PARAMETER || error.code === ERROR_INSUFFICIENT_BUFFER) {
        return Promise.reject(
          new MessageTooLargeError(
            `Cannot write ${data.byteLength} bytes to mailslot '${this.name}': it is larger than its reader accepts`,
            data.byteLength,
            -1,
          ),
        );
      }
      return Promise.reject(error);
    }
    return Promise.resolve();
  }

  close(): Promise<void> {
    if (this.#handle !== 0n) kernel32.symbols.CloseHandle(this.#handle);
    this.#handle = 0n;
    return Promise.resolve();
  }
}

/**
 * Opens a writing end of a mailslot.
 *
 * @param name The caller's name (for messages).
 * @param path The mailslot path.
 * @returns The writer.
 * @example
 * ```ts
 * import { mailslotPath, openMailslot } from "./mailslot.ts";
 * const out = openMailslot("log", mailslotPath("log"));
 * await out.write(new Uint8Array([1]));
 * ```
 */
export function openMailslot(name: string, path: string): MailslotSender {
  const handle = kernel32.symbols.CreateFileW(
    encodeWide(path),
    GENERIC_WRITE,
    WRITER_SHARE,
    0n,
    OPEN_EXISTING,
    0,
    0n,
  );
  if (handle === INVALID_HANDLE_VALUE) {
    const error = lastWin32Error("CreateFileW");
    if (error.code === ERROR.FILE_NOT_FOUND || error.code === 3 /* ERROR_PATH_NOT_FOUND */) {
      throw new NotFoundError(`Cannot open mailslot '${name}': no reader has created it`, name, {
        cause: error,
      });
    }
    throw error;
  }
  // Messages to a domain broadcast name (`\\*\mailslot\x`) are limited to 424 bytes.
  return new Win32MailslotSender(
    handle,
    name,
    /^\\\\\*\\/.test(path) ? BROADCAST_LIMIT : readLimit(path),
  );
}
