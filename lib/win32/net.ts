/**
 * Sockets on Windows (lib/socket.ts): Winsock sockets opened overlapped and
 * associated with the process's one completion port (completion.ts).
 * Accepting and connecting are AcceptEx and ConnectEx; datagrams are
 * WSARecvFrom and WSASendTo; a connected stream reads and writes with
 * NtReadFile/NtWriteFile, which the AFD driver serves as recv and send (what
 * ReadFile on a socket does), so streams share {@link OverlappedEndpoint}
 * with the named pipes. Sockets handed over by `ipckit run` arrive as
 * inherited handles (`IPCKIT_SOCKETS`, docs/env-contract.md).
 *
 * @module
 */
import { functionAt, NativeMemory } from "../ffi/mod.ts";
import { ClosedError, NameTakenError, NotFoundError, UnsupportedPlatformError } from "../errors.ts";
import {
  applyBuffers,
  type BindSettings,
  type DatagramEndpoint,
  decodeSockaddr,
  encodeSockaddr,
  type Families,
  formatAddress,
  type ListenerEndpoint,
  readSockaddr,
  SOCKADDR_MAX,
  type SocketAddress,
  SOCKETS_ENV,
  type StreamEndpoint,
  type StreamSettings,
  type Target,
} from "../_socket_common.ts";
import {
  associate,
  associateInherited,
  cancelAll,
  type Completion,
  STATUS,
  winsockOverlapped,
} from "./completion.ts";
import { Win32Error } from "./error.ts";
import { ntdll } from "./ntdll.ts";
import { ntError, OverlappedEndpoint } from "./overlapped.ts";
import { ACCEPT_EX, CONNECT_EX, ws2_32 } from "./ws2_32.ts";

/** AF_* in Winsock. */
export const AF: Families = { inet: 2, inet6: 23, unix: 1 };
const SOCK_STREAM = 1;
const SOCK_DGRAM = 2;
const SOL_SOCKET = 0xffff;
const SO = {
  REUSEADDR: 4,
  EXCLUSIVEADDRUSE: ~4,
  KEEPALIVE: 8,
  ACCEPTCONN: 2,
  SNDBUF: 0x1001,
  RCVBUF: 0x1002,
  TYPE: 0x1008,
  UPDATE_ACCEPT_CONTEXT: 0x700b,
  UPDATE_CONNECT_CONTEXT: 0x7010,
} as const;
const IPPROTO_TCP = 6;
const TCP_NODELAY = 1;
const IPPROTO_IPV6 = 41;
const IPV6_V6ONLY = 27;
const SD_SEND = 1;
const WSA_FLAG_OVERLAPPED = 0x1;
const WSA_FLAG_NO_HANDLE_INHERIT = 0x80;
const INVALID_SOCKET = 0xffffffffffffffffn;
const SIO_GET_EXTENSION_FUNCTION_POINTER = 0xc8000006;
const SIO_KEEPALIVE_VALS = 0x98000004;
const SIO_UDP_CONNRESET = 0x9800000c;
const WSAEADDRINUSE = 10048;
const WSAECONNREFUSED = 10061;
const WSAEAFNOSUPPORT = 10047;
const ERROR_CONNECTION_REFUSED = 1225;
/** Room AcceptEx needs per address: the largest sockaddr (sockaddr_un, 110 bytes) + 16. */
const ACCEPT_ADDRESS_ROOM = 128 + 16;

const WSAID_ACCEPTEX = guid("b5367df1-cbac-11cf-95ca-00805f48a192");
const WSAID_CONNECTEX = guid("25a207b9-ddf3-4660-8ee9-76e58c74063e");

function guid(text: string): Uint8Array {
  const hex = text.replace(/-/g, "");
  const bytes = new Uint8Array(16);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, parseInt(hex.slice(0, 8), 16), true);
  view.setUint16(4, parseInt(hex.slice(8, 12), 16), true);
  view.setUint16(6, parseInt(hex.slice(12, 16), 16), true);
  for (let i = 0; i < 8; i++) bytes[8 + i] = parseInt(hex.slice(16 + i * 2, 18 + i * 2), 16);
  return bytes;
}

let started = false;

function startup(): void {
  if (started) return;
  const data = new Uint8Array(512); // WSADATA
  const code = ws2_32.symbols.WSAStartup(0x0202, data);
  if (code !== 0) throw new Win32Error(code, "WSAStartup");
  started = true;
}

