/**
 * Sockets on Linux (lib/socket.ts): TCP, UDP and Unix stream sockets
 * through libc, nonblocking, with waits on the process's one poll waiter
 * (reactor.ts). Streams are the same {@link SocketEndpoint} the named pipes
 * use; listening sockets inherited from systemd or `ipckit run`
 * (`LISTEN_FDS`) are adopted as they are.
 *
 * @module
 */
import { ClosedError, NameTakenError, NotFoundError } from "../errors.ts";
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
  type StreamEndpoint,
  type StreamSettings,
  type Target,
} from "../_socket_common.ts";
import { currentErrno, ERRNO, ErrnoError } from "./error.ts";
import { libc } from "./libc.ts";
import { SocketEndpoint } from "./pipe.ts";
import { afterWrite, cancelWaits, POLL, waitReadable, waitReady } from "./reactor.ts";
import {
  bindOrReclaim,
  MSG,
  peerCredentials,
  SOCK,
  trackSocketFile,
  unlinkIfOurs,
} from "./socket.ts";

/** AF_* on Linux. */
export const AF: Families = { inet: 2, inet6: 10, unix: 1 };
const SOL_SOCKET = 1;
const SO_OPT = {
  REUSEADDR: 2,
  TYPE: 3,
  ERROR: 4,
  SNDBUF: 7,
  RCVBUF: 8,
  KEEPALIVE: 9,
  ACCEPTCONN: 30,
  DOMAIN: 39,
} as const;
const IPPROTO_TCP = 6;
const TCP_NODELAY = 1;
const TCP_KEEPIDLE = 4;
const IPPROTO_IPV6 = 41;
const IPV6_V6ONLY = 26;
const SHUT_WR = 1;
const EINPROGRESS = 115;
const ECONNABORTED = 103;
const F_GETFL = 3;
const F_SETFL = 4;
const F_SETFD = 2;
const FD_CLOEXEC = 1;
const O_NONBLOCK = 0o4000;

function afOf(family: Target["family"]): number {
  return family === "ipv4" ? AF.inet : family === "ipv6" ? AF.inet6 : AF.unix;
}

/**
 * A close-on-exec socket: nonblocking for use here; blocking when `held` for
 * another process, which gets it as systemd hands sockets over (a program
 * written for socket activation expects a blocking socket).
 */
function openFd(family: Target["family"], type: number, held = false): number {
  const fd = libc.symbols.socket(afOf(family), type | (held ? 0 : SOCK.NONBLOCK) | SOCK.CLOEXEC, 0);
  if (fd < 0) throw new ErrnoError(currentErrno(), "socket");
  return fd;
}

function setInt(fd: number, level: number, option: number, value: number, what: string): void {
  if (libc.symbols.setsockopt(fd, level, option, new Int32Array([value]), 4) < 0) {
    throw new ErrnoError(currentErrno(), `setsockopt(${what})`);
  }
}

function getInt(fd: number, level: number, option: number): number {
  const value = new Int32Array(1);
  if (libc.symbols.getsockopt(fd, level, option, value, new Uint32Array([4])) < 0) {
    throw new ErrnoError(currentErrno(), "getsockopt");
  }
  return value[0]!;
}

function nameOf(fd: number, peer: boolean): SocketAddress {
  return readSockaddr((bytes, length) => {
    const call = peer ? libc.symbols.getpeername : libc.symbols.getsockname;
    if (call(fd, bytes, length) < 0) {
      throw new ErrnoError(currentErrno(), peer ? "getpeername" : "getsockname");
    }
  }, AF);
}

function setBuffers(
  fd: number,
  settings: Pick<BindSettings, "sendBufferSize" | "receiveBufferSize">,
): void {
  applyBuffers(
    settings,
    (option, value) => setInt(fd, SOL_SOCKET, SO_OPT[option], value, `SO_${option}`),
  );
}

