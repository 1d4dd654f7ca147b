/**
 * Named pipes on Linux: Unix domain sockets in the private socket directory.
 * Byte mode is SOCK_STREAM; message mode is SOCK_SEQPACKET, where each
 * message travels as one or more records of `[flags byte][payload]` (flag
 * bit 0 = more records follow), so messages of any size arrive whole and a
 * zero-length message is distinct from end of stream. All I/O is
 * nonblocking; waits go through the process's one poll waiter (reactor.ts),
 * except that on Bun the runtime's own event loop reads sockets (LoopInput).
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { chmodSync, lstatSync } from "node:fs";
import { concatBytes, type SocketInput, watchSocketInput } from "../ffi/mod.ts";
import { ClosedError, NotFoundError, TimeoutError, UnsupportedPlatformError } from "../errors.ts";
import type {
  AnonymousEnd,
  ConnectSettings,
  Endpoint,
  PipeMode,
  ServerEndpoint,
  ServeSettings,
} from "../_pipe_common.ts";
import { checkPlainName } from "../_pipe_common.ts";
import { abortable, delay } from "../_options.ts";
import { currentErrno, ERRNO, ErrnoError } from "./error.ts";
import { libc } from "./libc.ts";
import { afterWrite, cancelWaits, POLL, waitReadable, waitReady } from "./reactor.ts";

/** Writes up to this size are checked for a reader in this process at once (see afterWrite). */
const SAME_TURN_WRITE_BYTES = 4096;
/**
 * After a read of at least this many bytes the next wait spins and parks in
 * the poll (waitReady) rather than parking by signal (waitReadable): a
 * streaming reader is better served by looking again than by a signal per
 * arrival. Requests and replies are smaller.
 */
const STREAMING_READ_BYTES = 16 * 1024;
import {
  bindOrReclaim,
  MSG,
  openSocket,
  peerCredentials,
  removeIfStale,
  setIntOption,
  SO,
  SOCK,
  sockaddrUn,
  socketDirectory,
  SOL_SOCKET,
  trackSocketFile,
  unlinkIfOurs,
} from "./socket.ts";

/**
 * Input the runtime's loop read ahead (see LoopInput) beyond which it stops
 * reading, so a slow reader pushes back on its writer; it reads again once
 * a read leaves less than a quarter of this queued.
 */
const LOOP_INPUT_HIGH_WATER = 1024 * 1024;
const F_DUPFD_CLOEXEC = 1030;
/** struct linger { int l_onoff; int l_linger; }, off: close() returns at once and the kernel still sends. */
const NO_LINGER = new Int32Array([0, 0]);

/** What a write that was done at once returns. */
const DONE: Promise<void> = Promise.resolve();

/** Payload bytes per SEQPACKET record, well inside the default socket buffer. */
const RECORD_PAYLOAD = 64 * 1024;
const MORE = 1;
/** Bytes read per stream read. */
const STREAM_CHUNK = 256 * 1024;
/** Socket buffers asked for (the kernel caps them at net.core.[rw]mem_max). */
const SOCKET_BUFFER = 1024 * 1024;

const recordScratch = new Uint8Array(RECORD_PAYLOAD + 1);
/**
 * The next stream read lands here. A read that fills at least half of it is
 * handed out as a view (no copy; the unfilled tail is zeroed) and a new one
 * is made; a smaller read is copied out and the buffer kept.
 */
let streamBuffer: Uint8Array | null = null;

function freshStreamBuffer(): Uint8Array {
  // Uninitialised memory (never pooled): recv fills what is handed out, the rest is zeroed.
  const bytes = Buffer.allocUnsafeSlow(STREAM_CHUNK);
  return new Uint8Array(bytes.buffer, bytes.byteOffset, STREAM_CHUNK);
}

