/**
 * Named pipes between unrelated processes, and anonymous pipes to a child's
 * standard streams. Windows: `\\.\pipe\<name>` through CreateNamedPipeW and
 * overlapped I/O; Linux: Unix domain sockets in a private directory.
 *
 * @example A message-mode server and a client
 * ```ts
 * import { NamedPipe } from "./pipe.ts";
 * await using server = NamedPipe.serve({ name: "jobs", mode: "message", instances: 4 });
 * const serving = (async () => {
 *   for await (const conn of server) {
 *     for await (const message of conn) await conn.write(message); // echo
 *     await conn.close();
 *   }
 * })();
 * await using conn = await NamedPipe.connect({ name: "jobs", timeout: 5000 });
 * await conn.write(new TextEncoder().encode("hello"));
 * console.log(new TextDecoder().decode((await conn.read())!));
 * ```
 *
 * @module
 */
import { platform } from "./ffi/mod.ts";
import { ClosedError } from "./errors.ts";
import { abortable, checkTimeout, type WaitOptions, withDeadline } from "./_options.ts";
import process from "node:process";
import type {
  AnonymousEnd,
  Endpoint,
  PipeMode,
  PipeSecurity,
  ServerEndpoint,
  ServeSettings,
} from "./_pipe_common.ts";
import { INHERITED_ENV, registerEnd } from "./_anonymous_pipe.ts";
import { StreamConnection } from "./_stream.ts";
import { inherited } from "./_activation.ts";
import * as posix from "./posix/pipe.ts";
import * as win32 from "./win32/pipe.ts";

export type { PipeMode, PipeSecurity } from "./_pipe_common.ts";
export type { WaitOptions } from "./_options.ts";

const os = platform === "windows" ? win32 : posix;

/** Options of {@link NamedPipe.serve}. */
export interface ServeOptions {
  /** A plain name (`\\.\pipe\<name>` on Windows, a socket file on Linux) or a full OS path. */
  name: string;
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
  /** A plain name or a full OS path. */
  name: string;
  /** Milliseconds to wait for the server to exist and have a free instance (default 5000; Infinity: forever). */
  timeout?: number;
  /** Ends the wait; `connect` rejects with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * A connected named pipe, on either side: `read()`/`write()`, async
 * iteration of messages (or chunks), and Web Streams.
 *
 * @example Reading every message
 * ```ts
 * import { NamedPipe } from "./pipe.ts";
 * await using conn = await NamedPipe.connect({ name: "jobs" });
 * for await (const message of conn) console.log(message.byteLength);
 * ```
 */
export class PipeConnection extends StreamConnection {
  readonly #endpoint: Endpoint;

  /** @internal Made by {@link NamedPipe.connect} and {@link NamedPipeServer.accept}. */
  constructor(endpoint: Endpoint, readonly name: string, readonly mode: PipeMode) {
    super(endpoint, `pipe '${name}'`);
    this.#endpoint = endpoint;
  }

  /** The process id of the other end. */
  get peerPid(): number {
    return this.#endpoint.peerPid;
  }
}

/**
 * A listening named pipe: iterate it (or call `accept()`) for one
 * {@link PipeConnection} per client.
 *
 * @example
 * ```ts
 * import { NamedPipe } from "./pipe.ts";
 * await using server = NamedPipe.serve({ name: "jobs" });
 * const conn = await server.accept();
 * console.log(conn.peerPid);
 * ```
 */
export class NamedPipeServer implements AsyncDisposable, AsyncIterable<PipeConnection> {
  readonly #server: ServerEndpoint;
  #accepting: Promise<void> = Promise.resolve();
  #closing: Promise<void> | null = null;

  /** @internal Made by {@link NamedPipe.serve}. */
  constructor(server: ServerEndpoint, readonly name: string, readonly mode: PipeMode) {
    this.#server = server;
  }

  /** The OS path of the pipe (`\\.\pipe\<name>` or the socket path). */
  get path(): string {
    return this.#server.path;
  }

