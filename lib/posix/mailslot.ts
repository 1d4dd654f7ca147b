/**
 * Mailslots on Linux: a SOCK_DGRAM Unix socket bound at
 * `<socket directory>/<name>.mailslot` is the one reader (binding is
 * exclusive); writers send datagrams to it. The reader publishes its maximum
 * message size next to the socket (`<path>.limit`) so writers can refuse
 * larger messages before sending, as on Windows.
 *
 * @module
 */
import { readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { ClosedError, NotFoundError, TimeoutError, UnsupportedPlatformError } from "../errors.ts";
import { checkPlainName } from "../_pipe_common.ts";
import type {
  MailslotInfo,
  MailslotReader,
  MailslotSender,
  MailslotSettings,
} from "../_mailslot_common.ts";
import { currentErrno, ERRNO, ErrnoError } from "./error.ts";
import { libc } from "./libc.ts";
import { cancelWaits, POLL, waitReady } from "./reactor.ts";
import {
  bindOrReclaim,
  MSG,
  openSocket,
  removeIfStale,
  setIntOption,
  SO,
  SOCK,
  sockaddrUn,
  socketDirectory,
  trackSocketFile,
  unlinkIfOurs,
} from "./socket.ts";

/** Socket buffers asked for (the kernel caps them at net.core.[rw]mem_max). */
const SOCKET_BUFFER = 4 * 1024 * 1024;

/**
 * The socket path of a mailslot name: a plain name maps to
 * `<socket directory>/<name>.mailslot`; an absolute path is used unchanged.
 *
 * @param name A plain name or an absolute socket path.
 * @returns The path.
 * @example
 * ```ts
 * import { mailslotPath } from "./mailslot.ts";
 * mailslotPath("log"); // "/tmp/ipckit-1000/log.mailslot"
 * ```
 */
export function mailslotPath(name: string): string {
  if (name.startsWith("/")) return name;
  if (name.startsWith("\\\\")) {
    throw new UnsupportedPlatformError(
      `Cannot use mailslot '${name}' on linux: network and broadcast mailslot names exist only on Windows`,
    );
  }
  return `${socketDirectory()}/${checkPlainName(name, "mailslot")}.mailslot`;
}

const limitPath = (path: string) => `${path}.limit`;

class SocketMailslotReader implements MailslotReader {
  #fd: number;
  #closed = false;
  /** Messages already taken off the socket by info(), in order. */
  readonly #queued: Uint8Array[] = [];

  constructor(
    fd: number,
    readonly name: string,
    readonly path: string,
    readonly inode: number,
    readonly settings: MailslotSettings,
  ) {
    this.#fd = fd;
  }

  async read(timeout: number, signal?: AbortSignal): Promise<Uint8Array> {
    const queued = this.#queued.shift();
    if (queued) return queued;
    signal?.throwIfAborted();
    const limit = Math.min(timeout, this.settings.readTimeout);
    // One signal for the reactor wait: the caller's abort, or the timeout passing.
    const stop = new AbortController();
    const timer = limit === Infinity ? undefined : setTimeout(
      () =>
        stop.abort(
          new TimeoutError(
            `Cannot read from mailslot '${this.name}': no message within ${limit} ms`,
          ),
        ),
      limit,
    );
    const onAbort = () => stop.abort(signal!.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      for (;;) {
        if (this.#closed) throw this.#closedError();
        const message = this.#receive();
        if (message) return message;
        // An abort or the timeout takes this wait out of the reactor's set.
        await waitReady(this.#fd, POLL.IN, stop.signal);
      }
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    }
  }

  /** Takes one datagram off the socket without waiting, or returns null. */
  #receive(): Uint8Array | null {
    // Peek at the size first (MSG_TRUNC returns the full length), then take it whole.
    const probe = new Uint8Array(1);
    const size = Number(
      libc.symbols.recv(this.#fd, probe, 1n, MSG.PEEK | MSG.TRUNC | MSG.DONTWAIT),
    );
    if (size < 0) {
      const errno = currentErrno();
      if (errno === ERRNO.EAGAIN || errno === ERRNO.EINTR) return null;
      throw new ErrnoError(errno, "recv");
    }
    const message = new Uint8Array(size);
    const n = Number(
      libc.symbols.recv(
        this.#fd,
        size === 0 ? probe : message,
        BigInt(Math.max(size, 1)),
        MSG.DONTWAIT,
      ),
    );
    if (n < 0) throw new ErrnoError(currentErrno(), "recv");
    return message;
  }

  info(): MailslotInfo {
    if (this.#closed) throw this.#closedError();
    // The kernel reports no datagram count: move what is waiting into our queue and count it.
    for (let message = this.#receive(); message; message = this.#receive()) {
      this.#queued.push(message);
    }
    return {
      maxMessageSize: this.settings.maxMessageSize,
      nextSize: this.#queued[0]?.byteLength ?? null,
      count: this.#queued.length,
      readTimeout: this.settings.readTimeout,
    };
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      cancelWaits(this.#fd, `mailslot '${this.name}'`);
      libc.symbols.close(this.#fd);
      unlinkIfOurs(this.path, this.inode);
      trackSocketFile(this.path, undefined);
      try {
        unlinkSync(limitPath(this.path));
      } catch { /* already gone */ }
    }
    return Promise.resolve();
  }

  #closedError(): ClosedError {
    return new ClosedError(`Cannot read from mailslot '${this.name}': it is closed`);
  }
}

/**
 * Removes the socket file (and published size limit) of a mailslot whose
 * reader died without closing it.
 *
 * @param path The mailslot's socket path.
 * @returns Whether a stale file was removed.
 * @example
 * ```ts
 * import { mailslotPath, reclaimMailslot } from "./mailslot.ts";
 * reclaimMailslot(mailslotPath("log"));
 * ```
 */
export function reclaimMailslot(path: string): boolean {
  if (!removeIfStale(path)) return false;
  try {
    unlinkSync(limitPath(path));
  } catch { /* no limit was published */ }
  return true;
}

/**
 * Creates the reading end of a mailslot.
 *
 * @param name The caller's name (for messages).
 * @param path The socket path (from {@link mailslotPath}).
 * @param settings Maximum message size (0 = the socket's limit) and read timeout.
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
  const fd = openSocket(SOCK.DGRAM);
  try {
    const inode = bindOrReclaim(fd, SOCK.DGRAM, path, "mailslot", name);
    trackSocketFile(path, inode);
    setIntOption(fd, SO.RCVBUF, SOCKET_BUFFER);
    writeFileSync(limitPath(path), String(settings.maxMessageSize), { mode: 0o600 });
    return new SocketMailslotReader(fd, name, path, inode, settings);
  } catch (error) {
    libc.symbols.close(fd);
    throw error;
  }
}

class SocketMailslotSender implements MailslotSender {
  #fd: number;
  #writes: Promise<unknown> = Promise.resolve();

  constructor(fd: number, readonly name: string, readonly maxMessageSize: number | null) {
    this.#fd = fd;
  }

  write(data: Uint8Array): Promise<void> {
    if (this.#fd < 0) {
      return Promise.reject(
        new ClosedError(`Cannot write to mailslot '${this.name}': it is closed`),
      );
    }
    const written = this.#writes.then(async () => {
      for (;;) {
        const n = Number(libc.symbols.send(this.#fd, data, BigInt(data.byteLength), MSG.NOSIGNAL));
        if (n >= 0) return;
        const errno = currentErrno();
        // The reader's queue is full: wait for room (the datagram is never split or dropped).
        if (errno === ERRNO.EAGAIN || errno === ERRNO.EINTR) {
          await waitReady(this.#fd, POLL.OUT);
          continue;
        }
        if (
          errno === ERRNO.ECONNREFUSED || errno === ERRNO.ENOTCONN || errno === ERRNO.ECONNRESET
        ) {
          throw new ClosedError(`Cannot write to mailslot '${this.name}': its reader is gone`, {
            cause: new ErrnoError(errno, "send"),
          });
        }
        throw new ErrnoError(errno, "send");
      }
    });
    this.#writes = written.catch(() => {});
    return written;
  }

  async close(): Promise<void> {
    if (this.#fd < 0) return;
    await this.#writes;
    cancelWaits(this.#fd, `mailslot '${this.name}'`);
    libc.symbols.close(this.#fd);
    this.#fd = -1;
  }
}

/**
 * Opens a writing end of a mailslot.
 *
 * @param name The caller's name (for messages).
 * @param path The socket path.
 * @returns The writer.
 * @example
 * ```ts
 * import { mailslotPath, openMailslot } from "./mailslot.ts";
 * const out = openMailslot("log", mailslotPath("log"));
 * await out.write(new Uint8Array([1]));
 * ```
 */
export function openMailslot(name: string, path: string): MailslotSender {
  const address = sockaddrUn(path);
  const fd = openSocket(SOCK.DGRAM);
  if (libc.symbols.connect(fd, address, address.byteLength) < 0) {
    const errno = currentErrno();
    libc.symbols.close(fd);
    if (errno === ERRNO.ENOENT || errno === ERRNO.ECONNREFUSED) {
      throw new NotFoundError(`Cannot open mailslot '${name}': no reader has created it`, name, {
        cause: new ErrnoError(errno, "connect"),
      });
    }
    throw new ErrnoError(errno, "connect");
  }
  setIntOption(fd, SO.SNDBUF, SOCKET_BUFFER);
  let limit: number | null = null;
  try {
    limit = Number(readFileSync(limitPath(path), "utf8")) || null;
  } catch { /* not an ipckit reader: no published limit */ }
  return new SocketMailslotSender(fd, name, limit);
}
