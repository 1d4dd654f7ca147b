/**
 * Unix domain sockets for ipckit's Linux pipes and mailslots: the private
 * socket directory, `sockaddr_un`, nonblocking socket creation, and the
 * bind-or-reclaim rule that keeps socket files from outliving their server.
 *
 * @module
 */
import { lstatSync, mkdirSync, unlinkSync } from "node:fs";
import process from "node:process";
import { encodeC } from "../ffi/mod.ts";
import { NameTakenError } from "../errors.ts";
import { currentErrno, ERRNO, ErrnoError, lastErrnoError } from "./error.ts";
import { libc } from "./libc.ts";

export const AF_UNIX = 1;
export const SOCK = {
  STREAM: 1,
  DGRAM: 2,
  SEQPACKET: 5,
  NONBLOCK: 0o4000,
  CLOEXEC: 0o2000000,
} as const;
export const SOL_SOCKET = 1;
export const SO = { SNDBUF: 7, RCVBUF: 8, LINGER: 13, PEERCRED: 17 } as const;
export const MSG = { PEEK: 0x2, TRUNC: 0x20, DONTWAIT: 0x40, NOSIGNAL: 0x4000 } as const;

/** sun_path holds 108 bytes including the terminating NUL. */
export const MAX_SOCKET_PATH = 107;

let directory: string | undefined;

/**
 * The private directory for plain names: `$XDG_RUNTIME_DIR/ipckit` when
 * XDG_RUNTIME_DIR is set, else `/tmp/ipckit-<uid>`; created with mode 0700
 * and refused when another user owns it or others can enter it.
 *
 * @returns The directory path.
 * @example
 * ```ts
 * import { socketDirectory } from "./socket.ts";
 * socketDirectory(); // "/run/user/1000/ipckit"
 * ```
 */
export function socketDirectory(): string {
  if (directory) return directory;
  const runtimeDir = process.env.XDG_RUNTIME_DIR;
  const uid = libc.symbols.getuid();
  const dir = runtimeDir && runtimeDir.startsWith("/")
    ? `${runtimeDir}/ipckit`
    : `/tmp/ipckit-${uid}`;
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (error) {
    if ((error as { code?: string }).code !== "EEXIST") throw error;
  }
  const stat = lstatSync(dir);
  if (!stat.isDirectory() || stat.uid !== uid || (stat.mode & 0o077) !== 0) {
    throw new Error(
      `Cannot use '${dir}' for ipckit sockets: it must be a directory owned by uid ${uid} with mode 0700` +
        ` (remove it or fix its owner and mode)`,
    );
  }
  return (directory = dir);
}

/**
 * Encodes a `struct sockaddr_un` for a filesystem path.
 *
 * @param path The socket path.
 * @returns The address bytes, sized to the path.
 * @example
 * ```ts
 * import { sockaddrUn } from "./socket.ts";
 * sockaddrUn("/tmp/ipckit-0/jobs.pipe").byteLength; // 2 + 23 + 1
 * ```
 */
export function sockaddrUn(path: string): Uint8Array {
  const encoded = encodeC(path);
  if (encoded.byteLength - 1 > MAX_SOCKET_PATH) {
    throw new RangeError(
      `Cannot use socket path '${path}': it is ${
        encoded.byteLength - 1
      } bytes long, the limit is ${MAX_SOCKET_PATH}`,
    );
  }
  const address = new Uint8Array(2 + encoded.byteLength);
  new DataView(address.buffer).setUint16(0, AF_UNIX, true);
  address.set(encoded, 2);
  return address;
}

/**
 * Creates a nonblocking, close-on-exec Unix socket.
 *
 * @param type SOCK.STREAM, SOCK.SEQPACKET or SOCK.DGRAM.
 * @returns The fd.
 * @example
 * ```ts
 * import { openSocket, SOCK } from "./socket.ts";
 * const fd = openSocket(SOCK.STREAM);
 * ```
 */
export function openSocket(type: number): number {
  const fd = libc.symbols.socket(AF_UNIX, type | SOCK.NONBLOCK | SOCK.CLOEXEC, 0);
  if (fd < 0) throw lastErrnoError("socket");
  return fd;
}

/**
 * Sets an int socket option, ignoring failure (used for buffer sizes, which
 * the kernel caps on its own).
 *
 * @param fd The socket.
 * @param option An SO_* value at SOL_SOCKET.
 * @param value The value.
 */
export function setIntOption(fd: number, option: number, value: number): void {
  const bytes = new Int32Array([value]);
  libc.symbols.setsockopt(fd, SOL_SOCKET, option, bytes, 4);
}

