/**
 * The one I/O completion port of this process (Windows). Every overlapped
 * handle ipckit opens is associated with it, in the mode that queues no
 * packet for an operation that finishes within its call
 * (FILE_SKIP_COMPLETION_PORT_ON_SUCCESS): such an operation is done when the
 * call returns. Operations start through ntdll (NtReadFile, NtWriteFile,
 * NtFsControlFile), whose NTSTATUS return value says whether a packet will
 * come; results come back as data too (the NTSTATUS and byte count in the
 * I/O status block). No GetLastError decides who owns memory the kernel
 * writes to.
 *
 * Packets of operations still in flight are collected in two stages. First
 * the JavaScript thread itself blocks in GetQueuedCompletionStatusEx for a
 * short, adaptive time ({@link BlockWindow}): a peer that answers within it
 * is seen with no other thread involved, as the runtime's own event loop
 * sees its sockets. After that one blocking GetQueuedCompletionStatusEx is
 * parked off the JavaScript thread, where every wake-up costs a
 * thread-to-JavaScript hop (under Wine about as much as the peer's whole
 * answer: docs/ffi.md). Only one of the two dequeues at any time. Nothing
 * spins: with no operation in flight nothing blocks and nothing is parked,
 * so an idle process uses no CPU and is never kept alive.
 *
 * @module
 */
import { setImmediate } from "node:timers";
import { BlockWindow } from "../_spin.ts";
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
  /** True when the operation went pending and its packet came through the port. */
  readonly waited?: boolean;
}

const INFINITE = 0xffffffff;
const INVALID_HANDLE_VALUE = 0xffffffffffffffffn;
const BATCH = 64;
const FILE_SKIP_COMPLETION_PORT_ON_SUCCESS = 0x1;
const STATUS_BLOCK_FREE_LIST = 64;

let port = 0n;
/** Entries of the one GetQueuedCompletionStatusEx running at a time (polled or parked). */
let batch: NativeMemory | null = null;
/** Operations in flight, by the id their packet carries; the status block stays alive until the packet arrives. */
const pending = new Map<bigint, { memory: NativeMemory; resolve(completion: Completion): void }>();
/** Ids are odd, so they never equal a status block's (aligned) address, which Winsock packets carry. */
let nextId = 1n;
/** Status blocks for reuse (an operation per message would otherwise allocate and free one each). */
const freeBlocks: NativeMemory[] = [];
let sweepScheduled = false;
let parked = false;
/** Reads to start before the next sweep looks at the port (readOverlappedSoon). */
let deferredStarts: (() => void)[] = [];

function completionPort(): bigint {
  if (port !== 0n) return port;
  const created = kernel32.symbols.CreateIoCompletionPort(INVALID_HANDLE_VALUE, 0n, 0n, 1);
  if (created === 0n) throw lastWin32Error("CreateIoCompletionPort");
  return (port = created);
}

/**
 * Associates an overlapped handle with the process's completion port, in
 * the mode where an operation that completes within its call queues no
 * packet (every handle on the port is in that mode; the issuing code relies
 * on it).
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
  if (
    !kernel32.symbols.SetFileCompletionNotificationModes(
      handle,
      FILE_SKIP_COMPLETION_PORT_ON_SUCCESS,
    )
  ) {
    throw lastWin32Error("SetFileCompletionNotificationModes");
  }
}

/** FileReplaceCompletionInformation (Windows 8.1+): moves a file object to another port. */
const FILE_REPLACE_COMPLETION_INFORMATION = 61;
const STATUS_INVALID_INFO_CLASS = 0xc0000003;
const STATUS_NOT_IMPLEMENTED = 0xc0000002;
const STATUS_INVALID_DEVICE_REQUEST = 0xc0000010;

/**
 * Associates a handle another process already used with this process's
 * port. A file object belongs to one completion port for its whole life
 * (a socket handed over keeps the association its previous user made, even
 * after that process died), so the association is replaced, not added.
 *
 * @param handle An overlapped handle inherited from another process.
 * @example
 * ```ts
 * import { associateInherited } from "./completion.ts";
 * // associateInherited(inheritedSocket);
 * ```
 */