/**
 * The socket path of a pipe name: a plain name maps to
 * `<socket directory>/<name>.pipe`; an absolute path is used unchanged.
 *
 * @param name A plain name or an absolute socket path.
 * @returns The path.
 * @example
 * ```ts
 * import { pipePath } from "./pipe.ts";
 * pipePath("jobs"); // "/tmp/ipckit-1000/jobs.pipe"
 * ```
 */
export function pipePath(name: string): string {
  if (name.startsWith("/")) return name;
  return `${socketDirectory()}/${checkPlainName(name, "pipe")}.pipe`;
}

/**
 * A connected socket's input as the runtime's own event loop reads it (Bun:
 * the loop wakes the JavaScript thread once per arrival, like its own
 * sockets, where our waits cost a signal or a pool thread's hop first;
 * docs/ffi.md). The loop reads a duplicate descriptor, so closing the input
 * leaves the endpoint's own descriptor, its writes and its shutdown alone.
 * Chunks are queued in arrival order, one per `recv` (one record on a
 * SOCK_SEQPACKET socket, so record boundaries survive).
 */
class LoopInput {
  readonly #input: SocketInput;
  readonly #queue: Uint8Array[] = [];
  #queuedBytes = 0;
  #paused = false;
  #ended = false;
  #failure: Error | null = null;
  #readers: { resolve(chunk: Uint8Array | null): void; reject(error: Error): void }[] = [];

  /** Starts the loop reading a duplicate of `fd`; null where the runtime has no such path. */
  static open(fd: number, what: string): LoopInput | null {
    const duplicate = libc.symbols.fcntl(fd, F_DUPFD_CLOEXEC, 0n);
    if (duplicate < 0) return null;
    // The sink is only called from the event loop, after open() has returned.
    let opened: LoopInput | null = null;
    const input = watchSocketInput(duplicate, {
      data: (bytes) => opened!.#arrived(bytes),
      end: () => opened!.#finish(null),
      error: (error) => opened!.#finish(error),
    });
    if (!input) {
      libc.symbols.close(duplicate);
      return null;
    }
    // Nobody waits yet: an open input alone must not keep the process alive.
    input.unref();
    return (opened = new LoopInput(input, fd, what));
  }

  private constructor(input: SocketInput, readonly fd: number, readonly what: string) {
    this.#input = input;
  }

  /** The next chunk in arrival order; null at end of stream. */
  next(): Promise<Uint8Array | null> {
    const chunk = this.#queue.shift();
    if (chunk) {
      this.#queuedBytes -= chunk.byteLength;
      if (this.#paused && this.#queuedBytes < LOOP_INPUT_HIGH_WATER / 4) {
        this.#paused = false;
        this.#input.resume();
      }
      return Promise.resolve(chunk);
    }
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#ended) return Promise.resolve(null);
    if (this.#readers.length === 0) this.#input.ref();
    return new Promise((resolve, reject) => this.#readers.push({ resolve, reject }));
  }

  #arrived(bytes: Uint8Array): void {
    const reader = this.#readers.shift();
    if (reader) {
      if (this.#readers.length === 0) this.#input.unref();
      return reader.resolve(bytes);
    }
    this.#queue.push(bytes);
    this.#queuedBytes += bytes.byteLength;
    if (!this.#paused && this.#queuedBytes >= LOOP_INPUT_HIGH_WATER) {
      this.#paused = true;
      this.#input.pause();
    }
  }

  /** End of stream (null) or a failed read; a reset by the peer counts as end of stream, as for recv. */
  #finish(error: (Error & { errno?: number; code?: string }) | null): void {
    if (this.#ended || this.#failure) return;
    if (error && error.code !== "ECONNRESET") {
      this.#failure = typeof error.errno === "number" && error.errno !== 0
        ? new ErrnoError(Math.abs(error.errno), "recv", { cause: error })
        : new Error(`Cannot read from ${this.what}: ${error.message}`, { cause: error });
    } else this.#ended = true;
    this.#settleReaders();
  }

  /** Stops reading; a pending read ends with ClosedError. The endpoint's own fd stays open. */
  close(): void {
    this.#input.close();
    // Bun closes its socket abortively (SO_LINGER on, timeout 0). The option belongs to the
    // socket, not the descriptor: left on, closing ours would reset the connection and throw
    // away what it still has to send.
    libc.symbols.setsockopt(this.fd, SOL_SOCKET, SO.LINGER, NO_LINGER, NO_LINGER.byteLength);
    this.#ended = true;
    this.#settleReaders(new ClosedError(`Cannot read from ${this.what}: it is closed`));
  }

  #settleReaders(closed?: Error): void {
    const readers = this.#readers.splice(0);
    if (readers.length > 0) this.#input.unref();
    const failure = closed ?? this.#failure;
    for (const reader of readers) {
      if (failure) reader.reject(failure);
      else reader.resolve(null);
    }
  }
}

/** A connected Unix socket (or, with `isSocket` false, a pipe fd) carrying bytes or framed messages. */
export class SocketEndpoint implements Endpoint {
  #fd: number;
  /** The runtime's loop reading this socket (null: our own waits do; undefined: not read yet). */
  #loopInput: LoopInput | null | undefined;
  #writes: Promise<void> = Promise.resolve();
  /** Writes not yet settled. */
  #queuedWrites = 0;
  #closing: Promise<void> | null = null;
  readonly #message: boolean;
  /** Whether the last read was a large one (see STREAMING_READ_BYTES). */
  #streaming = false;
  /**
   * Whether the last read found nothing at first and had to wait. Its peer
   * then answers requests rather than streams, so the next read waits before
   * it tries: a failed recv costs more than the look the wait makes.
   */
  #waitFirst = false;

