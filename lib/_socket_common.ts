// What lib/win32/net.ts and lib/posix/net.ts both implement, and the
// sockaddr codec they share (sockaddr_in, sockaddr_in6 and sockaddr_un have
// the same layout in Winsock and glibc; only AF_INET6's value differs).
import type { Endpoint } from "./_pipe_common.ts";
import { encodeC } from "./ffi/mod.ts";

/** Where a socket is: an IP address and port, or a Unix socket path. */
export type SocketAddress =
  | { readonly family: "ipv4" | "ipv6"; readonly address: string; readonly port: number }
  | { readonly family: "unix"; readonly path: string };

/** Options after defaults are applied, for a stream socket. */
export interface StreamSettings {
  readonly noDelay: boolean;
  /** Keep-alive probes after this many ms idle, or false. */
  readonly keepAlive: number | false;
  readonly sendBufferSize: number | undefined;
  readonly receiveBufferSize: number | undefined;
}

/** Options after defaults are applied, for a listener or a datagram socket. */
export interface BindSettings {
  readonly reuseAddress: boolean;
  readonly ipv6Only: boolean;
  readonly backlog: number;
  readonly sendBufferSize: number | undefined;
  readonly receiveBufferSize: number | undefined;
}

/** A connected stream socket. */
export interface StreamEndpoint extends Endpoint {
  /** The OS handle (Windows SOCKET) or fd, owned by the endpoint. */
  readonly handle: bigint;
  /** Waits for pending writes, then ends the sending direction (the peer reads end of stream). */
  shutdownWrite(): Promise<void>;
  localAddress(): SocketAddress;
  remoteAddress(): SocketAddress;
  apply(settings: StreamSettings): void;
}

/** A listening stream socket. */
export interface ListenerEndpoint {
  readonly handle: bigint;
  address(): SocketAddress;
  /** The next connection; one call at a time. ClosedError once closed. */
  accept(): Promise<StreamEndpoint>;
  close(): void;
}

/** A bound datagram socket. */
export interface DatagramEndpoint {
  readonly handle: bigint;
  address(): SocketAddress;
  /** Sends one datagram; it fits (checked by the caller). */
  send(data: Uint8Array, to: Uint8Array): Promise<void>;
  /** The next datagram; one call at a time. ClosedError once closed. */
  receive(): Promise<{ data: Uint8Array; from: SocketAddress }>;
  close(): void;
}

/** The variable `ipckit run` and `spawn({ sockets })` hand sockets over in on Windows: `name=handle,…`. */
export const SOCKETS_ENV = "IPCKIT_SOCKETS";

/** AF_* values of one OS. */
export interface Families {
  readonly inet: number;
  readonly inet6: number;
  readonly unix: number;
}

/** A resolved place to bind or connect to. */
export type Target =
  | { readonly family: "ipv4" | "ipv6"; readonly address: string; readonly port: number }
  | { readonly family: "unix"; readonly path: string };

/** The largest UDP payload: 65535 less the IPv4 (20) or IPv6 (40, payload length excludes it: 8 only) and UDP (8) headers. */
export const MAX_DATAGRAM = { ipv4: 65507, ipv6: 65527 } as const;

/** Room for any socket address (sizeof(struct sockaddr_storage)). */
export const SOCKADDR_MAX = 128;

/** sun_path holds 108 bytes including the terminating NUL (glibc and Winsock alike). */
export const MAX_UNIX_PATH = 107;

/**
 * Encodes a target as a `struct sockaddr_*`.
 *
 * @param target Where.
 * @param af The OS's AF_* values.
 * @returns The address bytes.
 */
export function encodeSockaddr(target: Target, af: Families): Uint8Array {
  if (target.family === "unix") {
    const path = encodeC(target.path);
    if (path.byteLength - 1 > MAX_UNIX_PATH) {
      throw new RangeError(
        `Cannot use socket path '${target.path}': it is ${
          path.byteLength - 1
        } bytes long, the limit is ${MAX_UNIX_PATH}`,
      );
    }
    const bytes = new Uint8Array(2 + path.byteLength);
    new DataView(bytes.buffer).setUint16(0, af.unix, true);
    bytes.set(path, 2);
    return bytes;
  }
  if (target.family === "ipv4") {
    const bytes = new Uint8Array(16);
    const view = new DataView(bytes.buffer);
    view.setUint16(0, af.inet, true);
    view.setUint16(2, target.port, false);
    bytes.set(parseIPv4(target.address), 4);
    return bytes;
  }
  const bytes = new Uint8Array(28);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, af.inet6, true);
  view.setUint16(2, target.port, false);
  bytes.set(parseIPv6(target.address), 8);
  return bytes;
}

/**
 * Decodes a `struct sockaddr_*` written by the OS.
 *
 * @param bytes The address bytes.
 * @param length How many the OS wrote.
 * @param af The OS's AF_* values.
 * @returns The address.
 */
