/**
 * Named pipes between unrelated processes, and anonymous pipes to a child's
 * standard streams. Windows: `\\.\pipe\<name>` through CreateNamedPipeW and
 * overlapped I/O; Linux: Unix domain sockets in a private directory.
 *
 * @example A message-mode server and a client
 * ```ts
 * import { NamedPipe } from "./pipe.ts";
 * await using server = NamedPipe.serve("jobs", { mode: "message", instances: 4 });
 * const serving = (async () => {
 *   for await (const conn of server) {
 *     for await (const message of conn) await conn.write(message); // echo
 *     await conn.close();
 *   }
 * })();
 * await using conn = await NamedPipe.connect("jobs", { timeout: 5000 });
 * await conn.write(new TextEncoder().encode("hello"));
 * console.log(new TextDecoder().decode((await conn.read())!));
 * ```
 *
 * @module
 */
import { platform } from "./ffi/mod.ts";
import { ClosedError } from "./errors.ts";
import type {
  Endpoint,
  PipeMode,
  PipeSecurity,
  ServerEndpoint,
  ServeSettings,
} from "./_pipe_common.ts";
import { toBytes } from "./_pipe_common.ts";
import * as posix from "./posix/pipe.ts";
import * as win32 from "./win32/pipe.ts";

export type { PipeMode, PipeSecurity } from "./_pipe_common.ts";

const os = platform === "windows" ? win32 : posix;

/** Bytes read ahead of the caller before reading pauses. */
const READ_AHEAD_BYTES = 1024 * 1024;

/** Options of {@link NamedPipe.serve}. */
export interface ServeOptions {
  /** `"byte"` (a stream; default) or `"message"` (one write = one read). */
  mode?: PipeMode;
  /** Concurrent connections at most (default: as many as the OS allows; Windows caps at 254). */
  instances?: number;
  /** Who may connect (default `"user"`: the current user only). */
  security?: PipeSecurity;
  /** Refuse clients on other machines (default true; Windows PIPE_REJECT_REMOTE_CLIENTS). */
  rejectRemoteClients?: boolean;
  /** The OS buffer size per direction, in bytes (default 65536). */
  bufferSize?: number;
}

/** Options of {@link NamedPipe.connect}. */
export interface ConnectOptions {
  /** Milliseconds to wait for the server to exist and have a free instance (default 5000). */
  timeout?: number;
}

/**
 * A connected named pipe, on either side: `read()`/`write()`, async
 * iteration of messages (or chunks), and Web Streams.
 *
 * @example Reading every message
 * ```ts
 * import { NamedPipe } from "./pipe.ts";
 * await using conn = await NamedPipe.connect("jobs");
 * for await (const message of conn) console.log(message.byteLength);
 * ```
 */
export class PipeConnection implements AsyncDisposable, AsyncIterable<Uint8Array> {
  readonly #endpoint: Endpoint;
  readonly #queue: (Uint8Array | null)[] = [];
  #queuedBytes = 0;
  #pumping = false;
  #failure: unknown = null;
  #wake: (() => void) | null = null;
  #closed = false;
  #readable: ReadableStream<Uint8Array> | null = null;
  #writable: WritableStream<Uint8Array> | null = null;

  /** @internal Made by {@link NamedPipe.connect} and {@link NamedPipeServer.accept}. */
  constructor(endpoint: Endpoint, readonly name: string, readonly mode: PipeMode) {
    this.#endpoint = endpoint;
  }

  /** The process id of the other end. */
  get peerPid(): number {
    return this.#endpoint.peerPid;
  }