export function associateInherited(handle: bigint): void {
  const info = new BigUint64Array([completionPort(), 0n]); // FILE_COMPLETION_INFORMATION { Port; Key; }
  const status = ntdll.symbols.NtSetInformationFile(
    handle,
    new BigUint64Array(2),
    info,
    16,
    FILE_REPLACE_COMPLETION_INFORMATION,
  );
  if (
    status === STATUS_INVALID_INFO_CLASS || status === STATUS_NOT_IMPLEMENTED ||
    status === STATUS_INVALID_DEVICE_REQUEST
  ) {
    // No FileReplaceCompletionInformation (before Windows 8.1; Wine): a first association works.
    associate(handle);
    return;
  }
  if (status !== 0) {
    throw new Win32Error(ntdll.symbols.RtlNtStatusToDosError(status), "NtSetInformationFile");
  }
  if (
    !kernel32.symbols.SetFileCompletionNotificationModes(
      handle,
      FILE_SKIP_COMPLETION_PORT_ON_SUCCESS,
    )
  ) {
    throw lastWin32Error("SetFileCompletionNotificationModes");
  }
}

/** FSCTL_PIPE_LISTEN: the control code behind ConnectNamedPipe. */
const FSCTL_PIPE_LISTEN = 0x00110008;

/** NT_ERROR(status): severity bits 11. */
function isNtError(status: number): boolean {
  return status >>> 30 === 3;
}

function takeBlock(): NativeMemory {
  const block = freeBlocks.pop() ?? NativeMemory.alloc(OVERLAPPED.size);
  // As kernel32 does: the status block reads PENDING until the operation ends.
  OVERLAPPED.set(block.view, "Internal", BigInt(STATUS.PENDING));
  OVERLAPPED.set(block.view, "InternalHigh", 0n);
  return block;
}

function releaseBlock(block: NativeMemory): void {
  if (freeBlocks.length < STATUS_BLOCK_FREE_LIST) freeBlocks.push(block);
  else block.free();
}

/**
 * Starts one overlapped operation. `issue` makes the native call with the
 * given I/O status block address (and the given id as the APC context, the
 * value the port hands back as lpOverlapped) and returns the call's NTSTATUS.
 * The status decides who owns the status block (and the caller's I/O
 * buffer) from here on:
 * - STATUS_PENDING: a packet will come, so the memory stays with the
 *   operation until the packet is dequeued;
 * - anything else: the operation is over and no packet comes (an error
 *   status queues none, and a non-error one is skipped by the handle's
 *   FILE_SKIP_COMPLETION_PORT_ON_SUCCESS mode), so the result is read from
 *   the status block at once. An error status rejects.
 *
 * The status is the call's return value, never the last error: the
 * JavaScript engine can run native code of its own between two FFI calls
 * and overwrite the last error, and misreading a pending operation as done
 * would free memory the kernel still writes to. The id (not the status
 * block's address) is what the packet carries, so a packet can never be
 * matched to a later operation that reuses the same memory.
 *
 * @param syscall The call's name, for errors.
 * @param issue Makes the call and returns its NTSTATUS.
 * @returns The completion: NTSTATUS and byte count.
 */
function overlapped(
  syscall: string,
  issue: (statusBlock: bigint, id: bigint) => number,
): Promise<Completion> {
  const block = takeBlock();
  const id = nextId;
  nextId += 2n;
  const status = issue(block.address, id) >>> 0;
  if (status === STATUS.PENDING) {
    return new Promise<Completion>((resolve) => {
      pending.set(id, { memory: block, resolve });
      activity();
    });
  }
  const bytes = Number(OVERLAPPED.get(block.view, "InternalHigh"));
  releaseBlock(block);
  if (isNtError(status)) {
    return Promise.reject(new Win32Error(ntdll.symbols.RtlNtStatusToDosError(status), syscall));
  }
  return Promise.resolve({ status, bytes });
}