export function decodeSockaddr(bytes: Uint8Array, length: number, af: Families): SocketAddress {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const family = length >= 2 ? view.getUint16(0, true) : af.unix;
  if (family === af.inet) {
    return { family: "ipv4", address: bytes.subarray(4, 8).join("."), port: view.getUint16(2) };
  }
  if (family === af.inet6) {
    return { family: "ipv6", address: formatIPv6(bytes.subarray(8, 24)), port: view.getUint16(2) };
  }
  const path = bytes.subarray(2, Math.max(2, length));
  const end = path.indexOf(0);
  return {
    family: "unix",
    path: new TextDecoder().decode(end >= 0 ? path.subarray(0, end) : path),
  };
}

/**
 * Reads a socket's own or peer address: `call` is the OS's getsockname or
 * getpeername bound to the socket; it fills the buffer and the length and
 * throws the OS's error itself.
 *
 * @param call Fills `bytes` and `length` (socklen_t in, bytes written out).
 * @param af The OS's AF_* values.
 * @returns The address.
 * @example Decoding what a getsockname wrote
 * ```ts
 * import { readSockaddr } from "./_socket_common.ts";
 * const address = readSockaddr((bytes, length) => {
 *   new DataView(bytes.buffer).setUint16(0, 2, true); // AF_INET, 0.0.0.0:0
 *   length[0] = 16;
 * }, { inet: 2, inet6: 10, unix: 1 });
 * console.log(address); // { family: "ipv4", address: "0.0.0.0", port: 0 }
 * ```
 */
export function readSockaddr(
  call: (bytes: Uint8Array, length: Int32Array) => void,
  af: Families,
): SocketAddress {
  const bytes = new Uint8Array(SOCKADDR_MAX);
  const length = new Int32Array([SOCKADDR_MAX]);
  call(bytes, length);
  return decodeSockaddr(bytes, length[0]!, af);
}

/**
 * Sets the buffer sizes a caller asked for (SO_SNDBUF, SO_RCVBUF); the OS's
 * own are kept otherwise (Linux and Windows tune them per connection).
 *
 * @param settings The sizes, each possibly undefined.
 * @param set Sets one SOL_SOCKET int option: "SNDBUF" or "RCVBUF".
 * @example Only the sizes asked for are set
 * ```ts
 * import { applyBuffers } from "./_socket_common.ts";
 * applyBuffers({ sendBufferSize: 65536, receiveBufferSize: undefined }, (option, value) => {
 *   console.log(option, value); // SNDBUF 65536
 * });
 * ```
 */
export function applyBuffers(
  settings: Pick<BindSettings, "sendBufferSize" | "receiveBufferSize">,
  set: (option: "SNDBUF" | "RCVBUF", value: number) => void,
): void {
  if (settings.sendBufferSize !== undefined) set("SNDBUF", settings.sendBufferSize);
  if (settings.receiveBufferSize !== undefined) set("RCVBUF", settings.receiveBufferSize);
}

function parseIPv4(text: string): Uint8Array {
  const parts = text.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !(Number.isInteger(p) && p >= 0 && p <= 255))) {
    throw new TypeError(`Cannot use '${text}' as an IPv4 address`);
  }
  return new Uint8Array(parts);
}

function parseIPv6(text: string): Uint8Array {
  const bytes = new Uint8Array(16);
  let body = text.replace(/^\[|\]$/g, "").replace(/%.*$/, "");
  // An embedded IPv4 tail (::ffff:127.0.0.1) becomes two groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(body);
  if (v4) {
    const b = parseIPv4(v4[1]!);
    body = body.slice(0, v4.index) +
      `${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const [head, tail, extra] = body.split("::");
  if (extra !== undefined) throw new TypeError(`Cannot use '${text}' as an IPv6 address`);
  const groups = (s: string | undefined) => (s ? s.split(":") : []);
  const left = groups(head);
  const right = groups(tail);
  const missing = 8 - left.length - right.length;
  if (tail === undefined ? missing !== 0 : missing < 1) {
    throw new TypeError(`Cannot use '${text}' as an IPv6 address`);
  }
  const all = [...left, ...Array<string>(tail === undefined ? 0 : missing).fill("0"), ...right];
  all.forEach((group, i) => {
    if (!/^[0-9a-f]{1,4}$/i.test(group)) {
      throw new TypeError(`Cannot use '${text}' as an IPv6 address`);
    }
    const value = parseInt(group, 16);
    bytes[i * 2] = value >> 8;
    bytes[i * 2 + 1] = value & 0xff;
  });
  return bytes;
}

function formatIPv6(bytes: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  // The longest run of zero groups (at least two) becomes "::" (RFC 5952).
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLength).join(":")}`;
}

/**
 * Formats an address for messages: `127.0.0.1:80`, `[::1]:80`, or the path.
 *
 * @param address The address.
 * @returns The text.
 */
export function formatAddress(address: SocketAddress | Target): string {
  if (address.family === "unix") return address.path;
  return address.family === "ipv6"
    ? `[${address.address}]:${address.port}`
    : `${address.address}:${address.port}`;
}
