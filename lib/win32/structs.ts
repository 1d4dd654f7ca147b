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

/**
 * POINT (8 bytes).
 *
 * @example Using POINT
 * ```ts
 * import { POINT } from "./structs.ts";
 * POINT.size; // 8
 * ```
 */
export const POINT = struct({ x: "i32", y: "i32" });

/**
 * MSG (48 bytes): what GetMessageW fills in.
 *
 * @example Using MSG
 * ```ts
 * import { MSG } from "./structs.ts";
 * MSG.offsetOf("pt"); // 36
 * ```
 */
export const MSG = struct({
  hwnd: "pointer",
  message: "u32",
  wParam: "usize",
  lParam: "isize",
  time: "u32",
  pt: POINT,
  lPrivate: "u32",
});

/**
 * WNDCLASSEXW (80 bytes): a window class for RegisterClassExW.
 *
 * @example Using WNDCLASSEXW
 * ```ts
 * import { WNDCLASSEXW } from "./structs.ts";
 * WNDCLASSEXW.offsetOf("lpszClassName"); // 64
 * ```
 */
export const WNDCLASSEXW = struct({
  cbSize: "u32",
  style: "u32",
  lpfnWndProc: "pointer",
  cbClsExtra: "i32",
  cbWndExtra: "i32",
  hInstance: "pointer",
  hIcon: "pointer",
  hCursor: "pointer",
  hbrBackground: "pointer",
  lpszMenuName: "pointer",
  lpszClassName: "pointer",
  hIconSm: "pointer",
});

/**
 * COPYDATASTRUCT (24 bytes): WM_COPYDATA's lParam. On x64 `lpData` is at
 * offset 16, not 8 (`cbData` is followed by 4 bytes of padding).
 *
 * @example Using COPYDATASTRUCT
 * ```ts
 * import { COPYDATASTRUCT } from "./structs.ts";
 * COPYDATASTRUCT.offsetOf("lpData"); // 16
 * ```
 */
export const COPYDATASTRUCT = struct({ dwData: "usize", cbData: "u32", lpData: "pointer" });