/**
 * Starts one overlapped Winsock operation (AcceptEx, ConnectEx,
 * WSARecvFrom, WSASendTo). Winsock takes an OVERLAPPED, not an APC context,
 * so the packet carries the block's address; the block is reused only after
 * that packet has come. `issue` makes the call with the OVERLAPPED address
 * and returns 0 when it succeeded, else the WSAGetLastError() value read
 * right after it: WSA_IO_PENDING means a packet will come; any other error
 * means none will (the operation never started).
 *
 * @param syscall The call's name, for errors.
 * @param issue Makes the call; returns 0 or the Winsock error.
 * @returns The completion: NTSTATUS and byte count.
 * @example
 * ```ts
 * import { winsockOverlapped } from "./completion.ts";
 * // const { status, bytes } = await winsockOverlapped("WSARecvFrom", (ov) => ...);
 * ```
 */
export function winsockOverlapped(
  syscall: string,
  issue: (overlapped: bigint) => number,
): Promise<Completion> {
  const block = takeBlock();
  const error = issue(block.address);
  if (error === WSA_IO_PENDING) {
    return new Promise<Completion>((resolve) => {
      pending.set(block.address, { memory: block, resolve });
      activity();
    });
  }
  const status = Number(OVERLAPPED.get(block.view, "Internal") & 0xffffffffn);
  const bytes = Number(OVERLAPPED.get(block.view, "InternalHigh"));
  releaseBlock(block);
  if (error !== 0) return Promise.reject(new Win32Error(error, syscall));
  return Promise.resolve({ status: status === STATUS.PENDING ? STATUS.SUCCESS : status, bytes });
}

const WSA_IO_PENDING = 997;

/**
 * Reads from an overlapped handle (NtReadFile, what ReadFile does). `buffer`
 * must stay allocated until the returned promise settles: the kernel fills it
 * until the operation completes. A synchronous failure rejects with the
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
    (block, id) =>
      ntdll.symbols.NtReadFile(
        handle,
        0n,
        0n,
        id,
        block,
        buffer,
        length,
        block + BigInt(OVERLAPPED.offsetOf("Offset")),
        0n,
      ),
  );
}

/**
 * Reads like {@link readOverlapped}, but starts the read only when this
 * task's microtasks have run, right before the port is next looked at. A
 * reader whose peer answers requests calls read() as soon as an answer came,
 * before its own reply is written; starting the read costs two wineserver
 * requests under Wine (100-200 µs), which then delayed the reply (docs/ffi.md).
 * `stillWanted` is asked at the start: false (the endpoint closed meanwhile)
 * settles the read as cancelled without starting it.
 *
 * @param handle An overlapped handle associated with the port.
 * @param buffer Native address of the buffer (allocated until the promise settles).
 * @param length Its size in bytes.
 * @param stillWanted Whether to start the read after all.
 * @returns The completion, as readOverlapped's.
 * @example
 * ```ts
 * import { readOverlappedSoon } from "./completion.ts";
 * // const { status, bytes } = await readOverlappedSoon(pipeHandle, buf.address, buf.byteLength, () => true);
 * ```
 */
