/**
 * Sockets: TCP and Unix stream sockets (listen, accept, connect), UDP
 * datagrams, IPv4 and IPv6, and listening sockets handed over by someone
 * else (systemd's `LISTEN_FDS`, `ipckit run`). Windows: Winsock (`ws2_32`)
 * overlapped on the process's completion port; Linux: libc, nonblocking, on
 * the process's poll waiter. Streams read and write like a
 * {@link PipeConnection}; datagrams are messages.
 *
 * @example A TCP echo server and a client
 * ```ts
 * import { Socket } from "./socket.ts";
 * using server = await Socket.listen({ host: "127.0.0.1", port: 0 });
 * const serving = (async () => {
 *   await using conn = await server.accept();
 *   for await (const chunk of conn) await conn.write(chunk);
 * })();
 * await using client = await Socket.connect({ port: server.port });
 * await client.write("hello");
 * await client.end(); // half-close: the server's loop ends, ours keeps reading
 * for await (const chunk of client) console.log(new TextDecoder().decode(chunk));
 * await serving;
 * ```
 *
 * @module
 */
import { platform } from "./ffi/mod.ts";
import { ClosedError, MessageTooLargeError, NotFoundError, TimeoutError } from "./errors.ts";
import { toBytes } from "./_pipe_common.ts";
import { StreamConnection } from "./_stream.ts";
import {
  type BindSettings,
  type DatagramEndpoint,
  encodeSockaddr,
  formatAddress,
  type ListenerEndpoint,
  MAX_DATAGRAM,
  type SocketAddress,
  type StreamEndpoint,
  type StreamSettings,
  type Target,
} from "./_socket_common.ts";
import { handedOver, inherited } from "./_activation.ts";
import * as posix from "./posix/net.ts";
import * as win32 from "./win32/net.ts";

export type { SocketAddress } from "./_socket_common.ts";

const os = platform === "windows" ? win32 : posix;

/** Options every socket call that can wait takes. */
export interface SocketWaitOptions {
  /** Milliseconds, `>= 0` or Infinity (default). Rejects with TimeoutError. */
  readonly timeout?: number;
  /** Ends the wait; rejects with the signal's reason. */
  readonly signal?: AbortSignal;
}

/** Options of a stream connection (TCP; ignored for Unix sockets where they don't apply). */
export interface SocketStreamOptions {
  /** Send small writes at once (TCP_NODELAY). Default true, as in node:net's servers since v22. */
  readonly noDelay?: boolean;
  /** TCP keep-alive: false (default), true (after 60 s idle) or the idle time in ms. */
  readonly keepAlive?: boolean | number;
  /** SO_SNDBUF in bytes (default: the OS's, which tunes itself). */
  readonly sendBufferSize?: number;
  /** SO_RCVBUF in bytes (default: the OS's). */
  readonly receiveBufferSize?: number;
}

/** Where to listen or connect: an IP host and port, or a Unix socket path. */
export type SocketTarget =
  | {
    /** An IP address or host name (default "127.0.0.1"). */
    readonly host?: string;
    /** The port; 0 (default) lets the OS pick one when listening. */
    readonly port?: number;
    readonly path?: undefined;
  }
  | {
    /** A Unix socket path (Linux, and Windows where AF_UNIX exists). */
    readonly path: string;
    readonly host?: undefined;
    readonly port?: undefined;
  };

/** Options of {@link Socket.listen}. */
export type SocketListenOptions = SocketTarget & SocketStreamOptions & SocketWaitOptions & {
  /** Pending connections the OS queues (default 511). */
  readonly backlog?: number;
  /** Rebind a port whose old connections linger in TIME_WAIT (default true; see docs/mechanisms.md for Windows). */
  readonly reuseAddress?: boolean;
  /** An IPv6 listener takes IPv6 only, not IPv4-mapped addresses too (default false). */
  readonly ipv6Only?: boolean;
};

/** Options of {@link Socket.connect}. */
export type SocketConnectOptions = SocketTarget & SocketStreamOptions & SocketWaitOptions;

