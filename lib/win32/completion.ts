/**
 * The one I/O completion port of this process (Windows). Every overlapped
 * handle ipckit opens is associated with it; a single blocking
 * GetQueuedCompletionStatusEx parked off the JavaScript thread collects the
 * completions of all of them in batches. Operations start through ntdll
 * (NtReadFile, NtWriteFile, NtFsControlFile), whose NTSTATUS return value
 * says whether a packet will come; results come back as data too (the
 * NTSTATUS in OVERLAPPED.Internal, the byte count in the entry). No
 * GetLastError decides who owns memory the kernel writes to. The wait is
 * parked only while an operation is in flight, so an idle process is never
 * kept alive.
 *
 * @module
 */
import { NativeMemory, struct } from "../ffi/mod.ts";
import { lastWin32Error, Win32Error } from "./error.ts";
import { kernel32 } from "./kernel32.ts";
import { ntdll } from "./ntdll.ts";
import { OVERLAPPED } from "./structs.ts";

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

/** FSCTL_PIPE_LISTEN: the control code behind ConnectNamedPipe. */
const FSCTL_PIPE_LISTEN = 0x00110008;

/** NT_ERROR(status): severity bits 11. */
function isNtError(status: number): boolean {
  return status >>> 30 === 3;
}

/**
 * Starts one overlapped operation and waits for its completion packet.
 * `issue` makes the native call with the OVERLAPPED address as both its I/O
 * status block and its APC context (what the port hands back as
 * lpOverlapped) and returns the call's NTSTATUS. The status decides who owns
 * the OVERLAPPED (and the caller's I/O buffer) from here on:
 * STATUS_PENDING and every non-error status (success, BUFFER_OVERFLOW) queue
 * a packet, so the memory stays with the operation until its packet is
 * dequeued; an error status queues none, so it is freed and the call
 * rejected. The status is the call's return value, never the last error:
 * the JavaScript engine can run native code of its own between two FFI calls
 * and overwrite the last error, and misreading a pending operation as failed
 * would free memory the kernel still writes to.
 *
 * @param syscall The call's name, for errors.
 * @param issue Makes the call and returns its NTSTATUS.
 * @returns The completion: NTSTATUS and byte count.
 */
function overlapped(
  syscall: string,
  issue: (overlapped: bigint) => number,
): Promise<Completion> {
  const memory = NativeMemory.alloc(OVERLAPPED.size);
  // As kernel32 does: the status block reads PENDING until the operation ends.
  OVERLAPPED.set(memory.view, "Internal", BigInt(STATUS.PENDING));
  const address = memory.address;
  const status = issue(address) >>> 0;
  if (isNtError(status)) {
    memory.free();
    return Promise.reject(new Win32Error(ntdll.symbols.RtlNtStatusToDosError(status), syscall));
  }
  return new Promise<Completion>((resolve) => {
    pending.set(address, { memory, resolve });
    if (!parked) void pump();
  });
}

/**
 * Reads from an overlapped handle (NtReadFile, what ReadFile does). `buffer`
 * must stay allocated until the returned promise settles: the kernel fills it
 * until the completion packet arrives. A synchronous failure rejects with the
 * Win32Error ReadFile would have set (ERROR_BROKEN_PIPE, ...).
 *
 * @param handle An overlapped handle associated with the port.
 * @param buffer Native address of the buffer.
 * @param length Its size in bytes.
 * @returns The completion: STATUS.SUCCESS, STATUS.BUFFER_OVERFLOW (more of the message follows) or an error status, and the bytes read.
 * @example
 * ```ts
 * import { readOverlapped } from "./completion.ts";
 * // const { status, bytes } = await readOverlapped(pipeHandle, buffer.address, buffer.byteLength);
 * ```
 */
export function readOverlapped(
  handle: bigint,
  buffer: bigint,
  length: number,
): Promise<Completion> {
  return overlapped(
    "ReadFile",
    (ov) =>
      ntdll.symbols.NtReadFile(
        handle,
        0n,
        0n,
        ov,
        ov,
        buffer,
        length,
        ov + BigInt(OVERLAPPED.offsetOf("Offset")),
        0n,
      ),
  );
}

/**
 * Writes to an overlapped handle (NtWriteFile, what WriteFile does).
 * `buffer` must stay allocated until the returned promise settles.
 *
 * @param handle An overlapped handle associated with the port.
 * @param buffer Native address of the bytes.
 * @param length How many bytes.
 * @returns The completion: its status and the bytes written.
 * @example
 * ```ts
 * import { writeOverlapped } from "./completion.ts";
 * // const { status, bytes } = await writeOverlapped(pipeHandle, memory.address, memory.byteLength);
 * ```
 */
export function writeOverlapped(
  handle: bigint,
  buffer: bigint,
  length: number,
): Promise<Completion> {
  return overlapped(
    "WriteFile",
    (ov) =>
      ntdll.symbols.NtWriteFile(
        handle,
        0n,
        0n,
        ov,
        ov,
        buffer,
        length,
        ov + BigInt(OVERLAPPED.offsetOf("Offset")),
        0n,
      ),
  );
}

/**
 * Waits for a client on a named pipe instance (FSCTL_PIPE_LISTEN, what
 * ConnectNamedPipe does). A client that connected already rejects with
 * ERROR_PIPE_CONNECTED, one that came and went with ERROR_NO_DATA.
 *
 * @param handle An overlapped pipe server handle associated with the port.
 * @returns The completion.
 * @example
 * ```ts
 * import { connectOverlapped } from "./completion.ts";
 * // const { status } = await connectOverlapped(instanceHandle);
 * ```
 */
export function connectOverlapped(handle: bigint): Promise<Completion> {
  return overlapped(
    "ConnectNamedPipe",
    (ov) => ntdll.symbols.NtFsControlFile(handle, 0n, 0n, ov, ov, FSCTL_PIPE_LISTEN, 0n, 0, 0n, 0),
  );
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