  /**
   * Waits for the next client. An aborted or timed-out accept takes no
   * client: one that arrives meanwhile goes to the next accept.
   *
   * @param options `timeout` (ms; then TimeoutError), `signal` (then its reason).
   * @returns Its connection; ClosedError once the server is closed.
   * @example
   * ```ts
   * import { NamedPipe } from "./pipe.ts";
   * await using server = NamedPipe.serve({ name: "jobs" });
   * await using conn = await server.accept();
   * ```
   */
  accept(options: WaitOptions = {}): Promise<PipeConnection> {
    if (this.#closing) {
      return Promise.reject(
        new ClosedError(`Cannot accept on pipe '${this.name}': the server is closed`),
      );
    }
    // One accept at a time reaches the OS; the others wait their turn here. A turn ends when
    // the previous one has ended and this one's OS accept has returned (or never started).
    const previous = this.#accepting;
    let done!: () => void;
    const mine = new Promise<void>((resolve) => (done = resolve));
    this.#accepting = previous.then(() => mine);
    return withDeadline(options, `accept on pipe '${this.name}'`, async (signal) => {
      try {
        await abortable(previous, signal);
        const endpoint = await this.#server.accept(signal);
        return new PipeConnection(endpoint, this.name, this.mode);
      } finally {
        void previous.then(done);
      }
    });
  }

  /**
   * What the OS reports about the pipe's protection: on Windows the DACL as
   * SDDL and whether remote clients are refused; on Linux the socket file mode.
   *
   * @returns The descriptor text and the remote-client flag.
   * @example
   * ```ts
   * import { NamedPipe } from "./pipe.ts";
   * await using server = NamedPipe.serve({ name: "jobs" });
   * console.log(server.security().descriptor); // "D:P(A;;GA;;;S-1-5-21-…)"
   * ```
   */
  security(): { descriptor: string; rejectRemoteClients: boolean } {
    return this.#server.security();
  }