/** Binds `fd` to `target`; a taken address is NameTakenError naming it. */
function bindTo(
  fd: number,
  target: Target,
  type: number,
  settings: BindSettings,
): number | undefined {
  if (target.family === "unix") {
    return bindOrReclaim(fd, type, target.path, "socket", target.path);
  }
  if (settings.reuseAddress) setInt(fd, SOL_SOCKET, SO_OPT.REUSEADDR, 1, "SO_REUSEADDR");
  if (target.family === "ipv6") {
    setInt(fd, IPPROTO_IPV6, IPV6_V6ONLY, settings.ipv6Only ? 1 : 0, "IPV6_V6ONLY");
  }
  const address = encodeSockaddr(target, AF);
  if (libc.symbols.bind(fd, address, address.byteLength) === 0) return undefined;
  const errno = currentErrno();
  if (errno === ERRNO.EADDRINUSE) {
    throw new NameTakenError(
      `Cannot listen on ${formatAddress(target)}: port ${target.port} is in use`,
      formatAddress(target),
      "socket",
      undefined,
      { cause: new ErrnoError(errno, "bind") },
    );
  }
  throw new ErrnoError(errno, "bind");
}

/** A connected TCP or Unix stream socket. */
class PosixStream extends SocketEndpoint implements StreamEndpoint {
  get handle(): bigint {
    return BigInt(this.fd);
  }

  async shutdownWrite(): Promise<void> {
    await this.drained();
    if (libc.symbols.shutdown(this.fd, SHUT_WR) < 0) {
      throw new ErrnoError(currentErrno(), "shutdown");
    }
  }

  localAddress(): SocketAddress {
    return nameOf(this.fd, false);
  }

  remoteAddress(): SocketAddress {
    return nameOf(this.fd, true);
  }

  apply(settings: StreamSettings): void {
    applyStream(this.fd, settings);
  }
}

function applyStream(fd: number, settings: StreamSettings): void {
  const domain = getInt(fd, SOL_SOCKET, SO_OPT.DOMAIN);
  if (domain !== AF.unix) {
    setInt(fd, IPPROTO_TCP, TCP_NODELAY, settings.noDelay ? 1 : 0, "TCP_NODELAY");
    setInt(fd, SOL_SOCKET, SO_OPT.KEEPALIVE, settings.keepAlive === false ? 0 : 1, "SO_KEEPALIVE");
    if (settings.keepAlive !== false) {
      const seconds = Math.max(1, Math.round(settings.keepAlive / 1000));
      setInt(fd, IPPROTO_TCP, TCP_KEEPIDLE, seconds, "TCP_KEEPIDLE");
    }
  }
  setBuffers(fd, settings);
}

function streamOf(fd: number, what: string): PosixStream {
  const domain = getInt(fd, SOL_SOCKET, SO_OPT.DOMAIN);
  const peerPid = domain === AF.unix ? peerCredentials(fd).pid : 0;
  return new PosixStream(fd, "byte", peerPid, what);
}

class PosixListener implements ListenerEndpoint {
  #fd: number;
  #closed = false;

  constructor(
    fd: number,
    readonly what: string,
    readonly socketFile?: { path: string; inode: number },
  ) {
    this.#fd = fd;
  }

