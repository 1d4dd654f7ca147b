/**
 * The one I/O completion port of this process (Windows). Every overlapped
 * handle ipckit opens is associated with it; a single blocking
 * GetQueuedCompletionStatusEx parked off the JavaScript thread collects the
 * completions of all of them in batches. Results come back as data (the
 * NTSTATUS in OVERLAPPED.Internal, the byte count in the entry), so no
 * GetLastError is read off-thread. The wait is parked only while an
 * operation is in flight, so an idle process is never kept alive.
 *
 * @module
 */
import { NativeMemory, struct } from "../ffi/mod.ts";
import { ERROR, lastWin32Error, Win32Error } from "./error.ts";
import { kernel32 } from "./kernel32.ts";

/** OVERLAPPED: Internal holds the operation's NTSTATUS once it completes. */
export const OVERLAPPED = struct({
  Internal: "usize",
  InternalHigh: "usize",
  Offset: "u32",
  OffsetHigh: "u32",
  hEvent: "pointer",
});

const OVERLAPPED_ENTRY = struct({
  lpCompletionKey: "usize",
  lpOverlapped: "pointer",
  Internal: "usize",
  dwNumberOfBytesTransferred: "u32",
});

/** NTSTATUS values an overlapped pipe or mailslot operation ends with. */
export const STATUS = {
  SUCCESS: 0,
  PENDING: 0x103,
  BUFFER_OVERFLOW: 0x80000005, // ERROR_MORE_DATA: a message larger than the read buffer
  END_OF_FILE: 0xc0000011,
  IO_TIMEOUT: 0xc00000b5,
  PIPE_BROKEN: 0xc000014b,
  PIPE_DISCONNECTED: 0xc00000b0,
  CANCELLED: 0xc0000120,
  PIPE_CONNECTED: 0xc00000b2,
} as const;

/** How an overlapped operation ended. */
export interface Completion {
  /** The NTSTATUS (0 = success). */
  readonly status: number;
  /** Bytes transferred. */
  readonly bytes: number;
}

const INFINITE = 0xffffffff;
const INVALID_HANDLE_VALUE = 0xffffffffffffffffn;
const BATCH = 64;

let port = 0n;
let parked = false;
/** Operations in flight, by OVERLAPPED address: the memory stays alive until the packet arrives. */
const pending = new Map<bigint, { memory: NativeMemory; resolve(completion: Completion): void }>();

function completionPort(): bigint {
  if (port !== 0n) return port;
  const created = kernel32.symbols.CreateIoCompletionPort(INVALID_HANDLE_VALUE, 0n, 0n, 1);
  if (created === 0n) throw lastWin32Error("CreateIoCompletionPort");
  return (port = created);
}

/**
 * Associates an overlapped handle with the process's completion port.
 *
 * @param handle A handle opened with FILE_FLAG_OVERLAPPED.
 * @example
 * ```ts
 * import { associate } from "./completion.ts";
 * // associate(pipeHandle);
 * ```
 */
export function associate(handle: bigint): void {
  if (kernel32.symbols.CreateIoCompletionPort(handle, completionPort(), 0n, 0) === 0n) {
    throw lastWin32Error("CreateIoCompletionPort");
  }
}

/**
 * Starts one overlapped operation and waits for its completion packet.
 * `issue` makes the call (ReadFile, WriteFile, ConnectNamedPipe) with the
 * given OVERLAPPED address and returns its BOOL result; this function reads
 * the last error right after it. A call that fails outright (anything but
 * ERROR_IO_PENDING or ERROR_MORE_DATA) queues no packet and throws.
 *
 * @param syscall The call's name, for errors.
 * @param issue Makes the call.
 * @returns The completion: NTSTATUS and byte count.
 * @example
 * ```ts
 * import { overlapped } from "./completion.ts";
 * import { kernel32 } from "./kernel32.ts";
 * // const { status, bytes } = await overlapped("ReadFile", (ov) => kernel32.symbols.ReadFile(h, buf, n, 0n, ov));
 * ```
 */
export function overlapped(
  syscall: string,
  issue: (overlapped: bigint) => number,
): Promise<Completion> {
  const memory = NativeMemory.alloc(OVERLAPPED.size);
  const address = memory.address;
  const ok = issue(address);
  if (!ok) {
    const code = kernel32.symbols.GetLastError();
    if (code !== ERROR.IO_PENDING && code !== ERROR.MORE_DATA) {
      memory.free();
      return Promise.reject(new Win32Error(code, syscall));
    }
  }
  // Success, ERROR_IO_PENDING and ERROR_MORE_DATA all queue a packet on the port.
  return new Promise<Completion>((resolve) => {
    pending.set(address, { memory, resolve });
    if (!parked) void pump();
  });
}

/**
 * Asks the OS to cancel the operations in flight on a handle; each still
 * ends with its completion packet (status CANCELLED, or its real result if
 * it finished first).
 *
 * @param handle The handle.
 * @example
 * ```ts
 * import { cancelAll } from "./completion.ts";
 * // cancelAll(pipeHandle);
 * ```
 */
export function cancelAll(handle: bigint): void {
  kernel32.symbols.CancelIoEx(handle, 0n);
}

/**
 * Operations in flight on the port (for tests and diagnostics).
 *
 * @returns The count.
 */
export function operationsInFlight(): number {
  return pending.size;
}

async function pump(): Promise<void> {
  parked = true;
  const batch = NativeMemory.alloc(OVERLAPPED_ENTRY.size * BATCH + 8);
  const removedAt = batch.address + BigInt(OVERLAPPED_ENTRY.size * BATCH);
  try {
    while (pending.size > 0) {
      const ok = await kernel32.symbols.GetQueuedCompletionStatusExAsync(
        completionPort(),
        batch.address,
        BATCH,
        removedAt,
        INFINITE,
        0,
      );
      if (!ok) continue; // nothing dequeued (cannot happen with INFINITE and a live port)
      const view = batch.view;
      const removed = view.getUint32(OVERLAPPED_ENTRY.size * BATCH, true);
      for (let i = 0; i < removed; i++) {
        const base = i * OVERLAPPED_ENTRY.size;
        const ov = OVERLAPPED_ENTRY.get(view, "lpOverlapped", base);
        const bytes = OVERLAPPED_ENTRY.get(view, "dwNumberOfBytesTransferred", base);
        const operation = pending.get(ov);
        if (!operation) continue; // not ours (a wake-up packet)
        pending.delete(ov);
        const status = Number(OVERLAPPED.get(operation.memory.view, "Internal") & 0xffffffffn);
        operation.memory.free();
        operation.resolve({ status, bytes });
      }
    }
  } finally {
    batch.free();
    parked = false;
  }
}