/** Options of {@link Datagram.listen}. */
export type DatagramOptions =
  & { readonly host?: string; readonly port?: number }
  & Pick<SocketListenOptions, "reuseAddress" | "ipv6Only" | "sendBufferSize" | "receiveBufferSize">
  & SocketWaitOptions;

/** Options of {@link Socket.adopt} and {@link Datagram.adopt}. */
export interface SocketAdoptOptions extends SocketStreamOptions {
  /** The socket's name in `LISTEN_FDNAMES` (default: the first socket of the right kind). */
  readonly name?: string;
}

/** A datagram and who sent it. */
export interface ReceivedDatagram {
  readonly data: Uint8Array;
  readonly from: SocketAddress;
}

/**
 * A connected stream socket (TCP or Unix): `read()`/`write()`, async
 * iteration, Web Streams, and `end()` to half-close.
 *
 * @example Reading until the peer ends
 * ```ts
 * import { Socket } from "./socket.ts";
 * await using conn = await Socket.connect({ host: "127.0.0.1", port: 8080 });
 * for await (const chunk of conn) console.log(chunk.byteLength);
 * ```
 */
export class SocketConnection extends StreamConnection {
  readonly #endpoint: StreamEndpoint;
  #ending: Promise<void> | null = null;

  /** @internal Made by {@link Socket.connect} and {@link SocketListener.accept}. */
  constructor(endpoint: StreamEndpoint, what: string) {
    super(endpoint, what);
    this.#endpoint = endpoint;
  }

  /** The process id of the other end (Unix sockets on Linux; 0 elsewhere). */
  get peerPid(): number {
    return this.#endpoint.peerPid;
  }

  /** This end's address. */
  get localAddress(): SocketAddress {
    this.#check("get the address of");
    return this.#endpoint.localAddress();
  }

  /** The other end's address. */
  get remoteAddress(): SocketAddress {
    this.#check("get the address of");
    return this.#endpoint.remoteAddress();
  }

  /**
   * The OS socket (Windows SOCKET, Linux fd), for interop; it stays owned
   * by this connection.
   *
   * @returns The handle.
   * @example
   * ```ts
   * import { Socket } from "./socket.ts";
   * await using conn = await Socket.connect({ port: 8080 });
   * console.log(conn.rawHandle());
   * ```
   */
  rawHandle(): bigint {
    this.#check("use");
    return this.#endpoint.handle;
  }

  /**
   * Changes TCP options of the connection.
   *
   * @param options No-delay, keep-alive, buffer sizes.
   * @example
   * ```ts
   * import { Socket } from "./socket.ts";
   * await using conn = await Socket.connect({ port: 8080 });
   * conn.setOptions({ keepAlive: 30_000 });
   * ```
   */
  setOptions(options: SocketStreamOptions): void {
    this.#check("set options of");
    this.#endpoint.apply(streamSettings(options));
  }

  /**
   * Half-closes: waits for pending writes, then ends the sending direction.
   * The peer reads end of stream; this end can still read. Idempotent.
   *
   * @returns Resolves once the direction is shut.
   * @example
   * ```ts
   * import { Socket } from "./socket.ts";
   * await using conn = await Socket.connect({ port: 8080 });
   * await conn.write("request");
   * await conn.end();
   * const reply = await conn.read();
   * ```
   */
  end(): Promise<void> {
    this.#check("end");
    return (this.#ending ??= this.#endpoint.shutdownWrite());
  }

  #check(verb: string): void {
    if (this.closed) throw new ClosedError(`Cannot ${verb} a closed socket`);
  }
}

/**
 * Hands results of one OS operation at a time (accept, receive) to callers,
 * in order. A caller that times out or aborts takes nothing: a result that
 * arrives after it left waits for the next caller.
 */
class Handoff<T> {
  readonly #waiters: { resolve(value: T): void; reject(error: unknown): void }[] = [];
  readonly #ready: T[] = [];
  #running = false;
  #closed = false;