/**
 * The peer's process id of a connected Unix socket (SO_PEERCRED).
 *
 * @param fd The socket.
 * @returns `{ pid, uid }`, or zeros where the kernel has none.
 */
export function peerCredentials(fd: number): { pid: number; uid: number } {
  const cred = new Int32Array(3); // struct ucred { pid_t pid; uid_t uid; gid_t gid; }
  const length = new Uint32Array([12]);
  if (libc.symbols.getsockopt(fd, SOL_SOCKET, SO.PEERCRED, cred, length) < 0) {
    return { pid: 0, uid: 0 };
  }
  return { pid: cred[0]!, uid: cred[1]! >>> 0 };
}

/**
 * Binds `fd` to `path`. A socket file left by a server that is gone (a
 * connect to it is refused) is removed and the bind retried; a live one
 * means the name is taken.
 *
 * @param fd The socket to bind.
 * @param type Its type (a probe of the same type checks for a live server).
 * @param path The socket path.
 * @param kind "pipe" or "mailslot", for messages.
 * @param name The caller's name, for messages.
 * @returns The inode of the socket file, to recognise it when unlinking.
 */
export function bindOrReclaim(
  fd: number,
  type: number,
  path: string,
  kind: string,
  name: string,
): number {
  const address = sockaddrUn(path);
  for (let attempt = 0; attempt < 2; attempt++) {
    if (libc.symbols.bind(fd, address, address.byteLength) === 0) return lstatSync(path).ino;
    const errno = currentErrno();
    if (errno !== ERRNO.EADDRINUSE) {
      throw new ErrnoError(errno, "bind");
    }
    if (isLive(type, address)) {
      throw new NameTakenError(
        `Cannot create ${kind} '${name}': the name is taken by another live server at '${path}'`,
        name,
        kind,
        kind,
        { cause: new ErrnoError(errno, "bind") },
      );
    }
    // The server that made this file is gone: reclaim its name.
    try {
      unlinkSync(path);
    } catch { /* someone else reclaimed it first; bind again */ }
  }
  throw new NameTakenError(
    `Cannot create ${kind} '${name}': '${path}' keeps being taken`,
    name,
    kind,
    undefined,
  );
}

function isLive(type: number, address: Uint8Array): boolean {
  const probe = libc.symbols.socket(AF_UNIX, type | SOCK.NONBLOCK | SOCK.CLOEXEC, 0);
  if (probe < 0) return true;
  const result = libc.symbols.connect(probe, address, address.byteLength);
  const errno = result < 0 ? currentErrno() : 0;
  libc.symbols.close(probe);
  // ECONNREFUSED: nobody listens there. EPROTOTYPE: a socket of another type, which is live.
  return !(result < 0 && errno === ERRNO.ECONNREFUSED);
}

/**
 * Removes a socket file whose server is gone (a connect to it is refused).
 * A live socket, or a path that is not a socket, is left alone.
 *
 * @param path The socket path.
 * @returns Whether a stale socket file was removed.
 * @example
 * ```ts
 * import { removeIfStale } from "./socket.ts";
 * removeIfStale("/tmp/ipckit-1000/jobs.pipe"); // false when nothing is there
 * ```
 */
export function removeIfStale(path: string): boolean {
  try {
    if (!lstatSync(path).isSocket()) return false;
  } catch {
    return false;
  }
  // Any socket type works as the probe: a dead file refuses every type, a live one of another type answers EPROTOTYPE.
  if (isLive(SOCK.STREAM, sockaddrUn(path))) return false;
  try {
    unlinkSync(path);
    return true;
  } catch {
    return false; // Someone else removed or reclaimed it first.
  }
}

/**
 * Removes a socket file if it is still the one this server created.
 *
 * @param path The socket path.
 * @param inode The inode recorded at bind.
 */
export function unlinkIfOurs(path: string, inode: number): void {
  try {
    if (lstatSync(path).ino === inode) unlinkSync(path);
  } catch { /* already gone */ }
}

const liveSocketFiles = new Map<string, number>();
let exitHookInstalled = false;

/**
 * Remembers a bound socket file so it is removed at process exit even if
 * its server is never closed (a killed process leaves it; the next server of
 * that name reclaims it).
 *
 * @param path The socket path.
 * @param inode Its inode, or undefined to forget it.
 */
export function trackSocketFile(path: string, inode: number | undefined): void {
  if (inode === undefined) {
    liveSocketFiles.delete(path);
    return;
  }
  liveSocketFiles.set(path, inode);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const [file, ino] of liveSocketFiles) unlinkIfOurs(file, ino);
  });
}
