/**
 * Win32 structures shared by several mechanisms, as layouts (data only).
 *
 * @module
 */
import { struct } from "../ffi/mod.ts";

/**
 * OVERLAPPED (32 bytes). `Internal` holds the NTSTATUS of a completed
 * operation and `InternalHigh` its byte count: status as data, no GetLastError.
 *
 * @example
 * ```ts
 * import { OVERLAPPED } from "./structs.ts";
 * OVERLAPPED.size; // 32
 * ```
 */
export const OVERLAPPED = struct({
  Internal: "usize",
  InternalHigh: "usize",
  Offset: "u32",
  OffsetHigh: "u32",
  hEvent: "pointer",
});

/**
 * SECURITY_ATTRIBUTES (24 bytes).
 *
 * @example
 * ```ts
 * import { SECURITY_ATTRIBUTES } from "./structs.ts";
 * SECURITY_ATTRIBUTES.size; // 24
 * ```
 */
export const SECURITY_ATTRIBUTES = struct({
  nLength: "u32",
  lpSecurityDescriptor: "pointer",
  bInheritHandle: "i32",
});

/**
 * STARTUPINFOW (104 bytes).
 *
 * @example
 * ```ts
 * import { STARTUPINFOW } from "./structs.ts";
 * STARTUPINFOW.offsetOf("hStdInput"); // 80
 * ```
 */
export const STARTUPINFOW = struct({
  cb: "u32",
  lpReserved: "pointer",
  lpDesktop: "pointer",
  lpTitle: "pointer",
  dwX: "u32",
  dwY: "u32",
  dwXSize: "u32",
  dwYSize: "u32",
  dwXCountChars: "u32",
  dwYCountChars: "u32",
  dwFillAttribute: "u32",
  dwFlags: "u32",
  wShowWindow: "u16",
  cbReserved2: "u16",
  lpReserved2: "pointer",
  hStdInput: "pointer",
  hStdOutput: "pointer",
  hStdError: "pointer",
});

/**
 * PROCESS_INFORMATION (24 bytes).
 *
 * @example
 * ```ts
 * import { PROCESS_INFORMATION } from "./structs.ts";
 * PROCESS_INFORMATION.offsetOf("dwProcessId"); // 16
 * ```
 */
export const PROCESS_INFORMATION = struct({
  hProcess: "pointer",
  hThread: "pointer",
  dwProcessId: "u32",
  dwThreadId: "u32",
});

/**
 * SYSTEM_INFO (48 bytes): page size and allocation granularity.
 *
 * @example
 * ```ts
 * import { SYSTEM_INFO } from "./structs.ts";
 * SYSTEM_INFO.offsetOf("dwAllocationGranularity"); // 40
 * ```
 */
export const SYSTEM_INFO = struct({
  wProcessorArchitecture: "u16",
  wReserved: "u16",
  dwPageSize: "u32",
  lpMinimumApplicationAddress: "pointer",
  lpMaximumApplicationAddress: "pointer",
  dwActiveProcessorMask: "usize",
  dwNumberOfProcessors: "u32",
  dwProcessorType: "u32",
  dwAllocationGranularity: "u32",
  wProcessorLevel: "u16",
  wProcessorRevision: "u16",
});