  /**
   * Stops listening and frees the name; a pending accept rejects with
   * ClosedError. Accepted connections stay open. Idempotent.
   *
   * @returns Resolves once closed.
   * @example
   * ```ts
   * import { NamedPipe } from "./pipe.ts";
   * const server = NamedPipe.serve({ name: "jobs" });
   * await server.close();
   * ```
   */
  close(): Promise<void> {
    return this.#closing ??= this.#server.close();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<PipeConnection> {
    for (;;) {
      try {
        yield await this.accept();
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
 * A pipe name held for its serving process (see {@link NamedPipe.hold}):
 * on Linux the pipe's listening socket, on Windows a busy instance of the
 * pipe. Closing it lets the name go (Linux: removes the socket file).
 *
 * @example
 * ```ts
 * import { NamedPipe } from "./pipe.ts";
 * using held = NamedPipe.hold("jobs");
 * console.log(held.rawHandle());
 * ```
 */
export class HeldPipe implements Disposable {
  readonly #held: { handle: bigint; close(): void };
  /**
   * How `spawn({ sockets })` hands it over: on Linux a listening socket
   * (`"stream"`); on Windows `"pipe"`, nothing but its name (the server joins
   * the pipe, see {@link NamedPipe.adopt}).
   */
  readonly type: "stream" | "pipe" = platform === "windows" ? "pipe" : "stream";

  /** @internal Made by {@link NamedPipe.hold}. */
  constructor(held: { handle: bigint; close(): void }, readonly name: string) {
    this.#held = held;
  }

  /**
   * The held handle: the listening socket's fd on Linux, the busy pipe
   * instance on Windows.
   *
   * @returns The handle; it stays owned by this object.
   * @example
   * ```ts
   * import { NamedPipe } from "./pipe.ts";
   * using held = NamedPipe.hold("jobs");
   * console.log(held.rawHandle());
   * ```
   */
  rawHandle(): bigint {
    return this.#held.handle;
  }

  /**
   * Lets the name go (Linux: closes the socket and removes its file). Idempotent.
   *
   * @example
   * ```ts
   * import { NamedPipe } from "./pipe.ts";
   * const held = NamedPipe.hold("jobs");
   * held.close();
   * ```
   */
  close(): void {
    this.#held.close();
  }

  [Symbol.dispose](): void {
    this.close();
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
export class NamedPipe {
  private constructor() {}

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
  static path(name: string): string {
    return os.pipePath(checkName(name));
  }

  /**
   * Removes what a server that died without closing left of a pipe name: on
   * Linux a stale socket file (a live server's is never touched); on Windows
   * nothing, since the kernel object went with the process.
   *
   * @param name A plain name or a full OS path.
   * @returns Whether something stale was removed.
   * @example
   * ```ts
   * import { NamedPipe } from "./pipe.ts";
   * NamedPipe.reclaim("jobs");
   * ```
   */
  static reclaim(name: string): boolean {
    return os.reclaimPipe(os.pipePath(checkName(name)));
  }

  /**
   * Creates a named pipe server. Fails with NameTakenError when another
   * server (or a squatter) holds the name.
   *
   * @param options `name`, mode, instances, security, buffer size.
   * @returns The server; iterate it for connections.
   * @example
   * ```ts
   * import { NamedPipe } from "./pipe.ts";
   * await using server = NamedPipe.serve({ name: "jobs", mode: "message", instances: 4 });
   * ```
   */
  static serve(options: ServeOptions): NamedPipeServer {
    const name = checkName(options?.name);
    const settings = serveSettings(options);
    const path = os.pipePath(name);
    return new NamedPipeServer(os.servePipe(name, path, settings), name, settings.mode);
  }

  /**
   * Holds a pipe name for its serving process, so the name outlives that
   * process's restarts (the supervisor's side of {@link NamedPipe.adopt}):
   * a client that connects while no server runs waits for the next one.
   * Linux binds the pipe's listening socket, which is handed over;
   * Windows keeps a busy instance of the pipe, which the server joins. Hand
   * it over with `spawn(argv, { sockets })`.
   *
   * @param name A plain name or a full OS path.
   * @param options The mode (the server's).
   * @returns The held pipe.
   * @example
   * ```ts
   * import { NamedPipe } from "./pipe.ts";
   * using held = NamedPipe.hold("jobs", { mode: "message" });
   * ```
   */
  static hold(name: string, options: { mode?: PipeMode } = {}): HeldPipe {
    const mode = serveSettings({ mode: options.mode ?? "byte" }).mode;
    return new HeldPipe(os.holdPipe(name, os.pipePath(checkName(name)), mode), name);
  }

  /**
   * Serves a pipe held for this process under the pipe's name (by
   * `ipckit run`): on Linux on the listening socket handed over
   * (`LISTEN_FDNAMES`); on Windows by joining the held pipe
   * (`IPCKIT_SOCKETS` lists it), with an instance listening only while an
   * accept is pending, so clients not yet accepted wait for the next run
   * of the server. NotFoundError when nothing was handed over.
   *
   * @param name The pipe's name (and its name in LISTEN_FDNAMES or IPCKIT_SOCKETS).
   * @param options As for {@link NamedPipe.serve}; `mode` must be the held socket's.
   * @returns The server.
   * @example
   * ```ts
   * import { NamedPipe } from "./pipe.ts";
   * await using server = NamedPipe.adopt("jobs", { mode: "message" });
   * ```
   */
  static adopt(name: string, options: Omit<ServeOptions, "name"> = {}): NamedPipeServer {
    const settings = serveSettings(options);
    const path = os.pipePath(checkName(name));
    const fd = Number(inherited("pipe", name).handle);
    return new NamedPipeServer(os.adoptPipeServer(name, path, fd, settings), name, settings.mode);
  }

  /**
   * Connects to a named pipe server, waiting up to `timeout` ms for it to
   * exist and have a free instance (TimeoutError after that, with a
   * NotFoundError cause when it never appeared). The mode is the server's.
   *
   * @param options `name`, `timeout` (ms, default 5000), `signal`.
   * @returns The connection.
   * @example
   * ```ts
   * import { NamedPipe } from "./pipe.ts";
   * await using conn = await NamedPipe.connect({ name: "jobs", timeout: 5000 });
   * ```
   */
  static async connect(options: ConnectOptions): Promise<PipeConnection> {
    const name = checkName(options?.name);
    const timeout = checkTimeout(options.timeout ?? 5000, `connect to pipe '${name}'`) ?? Infinity;
    options.signal?.throwIfAborted();
    const path = os.pipePath(name);
    const { endpoint, mode } = await os.connectPipe(name, path, {
      mode: "byte",
      timeout,
      signal: options.signal,
    });
    return new PipeConnection(endpoint, name, mode);
  }
}

function checkName(name: unknown): string {
  if (typeof name !== "string") {
    throw new TypeError(`Cannot use ${typeof name} as a pipe name: it must be a string`);
  }
  return name;
}

function serveSettings(options: Omit<ServeOptions, "name">): ServeSettings {
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

// ---- Anonymous pipes ----------------------------------------------------------

/**
 * The read end of an anonymous pipe: read it here, or hand it to a child
 * with {@link spawn} (`stdin: reader`), which then owns it.
 *
 * @example
 * ```ts
 * import { createPipe } from "./pipe.ts";
 * const { reader, writer } = createPipe();
 * await writer.write("hi");
 * await writer.close();
 * for await (const chunk of reader) console.log(chunk);
 * ```
 */
export class PipeReader implements AsyncDisposable, AsyncIterable<Uint8Array> {
  readonly #end: AnonymousEnd;
  #connection: PipeConnection | null = null;

  /** @internal Made by {@link createPipe}, {@link spawn} and {@link PipeReader.fromInherited}. */
  constructor(end: AnonymousEnd) {
    this.#end = end;
    registerEnd(this, end);
  }

  /**
   * The read end of a pipe this process inherited from its parent (listed
   * in the parent's `spawn(..., { inherit: [...] })`).
   *
   * @param index The position in the parent's `inherit` list.
   * @returns The read end.
   * @example
   * ```ts
   * import { PipeReader } from "./pipe.ts";
   * const input = PipeReader.fromInherited(0);
   * ```
   */
  static fromInherited(index: number): PipeReader {
    return new PipeReader(os.adoptEnd(inheritedHandle(index), "reader"));
  }

  #conn(): PipeConnection {
    if (this.#end.used === "child") throw handedOver("read from");
    return (this.#connection ??= new PipeConnection(this.#end.local(), "anonymous", "byte"));
  }

  /**
   * Reads the next chunk (concurrent reads in call order; an aborted read takes nothing).
   *
   * @param options `timeout` (ms; then TimeoutError), `signal` (then its reason).
   * @returns The bytes, or null once every writer has closed.
   * @example
   * ```ts
   * import { createPipe } from "./pipe.ts";
   * const { reader } = createPipe();
   * const chunk = await reader.read();
   * ```
   */
  async read(options: WaitOptions = {}): Promise<Uint8Array | null> {
    return await this.#conn().read(options);
  }

  /** The data as a ReadableStream. */
  get readable(): ReadableStream<Uint8Array> {
    return this.#conn().readable;
  }

  /**
   * The OS handle (Windows) or fd (Linux), for interop with other code.
   *
   * @returns The handle value; it stays owned by this object.
   * @example
   * ```ts
   * import { createPipe } from "./pipe.ts";
   * const { reader } = createPipe();
   * console.log(reader.rawHandle());
   * ```
   */
  rawHandle(): bigint {
    return rawHandleOf(this.#end);
  }

  /**
   * Closes this end.
   *
   * @returns Resolves once closed.
   * @example
   * ```ts
   * import { createPipe } from "./pipe.ts";
   * const { reader } = createPipe();
   * await reader.close();
   * ```
   */
  close(): Promise<void> {
    return this.#connection ? this.#connection.close() : this.#end.close();
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return this.#conn()[Symbol.asyncIterator]();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * The write end of an anonymous pipe: write it here, or hand it to a child
 * with {@link spawn} (`stdout: writer`), which then owns it.
 *
 * @example
 * ```ts
 * import { createPipe } from "./pipe.ts";
 * const { writer } = createPipe();
 * await writer.write(new Uint8Array([1, 2, 3]));
 * ```
 */
export class PipeWriter implements AsyncDisposable {
  readonly #end: AnonymousEnd;
  #connection: PipeConnection | null = null;

  /** @internal Made by {@link createPipe}, {@link spawn} and {@link PipeWriter.fromInherited}. */
  constructor(end: AnonymousEnd) {
    this.#end = end;
    registerEnd(this, end);
  }

  /**
   * The write end of a pipe this process inherited from its parent.
   *
   * @param index The position in the parent's `inherit` list.
   * @returns The write end.
   * @example
   * ```ts
   * import { PipeWriter } from "./pipe.ts";
   * const output = PipeWriter.fromInherited(0);
   * ```
   */
  static fromInherited(index: number): PipeWriter {
    return new PipeWriter(os.adoptEnd(inheritedHandle(index), "writer"));
  }

  #conn(): PipeConnection {
    if (this.#end.used === "child") throw handedOver("write to");
    return (this.#connection ??= new PipeConnection(this.#end.local(), "anonymous", "byte"));
  }

  /**
   * Writes bytes (a string as UTF-8).
   *
   * @param data The bytes.
   * @returns Resolves when the data is in the pipe.
   * @example
   * ```ts
   * import { createPipe } from "./pipe.ts";
   * const { writer } = createPipe();
   * await writer.write("line\n");
   * ```
   */
  async write(data: Uint8Array | ArrayBufferView | ArrayBuffer | string): Promise<void> {
    return await this.#conn().write(data);
  }

  /** A WritableStream over `write()`; closing it closes this end. */
  get writable(): WritableStream<Uint8Array> {
    return this.#conn().writable;
  }

  /**
   * The OS handle (Windows) or fd (Linux), for interop with other code.
   *
   * @returns The handle value; it stays owned by this object.
   * @example
   * ```ts
   * import { createPipe } from "./pipe.ts";
   * const { writer } = createPipe();
   * console.log(writer.rawHandle());
   * ```
   */
  rawHandle(): bigint {
    return rawHandleOf(this.#end);
  }

  /**
   * Waits for pending writes, then closes this end (the reader sees the end of the stream).
   *
   * @returns Resolves once closed.
   * @example
   * ```ts
   * import { createPipe } from "./pipe.ts";
   * const { writer } = createPipe();
   * await writer.close();
   * ```
   */
  close(): Promise<void> {
    return this.#connection ? this.#connection.close() : this.#end.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * Creates an anonymous pipe: a one-way byte stream, typically between this
 * process and a child started with {@link spawn}.
 *
 * @returns The read and write ends.
 * @example Feeding a child's standard input
 * ```ts
 * import { createPipe } from "./pipe.ts";
 * import { spawn } from "./process.ts";
 * const { reader, writer } = createPipe();
 * const child = spawn(["sort"], { stdin: reader, stdout: "inherit" });
 * await writer.write("b\na\n");
 * await writer.close();
 * await child.exited;
 * ```
 */
export function createPipe(): { reader: PipeReader; writer: PipeWriter } {
  const { reader, writer } = os.anonymousPipe();
  return { reader: new PipeReader(reader), writer: new PipeWriter(writer) };
}

function handedOver(verb: string): ClosedError {
  return new ClosedError(`Cannot ${verb} this pipe end: it was handed to a child process`);
}

function rawHandleOf(end: AnonymousEnd): bigint {
  // A handle is made on first use: an unused end becomes a local one.
  if (end.used === null) end.local();
  const endpoint = end.local() as { handle?: bigint; fd?: number };
  return endpoint.handle ?? BigInt(endpoint.fd ?? -1);
}

function inheritedHandle(index: number): bigint {
  const list = (process.env[INHERITED_ENV] ?? "").split(",").filter((s) => s !== "");
  const value = list[index];
  if (value === undefined) {
    throw new RangeError(
      `Cannot open inherited pipe ${index}: this process inherited ${list.length} (${INHERITED_ENV}='${
        process.env[INHERITED_ENV] ?? ""
      }')`,
    );
  }
  return BigInt(value);
}
