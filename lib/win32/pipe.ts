/**
 * Named pipes on Windows: CreateNamedPipeW (overlapped, first instance,
 * remote clients rejected, a DACL for the current user by default),
 * ConnectNamedPipe accept loops on the process's completion port, and
 * clients through CreateFileW + WaitNamedPipeW.
 *
 * @module
 */
import { encodeWide, NativeMemory } from "../ffi/mod.ts";
import { ClosedError, NameTakenError, NotFoundError, TimeoutError } from "../errors.ts";
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
import { associate, cancelAll, connectOverlapped, STATUS } from "./completion.ts";
import { ERROR, lastWin32Error, Win32Error } from "./error.ts";
import { kernel32 } from "./kernel32.ts";
import { ntError, OverlappedEndpoint } from "./overlapped.ts";
import { daclOf, sddlFor, SecurityAttributes } from "./security.ts";

export const INVALID_HANDLE_VALUE = 0xffffffffffffffffn;
export const PIPE = {
  ACCESS_INBOUND: 0x1,
  ACCESS_OUTBOUND: 0x2,
  ACCESS_DUPLEX: 0x3,
  TYPE_MESSAGE: 0x4,
  READMODE_MESSAGE: 0x2,
  REJECT_REMOTE_CLIENTS: 0x8,
  UNLIMITED_INSTANCES: 255,
} as const;
export const FILE_FLAG_OVERLAPPED = 0x40000000;
export const FILE_FLAG_FIRST_PIPE_INSTANCE = 0x00080000;
export const GENERIC_READ = 0x80000000;
export const GENERIC_WRITE = 0x40000000;
export const FILE_WRITE_ATTRIBUTES = 0x100;
export const OPEN_EXISTING = 3;
/** A server may identify a client but not act as it (the client's side of impersonation). */
export const SECURITY_SQOS_IDENTIFICATION = 0x00100000 | 0x00010000;

/** Listening instances kept ready for clients, within the instance limit. */
const LISTENERS = 4;

/**
 * The OS path of a pipe name: a plain name maps to `\\.\pipe\<name>`; a
 * path starting with `\\` (`\\.\pipe\x`, `\\server\pipe\x`) is unchanged.
 *
 * @param name A plain name or a full pipe path.
 * @returns The path.
 * @example
 * ```ts
 * import { pipePath } from "./pipe.ts";
 * pipePath("jobs"); // "\\\\.\\pipe\\jobs"
 * ```
 */
export function pipePath(name: string): string {
  if (name.startsWith("\\\\")) return name;
  return `\\\\.\\pipe\\${checkPlainName(name, "pipe")}`;
}

/**
 * A named pipe server: a few listening instances, each awaiting
 * ConnectNamedPipe. A server on a pipe held by another process
 * ({@link holdPipe}) joins that pipe's instances and listens only while an
 * accept is pending, so clients it has not asked for wait for the next run
 * of the server instead of reaching an instance that dies with this one.
 */
class Win32PipeServer implements ServerEndpoint {
  readonly #attributes: SecurityAttributes;
  readonly #listening = new Set<bigint>();
  #connected = 0;
  #first = true;
  #closed = false;
  readonly #ready: Endpoint[] = [];
  readonly #acceptors: { resolve(endpoint: Endpoint): void; reject(error: unknown): void }[] = [];
  readonly #listeners = new Set<Promise<void>>();
  #failure: unknown = null;
  readonly #maxInstances: number;
  readonly #pipeMode: number;

  constructor(
    readonly name: string,
    readonly path: string,
    readonly settings: ServeSettings,
    readonly held = false,
  ) {
    this.#attributes = SecurityAttributes.fromSddl(sddlFor(settings.security), `pipe '${name}'`);
    this.#maxInstances = settings.instances === Infinity
      ? PIPE.UNLIMITED_INSTANCES
      : settings.instances;
    this.#first = !held;
    this.#pipeMode = (settings.mode === "message" ? PIPE.TYPE_MESSAGE | PIPE.READMODE_MESSAGE : 0) |
      (settings.rejectRemoteClients ? PIPE.REJECT_REMOTE_CLIENTS : 0);
    try {
      this.#replenish();
    } catch (error) {
      this.#attributes.free();
      throw error;
    }
  }