function lastError(syscall: string): Win32Error {
  return new Win32Error(ws2_32.symbols.WSAGetLastError(), syscall);
}

function afOf(family: Target["family"]): number {
  return family === "ipv4" ? AF.inet : family === "ipv6" ? AF.inet6 : AF.unix;
}

/**
 * A new overlapped socket, not inheritable, associated with the completion
 * port, unless it is `held` for another process: a file object belongs to
 * one port for life, so a socket handed over is associated by its user.
 */
function openSocket(family: Target["family"], type: number, held = false): bigint {
  startup();
  const flags = WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT;
  const socket = ws2_32.symbols.WSASocketW(afOf(family), type, 0, null, 0, flags);
  if (socket === INVALID_SOCKET) {
    const error = lastError("WSASocketW");
    if (family === "unix" && error.code === WSAEAFNOSUPPORT) throw noUnixSockets(error);
    throw error;
  }
  try {
    if (!held) associate(socket);
  } catch (error) {
    ws2_32.symbols.closesocket(socket);
    throw error;
  }
  return socket;
}

function noUnixSockets(cause: Win32Error): UnsupportedPlatformError {
  return new UnsupportedPlatformError(
    "Cannot use a Unix socket path on this Windows: Winsock has no AF_UNIX here (Windows 10 1803 and later have it);" +
      " listen on a loopback TCP port instead",
    { cause },
  );
}

let unixProbe: boolean | undefined;

/**
 * Whether Winsock has AF_UNIX stream sockets on this system (probed once).
 *
 * @returns True when a Unix stream socket can be created.
 * @example
 * ```ts
 * import { unixSocketsAvailable } from "./net.ts";
 * unixSocketsAvailable();
 * ```
 */
export function unixSocketsAvailable(): boolean {
  if (unixProbe !== undefined) return unixProbe;
  startup();
  const socket = ws2_32.symbols.WSASocketW(AF.unix, SOCK_STREAM, 0, null, 0, WSA_FLAG_OVERLAPPED);
  if (socket !== INVALID_SOCKET) ws2_32.symbols.closesocket(socket);
  return (unixProbe = socket !== INVALID_SOCKET);
}

/**
 * Throws UnsupportedPlatformError when this Windows has no AF_UNIX.
 *
 * @param path The path asked for (for the message).
 * @example
 * ```ts
 * import { requireUnixSockets } from "./net.ts";
 * requireUnixSockets("C:\\run\\app.sock");
 * ```
 */
export function requireUnixSockets(path: string): void {
  if (!unixSocketsAvailable()) {
    throw new UnsupportedPlatformError(
      `Cannot use Unix socket '${path}' on this Windows: Winsock has no AF_UNIX here (Windows 10 1803 and later have it);` +
        " listen on a loopback TCP port instead",
    );
  }
}

function setInt(socket: bigint, level: number, option: number, value: number, what: string): void {
  if (ws2_32.symbols.setsockopt(socket, level, option, new Int32Array([value]), 4) !== 0) {
    throw lastError(`setsockopt(${what})`);
  }
}

function nameOf(socket: bigint, peer: boolean): SocketAddress {
  return readSockaddr((bytes, length) => {
    const call = peer ? ws2_32.symbols.getpeername : ws2_32.symbols.getsockname;
    if (call(socket, bytes, length) !== 0) throw lastError(peer ? "getpeername" : "getsockname");
  }, AF);
}

function setBuffers(
  socket: bigint,
  settings: Pick<BindSettings, "sendBufferSize" | "receiveBufferSize">,
): void {
  applyBuffers(
    settings,
    (option, value) => setInt(socket, SOL_SOCKET, SO[option], value, `SO_${option}`),
  );
}

const extensions = new Map<string, bigint>();

/** The address of a Winsock extension function (per provider; ours is always the base one). */
function extension(socket: bigint, id: Uint8Array, name: string): bigint {
  const cached = extensions.get(name);
  if (cached) return cached;
  const out = new BigUint64Array(1);
  const returned = new Uint32Array(1);
  const result = ws2_32.symbols.WSAIoctl(
    socket,
    SIO_GET_EXTENSION_FUNCTION_POINTER,
    id,
    16,
    out,
    8,
    returned,
    0n,
    0n,
  );
  if (result !== 0) throw lastError(`WSAIoctl(${name})`);
  extensions.set(name, out[0]!);
  return out[0]!;
}