  /**
   * Reads the next message (message mode) or the next chunk of bytes (byte mode).
   *
   * @returns The bytes, or null once the other end has closed and everything was read.
   * @example
   * ```ts
   * import { NamedPipe } from "./pipe.ts";
   * await using conn = await NamedPipe.connect("jobs");
   * const message = await conn.read();
   * ```
   */
  async read(): Promise<Uint8Array | null> {
    for (;;) {
      if (this.#queue.length > 0) {
        const item = this.#queue.shift()!;
        if (item === null) {
          this.#queue.unshift(null); // end of stream stays the answer
          return null;
        }
        this.#queuedBytes -= item.byteLength;
        this.#pump();
        return item;
      }
      if (this.#failure) throw this.#failure;
      if (this.#closed) throw new ClosedError(`Cannot read from pipe '${this.name}': it is closed`);
      this.#pump();
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  /** Keeps one read in flight while the queue is short, so the OS fills while JavaScript works. */
  #pump(): void {
    if (this.#pumping || this.#closed || this.#failure) return;
    if (this.#queuedBytes >= READ_AHEAD_BYTES || this.#queue.at(-1) === null) return;
    this.#pumping = true;
    this.#endpoint.read().then(
      (item) => {
        this.#pumping = false;
        this.#queue.push(item);
        if (item) this.#queuedBytes += item.byteLength;
        this.#signal();
        if (item) this.#pump();
      },
      (error) => {
        this.#pumping = false;
        if (!(error instanceof ClosedError && this.#closed)) this.#failure = error;
        this.#signal();
      },
    );
  }

  #signal(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  /**
   * Writes bytes (a string is sent as UTF-8). In message mode one write is
   * one message, zero-length included. Writes keep their order even when not
   * awaited; don't change `data` until the promise settles.
   *
   * @param data The bytes.
   * @returns Resolves when the data is in the pipe.
   * @example
   * ```ts
   * import { NamedPipe } from "./pipe.ts";
   * await using conn = await NamedPipe.connect("jobs");
   * await conn.write(new Uint8Array([1, 2, 3]));
   * ```
   */
  write(data: Uint8Array | ArrayBufferView | ArrayBuffer | string): Promise<void> {
    if (this.#closed) {
      return Promise.reject(new ClosedError(`Cannot write to pipe '${this.name}': it is closed`));
    }
    return this.#endpoint.write(toBytes(data, `pipe '${this.name}'`));
  }

  /** The incoming data as a ReadableStream (one chunk per message in message mode). */
  get readable(): ReadableStream<Uint8Array> {
    return (this.#readable ??= new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        const item = await this.read();
        if (item === null) controller.close();
        else controller.enqueue(item);
      },
      cancel: () => this.close(),
    }));
  }

  /** A WritableStream over `write()`; closing it closes the connection. */
  get writable(): WritableStream<Uint8Array> {
    return (this.#writable ??= new WritableStream<Uint8Array>({
      write: (chunk) => this.write(chunk),
      close: () => this.close(),
      abort: () => this.close(),
    }));
  }

  /**
   * Waits until everything written has reached the pipe, then closes it.
   *
   * @returns Resolves once closed.
   * @example
   * ```ts
   * import { NamedPipe } from "./pipe.ts";
   * const conn = await NamedPipe.connect("jobs");
   * void conn.write("last words");
   * await conn.close(); // the write is not lost
   * ```
   */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#endpoint.close();
    this.#signal();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    for (;;) {
      const item = await this.read();
      if (item === null) return;
      yield item;
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * A listening named pipe: iterate it (or call `accept()`) for one
 * {@link PipeConnection} per client.
 *
 * @example
 * ```ts
 * import { NamedPipe } from "./pipe.ts";
 * await using server = NamedPipe.serve("jobs");
 * const conn = await server.accept();
 * console.log(conn.peerPid);
 * ```
 */
export class NamedPipeServer implements AsyncDisposable, AsyncIterable<PipeConnection> {
  readonly #server: ServerEndpoint;
  #accepting: Promise<unknown> = Promise.resolve();
  #closed = false;

  /** @internal Made by {@link NamedPipe.serve}. */
  constructor(server: ServerEndpoint, readonly name: string, readonly mode: PipeMode) {
    this.#server = server;
  }

  /** The OS path of the pipe (`\\.\pipe\<name>` or the socket path). */
  get path(): string {
    return this.#server.path;
  }

  /**
   * Waits for the next client.
   *
   * @returns Its connection; ClosedError once the server is closed.
   * @example
   * ```ts
   * import { NamedPipe } from "./pipe.ts";
   * await using server = NamedPipe.serve("jobs");
   * await using conn = await server.accept();
   * ```
   */
  accept(): Promise<PipeConnection> {
    const next = this.#accepting.then(async () => {
      const endpoint = await this.#server.accept();
      return new PipeConnection(endpoint, this.name, this.mode);
    });
    this.#accepting = next.catch(() => {});
    return next;
  }

  /**
   * What the OS reports about the pipe's protection: on Windows the DACL as
   * SDDL and whether remote clients are refused; on Linux the socket file mode.
   *
   * @returns The descriptor text and the remote-client flag.
   * @example
   * ```ts
   * import { NamedPipe } from "./pipe.ts";
   * await using server = NamedPipe.serve("jobs");
   * console.log(server.security().descriptor); // "D:P(A;;GA;;;S-1-5-21-…)"
   * ```
   */
  security(): { descriptor: string; rejectRemoteClients: boolean } {
    return this.#server.security();
  }

