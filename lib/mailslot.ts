/**
 * Mailslots: one-way, message-oriented, many writers and one reader.
 * Windows: CreateMailslotW / `\\.\mailslot\<name>`; Linux: a datagram Unix
 * socket in the private socket directory.
 *
 * @example A reader and a writer
 * ```ts
 * import { Mailslot } from "./mailslot.ts";
 * await using slot = Mailslot.create("log", { maxMessageSize: 424 });
 * await using out = Mailslot.open("log");
 * await out.write(new TextEncoder().encode("started"));
 * console.log(new TextDecoder().decode(await slot.read()));
 * ```
 *
 * @module
 */
import { platform } from "./ffi/mod.ts";
import { ClosedError, MessageTooLargeError } from "./errors.ts";
import type { MailslotInfo, MailslotReader, MailslotSender } from "./_mailslot_common.ts";
import { toBytes } from "./_pipe_common.ts";
import * as posix from "./posix/mailslot.ts";
import * as win32 from "./win32/mailslot.ts";

export type { MailslotInfo } from "./_mailslot_common.ts";

const os = platform === "windows" ? win32 : posix;

/** Options of {@link Mailslot.create}. */
export interface MailslotOptions {
  /** The largest message accepted, in bytes (default 0 = any size the OS carries). Writers refuse larger ones. */
  maxMessageSize?: number;
  /** How long `read()` waits for a message, in ms (default Infinity: forever). */
  readTimeout?: number;
}

/**
 * The reading end of a mailslot (its one server). Read messages with
 * `read()` or `for await`.
 *
 * @example
 * ```ts
 * import { Mailslot } from "./mailslot.ts";
 * await using slot = Mailslot.create("log");
 * for await (const message of slot) console.log(message.byteLength);
 * ```
 */
export class Mailslot implements AsyncDisposable, AsyncIterable<Uint8Array> {
  readonly #reader: MailslotReader;
  #closing: Promise<void> | null = null;

  private constructor(reader: MailslotReader, readonly name: string, readonly path: string) {
    this.#reader = reader;
  }

  /**
   * The OS path a mailslot name maps to.
   *
   * @param name A plain name or a full OS path.
   * @returns `\\.\mailslot\<name>` on Windows, the socket path on Linux.
   * @example
   * ```ts
   * import { Mailslot } from "./mailslot.ts";
   * console.log(Mailslot.path("log"));
   * ```
   */
  static path(name: string): string {
    return os.mailslotPath(checkName(name));
  }

  /**
   * Removes what a reader that died without closing left of a mailslot
   * name: on Linux a stale socket file and its published size limit (a live
   * reader's are never touched); on Windows nothing, since the kernel object
   * went with the process.
   *
   * @param name A plain name or a full OS path.
   * @returns Whether something stale was removed.
   * @example
   * ```ts
   * import { Mailslot } from "./mailslot.ts";
   * Mailslot.reclaim("log");
   * ```
   */
  static reclaim(name: string): boolean {
    return os.reclaimMailslot(os.mailslotPath(checkName(name)));
  }

  /**
   * Creates a mailslot and becomes its reader. NameTakenError if it exists.
   *
   * @param name A plain name or a full OS path.
   * @param options Maximum message size, read timeout.
   * @returns The reader.
   * @example
   * ```ts
   * import { Mailslot } from "./mailslot.ts";
   * await using slot = Mailslot.create("log", { maxMessageSize: 424, readTimeout: 1000 });
   * ```
   */
  static create(name: string, options: MailslotOptions = {}): Mailslot {
    const maxMessageSize = options.maxMessageSize ?? 0;
    if (!Number.isInteger(maxMessageSize) || maxMessageSize < 0 || maxMessageSize > 0x7fffffff) {
      throw new RangeError(`Cannot create a mailslot with maximum message size ${maxMessageSize}`);
    }
    const readTimeout = options.readTimeout ?? Infinity;
    if (
      !(readTimeout === Infinity ||
        (Number.isInteger(readTimeout) && readTimeout >= 0 && readTimeout < 0xffffffff))
    ) {
      throw new RangeError(
        `Cannot create a mailslot with read timeout ${readTimeout}: use ms >= 0 or Infinity`,
      );
    }
    const path = os.mailslotPath(checkName(name));
    return new Mailslot(os.createMailslot(name, path, { maxMessageSize, readTimeout }), name, path);
  }

