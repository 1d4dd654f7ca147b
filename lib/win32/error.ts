/**
 * Win32 errors: `Win32Error` with its text from FormatMessageW, and the
 * capture of the calling thread's last error right after a failed call.
 *
 * @module
 */
import { decodeWide } from "../ffi/mod.ts";
import { kernel32 } from "./kernel32.ts";

const FORMAT_MESSAGE_FROM_SYSTEM = 0x1000;
const FORMAT_MESSAGE_IGNORE_INSERTS = 0x200;

/**
 * The system's text for a Win32 error code, without the trailing period.
 *
 * @param code A Win32 error code.
 * @returns The text, or `"Win32 error <code>"` where the system has none.
 * @example
 * ```ts
 * import { formatWin32Message } from "./error.ts";
 * formatWin32Message(6); // "The handle is invalid"
 * ```
 */
export function formatWin32Message(code: number): string {
  try {
    const buffer = new Uint8Array(1024);
    const flags = FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS;
    const length = kernel32.symbols.FormatMessageW(flags, 0n, code, 0, buffer, 512, 0n);
    if (length > 0) return decodeWide(buffer).trim().replace(/\.$/, "");
  } catch {
    // Not on Windows: no system text.
  }
  return `Win32 error ${code}`;
}

/**
 * A failed Win32 call: its error `code` (GetLastError or a returned status)
 * and the `syscall` that failed; the message comes from FormatMessageW.
 *
 * @example Catching an invalid handle
 * ```ts
 * import { Win32Error } from "./error.ts";
 * try {
 *   throw new Win32Error(6, "CloseHandle");
 * } catch (error) {
 *   if (error instanceof Win32Error && error.code === 6) console.log(error.message);
 * }
 * ```
 */
export class Win32Error extends Error {
  override name = "Win32Error";

  /**
   * @param code The Win32 error code.
   * @param syscall The function that failed.
   * @param options `cause`, when this wraps another error.
   */
  constructor(readonly code: number, readonly syscall: string, options?: ErrorOptions) {
    const text = formatWin32Message(code);
    super(`${syscall} failed: ${text[0]!.toLowerCase()}${text.slice(1)} (code ${code})`, options);
  }
}

/**
 * Reads the calling thread's last error. Call it immediately after the
 * failed call, on the same thread, before any other native call.
 *
 * @param syscall The function that just failed.
 * @returns A Win32Error for the last error.
 * @example
 * ```ts
 * import { lastWin32Error } from "./error.ts";
 * import { kernel32 } from "./kernel32.ts";
 * if (!kernel32.symbols.CloseHandle(0xdeadn)) throw lastWin32Error("CloseHandle");
 * ```
 */
export function lastWin32Error(syscall: string): Win32Error {
  return new Win32Error(kernel32.symbols.GetLastError(), syscall);
}

/** Common Win32 error codes used across ipckit. */
export const ERROR = {
  FILE_NOT_FOUND: 2,
  ACCESS_DENIED: 5,
  INVALID_HANDLE: 6,
  NOT_ENOUGH_MEMORY: 8,
  INVALID_PARAMETER: 87,
  BROKEN_PIPE: 109,
  SEM_TIMEOUT: 121,
  ALREADY_EXISTS: 183,
  PIPE_BUSY: 231,
  NO_DATA: 232,
  PIPE_NOT_CONNECTED: 233,
  MORE_DATA: 234,
  WAIT_TIMEOUT: 258,
  NOT_OWNER: 288,
  OPERATION_ABORTED: 995,
  IO_PENDING: 997,
  PIPE_CONNECTED: 535,
  TOO_MANY_POSTS: 298,
} as const;