  /**
   * @param fd A connected nonblocking socket (now owned by this endpoint).
   * @param mode Byte (stream) or message (seqpacket records).
   * @param peerPid The other end's pid.
   * @param what For messages, e.g. "pipe 'jobs'".
   * @param onClose Called once after the fd is closed.
   */
  constructor(
    fd: number,
    mode: PipeMode,
    readonly peerPid: number,
    readonly what: string,
    readonly onClose?: () => void,
    readonly isSocket = true,
  ) {
    this.#fd = fd;
    this.#message = mode === "message";
  }

  #recv(buffer: Uint8Array): number {
    const length = BigInt(buffer.byteLength);
    return Number(
      this.isSocket
        ? libc.symbols.recv(this.#fd, buffer, length, 0)
        : libc.symbols.read(this.#fd, buffer, length),
    );
  }

  #send(buffer: Uint8Array): number {
    const length = BigInt(buffer.byteLength);
    const sent = Number(
      this.isSocket
        ? libc.symbols.send(this.#fd, buffer, length, MSG.NOSIGNAL)
        : libc.symbols.write(this.#fd, buffer, length),
    );
    // Small writes are latency-bound (requests, replies): let a reader in this process see
    // them this turn. Bulk writes are not: their reader does better reading a turn's worth.
    if (sent > 0 && sent <= SAME_TURN_WRITE_BYTES) afterWrite();
    return sent;
  }

  /** The file descriptor (for handing to a child). */
  get fd(): number {
    return this.#fd;
  }

  /** Resolves once every write so far has reached the socket (or failed). */
  drained(): Promise<void> {
    return this.#writes;
  }

  read(): Promise<Uint8Array | null> {
    if (this.#closing) {
      return Promise.reject(new ClosedError(`Cannot read from ${this.what}: it is closed`));
    }
    // Decided at the first read, so a descriptor only handed to a child is never read here. Not
    // `??=`: null (no loop path, as on Deno) must stick, or every read dups and closes the fd.
    if (this.#loopInput === undefined) {
      this.#loopInput = this.isSocket ? LoopInput.open(this.#fd, this.what) : null;
    }
    if (!this.#loopInput) return this.#readOwn();
    return this.#message ? this.#readMessage(this.#loopInput) : this.#loopInput.next();
  }

  /** One message from the loop's records: `[flags byte][payload]` each. */
  async #readMessage(input: LoopInput): Promise<Uint8Array | null> {
    const parts: Uint8Array[] = [];
    for (;;) {
      const record = await input.next();
      if (record === null) {
        if (parts.length === 0) return null;
        throw new Error(
          `Cannot read from ${this.what}: the peer closed it in the middle of a message`,
        );
      }
      // A small copy costs less than a first view of the runtime's fresh array (Bun: 0.2 against
      // 1.6 µs for 65 B, which makes the engine give the array a buffer of its own).
      parts.push(record.byteLength <= SAME_TURN_WRITE_BYTES ? record.slice(1) : record.subarray(1));
      if ((record[0]! & MORE) === 0) return concatBytes(parts); // one part: returned as it is
    }
  }

  /** A read through our own nonblocking recv and waits (reactor.ts). */
  async #readOwn(): Promise<Uint8Array | null> {
    const parts: Uint8Array[] = [];
    let waited = false;
    if (this.#waitFirst) {
      this.#waitFirst = false;
      await this.#waitForInput(true);
      waited = true;
    }
    for (;;) {
      if (this.#closing) throw new ClosedError(`Cannot read from ${this.what}: it is closed`);
      const buffer = this.#message ? recordScratch : (streamBuffer ??= freshStreamBuffer());
      const n = this.#recv(buffer);
      if (n !== -1) this.#streaming = n >= STREAMING_READ_BYTES;
      if (n > 0) {
        this.#waitFirst = waited && !this.#streaming;
        if (!this.#message) {
          if (n < STREAM_CHUNK / 2) return buffer.slice(0, n);
          streamBuffer = null;
          return buffer.fill(0, n).subarray(0, n);
        }
        parts.push(buffer.slice(1, n));
        if ((buffer[0]! & MORE) === 0) return concatBytes(parts);
        continue;
      }
      const errno = n < 0 ? currentErrno() : 0;
      if (n === 0 || errno === ERRNO.ECONNRESET) {
        if (parts.length > 0) {
          throw new Error(
            `Cannot read from ${this.what}: the peer closed it in the middle of a message`,
          );
        }
        return null;
      }
      if (errno === ERRNO.EAGAIN || errno === ERRNO.EINTR) {
        await this.#waitForInput();
        waited = true;
        continue;
      }
      throw new ErrnoError(errno, "recv");
    }
  }

  /** Waits for input; `untried`: no recv failed first (see waitReadable). */
  #waitForInput(untried = false): Promise<number> {
    return this.#streaming
      ? waitReady(this.#fd, POLL.IN)
      : waitReadable(this.#fd, undefined, untried);
  }

  write(data: Uint8Array): Promise<void> {
    if (this.#closing) {
      return Promise.reject(new ClosedError(`Cannot write to ${this.what}: it is closed`));
    }
    // With nothing queued the send starts now, and a write the socket takes whole at once
    // needs no promise chain.
    const now = this.#queuedWrites === 0;
    const first = now ? this.#sendAtOnce(data) : 0;
    if (now && first === data.byteLength) return DONE;
    const send = () =>
      this.#message
        ? this.#sendMessage(data)
        : this.#sendBytes(data, Math.max(first, 0), first < 0);
    // Otherwise it queues behind the writes before it.
    const sent = now ? send() : this.#writes.then(send);
    this.#queuedWrites++;
    const settled = () => void this.#queuedWrites--;
    this.#writes = sent.then(settled, settled);
    return sent;
  }

  /**
   * Tries to send `data` at once, for a write with nothing queued before it.
   * Returns how many bytes went out: all of them (the write is done), or in
   * byte mode fewer (-1: none), which the usual way then sends from there.
   * Message mode tries only a message that fits one record, which goes whole
   * or not at all.
   */
  #sendAtOnce(data: Uint8Array): number {
    if (this.#message) {
      if (data.byteLength > RECORD_PAYLOAD) return -1;
      recordScratch[0] = 0;
      recordScratch.set(data, 1);
      return this.#send(recordScratch.subarray(0, data.byteLength + 1)) > 0 ? data.byteLength : -1;
    }
    return data.byteLength === 0 ? 0 : this.#send(data);
  }

  /** Sends `data` from `offset` on; `failed`: a send of it just failed (errno is still set). */
  async #sendBytes(data: Uint8Array, offset = 0, failed = false): Promise<void> {
    if (failed) await this.#sendFailed();
    while (offset < data.byteLength) {
      const n = this.#send(offset === 0 ? data : data.subarray(offset));
      if (n >= 0) {
        offset += n;
        continue;
      }
      await this.#sendFailed();
    }
  }

  async #sendMessage(data: Uint8Array): Promise<void> {
    let offset = 0;
    do {
      const size = Math.min(RECORD_PAYLOAD, data.byteLength - offset);
      const last = offset + size >= data.byteLength;
      // The scratch is shared: fill it right before each (synchronous) send attempt.
      recordScratch[0] = last ? 0 : MORE;
      recordScratch.set(data.subarray(offset, offset + size), 1);
      const record = recordScratch.subarray(0, size + 1);
      const n = this.#send(record);
      if (n < 0) {
        await this.#sendFailed();
        continue;
      }
      offset += size;
    } while (offset < data.byteLength);
  }