  /** Creates listening instances until enough are ready (LISTENERS, or one per pending accept when held) or the limit is reached. */
  #replenish(): void {
    const wanted = this.held ? this.#acceptors.length : LISTENERS;
    while (
      !this.#closed && this.#listening.size < wanted &&
      this.#listening.size + this.#connected < this.#maxInstances
    ) {
      const handle = this.#createInstance();
      this.#listening.add(handle);
      const listener = this.#listen(handle).catch((error) => this.#fail(error));
      this.#listeners.add(listener);
      void listener.then(() => this.#listeners.delete(listener));
    }
  }

  #createInstance(): bigint {
    const first = this.#first;
    const handle = kernel32.symbols.CreateNamedPipeW(
      encodeWide(this.path),
      PIPE.ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED | (first ? FILE_FLAG_FIRST_PIPE_INSTANCE : 0),
      this.#pipeMode,
      // Every instance of a pipe states the same limit: the holder's (unlimited) when held.
      this.held ? PIPE.UNLIMITED_INSTANCES : this.#maxInstances,
      this.settings.bufferSize,
      this.settings.bufferSize,
      0,
      this.#attributes.address,
    );
    if (handle === INVALID_HANDLE_VALUE) {
      const error = lastWin32Error("CreateNamedPipeW");
      // The first instance fails with access denied (or busy) when any other process holds the name.
      if (first && (error.code === ERROR.ACCESS_DENIED || error.code === ERROR.PIPE_BUSY)) {
        throw nameTaken(this.name, this.path, error);
      }
      throw error;
    }
    if (first && this.#instancesOf(handle) > 1) {
      // Wine does not enforce FILE_FLAG_FIRST_PIPE_INSTANCE: our "first" instance joined a pipe
      // another process already serves. Counting the instances catches that (on Windows the
      // create itself fails with ERROR_ACCESS_DENIED, handled above).
      kernel32.symbols.CloseHandle(handle);
      throw nameTaken(this.name, this.path);
    }
    this.#first = false;
    try {
      associate(handle);
    } catch (error) {
      kernel32.symbols.CloseHandle(handle);
      throw error;
    }
    return handle;
  }

  #instancesOf(handle: bigint): number {
    const current = new Uint32Array(1);
    if (!kernel32.symbols.GetNamedPipeHandleStateW(handle, null, current, null, null, null, 0)) {
      return 1;
    }
    return current[0]!;
  }

  async #listen(handle: bigint): Promise<void> {
    for (;;) {
      try {
        const { status } = await connectOverlapped(handle);
        if (status === STATUS.CANCELLED || this.#closed) {
          this.#listening.delete(handle);
          kernel32.symbols.CloseHandle(handle);
          return;
        }
        if (status !== STATUS.SUCCESS && status !== STATUS.PIPE_CONNECTED) {
          throw ntError(status, "ConnectNamedPipe");
        }
      } catch (error) {
        if (!(error instanceof Win32Error)) throw error;
        // A client connected between CreateNamedPipeW and ConnectNamedPipe: connected already.
        if (error.code === ERROR.PIPE_CONNECTED) break;
        // A client came and went before we got to it: reset the instance and listen again.
        if (error.code === ERROR.NO_DATA) {
          kernel32.symbols.DisconnectNamedPipe(handle);
          continue;
        }
        this.#listening.delete(handle);
        kernel32.symbols.CloseHandle(handle);
        throw error;
      }
      break;
    }
    this.#listening.delete(handle);
    if (this.#closed) {
      kernel32.symbols.CloseHandle(handle);
      return;
    }
    this.#connected++;
    const pid = new Uint32Array(1);
    kernel32.symbols.GetNamedPipeClientProcessId(handle, pid);
    const endpoint = new OverlappedEndpoint(handle, {
      message: this.settings.mode === "message",
      peerPid: pid[0]!,
      what: `pipe '${this.name}'`,
      flushOnClose: true,
      onClose: () => {
        this.#connected--;
        this.#replenishSafely();
      },
    });
    const acceptor = this.#acceptors.shift();
    this.#replenishSafely();
    if (acceptor) acceptor.resolve(endpoint);
    else this.#ready.push(endpoint);
  }

  #replenishSafely(): void {
    try {
      this.#replenish();
    } catch (error) {
      this.#fail(error);
    }
  }

  #fail(error: unknown): void {
    if (this.#closed) return;
    const acceptor = this.#acceptors.shift();
    if (acceptor) acceptor.reject(error);
    else this.#failure = error;
  }

  accept(signal?: AbortSignal): Promise<Endpoint> {
    const ready = this.#ready.shift();
    if (ready) return Promise.resolve(ready);
    if (this.#closed) return Promise.reject(this.#closedError());
    if (this.#failure) {
      const failure = this.#failure;
      this.#failure = null;
      return Promise.reject(failure);
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    const accepted = new Promise<Endpoint>((resolve, reject) => {
      this.#acceptors.push({ resolve, reject });
    });
    if (this.held) this.#replenishSafely();
    if (!signal) return accepted;
    const acceptor = this.#acceptors.at(-1)!;
    // The instances keep listening; an aborted accept only leaves the queue of callers.
    return abortable(accepted, signal, () => {
      const at = this.#acceptors.indexOf(acceptor);
      if (at >= 0) this.#acceptors.splice(at, 1);
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const acceptor of this.#acceptors.splice(0)) acceptor.reject(this.#closedError());
    for (const handle of this.#listening) cancelAll(handle);
    await Promise.all(this.#listeners);
    this.#attributes.free();
  }

  security(): { descriptor: string; rejectRemoteClients: boolean } {
    const handle = this.#listening.values().next().value;
    if (handle === undefined) {
      throw new ClosedError(`Cannot read the security of pipe '${this.name}': no instance is open`);
    }
    return {
      descriptor: daclOf(handle),
      rejectRemoteClients: (this.#pipeMode & PIPE.REJECT_REMOTE_CLIENTS) !== 0,
    };
  }

  #closedError(): ClosedError {
    return new ClosedError(`Cannot accept on pipe '${this.name}': the server is closed`);
  }
}

/**
 * Nothing to reclaim on Windows: a pipe is a kernel object that disappears
 * with the last handle, including the handles of a process that died.
 *
 * @param _path The pipe's OS name.
 * @returns Always false.
 * @example
 * ```ts
 * import { reclaimPipe } from "./pipe.ts";
 * reclaimPipe("\\\\.\\pipe\\jobs"); // false
 * ```
 */
export function reclaimPipe(_path: string): boolean {
  return false;
}

/**
 * Starts a named pipe server (its first instance is created before this returns).
 *
 * @param name The caller's name (for messages).
 * @param path The pipe path (from {@link pipePath}).
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
  return new Win32PipeServer(name, path, settings);
}

/**
 * Opens the client end of a named pipe: CreateFileW, and while every
 * instance is busy WaitNamedPipeW then CreateFileW again (another client can
 * win the instance in between). A pipe that does not exist yet is retried
 * until the timeout. Message pipes get PIPE_READMODE_MESSAGE.
 *
 * @param name The caller's name (for messages).
 * @param path The pipe path.
 * @param settings The timeout.
 * @returns The connection and the pipe's mode.
 * @example
 * ```ts
 * import { connectPipe, pipePath } from "./pipe.ts";
 * // const { endpoint } = await connectPipe("jobs", pipePath("jobs"), { mode: "byte", timeout: 5000 });
 * ```
 */
export async function connectPipe(
  name: string,
  path: string,
  settings: ConnectSettings,
): Promise<{ endpoint: Endpoint; mode: PipeMode }> {
  const handle = await openClient(name, path, settings.timeout, settings.signal);
  try {
    const flags = new Uint32Array(1);
    if (!kernel32.symbols.GetNamedPipeInfo(handle, flags, null, null, null)) {
      throw lastWin32Error("GetNamedPipeInfo");
    }
    const mode: PipeMode = (flags[0]! & PIPE.TYPE_MESSAGE) !== 0 ? "message" : "byte";
    if (mode === "message") {
      const readMode = new Uint32Array([PIPE.READMODE_MESSAGE]);
      if (!kernel32.symbols.SetNamedPipeHandleState(handle, readMode, 0n, 0n)) {
        throw lastWin32Error("SetNamedPipeHandleState");
      }
    }
    associate(handle);
    const pid = new Uint32Array(1);
    kernel32.symbols.GetNamedPipeServerProcessId(handle, pid);
    const endpoint = new OverlappedEndpoint(handle, {
      message: mode === "message",
      peerPid: pid[0]!,
      what: `pipe '${name}'`,
      flushOnClose: false,
    });
    return { endpoint, mode };
  } catch (error) {
    kernel32.symbols.CloseHandle(handle);
    throw error;
  }
}

/** One WaitNamedPipeW in flight per path; other clients of this process wait on the same call. */
const instanceWaits = new Map<string, Promise<unknown>>();

function waitForInstance(path: string, wide: Uint8Array, timeout: number): Promise<unknown> {
  let waiting = instanceWaits.get(path);
  if (!waiting) {
    // Parks one pool thread until an instance listens (or the time is up); then every
    // waiting client races for it with CreateFileW, and the losers wait again.
    const nameMemory = NativeMemory.alloc(wide.byteLength);
    nameMemory.bytes.set(wide);
    waiting = kernel32.symbols.WaitNamedPipeWAsync(
      nameMemory.address,
      Math.max(1, Math.min(timeout, 0xfffffffe)),
    )
      .finally(() => {
        nameMemory.free();
        instanceWaits.delete(path);
      });
    instanceWaits.set(path, waiting);
  }
  return waiting;
}

async function openClient(
  name: string,
  path: string,
  timeout: number,
  signal: AbortSignal | undefined,
): Promise<bigint> {
  const deadline = Date.now() + timeout;
  const wide = encodeWide(path);
  let pause = 2;
  for (;;) {
    const handle = kernel32.symbols.CreateFileW(
      wide,
      (GENERIC_READ | GENERIC_WRITE) >>> 0,
      0,
      0n,
      OPEN_EXISTING,
      FILE_FLAG_OVERLAPPED | SECURITY_SQOS_IDENTIFICATION,
      0n,
    );
    if (handle !== INVALID_HANDLE_VALUE) return handle;
    const error = lastWin32Error("CreateFileW");
    const left = deadline - Date.now();
    if (error.code === ERROR.PIPE_BUSY) {
      if (left <= 0) {
        throw new TimeoutError(
          `Cannot connect to pipe '${name}': every instance stayed busy for ${timeout} ms`,
          {
            cause: error,
          },
        );
      }
      // WaitNamedPipeW cannot be cancelled: an abort settles this call, and the one shared
      // call per path returns by itself within its timeout (docs/api.md).
      const waiting = waitForInstance(path, wide, left);
      await (signal ? abortable(waiting, signal) : waiting);
      continue;
    }
    if (error.code === ERROR.FILE_NOT_FOUND) {
      if (left <= 0) {
        throw new TimeoutError(
          `Cannot connect to pipe '${name}': no server appeared within ${timeout} ms`,
          {
            cause: new NotFoundError(`Cannot open pipe '${path}': it does not exist`, name, {
              cause: error,
            }),
          },
        );
      }
      // Nothing announces a pipe's creation: retry with a short, growing pause (only while connecting).
      await delay(Math.min(pause, left), signal);
      pause = Math.min(pause * 2, 50);
      continue;
    }
    error.message = `Cannot open pipe '${path}': ${
      error.message.replace(/^CreateFileW failed: /, "")
    }`;
    throw error;
  }
}

// ---- Anonymous pipes ----------------------------------------------------------
// CreatePipe's handles cannot do overlapped I/O, and this process does all its
// pipe I/O through the completion port. So, like many runtimes, an anonymous
// pipe here is a uniquely named pipe with one instance: the end used in this
// process is the overlapped server end; the end handed to a child is a
// synchronous client end (CreateFileW without FILE_FLAG_OVERLAPPED), which is
// what programs expect of their standard handles. Both are made when the first
// end is used, since only then is it known which end goes where.

let anonymousCount = 0;

/** The pair's shared state: both handles, made together on first use of either end. */
class AnonymousPair {
  readonly ends: [WinEnd, WinEnd];
  constructor() {
    this.ends = [new WinEnd(this, "reader"), new WinEnd(this, "writer")];
  }

  /** Makes both handles: `overlappedEnd` becomes the server end, the other the synchronous client end. */
  create(overlappedEnd: WinEnd): void {
    const reading = overlappedEnd.role === "reader";
    const path =
      `\\\\.\\pipe\\ipckit-anonymous-${kernel32.symbols.GetCurrentProcessId()}-${++anonymousCount}-${
        Math.random().toString(36).slice(2)
      }`;
    const attributes = SecurityAttributes.fromSddl(sddlFor("user"), "an anonymous pipe");
    try {
      const server = kernel32.symbols.CreateNamedPipeW(
        encodeWide(path),
        (reading ? PIPE.ACCESS_INBOUND : PIPE.ACCESS_OUTBOUND) | FILE_FLAG_OVERLAPPED |
          FILE_FLAG_FIRST_PIPE_INSTANCE,
        PIPE.REJECT_REMOTE_CLIENTS,
        1,
        65536,
        65536,
        0,
        attributes.address,
      );
      if (server === INVALID_HANDLE_VALUE) throw lastWin32Error("CreateNamedPipeW");
      const client = kernel32.symbols.CreateFileW(
        encodeWide(path),
        reading
          ? (GENERIC_WRITE | FILE_READ_ATTRIBUTES) >>> 0
          : (GENERIC_READ | FILE_WRITE_ATTRIBUTES) >>> 0,
        0,
        0n,
        OPEN_EXISTING,
        SECURITY_SQOS_IDENTIFICATION,
        0n,
      );
      if (client === INVALID_HANDLE_VALUE) {
        const error = lastWin32Error("CreateFileW");
        kernel32.symbols.CloseHandle(server);
        throw error;
      }
      try {
        associate(server);
      } catch (error) {
        kernel32.symbols.CloseHandle(server);
        kernel32.symbols.CloseHandle(client);
        throw error;
      }
      const other = this.ends[overlappedEnd === this.ends[0] ? 1 : 0];
      overlappedEnd.adopt(server, true);
      other.adopt(client, false);
    } finally {
      attributes.free();
    }
  }
}

const FILE_READ_ATTRIBUTES = 0x80;

/** One end of an {@link AnonymousPair}, or an inherited handle adopted in a child. */
class WinEnd implements AnonymousEnd {
  #handle = 0n;
  #overlapped = false;
  #endpoint: Endpoint | null = null;
  #closed = false;
  used: "child" | "local" | null = null;

  constructor(readonly pair: AnonymousPair | null, readonly role: "reader" | "writer") {}

  adopt(handle: bigint, isOverlapped: boolean): void {
    this.#handle = handle;
    this.#overlapped = isOverlapped;
  }

  get what(): string {
    return `the pipe's ${this.role === "reader" ? "read" : "write"} end`;
  }

  forChild(): bigint {
    if (this.#closed) throw new ClosedError(`Cannot hand ${this.what} to a child: it is closed`);
    // First use: this end becomes the synchronous one, the other end the overlapped one.
    if (this.#handle === 0n) {
      this.pair!.create(this.pair!.ends[this === this.pair!.ends[0] ? 1 : 0]);
    }
    this.used = "child";
    return this.#handle;
  }

  local(): Endpoint {
    if (this.#endpoint) return this.#endpoint;
    if (this.#closed) throw new ClosedError(`Cannot use ${this.what}: it is closed`);
    if (this.#handle === 0n) this.pair!.create(this);
    this.used = "local";
    const onClose = () => {
      this.#closed = true;
      this.#handle = 0n;
    };
    this.#endpoint = this.#overlapped
      ? new OverlappedEndpoint(this.#handle, {
        message: false,
        peerPid: 0,
        what: this.what,
        flushOnClose: false,
        onClose,
      })
      : new SyncHandleEndpoint(this.#handle, this.what, onClose);
    return this.#endpoint;
  }

  close(): Promise<void> {
    if (this.#endpoint) return this.#endpoint.close();
    if (!this.#closed) {
      this.#closed = true;
      if (this.#handle !== 0n) kernel32.symbols.CloseHandle(this.#handle);
      this.#handle = 0n;
    }
    return Promise.resolve();
  }
}

/**
 * A synchronous (non-overlapped) pipe handle used in this process: each
 * ReadFile/WriteFile is a blocking call parked off the JavaScript thread,
 * with its buffer in native memory. Used for a pipe end this process got
 * from its parent, or an end of our own pair that was made synchronous.
 */
class SyncHandleEndpoint implements Endpoint {
  #handle: bigint;
  #buffer: NativeMemory | null = null;
  #reading: Promise<unknown> | null = null;
  #writes: Promise<unknown> = Promise.resolve();
  #closing: Promise<void> | null = null;
  readonly peerPid = 0;

  constructor(handle: bigint, readonly what: string, readonly onClose: () => void) {
    this.#handle = handle;
  }

  read(): Promise<Uint8Array | null> {
    if (this.#closing) {
      return Promise.reject(new ClosedError(`Cannot read from ${this.what}: it is closed`));
    }
    const reading = (async () => {
      // 8 bytes for the count, then the data.
      const memory = (this.#buffer ??= NativeMemory.alloc(8 + SYNC_CHUNK));
      const ok = await kernel32.symbols.ReadFileAsync(
        this.#handle,
        memory.address + 8n,
        SYNC_CHUNK,
        memory.address,
        0n,
      );
      if (this.#closing) throw new ClosedError(`Cannot read from ${this.what}: it is closed`);
      const bytes = memory.view.getUint32(0, true);
      // The error of a failed blocking call is not readable here; for a pipe it is the end
      // of the stream (ERROR_BROKEN_PIPE) unless the handle was closed.
      if (!ok || bytes === 0) return null;
      return memory.bytes.slice(8, 8 + bytes);
    })();
    this.#reading = reading.catch(() => {});
    return reading;
  }

  write(data: Uint8Array): Promise<void> {
    if (this.#closing) {
      return Promise.reject(new ClosedError(`Cannot write to ${this.what}: it is closed`));
    }
    const written = this.#writes.then(async () => {
      const memory = NativeMemory.alloc(8 + Math.max(1, data.byteLength));
      try {
        memory.bytes.set(data, 8);
        let offset = 0;
        while (offset < data.byteLength) {
          const ok = await kernel32.symbols.WriteFileAsync(
            this.#handle,
            memory.address + 8n + BigInt(offset),
            data.byteLength - offset,
            memory.address,
            0n,
          );
          if (!ok) throw new ClosedError(`Cannot write to ${this.what}: the other end closed it`);
          offset += memory.view.getUint32(0, true);
        }
      } finally {
        memory.free();
      }
    });
    this.#writes = written.catch(() => {});
    return written;
  }

  close(): Promise<void> {
    return (this.#closing ??= (async () => {
      await this.#writes;
      if (this.#reading) {
        // Ends a ReadFile blocked on another thread (CancelIoEx covers synchronous I/O too).
        kernel32.symbols.CancelIoEx(this.#handle, 0n);
        await this.#reading;
      }
      this.#buffer?.free();
      kernel32.symbols.CloseHandle(this.#handle);
      this.onClose();
    })());
  }
}

const SYNC_CHUNK = 64 * 1024;

/**
 * Creates an anonymous pipe (see the comment above: a named pipe pair made on first use).
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
  const pair = new AnonymousPair();
  return { reader: pair.ends[0], writer: pair.ends[1] };
}

/**
 * Adopts an inherited handle (synchronous, as children get them) for local use.
 *
 * @param handle The handle value.
 * @param role Which end it is.
 * @returns The end.
 */
export function adoptEnd(handle: bigint, role: "reader" | "writer" = "reader"): AnonymousEnd {
  const end = new WinEnd(null, role);
  end.adopt(handle, false);
  return end;
}

const HELD_BUFFER_SIZE = 65536;

/**
 * Keeps a pipe name alive for a server in another process, across its
 * restarts: the first instance of the pipe is created here and connected to
 * a client end held here too. A pipe with only busy instances exists, so a
 * client that connects while no server runs gets ERROR_PIPE_BUSY and waits
 * (WaitNamedPipeW) until the next server's instance listens, instead of
 * ERROR_FILE_NOT_FOUND. The server joins the pipe with
 * {@link adoptPipeServer}; no handle is passed.
 *
 * @param name The caller's name (for messages).
 * @param path The pipe path.
 * @param mode The server's mode (every instance of a pipe has the same type).
 * @returns The held instance's handle and how to let go of the name.
 * @example Holding a name, then letting it go
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
  const wide = encodeWide(path);
  const attributes = SecurityAttributes.fromSddl(sddlFor("user"), `pipe '${name}'`);
  let server = INVALID_HANDLE_VALUE;
  try {
    server = kernel32.symbols.CreateNamedPipeW(
      wide,
      PIPE.ACCESS_DUPLEX | FILE_FLAG_FIRST_PIPE_INSTANCE | FILE_FLAG_OVERLAPPED,
      (mode === "message" ? PIPE.TYPE_MESSAGE | PIPE.READMODE_MESSAGE : 0) |
        PIPE.REJECT_REMOTE_CLIENTS,
      PIPE.UNLIMITED_INSTANCES,
      // Wine keeps the first instance's buffer sizes for the whole pipe (0 would make every
      // write wait for its reader): NamedPipe.serve's default.
      HELD_BUFFER_SIZE,
      HELD_BUFFER_SIZE,
      0,
      attributes.address,
    );
    if (server === INVALID_HANDLE_VALUE) {
      const error = lastWin32Error("CreateNamedPipeW");
      if (error.code === ERROR.ACCESS_DENIED || error.code === ERROR.PIPE_BUSY) {
        throw nameTaken(name, path, error);
      }
      throw error;
    }
    const current = new Uint32Array(1);
    kernel32.symbols.GetNamedPipeHandleStateW(server, null, current, null, null, null, 0);
    if (current[0]! > 1) throw nameTaken(name, path); // Wine: see Win32PipeServer#createInstance
    // Occupy the instance. Another process's client can take it first (then ours finds it
    // busy): disconnecting that client frees it for ours.
    for (let attempt = 0;; attempt++) {
      const client = kernel32.symbols.CreateFileW(
        wide,
        (GENERIC_READ | GENERIC_WRITE) >>> 0,
        0,
        0n,
        OPEN_EXISTING,
        FILE_FLAG_OVERLAPPED | SECURITY_SQOS_IDENTIFICATION,
        0n,
      );
      if (client !== INVALID_HANDLE_VALUE) {
        const held = server;
        let open = true;
        return {
          handle: held,
          close() {
            if (!open) return;
            open = false;
            kernel32.symbols.CloseHandle(client);
            kernel32.symbols.CloseHandle(held);
          },
        };
      }
      const error = lastWin32Error("CreateFileW");
      if (error.code !== ERROR.PIPE_BUSY || attempt === 3) throw error;
      kernel32.symbols.DisconnectNamedPipe(server);
    }
  } catch (error) {
    if (server !== INVALID_HANDLE_VALUE) kernel32.symbols.CloseHandle(server);
    throw error;
  } finally {
    attributes.free();
  }
}

function nameTaken(name: string, path: string, cause?: Win32Error): NameTakenError {
  return new NameTakenError(
    `Cannot create pipe '${name}': the name is taken by another process ('${path}')`,
    name,
    "pipe",
    "pipe",
    cause ? { cause } : undefined,
  );
}

/**
 * Serves a pipe whose name another process holds ({@link holdPipe}): the
 * instances join that pipe, and one listens per pending accept.
 *
 * @param name The caller's name (for messages).
 * @param path The pipe path.
 * @param _fd Unused on Windows (nothing is inherited).
 * @param settings Mode (the holder's), instances, security.
 * @returns The server.
 * @example Serving a held pipe
 * ```ts
 * import { adoptPipeServer, pipePath } from "./pipe.ts";
 * const server = adoptPipeServer("jobs", pipePath("jobs"), -1, {
 *   mode: "message", instances: 4, security: "user", rejectRemoteClients: true, bufferSize: 65536,
 * });
 * await server.close();
 * ```
 */
export function adoptPipeServer(
  name: string,
  path: string,
  _fd: number,
  settings: ServeSettings,
): ServerEndpoint {
  return new Win32PipeServer(name, path, settings, true);
}