  constructor(
    readonly produce: () => Promise<T>,
    readonly discard: (value: T) => void,
    readonly what: string,
  ) {}

  take(verb: string, options: SocketWaitOptions): Promise<T> {
    if (this.#closed) {
      return Promise.reject(new ClosedError(`Cannot ${verb} ${this.what}: it is closed`));
    }
    if (this.#ready.length > 0) return Promise.resolve(this.#ready.shift()!);
    const timeout = checkTimeout(options.timeout, `${verb} ${this.what}`);
    options.signal?.throwIfAborted();
    return new Promise<T>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const leave = (error: unknown) => {
        const at = this.#waiters.indexOf(waiter);
        if (at >= 0) this.#waiters.splice(at, 1);
        settle();
        reject(error);
      };
      const onAbort = () => leave(options.signal!.reason);
      const settle = () => {
        clearTimeout(timer);
        options.signal?.removeEventListener("abort", onAbort);
      };
      const waiter = {
        resolve: (value: T) => (settle(), resolve(value)),
        reject: (error: unknown) => (settle(), reject(error)),
      };
      this.#waiters.push(waiter);
      if (timeout !== undefined) {
        timer = setTimeout(
          () =>
            leave(new TimeoutError(`Cannot ${verb} ${this.what}: timed out after ${timeout} ms`)),
          timeout,
        );
      }
      options.signal?.addEventListener("abort", onAbort);
      this.#run();
    });
  }

  #run(): void {
    if (this.#running || this.#closed || this.#waiters.length === 0) return;
    this.#running = true;
    this.produce().then(
      (value) => {
        this.#running = false;
        if (this.#closed) return this.discard(value);
        const waiter = this.#waiters.shift();
        if (waiter) waiter.resolve(value);
        else this.#ready.push(value);
        this.#run();
      },
      (error) => {
        this.#running = false;
        if (this.#closed) return;
        this.#waiters.shift()?.reject(error);
        this.#run();
      },
    );
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const value of this.#ready.splice(0)) this.discard(value);
    for (const waiter of this.#waiters.splice(0)) {
      waiter.reject(new ClosedError(`Cannot use ${this.what}: it was closed`));
    }
  }
}

/**
 * A listening stream socket: `accept()` or iterate it for one
 * {@link SocketConnection} per client. Closing it stops listening;
 * accepted connections stay open.
 *
 * @example
 * ```ts
 * import { Socket } from "./socket.ts";
 * using server = await Socket.listen({ port: 0 });
 * console.log(server.port);
 * for await (const conn of server) void conn.write("hi").then(() => conn.close());
 * ```
 */
export class SocketListener implements Disposable, AsyncIterable<SocketConnection> {
  readonly #endpoint: ListenerEndpoint;
  readonly #accepts: Handoff<StreamEndpoint>;
  readonly #settings: StreamSettings;
  readonly #what: string;
  #closed = false;

  /** @internal Made by {@link Socket.listen} and {@link Socket.adopt}. */
  constructor(endpoint: ListenerEndpoint, settings: StreamSettings) {
    this.#endpoint = endpoint;
    this.#settings = settings;
    const address = endpoint.address();
    this.#what = `socket listener ${formatAddress(address)}`;
    this.address = address;
    this.#accepts = new Handoff(
      () => endpoint.accept(),
      (stream) => void stream.close(),
      this.#what,
    );
  }

  /** Where it listens (the port the OS picked, for port 0). */
  readonly address: SocketAddress;

  /** The TCP port it listens on (the one the OS picked, for port 0); 0 for a Unix socket. */
  get port(): number {
    return this.address.family === "unix" ? 0 : this.address.port;
  }

  /**
   * Waits for the next client.
   *
   * @param options `timeout`, `signal`.
   * @returns The connection.
   * @example
   * ```ts
   * import { Socket } from "./socket.ts";
   * using server = await Socket.listen({ port: 0 });
   * await using conn = await server.accept({ timeout: 5000 });
   * ```
   */
  async accept(options: SocketWaitOptions = {}): Promise<SocketConnection> {
    const stream = await this.#accepts.take("accept on", options);
    try {
      stream.apply(this.#settings);
    } catch (error) {
      await stream.close();
      throw error;
    }
    return new SocketConnection(stream, `socket ${formatAddress(stream.remoteAddress())}`);
  }

  /**
   * The OS socket (Windows SOCKET, Linux fd); it stays owned by the listener.
   *
   * @returns The handle.
   * @example
   * ```ts
   * import { Socket } from "./socket.ts";
   * using server = await Socket.listen({ port: 0 });
   * console.log(server.rawHandle());
   * ```
   */
  rawHandle(): bigint {
    if (this.#closed) throw new ClosedError(`Cannot use ${this.#what}: it is closed`);
    return this.#endpoint.handle;
  }

  /**
   * Stops listening (a Unix socket's file is removed). Idempotent; pending
   * accepts reject with ClosedError.
   *
   * @example
   * ```ts
   * import { Socket } from "./socket.ts";
   * const server = await Socket.listen({ port: 0 });
   * server.close();
   * ```
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#accepts.close();
    this.#endpoint.close();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<SocketConnection> {
    for (;;) {
      try {
        yield await this.accept();
      } catch (error) {
        if (error instanceof ClosedError && this.#closed) return;
        throw error;
      }
    }
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * A bound UDP socket: `send()` datagrams anywhere, `receive()` or iterate
 * the ones sent to it.
 *
 * @example
 * ```ts
 * import { Datagram } from "./socket.ts";
 * using udp = await Datagram.listen({ port: 0 });
 * await udp.send("ping", { port: udp.port });
 * const { data, from } = await udp.receive({ timeout: 1000 });
 * ```
 */
export class DatagramSocket implements Disposable, AsyncIterable<ReceivedDatagram> {
  readonly #endpoint: DatagramEndpoint;
  readonly #receives: Handoff<{ data: Uint8Array; from: SocketAddress }>;
  readonly #what: string;
  #closed = false;

  /** @internal Made by {@link Datagram.listen} and {@link Datagram.adopt}. */
  constructor(endpoint: DatagramEndpoint) {
    this.#endpoint = endpoint;
    this.address = endpoint.address();
    this.#what = `datagram socket ${formatAddress(this.address)}`;
    this.#receives = new Handoff(() => endpoint.receive(), () => {}, this.#what);
  }

  /** Where it is bound. */
  readonly address: SocketAddress;

  /** The UDP port it is bound to (the one the OS picked, for port 0). */
  get port(): number {
    return this.address.family === "unix" ? 0 : this.address.port;
  }

  /**
   * The largest datagram this socket sends: 65507 bytes over IPv4, 65527
   * over IPv6.
   */
  get maxDatagramSize(): number {
    return this.address.family === "ipv6" ? MAX_DATAGRAM.ipv6 : MAX_DATAGRAM.ipv4;
  }

  /**
   * Sends one datagram. A datagram larger than {@link maxDatagramSize} is
   * refused with MessageTooLargeError before anything is sent.
   *
   * @param data The bytes (a string as UTF-8).
   * @param to The receiver (`host` defaults to 127.0.0.1, or ::1 from an IPv6 socket).
   * @returns Resolves once sent.
   * @example
   * ```ts
   * import { Datagram } from "./socket.ts";
   * using udp = await Datagram.listen({ port: 0 });
   * await udp.send(new Uint8Array(512), { host: "127.0.0.1", port: 9999 });
   * ```
   */
  async send(
    data: Uint8Array | ArrayBufferView | ArrayBuffer | string,
    to: { readonly host?: string; readonly port: number },
  ): Promise<void> {
    if (this.#closed) throw new ClosedError(`Cannot send on ${this.#what}: it is closed`);
    const bytes = toBytes(data, this.#what);
    if (bytes.byteLength > this.maxDatagramSize) {
      throw new MessageTooLargeError(
        `Cannot send ${bytes.byteLength} bytes on ${this.#what}: a UDP datagram holds at most ${this.maxDatagramSize}`,
        bytes.byteLength,
        this.maxDatagramSize,
      );
    }
    const family = this.address.family === "ipv6" ? "ipv6" : "ipv4";
    const host = to.host ?? (family === "ipv6" ? "::1" : "127.0.0.1");
    const target = await resolve(host, checkPort(to.port), {}, family);
    await this.#endpoint.send(bytes, encodeSockaddr(target, os.AF));
  }

  /**
   * The OS socket (Windows SOCKET, Linux fd); it stays owned by this object.
   *
   * @returns The handle.
   * @example
   * ```ts
   * import { Datagram } from "./socket.ts";
   * using udp = await Datagram.listen({ port: 0 });
   * console.log(udp.rawHandle());
   * ```
   */
  rawHandle(): bigint {
    if (this.#closed) throw new ClosedError(`Cannot use ${this.#what}: it is closed`);
    return this.#endpoint.handle;
  }

  /**
   * Waits for the next datagram.
   *
   * @param options `timeout`, `signal`.
   * @returns Its bytes and sender.
   * @example
   * ```ts
   * import { Datagram } from "./socket.ts";
   * using udp = await Datagram.listen({ port: 0 });
   * const { data, from } = await udp.receive();
   * ```
   */
  receive(options: SocketWaitOptions = {}): Promise<ReceivedDatagram> {
    return this.#receives.take("receive on", options);
  }

  /**
   * Closes the socket. Idempotent; a pending receive rejects with ClosedError.
   *
   * @example
   * ```ts
   * import { Datagram } from "./socket.ts";
   * const udp = await Datagram.listen({ port: 0 });
   * udp.close();
   * ```
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#receives.close();
    this.#endpoint.close();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<ReceivedDatagram> {
    for (;;) {
      try {
        yield await this.receive();
      } catch (error) {
        if (error instanceof ClosedError && this.#closed) return;
        throw error;
      }
    }
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** Options of {@link Socket.hold}. */
export type SocketHoldOptions = SocketTarget & {
  /** `"stream"` (default: a listening TCP or Unix socket) or `"datagram"` (UDP). */
  readonly type?: "stream" | "datagram";
  /** Pending connections the OS queues (default 4096: clients wait there while a server restarts). */
  readonly backlog?: number;
};

/**
 * A socket bound on behalf of another process: the supervisor's side of
 * socket activation. Hand it to children with `spawn(argv, { sockets })`;
 * they adopt it with {@link Socket.adopt} or {@link Datagram.adopt}. It is
 * never read here, so it outlives the processes it is handed to: clients
 * that connect while none runs wait in its backlog.
 *
 * @example Handing a port to a child, which serves on it
 * ```ts
 * import { Socket } from "./socket.ts";
 * import { spawn } from "./process.ts";
 * using held = await Socket.hold({ port: 0 });
 * const child = spawn(["python3", "server.py"], { sockets: [{ name: "web", socket: held }] });
 * console.log(`serving on port ${held.port}`);
 * await child.exited;
 * ```
 */
export class HeldSocket implements Disposable {
  readonly #endpoint: ListenerEndpoint | DatagramEndpoint;
  #closed = false;

  /** @internal Made by {@link Socket.hold}. */
  constructor(endpoint: ListenerEndpoint | DatagramEndpoint, readonly type: "stream" | "datagram") {
    this.#endpoint = endpoint;
    this.address = endpoint.address();
  }

  /** Where it is bound. */
  readonly address: SocketAddress;

  /** Its port (the one the OS picked, for port 0); 0 for a Unix socket. */
  get port(): number {
    return this.address.family === "unix" ? 0 : this.address.port;
  }

  /**
   * The OS socket (Windows SOCKET, Linux fd).
   *
   * @returns The handle; it stays owned by this object.
   * @example
   * ```ts
   * import { Socket } from "./socket.ts";
   * using held = await Socket.hold({ port: 0 });
   * console.log(held.rawHandle());
   * ```
   */
  rawHandle(): bigint {
    if (this.#closed) {
      throw new ClosedError(`Cannot use held socket ${formatAddress(this.address)}: it is closed`);
    }
    return this.#endpoint.handle;
  }

  /**
   * Closes this process's copy (a Unix socket's file is removed). Idempotent.
   *
   * @example
   * ```ts
   * import { Socket } from "./socket.ts";
   * const held = await Socket.hold({ port: 0 });
   * held.close();
   * ```
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#endpoint.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * Stream sockets: TCP (`{ host, port }`) and Unix (`{ path }`).
 *
 * @example
 * ```ts
 * import { Socket } from "./socket.ts";
 * using server = await Socket.listen({ host: "::1", port: 0 });
 * await using client = await Socket.connect({ host: "::1", port: server.port });
 * ```
 */
export class Socket {
  private constructor() {}

  /**
   * Binds and listens. A port already in use is NameTakenError naming it.
   *
   * @param options Where (`host` default 127.0.0.1, `port` default 0 = any free one; or `path`),
   *   backlog, reuse, stream options for accepted connections.
   * @returns The listener.
   * @example
   * ```ts
   * import { Socket } from "./socket.ts";
   * using server = await Socket.listen({ host: "127.0.0.1", port: 0, noDelay: true });
   * console.log(server.address);
   * ```
   */
  static async listen(options: SocketListenOptions = {}): Promise<SocketListener> {
    const settings = streamSettings(options);
    const bind = bindSettings(options);
    const target = await targetOf(options, "listen on");
    return new SocketListener(os.listenStream(target, bind), settings);
  }

  /**
   * Connects. Nothing listening is NotFoundError (a refused TCP connection
   * is an answer, not something to wait out); a host name that does not
   * resolve is NotFoundError too.
   *
   * @param options Where (`host` default 127.0.0.1 and `port`, or `path`), stream options, `timeout`, `signal`.
   * @returns The connection.
   * @example
   * ```ts
   * import { Socket } from "./socket.ts";
   * await using conn = await Socket.connect({ host: "localhost", port: 8080, timeout: 5000 });
   * ```
   */
  static async connect(options: SocketConnectOptions): Promise<SocketConnection> {
    const settings = streamSettings(options);
    const timeout = checkTimeout(options.timeout, "connect");
    const deadline = new AbortController();
    const timer = timeout === undefined ? undefined : setTimeout(() => {
      deadline.abort(new TimeoutError(`Cannot connect: timed out after ${timeout} ms`));
    }, timeout);
    const signal = options.signal
      ? AbortSignal.any([options.signal, deadline.signal])
      : deadline.signal;
    try {
      const target = await targetOf(options, "connect to", signal);
      if (target.family !== "unix" && target.port === 0) {
        throw new RangeError(
          `Cannot connect to ${formatAddress(target)}: port 0 is not a port to connect to`,
        );
      }
      const stream = await os.connectStream(target, signal);
      try {
        stream.apply(settings);
      } catch (error) {
        await stream.close();
        throw error;
      }
      return new SocketConnection(stream, `socket ${formatAddress(target)}`);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Binds a socket for another process to use (socket activation): a
   * listening stream socket, or a UDP socket with `type: "datagram"`. Port
   * 0 is bound once, here: the port is known before any child starts.
   *
   * @param options Where, the type, the backlog.
   * @returns The held socket.
   * @example
   * ```ts
   * import { Socket } from "./socket.ts";
   * using held = await Socket.hold({ host: "127.0.0.1", port: 0 });
   * console.log(held.port);
   * ```
   */
  static async hold(options: SocketHoldOptions = {}): Promise<HeldSocket> {
    const type = options.type ?? "stream";
    if (type !== "stream" && type !== "datagram") {
      throw new TypeError(
        `Cannot hold a socket of type '${String(type)}': use "stream" or "datagram"`,
      );
    }
    const bind = bindSettings({ ...options, backlog: options.backlog ?? 4096 });
    const target = await targetOf(options, "listen on");
    if (type === "datagram") {
      if (target.family === "unix") throw new TypeError("Cannot use a path for a UDP socket");
      return new HeldSocket(os.bindDatagram(target, bind, true), type);
    }
    return new HeldSocket(os.listenStream(target, bind, true), type);
  }

  /**
   * Adopts a listening socket this process was handed: by systemd or
   * `systemd-socket-activate` (`LISTEN_FDS`, `LISTEN_PID`,
   * `LISTEN_FDNAMES`) or by `ipckit run` (the same variables on Linux;
   * `IPCKIT_SOCKETS` on Windows, see docs/env-contract.md). Throws
   * NotFoundError when none was handed to this process (including a
   * `LISTEN_PID` that names another process).
   *
   * @param options `name` (from LISTEN_FDNAMES), stream options for accepted connections.
   * @returns The listener.
   * @example
   * ```ts
   * import { Socket } from "./socket.ts";
   * using server = Socket.adopt({ name: "web" });
   * for await (const conn of server) void conn.close();
   * ```
   */
  static adopt(options: SocketAdoptOptions = {}): SocketListener {
    const settings = streamSettings(options);
    const found = inherited("listener", options.name);
    return new SocketListener(os.adoptListener(found.handle, found.name), settings);
  }

  /**
   * The sockets this process was handed (see {@link Socket.adopt}), without taking them.
   *
   * @returns Name and kind of each; empty when none were handed over.
   * @example
   * ```ts
   * import { Socket } from "./socket.ts";
   * for (const s of Socket.inherited()) console.log(s.name, s.kind);
   * ```
   */
  static inherited(): { name: string; kind: "listener" | "datagram" | "other" }[] {
    return handedOver().map(({ name, kind }) => ({ name, kind }));
  }
}

/**
 * UDP sockets.
 *
 * @example
 * ```ts
 * import { Datagram } from "./socket.ts";
 * using server = await Datagram.listen({ port: 0 });
 * for await (const { data, from } of server) {
 *   if (from.family !== "unix") await server.send(data, { host: from.address, port: from.port });
 * }
 * ```
 */
export class Datagram {
  private constructor() {}

  /**
   * Binds a UDP socket (port 0, the default, lets the OS pick one).
   *
   * @param options `host` (default 127.0.0.1), `port`, buffer sizes.
   * @returns The socket.
   * @example
   * ```ts
   * import { Datagram } from "./socket.ts";
   * using udp = await Datagram.listen({ host: "::1", port: 0 });
   * ```
   */
  static async listen(options: DatagramOptions = {}): Promise<DatagramSocket> {
    const bind = bindSettings({ reuseAddress: false, ...options });
    const target = await targetOf(options, "listen on");
    if (target.family === "unix") throw new TypeError("Cannot use a path for a UDP socket");
    return new DatagramSocket(os.bindDatagram(target, bind));
  }

  /**
   * Adopts a datagram socket this process was handed (see {@link Socket.adopt}).
   *
   * @param options `name` (from LISTEN_FDNAMES).
   * @returns The socket.
   * @example
   * ```ts
   * import { Datagram } from "./socket.ts";
   * using udp = Datagram.adopt({ name: "metrics" });
   * ```
   */
  static adopt(options: { readonly name?: string } = {}): DatagramSocket {
    const found = inherited("datagram", options.name);
    return new DatagramSocket(os.adoptDatagram(found.handle, found.name));
  }
}

async function targetOf(
  options: { host?: string | undefined; port?: number | undefined; path?: string | undefined },
  verb: string,
  signal?: AbortSignal,
): Promise<Target> {
  if (options.path !== undefined) {
    if (typeof options.path !== "string" || options.path === "") {
      throw new TypeError(
        `Cannot ${verb} socket path ${JSON.stringify(options.path)}: use a non-empty string`,
      );
    }
    if (platform === "windows") win32.requireUnixSockets(options.path);
    return { family: "unix", path: options.path };
  }
  return await resolve(options.host ?? "127.0.0.1", checkPort(options.port ?? 0), { signal });
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** Resolves a host to one address (an IP literal as it is; a name through the OS resolver). */
async function resolve(
  host: string,
  port: number,
  options: { signal?: AbortSignal | undefined },
  family?: "ipv4" | "ipv6",
): Promise<Target> {
  if (typeof host !== "string" || host === "") {
    throw new TypeError(
      `Cannot use host ${JSON.stringify(host)}: use a host name or an IP address`,
    );
  }
  const bare = host.replace(/^\[(.*)\]$/, "$1");
  if (IPV4.test(bare)) return { family: "ipv4", address: bare, port };
  if (bare.includes(":")) return { family: "ipv6", address: bare, port };
  const dns = await import("node:dns");
  options.signal?.throwIfAborted();
  try {
    const found = await dns.promises.lookup(bare, {
      family: family === "ipv6" ? 6 : family === "ipv4" ? 4 : 0,
    });
    return { family: found.family === 6 ? "ipv6" : "ipv4", address: found.address, port };
  } catch (error) {
    throw new NotFoundError(`Cannot resolve host '${host}': ${(error as Error).message}`, host, {
      cause: error,
    });
  }
}

function checkPort(port: unknown): number {
  if (typeof port !== "number") {
    throw new TypeError(`Cannot use port ${String(port)}: it must be a number`);
  }
  if (!(Number.isInteger(port) && port >= 0 && port <= 65535)) {
    throw new RangeError(`Cannot use port ${port}: use 0 to 65535`);
  }
  return port;
}

function checkTimeout(timeout: unknown, what: string): number | undefined {
  if (timeout === undefined || timeout === Infinity) return undefined;
  if (typeof timeout !== "number" || Number.isNaN(timeout) || timeout < 0) {
    throw new RangeError(
      `Cannot ${what} with timeout ${String(timeout)}: it must be a number >= 0 ms`,
    );
  }
  return timeout;
}

function checkSize(value: unknown, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (!(typeof value === "number" && Number.isInteger(value) && value > 0 && value <= 0x7fffffff)) {
    throw new RangeError(`Cannot use ${what} ${String(value)}: use a positive number of bytes`);
  }
  return value;
}

function streamSettings(options: SocketStreamOptions): StreamSettings {
  const keepAlive = options.keepAlive ?? false;
  if (typeof keepAlive !== "boolean" && !(typeof keepAlive === "number" && keepAlive >= 0)) {
    throw new TypeError(
      `Cannot use keepAlive ${String(keepAlive)}: use a boolean or a number of ms`,
    );
  }
  return {
    noDelay: options.noDelay ?? true,
    keepAlive: keepAlive === true ? 60_000 : keepAlive,
    sendBufferSize: checkSize(options.sendBufferSize, "sendBufferSize"),
    receiveBufferSize: checkSize(options.receiveBufferSize, "receiveBufferSize"),
  };
}

function bindSettings(options: SocketListenOptions | DatagramOptions): BindSettings {
  const backlog = (options as SocketListenOptions).backlog ?? 511;
  if (!(Number.isInteger(backlog) && backlog >= 0)) {
    throw new RangeError(`Cannot listen with backlog ${backlog}: use a count >= 0`);
  }
  return {
    reuseAddress: options.reuseAddress ?? true,
    ipv6Only: options.ipv6Only ?? false,
    backlog,
    sendBufferSize: checkSize(options.sendBufferSize, "sendBufferSize"),
    receiveBufferSize: checkSize(options.receiveBufferSize, "receiveBufferSize"),
  };
}

/**
 * Whether this OS has Unix stream sockets (Linux always; Windows 10 1803
 * and later, and Wine, through AF_UNIX in Winsock).
 *
 * @returns True when `{ path }` works for {@link Socket.listen} and {@link Socket.connect}.
 * @example
 * ```ts
 * import { unixSocketsAvailable } from "./socket.ts";
 * if (!unixSocketsAvailable()) console.log("use TCP on loopback instead");
 * ```
 */
export function unixSocketsAvailable(): boolean {
  return platform !== "windows" || win32.unixSocketsAvailable();
}