  /** After a failed send: waits for room, or throws what the failure means. */
  async #sendFailed(): Promise<void> {
    const errno = currentErrno();
    if (errno === ERRNO.EAGAIN || errno === ERRNO.EINTR) {
      await waitReady(this.#fd, POLL.OUT);
      return;
    }
    if (errno === ERRNO.EPIPE || errno === ERRNO.ECONNRESET) {
      throw new ClosedError(`Cannot write to ${this.what}: the other end closed it`, {
        cause: new ErrnoError(errno, "send"),
      });
    }
    throw new ErrnoError(errno, "send");
  }

  close(): Promise<void> {
    return (this.#closing ??= (async () => {
      // Everything written so far goes into the socket first: nothing is lost on close.
      await this.#writes;
      this.#loopInput?.close();
      cancelWaits(this.#fd, this.what);
      libc.symbols.close(this.#fd);
      this.onClose?.();
    })());
  }
}

/** A listening Unix socket that hands out at most `instances` connections at a time. */
class SocketServer implements ServerEndpoint {
  #fd: number;
  #active = 0;
  #slotFreed: (() => void) | null = null;
  #closed = false;
  readonly #uid = libc.symbols.getuid();

  constructor(
    fd: number,
    readonly path: string,
    readonly name: string,
    readonly inode: number,
    readonly settings: ServeSettings,
  ) {
    this.#fd = fd;
  }