  /**
   * Stops listening and frees the name. Accepted connections stay open.
   *
   * @returns Resolves once closed.
   * @example
   * ```ts
   * import { NamedPipe } from "./pipe.ts";
   * const server = NamedPipe.serve("jobs");
   * await server.close();
   * ```
   */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#server.close();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<PipeConnection> {
    for (;;) {
      try {
        yield await this.accept();
      } catch (error) {
        if (error instanceof ClosedError && this.#closed) return;
        throw error;
      }
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * Named pipes. A plain name maps to `\\.\pipe\<name>` on Windows and to
 * `<socket directory>/<name>.pipe` on Linux; a full OS path (`\\server\pipe\x`,
 * `/run/app.sock`) is used unchanged, for programs that are not ipckit.
 *
 * @example
 * ```ts
 * import { NamedPipe } from "./pipe.ts";
 * NamedPipe.path("jobs"); // "\\.\pipe\jobs" on Windows
 * ```
 */
export const NamedPipe = {
  /**
   * The OS path a pipe name maps to.
   *
   * @param name A plain name or a full OS path.
   * @returns The path.
   * @example
   * ```ts
   * import { NamedPipe } from "./pipe.ts";
   * console.log(NamedPipe.path("jobs"));
   * ```
   */
  path(name: string): string {
    return os.pipePath(checkName(name));
  },

  /**
   * Creates a named pipe server. Fails with NameTakenError when another
   * server (or a squatter) holds the name.
   *
   * @param name A plain name or a full OS path.
   * @param options Mode, instances, security.
   * @returns The server; iterate it for connections.
   * @example
   * ```ts
   * import { NamedPipe } from "./pipe.ts";
   * await using server = NamedPipe.serve("jobs", { mode: "message", instances: 4 });
   * ```
   */
  serve(name: string, options: ServeOptions = {}): NamedPipeServer {
    const settings = serveSettings(options);
    const path = os.pipePath(checkName(name));
    return new NamedPipeServer(os.servePipe(name, path, settings), name, settings.mode);
  },

  /**
   * Connects to a named pipe server, waiting up to `timeout` ms for it to
   * exist and have a free instance (TimeoutError after that, with a
   * NotFoundError cause when it never appeared). The mode is the server's.
   *
   * @param name A plain name or a full OS path.
   * @param options The timeout.
   * @returns The connection.
   * @example
   * ```ts
   * import { NamedPipe } from "./pipe.ts";
   * await using conn = await NamedPipe.connect("jobs", { timeout: 5000 });
   * ```
   */
  async connect(name: string, options: ConnectOptions = {}): Promise<PipeConnection> {
    const timeout = options.timeout ?? 5000;
    if (!(timeout >= 0)) {
      throw new RangeError(`Cannot connect with timeout ${timeout}: it must be >= 0 ms`);
    }
    const path = os.pipePath(checkName(name));
    const { endpoint, mode } = await os.connectPipe(name, path, { mode: "byte", timeout });
    return new PipeConnection(endpoint, name, mode);
  },
};

function checkName(name: unknown): string {
  if (typeof name !== "string") {
    throw new TypeError(`Cannot use ${typeof name} as a pipe name: it must be a string`);
  }
  return name;
}

function serveSettings(options: ServeOptions): ServeSettings {
  const mode = options.mode ?? "byte";
  if (mode !== "byte" && mode !== "message") {
    throw new TypeError(`Cannot serve a pipe in mode '${String(mode)}': use "byte" or "message"`);
  }
  const instances = options.instances ?? Infinity;
  if (
    !(instances === Infinity || (Number.isInteger(instances) && instances >= 1 && instances <= 254))
  ) {
    throw new RangeError(`Cannot serve a pipe with ${instances} instances: use 1 to 254`);
  }
  const security = options.security ?? "user";
  if (
    security !== "user" && security !== "everyone" &&
    !(typeof security === "object" && security !== null && typeof security.sddl === "string")
  ) {
    throw new TypeError(
      `Cannot use security ${JSON.stringify(security)}: use "user", "everyone" or { sddl }`,
    );
  }
  const bufferSize = options.bufferSize ?? 65536;
  if (!(Number.isInteger(bufferSize) && bufferSize >= 0 && bufferSize <= 0x7fffffff)) {
    throw new RangeError(`Cannot use a pipe buffer of ${bufferSize} bytes`);
  }
  return {
    mode,
    instances,
    security,
    rejectRemoteClients: options.rejectRemoteClients ?? true,
    bufferSize,
  };
}