function bindTo(socket: bigint, target: Target, settings: BindSettings): void {
  if (target.family !== "unix") {
    // Windows binds a listener despite connections in TIME_WAIT without any option; its
    // SO_REUSEADDR would let another socket take over a port in use, so it is never set.
    // reuseAddress: false asks for the opposite guarantee (SO_EXCLUSIVEADDRUSE).
    if (!settings.reuseAddress) {
      setInt(socket, SOL_SOCKET, SO.EXCLUSIVEADDRUSE, 1, "SO_EXCLUSIVEADDRUSE");
    }
    if (target.family === "ipv6") {
      setInt(socket, IPPROTO_IPV6, IPV6_V6ONLY, settings.ipv6Only ? 1 : 0, "IPV6_V6ONLY");
    }
  }
  const address = encodeSockaddr(target, AF);
  if (ws2_32.symbols.bind(socket, address, address.byteLength) === 0) return;
  const error = lastError("bind");
  if (error.code === WSAEADDRINUSE) {
    const where = formatAddress(target);
    throw new NameTakenError(
      target.family === "unix"
        ? `Cannot listen on socket '${where}': the path is in use`
        : `Cannot listen on ${where}: port ${target.port} is in use`,
      where,
      "socket",
      undefined,
      { cause: error },
    );
  }
  throw error;
}

function closeSocket(socket: bigint): void {
  ws2_32.symbols.closesocket(socket);
}

/** A connected stream socket. */
class WinsockStream extends OverlappedEndpoint implements StreamEndpoint {
  constructor(socket: bigint, readonly family: Target["family"], what: string) {
    super(socket, { message: false, peerPid: 0, what, flushOnClose: false, closeSocket });
  }

  async shutdownWrite(): Promise<void> {
    await this.drained();
    if (ws2_32.symbols.shutdown(this.handle, SD_SEND) !== 0) throw lastError("shutdown");
  }

  localAddress(): SocketAddress {
    return nameOf(this.handle, false);
  }

  remoteAddress(): SocketAddress {
    return nameOf(this.handle, true);
  }

  apply(settings: StreamSettings): void {
    const socket = this.handle;
    if (this.family !== "unix") {
      setInt(socket, IPPROTO_TCP, TCP_NODELAY, settings.noDelay ? 1 : 0, "TCP_NODELAY");
      // struct tcp_keepalive { ULONG onoff; ULONG keepalivetime; ULONG keepaliveinterval; } (ms)
      const values = new Uint32Array([
        settings.keepAlive === false ? 0 : 1,
        settings.keepAlive || 0,
        1000,
      ]);
      const returned = new Uint32Array(1);
      if (
        ws2_32.symbols.WSAIoctl(
          socket,
          SIO_KEEPALIVE_VALS,
          values,
          12,
          null,
          0,
          returned,
          0n,
          0n,
        ) !== 0
      ) {
        throw lastError("WSAIoctl(SIO_KEEPALIVE_VALS)");
      }
    }
    setBuffers(socket, settings);
  }
}

/** NTSTATUS of an operation → the error it means. */
function failure(completion: Completion, syscall: string): Win32Error {
  return ntError(completion.status, syscall);
}

/**
 * A listening socket. One bound here accepts with AcceptEx on this
 * process's completion port. One handed over by another process (`adopted`)
 * cannot use the port: a file object belongs to one completion port for its whole
 * life, and the supervisor's socket outlives each server it is handed to,
 * so the first one's port would keep it (Windows 8.1 can move it with
 * FileReplaceCompletionInformation; Wine cannot). It accepts with a blocking
 * accept() off the JavaScript thread, which needs no port; each accepted
 * connection is a new socket, put on this process's port as usual.
 */
class WinsockListener implements ListenerEndpoint {
  #socket: bigint;
  #closed = false;

  constructor(
    socket: bigint,
    readonly family: Target["family"],
    readonly what: string,
    readonly adopted: boolean,
  ) {
    this.#socket = socket;
  }

  get handle(): bigint {
    return this.#socket;
  }