  async accept(signal?: AbortSignal): Promise<Endpoint> {
    for (;;) {
      if (this.#closed) {
        throw new ClosedError(`Cannot accept on pipe '${this.name}': the server is closed`);
      }
      signal?.throwIfAborted();
      if (this.#active >= this.settings.instances) {
        // Every instance is taken: the kernel queues new clients until one is freed.
        const freed = new Promise<void>((resolve) => (this.#slotFreed = resolve));
        await (signal ? abortable(freed, signal, () => (this.#slotFreed = null)) : freed);
        continue;
      }
      const fd = libc.symbols.accept4(this.#fd, 0n, 0n, SOCK.NONBLOCK | SOCK.CLOEXEC);
      if (fd < 0) {
        const errno = currentErrno();
        if (errno === ERRNO.EAGAIN || errno === ERRNO.EINTR || errno === 103 /* ECONNABORTED */) {
          await waitReady(this.#fd, POLL.IN, signal);
          continue;
        }
        throw new ErrnoError(errno, "accept4");
      }
      const peer = peerCredentials(fd);
      if (this.settings.security === "user" && peer.uid !== this.#uid) {
        libc.symbols.close(fd); // another user reached a socket placed outside the private directory
        continue;
      }
      setIntOption(fd, SO.SNDBUF, SOCKET_BUFFER);
      this.#active++;
      return new SocketEndpoint(fd, this.settings.mode, peer.pid, `pipe '${this.name}'`, () => {
        this.#active--;
        const wake = this.#slotFreed;
        this.#slotFreed = null;
        wake?.();
      });
    }
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      cancelWaits(this.#fd, `pipe '${this.name}'`);
      libc.symbols.close(this.#fd);
      unlinkIfOurs(this.path, this.inode);
      trackSocketFile(this.path, undefined);
      const wake = this.#slotFreed;
      this.#slotFreed = null;
      wake?.();
    }
    return Promise.resolve();
  }

  security(): { descriptor: string; rejectRemoteClients: boolean } {
    const mode = this.#closed ? 0 : lstatSync(this.path).mode & 0o777;
    return { descriptor: `mode 0${mode.toString(8)} uid ${this.#uid}`, rejectRemoteClients: true };
  }
}

/**
 * Removes the socket file of a pipe whose server died without closing it.
 *
 * @param path The pipe's socket path.
 * @returns Whether a stale file was removed.
 * @example
 * ```ts
 * import { pipePath, reclaimPipe } from "./pipe.ts";
 * reclaimPipe(pipePath("jobs"));
 * ```
 */
export function reclaimPipe(path: string): boolean {
  return removeIfStale(path);
}

/**
 * Starts a named pipe server.
 *
 * @param name The caller's name (for messages).
 * @param path The socket path (from {@link pipePath}).
 * @param settings Mode, instances, security.
 * @returns The listening server.
 * @example
 * ```ts
 * import { pipePath, servePipe } from "./pipe.ts";
 * const server = servePipe("jobs", pipePath("jobs"), {
 *   mode: "message", instances: 4, security: "user", rejectRemoteClients: true, bufferSize: 65536,
 * });
 * await server.close();
 * ```
 */
export function servePipe(name: string, path: string, settings: ServeSettings): ServerEndpoint {
  if (typeof settings.security === "object") {
    throw new UnsupportedPlatformError(
      `Cannot serve pipe '${name}' with an SDDL security descriptor on linux: SDDL exists only on Windows` +
        ` (use "user" or "everyone")`,
    );
  }
  const type = settings.mode === "message" ? SOCK.SEQPACKET : SOCK.STREAM;
  const fd = openSocket(type);
  try {
    const inode = bindOrReclaim(fd, type, path, "pipe", name);
    chmodSync(path, settings.security === "everyone" ? 0o666 : 0o600);
    if (libc.symbols.listen(fd, 128) < 0) throw new ErrnoError(currentErrno(), "listen");
    trackSocketFile(path, inode);
    return new SocketServer(fd, path, name, inode, settings);
  } catch (error) {
    libc.symbols.close(fd);
    throw error;
  }
}

/**
 * Binds a pipe's listening socket for another process (the supervisor's side
 * of socket activation): blocking, close-on-exec, mode 0600, removed on close
 * and at exit.
 *
 * @param name The caller's name (for messages).
 * @param path The socket path.
 * @param mode Byte (SOCK_STREAM) or message (SOCK_SEQPACKET).
 * @returns The fd and how to release it.
 * @example
 * ```ts
 * import { holdPipe, pipePath } from "./pipe.ts";
 * const held = holdPipe("jobs", pipePath("jobs"), "message");
 * held.close();
 * ```
 */
export function holdPipe(
  name: string,
  path: string,
  mode: PipeMode,
): { handle: bigint; close(): void } {
  const type = mode === "message" ? SOCK.SEQPACKET : SOCK.STREAM;
  const fd = libc.symbols.socket(1, /* AF_UNIX */ type | SOCK.CLOEXEC, 0);
  if (fd < 0) throw new ErrnoError(currentErrno(), "socket");
  try {
    const inode = bindOrReclaim(fd, type, path, "pipe", name);
    chmodSync(path, 0o600);
    if (libc.symbols.listen(fd, 4096) < 0) throw new ErrnoError(currentErrno(), "listen");
    trackSocketFile(path, inode);
    let open = true;
    return {
      handle: BigInt(fd),
      close() {
        if (!open) return;
        open = false;
        libc.symbols.close(fd);
        unlinkIfOurs(path, inode);
        trackSocketFile(path, undefined);
      },
    };
  } catch (error) {
    libc.symbols.close(fd);
    throw error;
  }
}

/**
 * Serves a pipe on a listening socket this process was handed (LISTEN_FDS):
 * the socket file belongs to whoever bound it, so closing leaves it.
 *
 * @param name The caller's name (for messages).
 * @param path The socket path.
 * @param fd The inherited listening socket.
 * @param settings Mode, instances, security.
 * @returns The server.
 * @example
 * ```ts
 * import { adoptPipeServer, pipePath } from "./pipe.ts";
 * // const server = adoptPipeServer("jobs", pipePath("jobs"), 3, settings);
 * ```
 */
export function adoptPipeServer(
  name: string,
  path: string,
  fd: number,
  settings: ServeSettings,
): ServerEndpoint {
  const flags = libc.symbols.fcntl(fd, 3, /* F_GETFL */ 0n);
  if (flags < 0) throw new ErrnoError(currentErrno(), "fcntl");
  libc.symbols.fcntl(fd, 4, /* F_SETFL */ BigInt(flags | 0o4000 /* O_NONBLOCK */));
  libc.symbols.fcntl(fd, 2, /* F_SETFD */ 1n /* FD_CLOEXEC */);
  return new SocketServer(fd, path, name, -1, settings);
}

/**
 * Connects to a named pipe server, waiting up to `settings.timeout` ms for
 * it to exist and accept. The mode follows the server's (a stream or a
 * seqpacket socket).
 *
 * @param name The caller's name (for messages).
 * @param path The socket path.
 * @param settings The timeout.
 * @returns The connection and its mode.
 * @example
 * ```ts
 * import { connectPipe, pipePath } from "./pipe.ts";
 * // const { endpoint, mode } = await connectPipe("jobs", pipePath("jobs"), { mode: "byte", timeout: 5000 });
 * ```
 */
export async function connectPipe(
  name: string,
  path: string,
  settings: ConnectSettings,
): Promise<{ endpoint: Endpoint; mode: PipeMode }> {
  const address = sockaddrUn(path);
  const deadline = Date.now() + settings.timeout;
  let pause = 2;
  let types = settings.mode === "message"
    ? [SOCK.SEQPACKET, SOCK.STREAM]
    : [SOCK.STREAM, SOCK.SEQPACKET];
  for (;;) {
    let lastErrno = 0;
    for (const type of types) {
      const fd = openSocket(type);
      if (libc.symbols.connect(fd, address, address.byteLength) === 0) {
        setIntOption(fd, SO.SNDBUF, SOCKET_BUFFER);
        const mode: PipeMode = type === SOCK.SEQPACKET ? "message" : "byte";
        return {
          endpoint: new SocketEndpoint(fd, mode, peerCredentials(fd).pid, `pipe '${name}'`),
          mode,
        };
      }
      lastErrno = currentErrno();
      libc.symbols.close(fd);
      if (lastErrno === 91 /* EPROTOTYPE: the server speaks the other mode */) continue;
      // Keep the order that worked for the retry.
      types = type === types[0] ? types : [type, types[0]!];
      break;
    }
    const waitable = lastErrno === ERRNO.ENOENT || lastErrno === ERRNO.ECONNREFUSED ||
      lastErrno === ERRNO.EAGAIN;
    if (!waitable) throw new ErrnoError(lastErrno, "connect");
    const left = deadline - Date.now();
    if (left <= 0) {
      const cause = lastErrno === ERRNO.EAGAIN
        ? new ErrnoError(lastErrno, "connect")
        : new NotFoundError(
          `Cannot connect to pipe '${name}': no server listens at '${path}'`,
          name,
          {
            cause: new ErrnoError(lastErrno, "connect"),
          },
        );
      const why = lastErrno === ERRNO.EAGAIN ? "every instance stayed busy" : "no server appeared";
      throw new TimeoutError(
        `Cannot connect to pipe '${name}': ${why} within ${settings.timeout} ms`,
        {
          cause,
        },
      );
    }
    // Nothing announces a server's arrival: retry with a short, growing pause (only while connecting).
    await delay(Math.min(pause, left), settings.signal);
    pause = Math.min(pause * 2, 50);
  }
}

const O_CLOEXEC = 0o2000000;
const O_NONBLOCK = 0o4000;
const F_GETFL = 3;
const F_SETFL = 4;

/** One end of a pipe2() pipe: blocking for a child, switched to nonblocking for local use. */
class FdEnd implements AnonymousEnd {
  #fd: number;
  #endpoint: SocketEndpoint | null = null;
  used: "child" | "local" | null = null;

  constructor(fd: number, readonly what: string) {
    this.#fd = fd;
  }

  forChild(): bigint {
    if (this.#fd < 0) throw new ClosedError(`Cannot hand ${this.what} to a child: it is closed`);
    this.used = "child";
    return BigInt(this.#fd);
  }

  local(): Endpoint {
    if (this.#endpoint) return this.#endpoint;
    if (this.#fd < 0) throw new ClosedError(`Cannot use ${this.what}: it is closed`);
    // The file description is this end's alone (a child gets the other end), so O_NONBLOCK
    // here changes nothing for anyone else.
    const flags = libc.symbols.fcntl(this.#fd, F_GETFL, 0n);
    libc.symbols.fcntl(this.#fd, F_SETFL, BigInt(flags | O_NONBLOCK));
    this.used = "local";
    const fd = this.#fd;
    return (this.#endpoint = new SocketEndpoint(
      fd,
      "byte",
      0,
      this.what,
      () => (this.#fd = -1),
      false,
    ));
  }

  close(): Promise<void> {
    if (this.#endpoint) return this.#endpoint.close();
    if (this.#fd >= 0) libc.symbols.close(this.#fd);
    this.#fd = -1;
    return Promise.resolve();
  }
}

/**
 * Creates an anonymous pipe (pipe2 with O_CLOEXEC: no child inherits it
 * unless it is listed for that child).
 *
 * @returns The two ends.
 * @example
 * ```ts
 * import { anonymousPipe } from "./pipe.ts";
 * const { reader, writer } = anonymousPipe();
 * await writer.local().write(new Uint8Array([1]));
 * ```
 */
export function anonymousPipe(): { reader: AnonymousEnd; writer: AnonymousEnd } {
  const fds = new Int32Array(2);
  if (libc.symbols.pipe2(fds, O_CLOEXEC) < 0) throw new ErrnoError(currentErrno(), "pipe2");
  return {
    reader: new FdEnd(fds[0]!, "the pipe's read end"),
    writer: new FdEnd(fds[1]!, "the pipe's write end"),
  };
}

/**
 * Adopts an inherited fd as an end for local use (in a child).
 *
 * @param fd The fd.
 * @param role Which end it is (for messages).
 * @returns The end.
 */
export function adoptEnd(fd: bigint, role: "reader" | "writer" = "reader"): AnonymousEnd {
  return new FdEnd(
    Number(fd),
    `the inherited pipe ${role === "reader" ? "read" : "write"} end ${fd}`,
  );
}