export function readOverlappedSoon(
  handle: bigint,
  buffer: bigint,
  length: number,
  stillWanted: () => boolean,
): Promise<Completion> {
  return new Promise<Completion>((resolve, reject) => {
    const start = () => {
      if (!stillWanted()) return resolve({ status: STATUS.CANCELLED, bytes: 0 });
      readOverlapped(handle, buffer, length).then(resolve, reject);
    };
    // A parked dequeue looks at nothing before it returns: start now.
    if (parked) return start();
    deferredStarts.push(start);
    activity();
  });
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
    (block, id) =>
      ntdll.symbols.NtWriteFile(
        handle,
        0n,
        0n,
        id,
        block,
        buffer,
        length,
        block + BigInt(OVERLAPPED.offsetOf("Offset")),
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
    (block, id) =>
      ntdll.symbols.NtFsControlFile(handle, 0n, 0n, id, block, FSCTL_PIPE_LISTEN, 0n, 0, 0n, 0),
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

const blockWindow = new BlockWindow();

/** Something happened (an operation started or completed): look for packets once this macrotask ends. */
function activity(): void {
  if (parked || sweepScheduled) return;
  sweepScheduled = true;
  setImmediate(sweep);
}

/** Waits for packets on the JavaScript thread for the block window, then parks. */
function sweep(): void {
  sweepScheduled = false;
  if (deferredStarts.length > 0) {
    const starts = deferredStarts;
    deferredStarts = [];
    const before = pending.size;
    for (const start of starts) start();
    // A read that found its data at once has a caller to run (who will likely reply): no block.
    if (pending.size - before < starts.length) {
      activity();
      return;
    }
  }
  if (parked || pending.size === 0) return;
  const start = performance.now();
  const ms = blockWindow.ms;
  const removed = dequeueNow(ms);
  if (removed > 0) {
    // Their callers usually start the next operation at once: look again after they ran.
    if (pending.size > 0) activity();
    return;
  }
  if (ms > 0) blockWindow.timedOut(ms, performance.now() - start);
  void park(start);
}

/**
 * Parks one blocking dequeue off the JavaScript thread until a packet comes,
 * then goes back to blocking on the JavaScript thread.
 *
 * @param start performance.now() when the wait began.
 */
async function park(start: number): Promise<void> {
  parked = true;
  try {
    // A failed dequeue (cannot happen with INFINITE and a live port) dequeues nothing.
    await dequeueParked();
  } finally {
    parked = false;
  }
  blockWindow.parkedFor(performance.now() - start);
  if (pending.size > 0) activity();
}

/** Where dequeued packets land (`memory`), and the address of the count after them. */
function dequeueBuffer(): { memory: NativeMemory; removedAt: bigint } {
  const memory = (batch ??= NativeMemory.alloc(OVERLAPPED_ENTRY.size * BATCH + 8));
  return { memory, removedAt: memory.address + BigInt(OVERLAPPED_ENTRY.size * BATCH) };
}

/** Dequeues up to BATCH packets on this thread, waiting up to `timeoutMs`, and completes their operations. */
function dequeueNow(timeoutMs: number): number {
  const { memory, removedAt } = dequeueBuffer();
  const ok = kernel32.symbols.GetQueuedCompletionStatusEx(
    completionPort(),
    memory.address,
    BATCH,
    removedAt,
    timeoutMs,
    0,
  );
  return ok ? complete(memory) : 0;
}

/** Dequeues up to BATCH packets in a call parked off this thread (no timeout), and completes their operations. */
async function dequeueParked(): Promise<number> {
  const { memory, removedAt } = dequeueBuffer();
  const ok = await kernel32.symbols.GetQueuedCompletionStatusExAsync(
    completionPort(),
    memory.address,
    BATCH,
    removedAt,
    INFINITE,
    0,
  );
  return ok ? complete(memory) : 0;
}

function complete(entries: NativeMemory): number {
  const view = entries.view;
  const removed = view.getUint32(OVERLAPPED_ENTRY.size * BATCH, true);
  for (let i = 0; i < removed; i++) {
    const base = i * OVERLAPPED_ENTRY.size;
    const id = OVERLAPPED_ENTRY.get(view, "lpOverlapped", base);
    const bytes = OVERLAPPED_ENTRY.get(view, "dwNumberOfBytesTransferred", base);
    const operation = pending.get(id);
    if (!operation) continue; // not ours
    pending.delete(id);
    const status = Number(OVERLAPPED.get(operation.memory.view, "Internal") & 0xffffffffn);
    releaseBlock(operation.memory);
    operation.resolve({ status, bytes, waited: true });
  }
  return removed;
}