  address(): SocketAddress {
    return nameOf(this.#socket, false);
  }

  accept(): Promise<StreamEndpoint> {
    return this.adopted ? this.#acceptBlocking() : this.#acceptEx();
  }

  async #acceptBlocking(): Promise<StreamEndpoint> {
    if (this.#closed) throw new ClosedError(`Cannot accept on ${this.what}: it is closed`);
    const accepted = await ws2_32.symbols.acceptAsync(this.#socket, 0n, 0n);
    if (this.#closed) {
      if (accepted !== INVALID_SOCKET) closeSocket(accepted);
      throw new ClosedError(`Cannot accept on ${this.what}: it is closed`);
    }
    if (accepted === INVALID_SOCKET) {
      // The error code stayed on the pool thread that made the call.
      throw new Error(`Cannot accept on ${this.what}: accept() failed`);
    }
    try {
      associate(accepted);
    } catch (error) {
      closeSocket(accepted);
      throw error;
    }
    return new WinsockStream(accepted, this.family, `socket from ${this.what}`);
  }

  async #acceptEx(): Promise<StreamEndpoint> {
    for (;;) {
      if (this.#closed) throw new ClosedError(`Cannot accept on ${this.what}: it is closed`);
      const listen = this.#socket;
      const accepted = openSocket(this.family, SOCK_STREAM);
      const acceptEx = functionAt(extension(listen, WSAID_ACCEPTEX, "AcceptEx"), ACCEPT_EX);
      // The kernel writes both addresses here until the operation completes: native memory.
      const addresses = NativeMemory.alloc(ACCEPT_ADDRESS_ROOM * 2 + 8);
      let completion: Completion;
      try {
        completion = await winsockOverlapped("AcceptEx", (overlapped) =>
          acceptEx(
              listen,
              accepted,
              addresses.address,
              0,
              ACCEPT_ADDRESS_ROOM,
              ACCEPT_ADDRESS_ROOM,
              addresses.address + BigInt(ACCEPT_ADDRESS_ROOM * 2),
              overlapped,
            )
            ? 0
            : ws2_32.symbols.WSAGetLastError());
      } catch (error) {
        closeSocket(accepted);
        throw this.#closed ? new ClosedError(`Cannot accept on ${this.what}: it is closed`) : error;
      } finally {
        addresses.free();
      }
      if (completion.status !== STATUS.SUCCESS) {
        closeSocket(accepted);
        if (this.#closed || completion.status === STATUS.CANCELLED) {
          throw new ClosedError(`Cannot accept on ${this.what}: it is closed`);
        }
        // A client that gave up before it was accepted (STATUS_CONNECTION_RESET...): take the next.
        if (isClientGone(completion.status)) continue;
        throw failure(completion, "AcceptEx");
      }
      const context = new BigUint64Array([listen]);
      if (
        ws2_32.symbols.setsockopt(accepted, SOL_SOCKET, SO.UPDATE_ACCEPT_CONTEXT, context, 8) !== 0
      ) {
        const error = lastError("setsockopt(SO_UPDATE_ACCEPT_CONTEXT)");
        closeSocket(accepted);
        throw error;
      }
      return new WinsockStream(accepted, this.family, `socket from ${this.what}`);
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    // Closing cancels a pending AcceptEx; its packet still comes and frees its memory.
    closeSocket(this.#socket);
  }
}

function isClientGone(status: number): boolean {
  return status === 0xc000020d /* CONNECTION_RESET */ ||
    status === 0xc0000241 /* CONNECTION_ABORTED */;
}

/**
 * Binds and listens on a TCP address or (where AF_UNIX exists) a Unix path.
 *
 * @param target Where (resolved).
 * @param settings Reuse, backlog, buffers.
 * @returns The listener.
 * @example
 * ```ts
 * import { listenStream } from "./net.ts";
 * const listener = listenStream({ family: "ipv4", address: "127.0.0.1", port: 0 }, {
 *   reuseAddress: true, ipv6Only: false, backlog: 511, sendBufferSize: undefined, receiveBufferSize: undefined,
 * });
 * listener.close();
 * ```
 */
export function listenStream(
  target: Target,
  settings: BindSettings,
  held = false,
): ListenerEndpoint {
  if (target.family === "unix") requireUnixSockets(target.path);
  const socket = openSocket(target.family, SOCK_STREAM, held);
  try {
    setBuffers(socket, settings);
    bindTo(socket, target, settings);
    if (ws2_32.symbols.listen(socket, settings.backlog) !== 0) throw lastError("listen");
    const where = target.family === "unix"
      ? `'${target.path}'`
      : formatAddress(nameOf(socket, false));
    return new WinsockListener(socket, target.family, `socket ${where}`, false);
  } catch (error) {
    closeSocket(socket);
    throw error;
  }
}

/**
 * Connects a stream socket with ConnectEx. The signal cancels the attempt.
 *
 * @param target Where (resolved).
 * @param signal Ends the attempt (its reason is thrown).
 * @returns The connection.
 * @example
 * ```ts
 * import { connectStream } from "./net.ts";
 * // const stream = await connectStream({ family: "ipv4", address: "127.0.0.1", port: 8080 }, AbortSignal.timeout(5000));
 * ```
 */
export async function connectStream(target: Target, signal: AbortSignal): Promise<StreamEndpoint> {
  signal.throwIfAborted();
  if (target.family === "unix") requireUnixSockets(target.path);
  const what = `socket ${formatAddress(target)}`;
  const socket = openSocket(target.family, SOCK_STREAM);
  const onAbort = () => cancelAll(socket);
  signal.addEventListener("abort", onAbort);
  const name = encodeSockaddr(target, AF);
  const memory = NativeMemory.alloc(name.byteLength);
  memory.bytes.set(name);
  try {
    // ConnectEx needs a bound socket: any local address of the family.
    const local: Target = target.family === "unix"
      ? { family: "unix", path: "" }
      : { family: target.family, address: target.family === "ipv4" ? "0.0.0.0" : "::", port: 0 };
    if (target.family !== "unix") {
      const bound = encodeSockaddr(local, AF);
      if (ws2_32.symbols.bind(socket, bound, bound.byteLength) !== 0) throw lastError("bind");
    }
    const connectEx = functionAt(extension(socket, WSAID_CONNECTEX, "ConnectEx"), CONNECT_EX);
    let completion: Completion;
    try {
      completion = await winsockOverlapped(
        "ConnectEx",
        (overlapped) =>
          connectEx(socket, memory.address, name.byteLength, 0n, 0, 0n, overlapped)
            ? 0
            : ws2_32.symbols.WSAGetLastError(),
      );
    } catch (error) {
      if (error instanceof Win32Error && error.code === WSAECONNREFUSED) {
        throw refusal(target, error);
      }
      throw error;
    }
    if (signal.aborted) throw signal.reason;
    if (completion.status !== STATUS.SUCCESS) {
      const error = failure(completion, "ConnectEx");
      const code = ntdll.symbols.RtlNtStatusToDosError(completion.status);
      if (code === ERROR_CONNECTION_REFUSED) {
        throw refusal(target, new Win32Error(code, "ConnectEx"));
      }
      throw error;
    }
    if (ws2_32.symbols.setsockopt(socket, SOL_SOCKET, SO.UPDATE_CONNECT_CONTEXT, null, 0) !== 0) {
      throw lastError("setsockopt(SO_UPDATE_CONNECT_CONTEXT)");
    }
    return new WinsockStream(socket, target.family, what);
  } catch (error) {
    closeSocket(socket);
    throw error;
  } finally {
    memory.free();
    signal.removeEventListener("abort", onAbort);
  }
}

function refusal(target: Target, cause: Win32Error): Error {
  return new NotFoundError(
    `Cannot connect to ${formatAddress(target)}: nothing listens there`,
    formatAddress(target),
    { cause },
  );
}

/** One datagram's worth of receive state, in memory that does not move. */
const RECEIVE = {
  data: 0,
  dataSize: 65536,
  wsabuf: 65536, // WSABUF { ULONG len; CHAR* buf; } = 16 bytes
  from: 65536 + 16,
  fromLength: 65536 + 16 + SOCKADDR_MAX,
  flags: 65536 + 16 + SOCKADDR_MAX + 8,
  size: 65536 + 16 + SOCKADDR_MAX + 16,
} as const;

class WinsockDatagram implements DatagramEndpoint {
  #socket: bigint;
  #closed = false;
  #receiving: Promise<unknown> | null = null;
  #memory: NativeMemory | null = null;

  constructor(socket: bigint, readonly what: string) {
    this.#socket = socket;
  }

  get handle(): bigint {
    return this.#socket;
  }

  address(): SocketAddress {
    return nameOf(this.#socket, false);
  }

  async send(data: Uint8Array, to: Uint8Array): Promise<void> {
    if (this.#closed) throw new ClosedError(`Cannot send on ${this.what}: it is closed`);
    // The kernel reads all of this after the call returns: native memory, freed on completion.
    const memory = NativeMemory.alloc(16 + SOCKADDR_MAX + Math.max(1, data.byteLength));
    const view = memory.view;
    const dataAt = 16 + SOCKADDR_MAX;
    view.setUint32(0, data.byteLength, true);
    view.setBigUint64(8, memory.address + BigInt(dataAt), true);
    memory.bytes.set(to, 16);
    memory.bytes.set(data, dataAt);
    const socket = this.#socket;
    try {
      const completion = await winsockOverlapped(
        "WSASendTo",
        (overlapped) =>
          ws2_32.symbols.WSASendTo(
              socket,
              memory.address,
              1,
              0n,
              0,
              memory.address + 16n,
              to.byteLength,
              overlapped,
              0n,
            ) ===
              0
            ? 0
            : ws2_32.symbols.WSAGetLastError(),
      );
      if (completion.status !== STATUS.SUCCESS) {
        if (completion.status === STATUS.CANCELLED) {
          throw new ClosedError(`Cannot send on ${this.what}: it is closed`);
        }
        throw failure(completion, "WSASendTo");
      }
    } finally {
      memory.free();
    }
  }

  receive(): Promise<{ data: Uint8Array; from: SocketAddress }> {
    if (this.#closed) {
      return Promise.reject(new ClosedError(`Cannot receive on ${this.what}: it is closed`));
    }
    const receiving = this.#receive();
    this.#receiving = receiving.catch(() => {});
    return receiving;
  }

  async #receive(): Promise<{ data: Uint8Array; from: SocketAddress }> {
    const memory = (this.#memory ??= NativeMemory.alloc(RECEIVE.size));
    const view = memory.view;
    const base = memory.address;
    for (;;) {
      view.setUint32(RECEIVE.wsabuf, RECEIVE.dataSize, true);
      view.setBigUint64(RECEIVE.wsabuf + 8, base + BigInt(RECEIVE.data), true);
      view.setInt32(RECEIVE.fromLength, SOCKADDR_MAX, true);
      view.setUint32(RECEIVE.flags, 0, true);
      const socket = this.#socket;
      const completion = await winsockOverlapped(
        "WSARecvFrom",
        (overlapped) =>
          ws2_32.symbols.WSARecvFrom(
              socket,
              base + BigInt(RECEIVE.wsabuf),
              1,
              0n,
              base + BigInt(RECEIVE.flags),
              base + BigInt(RECEIVE.from),
              base + BigInt(RECEIVE.fromLength),
              overlapped,
              0n,
            ) === 0
            ? 0
            : ws2_32.symbols.WSAGetLastError(),
      );
      if (this.#closed || completion.status === STATUS.CANCELLED) {
        throw new ClosedError(`Cannot receive on ${this.what}: it is closed`);
      }
      // A port unreachable report for an earlier send (WSAECONNRESET) is not a datagram: wait on.
      if (completion.status === 0xc000020d) continue;
      if (completion.status !== STATUS.SUCCESS) throw failure(completion, "WSARecvFrom");
      const bytes = memory.bytes;
      return {
        data: bytes.slice(RECEIVE.data, RECEIVE.data + completion.bytes),
        from: decodeSockaddr(
          bytes.subarray(RECEIVE.from, RECEIVE.from + SOCKADDR_MAX),
          view.getInt32(RECEIVE.fromLength, true),
          AF,
        ),
      };
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    closeSocket(this.#socket);
    // The pending receive's memory stays until its (cancelled) completion has come.
    const memory = this.#memory;
    this.#memory = null;
    if (memory) void (this.#receiving ?? Promise.resolve()).then(() => memory.free());
  }
}

/**
 * Binds a UDP socket.
 *
 * @param target Where (resolved; port 0 picks one).
 * @param settings Reuse, buffers.
 * @returns The socket.
 * @example
 * ```ts
 * import { bindDatagram } from "./net.ts";
 * const udp = bindDatagram({ family: "ipv4", address: "127.0.0.1", port: 0 }, {
 *   reuseAddress: false, ipv6Only: false, backlog: 0, sendBufferSize: undefined, receiveBufferSize: undefined,
 * });
 * udp.close();
 * ```
 */
export function bindDatagram(
  target: Target,
  settings: BindSettings,
  held = false,
): DatagramEndpoint {
  const socket = openSocket(target.family, SOCK_DGRAM, held);
  try {
    setBuffers(socket, settings);
    bindTo(socket, target, settings);
    ignorePortUnreachable(socket);
    return new WinsockDatagram(socket, `datagram socket ${formatAddress(nameOf(socket, false))}`);
  } catch (error) {
    closeSocket(socket);
    throw error;
  }
}

/** Windows reports an ICMP port unreachable for a sent datagram as a failed next receive; turn that off. */
function ignorePortUnreachable(socket: bigint): void {
  const returned = new Uint32Array(1);
  ws2_32.symbols.WSAIoctl(
    socket,
    SIO_UDP_CONNRESET,
    new Int32Array([0]),
    4,
    null,
    0,
    returned,
    0n,
    0n,
  );
}

interface Inherited {
  name: string;
  handle: bigint;
  kind: "listener" | "datagram" | "other";
}

let inherited: Inherited[] | undefined;

/**
 * The sockets handed to this process in `IPCKIT_SOCKETS`: a comma-separated
 * list of `name=<type>:<handle>` (type `stream` for a listening socket or
 * `datagram`; handle an inherited socket handle in decimal), and
 * `name=pipe:held` for a named pipe held for this process (joined by name,
 * no handle).
 *
 * @param env The environment.
 * @returns Each socket with its kind.
 * @example
 * ```ts
 * import { inheritedSockets } from "./net.ts";
 * inheritedSockets({ IPCKIT_SOCKETS: "web=stream:716" });
 * ```
 */
export function inheritedSockets(env: Record<string, string | undefined>): Inherited[] {
  if (inherited) return inherited;
  startup();
  const list = (env[SOCKETS_ENV] ?? "").split(",").filter((entry) => entry !== "");
  return (inherited = list.map((entry) => {
    const at = entry.indexOf("=");
    if (at <= 0) {
      throw new TypeError(`Cannot adopt sockets: '${entry}' in ${SOCKETS_ENV} is not name=handle`);
    }
    const name = entry.slice(0, at);
    const [type, value] = entry.slice(at + 1).split(":") as [string, string | undefined];
    if (type === "pipe" && value === "held") return { name, handle: 0n, kind: "other" as const };
    if ((type !== "stream" && type !== "datagram") || value === undefined) {
      throw new TypeError(
        `Cannot adopt socket '${name}': '${entry}' in ${SOCKETS_ENV} is not name=stream:<handle>, name=datagram:<handle> or name=pipe:held`,
      );
    }
    const handle = BigInt(value);
    // The type travels with the handle: Wine's getsockopt does not know a socket this process
    // inherited (WSAENOTSOCK), so it cannot be asked.
    return { name, handle, kind: type === "stream" ? "listener" as const : "datagram" as const };
  }));
}

function familyOf(socket: bigint): Target["family"] {
  return nameOf(socket, false).family;
}

/**
 * Adopts a handed-over listening socket (accepting off the JavaScript thread, see WinsockListener).
 *
 * @param socket The socket handle.
 * @param label Its name, for messages.
 * @returns The listener.
 * @example
 * ```ts
 * import { adoptListener } from "./net.ts";
 * // const listener = adoptListener(716n, "web");
 * ```
 */
export function adoptListener(socket: bigint, label: string): ListenerEndpoint {
  startup();
  return new WinsockListener(socket, familyOf(socket), `inherited socket '${label}'`, true);
}

/**
 * Adopts a handed-over datagram socket.
 *
 * @param socket The socket handle.
 * @param label Its name, for messages.
 * @returns The datagram socket.
 * @example
 * ```ts
 * import { adoptDatagram } from "./net.ts";
 * // const udp = adoptDatagram(716n, "metrics");
 * ```
 */
export function adoptDatagram(socket: bigint, label: string): DatagramEndpoint {
  startup();
  // The first process it is handed to associates it with its port; a later one needs
  // FileReplaceCompletionInformation (Windows 8.1+; Wine has none: then this fails).
  associateInherited(socket);
  ignorePortUnreachable(socket);
  return new WinsockDatagram(socket, `inherited datagram socket '${label}'`);
}