  get handle(): bigint {
    return BigInt(this.#fd);
  }

  address(): SocketAddress {
    return nameOf(this.#fd, false);
  }

  async accept(): Promise<StreamEndpoint> {
    for (;;) {
      if (this.#closed) throw new ClosedError(`Cannot accept on ${this.what}: it is closed`);
      const fd = libc.symbols.accept4(this.#fd, 0n, 0n, SOCK.NONBLOCK | SOCK.CLOEXEC);
      if (fd >= 0) return streamOf(fd, `socket from ${this.what}`);
      const errno = currentErrno();
      if (errno === ERRNO.EAGAIN || errno === ERRNO.EINTR || errno === ECONNABORTED) {
        await waitReady(this.#fd, POLL.IN);
        continue;
      }
      throw new ErrnoError(errno, "accept4");
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    cancelWaits(this.#fd, this.what);
    libc.symbols.close(this.#fd);
    if (this.socketFile) {
      unlinkIfOurs(this.socketFile.path, this.socketFile.inode);
      trackSocketFile(this.socketFile.path, undefined);
    }
  }
}

/**
 * Binds and listens on a TCP address or a Unix socket path.
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
 * console.log(listener.address());
 * listener.close();
 * ```
 */
export function listenStream(
  target: Target,
  settings: BindSettings,
  held = false,
): ListenerEndpoint {
  const fd = openFd(target.family, SOCK.STREAM, held);
  try {
    setBuffers(fd, settings);
    const inode = bindTo(fd, target, SOCK.STREAM, settings);
    if (libc.symbols.listen(fd, settings.backlog) < 0) {
      throw new ErrnoError(currentErrno(), "listen");
    }
    if (target.family === "unix" && inode !== undefined) {
      trackSocketFile(target.path, inode);
      return new PosixListener(fd, `socket '${target.path}'`, { path: target.path, inode });
    }
    return new PosixListener(fd, `socket ${formatAddress(nameOf(fd, false))}`);
  } catch (error) {
    libc.symbols.close(fd);
    throw error;
  }
}

/**
 * Connects a stream socket. The signal aborts the wait (the socket is
 * closed and the signal's reason thrown).
 *
 * @param target Where (resolved).
 * @param signal Ends the attempt.
 * @returns The connection.
 * @example
 * ```ts
 * import { connectStream } from "./net.ts";
 * // const stream = await connectStream({ family: "ipv4", address: "127.0.0.1", port: 8080 }, AbortSignal.timeout(5000));
 * ```
 */
export async function connectStream(target: Target, signal: AbortSignal): Promise<StreamEndpoint> {
  const address = encodeSockaddr(target, AF);
  const what = `socket ${formatAddress(target)}`;
  let pause = 1;
  for (;;) {
    signal.throwIfAborted();
    const fd = openFd(target.family, SOCK.STREAM);
    const onAbort = () => cancelWaits(fd, what);
    signal.addEventListener("abort", onAbort);
    try {
      let errno = libc.symbols.connect(fd, address, address.byteLength) === 0 ? 0 : currentErrno();
      if (errno === EINPROGRESS || errno === ERRNO.EINTR) {
        await waitReady(fd, POLL.OUT);
        errno = getInt(fd, SOL_SOCKET, SO_OPT.ERROR);
      }
      if (errno === 0) return streamOf(fd, what);
      libc.symbols.close(fd);
      if (errno === ERRNO.EAGAIN && target.family === "unix") {
        // A Unix listener's backlog is full: nothing announces room, so retry after a short pause.
        await new Promise((resolve) => setTimeout(resolve, pause));
        pause = Math.min(pause * 2, 20);
        continue;
      }
      throw refusal(target, new ErrnoError(errno, "connect"));
    } catch (error) {
      if (signal.aborted) {
        libc.symbols.close(fd);
        throw signal.reason;
      }
      throw error;
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }
}

function refusal(target: Target, cause: ErrnoError): Error {
  if (cause.errno === ERRNO.ECONNREFUSED || cause.errno === ERRNO.ENOENT) {
    return new NotFoundError(
      `Cannot connect to ${formatAddress(target)}: nothing listens there`,
      formatAddress(target),
      { cause },
    );
  }
  return cause;
}

const datagramScratch = new Uint8Array(65536);

class PosixDatagram implements DatagramEndpoint {
  #fd: number;
  #closed = false;

  constructor(fd: number, readonly what: string) {
    this.#fd = fd;
  }

  get handle(): bigint {
    return BigInt(this.#fd);
  }

  address(): SocketAddress {
    return nameOf(this.#fd, false);
  }

  async send(data: Uint8Array, to: Uint8Array): Promise<void> {
    for (;;) {
      if (this.#closed) throw new ClosedError(`Cannot send on ${this.what}: it is closed`);
      const n = Number(
        libc.symbols.sendto(
          this.#fd,
          data,
          BigInt(data.byteLength),
          MSG.NOSIGNAL,
          to,
          to.byteLength,
        ),
      );
      if (n >= 0) {
        afterWrite();
        return;
      }
      const errno = currentErrno();
      if (errno === ERRNO.EAGAIN || errno === ERRNO.EINTR) {
        await waitReady(this.#fd, POLL.OUT);
        continue;
      }
      throw new ErrnoError(errno, "sendto");
    }
  }

  async receive(): Promise<{ data: Uint8Array; from: SocketAddress }> {
    const from = new Uint8Array(SOCKADDR_MAX);
    const length = new Uint32Array(1);
    for (;;) {
      if (this.#closed) throw new ClosedError(`Cannot receive on ${this.what}: it is closed`);
      length[0] = SOCKADDR_MAX;
      const n = Number(
        libc.symbols.recvfrom(
          this.#fd,
          datagramScratch,
          BigInt(datagramScratch.byteLength),
          0,
          from,
          length,
        ),
      );
      if (n >= 0) {
        return { data: datagramScratch.slice(0, n), from: decodeSockaddr(from, length[0]!, AF) };
      }
      const errno = currentErrno();
      if (errno === ERRNO.EAGAIN || errno === ERRNO.EINTR) {
        await waitReadable(this.#fd);
        continue;
      }
      throw new ErrnoError(errno, "recvfrom");
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    cancelWaits(this.#fd, this.what);
    libc.symbols.close(this.#fd);
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
  const fd = openFd(target.family, SOCK.DGRAM, held);
  try {
    setBuffers(fd, settings);
    bindTo(fd, target, SOCK.DGRAM, settings);
    return new PosixDatagram(fd, `datagram socket ${formatAddress(nameOf(fd, false))}`);
  } catch (error) {
    libc.symbols.close(fd);
    throw error;
  }
}

/**
 * What kind of socket an inherited descriptor is.
 *
 * @param fd The descriptor.
 * @returns "listener" (a listening stream socket), "datagram", or null for anything else.
 * @example
 * ```ts
 * import { inheritedKind } from "./net.ts";
 * inheritedKind(3); // "listener" under systemd-socket-activate
 * ```
 */
export function inheritedKind(fd: number): "listener" | "datagram" | null {
  try {
    const type = getInt(fd, SOL_SOCKET, SO_OPT.TYPE);
    if (type === SOCK.DGRAM) return "datagram";
    if (type === SOCK.STREAM && getInt(fd, SOL_SOCKET, SO_OPT.ACCEPTCONN) === 1) return "listener";
  } catch { /* not a socket */ }
  return null;
}

/** Makes an inherited fd nonblocking and close-on-exec (it is ours now; our children don't get it). */
function takeOver(fd: number): void {
  const flags = libc.symbols.fcntl(fd, F_GETFL, 0n);
  if (flags < 0) throw new ErrnoError(currentErrno(), "fcntl");
  libc.symbols.fcntl(fd, F_SETFL, BigInt(flags | O_NONBLOCK));
  libc.symbols.fcntl(fd, F_SETFD, BigInt(FD_CLOEXEC));
}

/**
 * Adopts an inherited listening socket (LISTEN_FDS) as a listener.
 *
 * @param fd The descriptor.
 * @param label Its name (LISTEN_FDNAMES), for messages.
 * @returns The listener.
 * @example
 * ```ts
 * import { adoptListener } from "./net.ts";
 * // const listener = adoptListener(3n, "web");
 * ```
 */
export function adoptListener(fd: bigint, label: string): ListenerEndpoint {
  takeOver(Number(fd));
  return new PosixListener(Number(fd), `inherited socket '${label}'`);
}

/**
 * Adopts an inherited datagram socket.
 *
 * @param fd The descriptor.
 * @param label Its name, for messages.
 * @returns The datagram socket.
 * @example
 * ```ts
 * import { adoptDatagram } from "./net.ts";
 * // const udp = adoptDatagram(3n, "metrics");
 * ```
 */
export function adoptDatagram(fd: bigint, label: string): DatagramEndpoint {
  takeOver(Number(fd));
  return new PosixDatagram(Number(fd), `inherited datagram socket '${label}'`);
}