  /**
   * Opens a mailslot for writing. NotFoundError if no reader created it.
   *
   * @param name A plain name or a full OS path (on Windows also `\\*\mailslot\<name>`,
   *   a domain broadcast limited to 424-byte messages; not testable here).
   * @returns The writer.
   * @example
   * ```ts
   * import { Mailslot } from "./mailslot.ts";
   * await using out = Mailslot.open("log");
   * await out.write("hello");
   * ```
   */
  static open(name: string): MailslotWriter {
    const path = os.mailslotPath(checkName(name));
    return new MailslotWriter(os.openMailslot(name, path), name);
  }

  /**
   * Waits for the next message.
   *
   * @param options `timeout` in ms for this read (default: the mailslot's read timeout).
   * @returns The message (whole); TimeoutError when none arrives in time.
   * @example
   * ```ts
   * import { Mailslot } from "./mailslot.ts";
   * await using slot = Mailslot.create("log");
   * const message = await slot.read({ timeout: 500 });
   * ```
   */
  read(options: { timeout?: number } = {}): Promise<Uint8Array> {
    if (this.#closing) {
      return Promise.reject(
        new ClosedError(`Cannot read from mailslot '${this.name}': it is closed`),
      );
    }
    return this.#reader.read(options.timeout ?? Infinity);
  }

  /**
   * The mailslot's state (GetMailslotInfo).
   *
   * @returns Maximum message size, next message size, message count, read timeout.
   * @example
   * ```ts
   * import { Mailslot } from "./mailslot.ts";
   * await using slot = Mailslot.create("log");
   * console.log(slot.info().count);
   * ```
   */
  info(): MailslotInfo {
    return this.#reader.info();
  }

  /**
   * Closes the mailslot: a pending read ends with ClosedError, messages not
   * read are dropped, the name is freed. Idempotent: later calls return the
   * same promise.
   *
   * @returns Resolves once the OS handle is closed (after a pending read has returned).
   * @example
   * ```ts
   * import { Mailslot } from "./mailslot.ts";
   * const slot = Mailslot.create("log");
   * await slot.close();
   * ```
   */
  close(): Promise<void> {
    return this.#closing ??= this.#reader.close();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    for (;;) {
      try {
        yield await this.read();
      } catch (error) {
        if (error instanceof ClosedError && this.#closing) return;
        throw error;
      }
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * A writing end of a mailslot: each `write()` is one message.
 *
 * @example
 * ```ts
 * import { Mailslot } from "./mailslot.ts";
 * await using out = Mailslot.open("log");
 * await out.write(new Uint8Array([1, 2, 3]));
 * ```
 */
export class MailslotWriter implements AsyncDisposable {
  readonly #sender: MailslotSender;
  #closing: Promise<void> | null = null;

  /** @internal Made by {@link Mailslot.open}. */
  constructor(sender: MailslotSender, readonly name: string) {
    this.#sender = sender;
  }

  /** The reader's maximum message size when known (ipckit readers publish it), else null. */
  get maxMessageSize(): number | null {
    return this.#sender.maxMessageSize;
  }

  /**
   * Sends one message. A message larger than the reader's maximum is
   * refused here with MessageTooLargeError; nothing is sent.
   *
   * @param data The message (a string is sent as UTF-8).
   * @returns Resolves once the message is in the mailslot.
   * @example
   * ```ts
   * import { Mailslot } from "./mailslot.ts";
   * await using out = Mailslot.open("log");
   * await out.write("event 1");
   * ```
   */
  write(data: Uint8Array | ArrayBufferView | ArrayBuffer | string): Promise<void> {
    if (this.#closing) {
      return Promise.reject(
        new ClosedError(`Cannot write to mailslot '${this.name}': it is closed`),
      );
    }
    const bytes = toBytes(data, `mailslot '${this.name}'`);
    const limit = this.#sender.maxMessageSize;
    if (limit !== null && bytes.byteLength > limit) {
      return Promise.reject(
        new MessageTooLargeError(
          `Cannot write ${bytes.byteLength} bytes to mailslot '${this.name}': its maximum is ${limit}`,
          bytes.byteLength,
          limit,
        ),
      );
    }
    return this.#sender.write(bytes);
  }

  /**
   * Closes this writer after its pending writes. Idempotent: later calls
   * return the same promise.
   *
   * @returns Resolves once closed; rejects when a pending write failed to flush.
   * @example
   * ```ts
   * import { Mailslot } from "./mailslot.ts";
   * const out = Mailslot.open("log");
   * await out.close();
   * ```
   */
  close(): Promise<void> {
    return this.#closing ??= this.#sender.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

function checkName(name: unknown): string {
  if (typeof name !== "string") {
    throw new TypeError(`Cannot use ${typeof name} as a mailslot name: it must be a string`);
  }
  return name;
}
