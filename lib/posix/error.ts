/**
 * POSIX errors: `ErrnoError` with strerror text, and reading `errno` right
 * after a failed call.
 *
 * @module
 */
import { nativeBuffer, readCString } from "../ffi/mod.ts";
import { libc } from "./libc.ts";

/** errno values used across ipckit (Linux). */
export const ERRNO = {
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
  EINTR: 4,
  EBADF: 9,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EBUSY: 16,
  EEXIST: 17,
  EINVAL: 22,
  EMFILE: 24,
  ENOSPC: 28,
  EPIPE: 32,
  ENAMETOOLONG: 36,
  EMSGSIZE: 90,
  EADDRINUSE: 98,
  ECONNRESET: 104,
  ENOTCONN: 107,
  ETIMEDOUT: 110,
  ECONNREFUSED: 111,
  EOWNERDEAD: 130,
  ENOTRECOVERABLE: 131,
} as const;

/**
 * The C library's text for an errno value.
 *
 * @param errno An errno value.
 * @returns The text, e.g. "Bad file descriptor", or `"errno <n>"` off Linux.
 * @example
 * ```ts
 * import { strerror } from "./error.ts";
 * strerror(9); // "Bad file descriptor"
 * ```
 */
export function strerror(errno: number): string {
  try {
    return readCString(libc.symbols.strerror(errno));
  } catch {
    return `errno ${errno}`;
  }
}

/**
 * A failed POSIX call: its `errno` and the `syscall` that failed, with the
 * message from strerror.
 *
 * @example
 * ```ts
 * import { ErrnoError } from "./error.ts";
 * const error = new ErrnoError(9, "close");
 * error.message; // "close failed: bad file descriptor (errno 9)"
 * ```
 */
export class ErrnoError extends Error {
  override name = "ErrnoError";

  /**
   * @param errno The errno value.
   * @param syscall The function that failed.
   * @param options `cause`, when this wraps another error.
   */
  constructor(readonly errno: number, readonly syscall: string, options?: ErrorOptions) {
    const text = strerror(errno);
    super(`${syscall} failed: ${text[0]!.toLowerCase()}${text.slice(1)} (errno ${errno})`, options);
  }
}

let errnoCell: Int32Array | null = null;

/**
 * The calling thread's errno. Read it immediately after the failed call, on
 * the same thread, before any other native call.
 *
 * @returns errno.
 * @example
 * ```ts
 * import { currentErrno } from "./error.ts";
 * import { libc } from "./libc.ts";
 * if (libc.symbols.close(-1) < 0) console.log(currentErrno()); // 9
 * ```
 */
export function currentErrno(): number {
  // errno's address is per thread; the JavaScript thread never changes, so cache its cell.
  errnoCell ??= new Int32Array(nativeBuffer(libc.symbols.__errno_location(), 4));
  return errnoCell[0]!;
}

/**
 * An ErrnoError for the errno a call just left.
 *
 * @param syscall The function that just failed.
 * @returns The error.
 * @example
 * ```ts
 * import { lastErrnoError } from "./error.ts";
 * import { libc } from "./libc.ts";
 * if (libc.symbols.close(-1) < 0) throw lastErrnoError("close");
 * ```
 */
export function lastErrnoError(syscall: string): ErrnoError {
  return new ErrnoError(currentErrno(), syscall);
}
