/**
 * Reading and writing an overlapped pipe handle (named pipe end, mailslot)
 * through the process's completion port. I/O buffers of operations in flight
 * live in native memory, never in JavaScript buffers, which can move.
 *
 * @module
 */
import { concatBytes, NativeMemory } from "../ffi/mod.ts";
import { ClosedError } from "../errors.ts";
import type { Endpoint } from "../_pipe_common.ts";
import {
  cancelAll,
  type Completion,
  readOverlapped,
  readOverlappedSoon,
  STATUS,
  writeOverlapped,
} from "./completion.ts";
import { ERROR, Win32Error } from "./error.ts";
import { kernel32 } from "./kernel32.ts";

/** Bytes asked for per ReadFile; a longer message arrives in parts (ERROR_MORE_DATA). */
const READ_CHUNK = 64 * 1024;
/**
 * Bytes asked for by a socket read that follows one that filled its buffer: data
 * is probably waiting, and under Wine each ReadFile costs about the same
 * whatever its size (two wineserver requests, 100-200 us), so fewer, larger
 * reads drain it faster (64 KiB: 1.8-2.3 ms per MiB; 1 MiB: 0.4-0.5; Bun's
 * node:net reads up to 512 KiB). Large blocks are shared by the process and
 * taken only for the call: most such reads complete within it, and one that
 * has to wait keeps its block until it completes, so at most
 * {@link LARGE_READS_OUTSTANDING} are out at once (then reads use their own
 * 64 KiB). A read after one that did not fill its buffer (the usual idle
 * wait) uses the endpoint's own 64 KiB.
 */
const LARGE_READ = 1024 * 1024;
/** Large read blocks out at once, at most: bounds what waiting reads hold. */
const LARGE_READS_OUTSTANDING = 8;
/** Large read blocks kept for reuse. */
const LARGE_READ_FREE_LIST = 2;
const freeLargeReads: NativeMemory[] = [];
let largeReadsOut = 0;

/** A large read block, or null when {@link LARGE_READS_OUTSTANDING} are out. */
function takeLargeReadBuffer(): NativeMemory | null {
  if (largeReadsOut >= LARGE_READS_OUTSTANDING) return null;
  largeReadsOut++;
  return freeLargeReads.pop() ?? NativeMemory.alloc(LARGE_READ);
}

function releaseLargeReadBuffer(buffer: NativeMemory): void {
  largeReadsOut--;
  if (freeLargeReads.length < LARGE_READ_FREE_LIST) freeLargeReads.push(buffer);
  else buffer.free();
}

/** NTSTATUS → Win32 error code, for the statuses pipe I/O ends with. */
export function win32CodeOf(status: number): number {
  switch (status) {
    case STATUS.PIPE_BROKEN:
    case STATUS.END_OF_FILE:
      return ERROR.BROKEN_PIPE;
    case STATUS.PIPE_DISCONNECTED:
      return ERROR.PIPE_NOT_CONNECTED;
    case STATUS.CANCELLED:
      return ERROR.OPERATION_ABORTED;
    case STATUS.IO_TIMEOUT:
      return ERROR.SEM_TIMEOUT;
    case STATUS.BUFFER_OVERFLOW:
      return ERROR.MORE_DATA;
    case 0xc0000022: // STATUS_ACCESS_DENIED
      return ERROR.ACCESS_DENIED;
    case 0xc0000008: // STATUS_INVALID_HANDLE
      return ERROR.INVALID_HANDLE;
    case 0xc000000d: // STATUS_INVALID_PARAMETER
      return ERROR.INVALID_PARAMETER;
    default:
      return 317; // ERROR_MR_MID_NOT_FOUND: no mapping known here; the status is in the message
  }
}

/**
 * The size of a write's staging block. Data the kernel reads after the call
 * returns must not move, so writes are copied to native memory; blocks are
 * reused, because under Wine a fresh 64 KiB heap allocation per write cost
 * more CPU than the write itself. A socket's writes queued together share
 * one block and one NtWriteFile (each call is at least two wineserver
 * requests under Wine); a larger write gets its own allocation.
 */
const STAGE_BYTES = 256 * 1024;
/** Write calls in flight per handle, at most (later writes wait in order, and a socket's gather). */
const WRITES_IN_FLIGHT = 8;
/** Staging blocks kept for reuse (one per write in flight; most complete within their call). */
const STAGE_FREE_LIST = 8;
const freeStages: NativeMemory[] = [];

function takeStage(): NativeMemory {
  return freeStages.pop() ?? NativeMemory.alloc(STAGE_BYTES);
}

function releaseStage(stage: NativeMemory): void {
  if (freeStages.length < STAGE_FREE_LIST) freeStages.push(stage);
  else stage.free();
}

/** A write waiting for its turn. */
interface QueuedWrite {
  readonly data: Uint8Array;
  resolve(): void;
  reject(error: unknown): void;
}

/** Options of an {@link OverlappedEndpoint}. */
export interface OverlappedEndpointOptions {
  /** Whole messages (PIPE_READMODE_MESSAGE) rather than a byte stream. */
  readonly message: boolean;
  /** The other end's pid (0 if unknown). */
  readonly peerPid: number;
  /** For messages, e.g. "pipe 'jobs'". */
  readonly what: string;
  /** Server end of a named pipe: flush before closing, so the client reads everything written. */
  readonly flushOnClose: boolean;
  /** Runs after the handle is closed. */
  readonly onClose?: () => void;
  /** A socket: a read of 0 bytes is the end of the stream, and the handle closes with this. */
  readonly closeSocket?: (handle: bigint) => void;
}

/** An overlapped pipe handle as an {@link Endpoint}. */
export class OverlappedEndpoint implements Endpoint {
  #handle: bigint;
  /** This endpoint's own read buffer (READ_CHUNK), what a read that waits holds. */
  #readBuffer: NativeMemory | null = null;
  /** Whether the last read filled its buffer (then the next one reads a large block). */
  #lastReadFilled = false;
  /** Whether the last read went pending: its peer answers requests (see readOverlappedSoon). */
  #lastReadWaited = false;
  #reading: Promise<unknown> | null = null;
  /** Writes not yet handed to the OS, in call order. */
  readonly #queue: QueuedWrite[] = [];
  /** Whether a flush is scheduled for this turn's writes. */
  #flushScheduled = false;
  /** Write calls started and not yet settled. */
  #writesInFlight = 0;
  readonly #drainWaiters: (() => void)[] = [];
  #closing: Promise<void> | null = null;
  readonly peerPid: number;

  /**
   * @param handle An overlapped handle already associated with the completion port (now owned).
   * @param options Mode, peer, close behaviour.
   */
  constructor(handle: bigint, readonly options: OverlappedEndpointOptions) {
    this.#handle = handle;
    this.peerPid = options.peerPid;
  }

  /** The handle (for handing to a child). */
  get handle(): bigint {
    return this.#handle;
  }

  read(): Promise<Uint8Array | null> {
    if (this.#closing) return Promise.reject(this.#closedError("read from"));
    const reading = this.#read();
    this.#reading = reading.catch(() => {});
    return reading;
  }

  async #read(): Promise<Uint8Array | null> {
    const parts: Uint8Array[] = [];
    for (;;) {
      // After a socket read that filled its buffer more is probably waiting: read it in one call.
      const large = this.#lastReadFilled ? takeLargeReadBuffer() : null;
      const buffer = large ?? (this.#readBuffer ??= NativeMemory.alloc(READ_CHUNK));
      let completion: Completion;
      try {
        // The first read after one that waited starts once the caller has run (and replied).
        completion = this.#lastReadWaited && parts.length === 0
          ? await readOverlappedSoon(
            this.#handle,
            buffer.address,
            buffer.byteLength,
            () => this.#closing === null,
          )
          : await readOverlapped(this.#handle, buffer.address, buffer.byteLength);
        this.#lastReadWaited = completion.waited === true;
      } catch (error) {
        if (large) releaseLargeReadBuffer(large);
        if (
          error instanceof Win32Error && (isEnd(error.code) || error.code === ERROR_NETNAME_DELETED)
        ) {
          return this.#end(parts);
        }
        throw error;
      }
      const { status, bytes } = completion;
      // Sockets only: pipes under Wine go through the wineserver, and large reads made them slower
      // (windows-deno, bench/pipes.ts: 104-105 against 131-152 MiB/s with 64 KiB reads).
      this.#lastReadFilled = this.options.closeSocket !== undefined &&
        status === STATUS.SUCCESS && bytes === buffer.byteLength;
      if ((status === STATUS.SUCCESS || status === STATUS.BUFFER_OVERFLOW) && bytes > 0) {
        parts.push(buffer.bytes.slice(0, bytes));
      }
      if (large) releaseLargeReadBuffer(large);
      if (status === STATUS.SUCCESS || status === STATUS.BUFFER_OVERFLOW) {
        // BUFFER_OVERFLOW: the rest of this message follows in the next read.
        if (status === STATUS.BUFFER_OVERFLOW) continue;
        if (!this.options.message && bytes === 0) {
          if (this.options.closeSocket) return this.#end(parts);
          continue;
        }
        return concatBytes(parts);
      }
      if (status === STATUS.CANCELLED) throw this.#closedError("read from");
      if (isEnd(win32CodeOf(status)) || status === STATUS_CONNECTION_RESET) return this.#end(parts);
      throw ntError(status, "ReadFile");
    }
  }

  #end(parts: Uint8Array[]): null {
    if (parts.length > 0) {
      throw new Error(
        `Cannot read from ${this.options.what}: the other end closed it in the middle of a message`,
      );
    }
    return null;
  }

  /**
   * Queues `data`. Calls start in write order, up to
   * {@link WRITES_IN_FLIGHT} at once: the OS keeps a handle's writes in the
   * order they were issued. On a socket, writes queued in one turn of the
   * event loop share one staging block (up to {@link STAGE_BYTES}) and one
   * NtWriteFile; a pipe sends each write (each message) with its own call.
   */
  write(data: Uint8Array): Promise<void> {
    if (this.#closing) return Promise.reject(this.#closedError("write to"));
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ data, resolve, reject });
      if (this.#flushScheduled) return;
      this.#flushScheduled = true;
      // After this turn's other writes are queued: a socket's share the call.
      queueMicrotask(() => this.#flush());
    });
  }

  /** Starts calls for the queued writes, in order, while fewer than WRITES_IN_FLIGHT are out. */
  #flush(): void {
    this.#flushScheduled = false;
    while (this.#queue.length > 0 && this.#writesInFlight < WRITES_IN_FLIGHT) {
      this.#writesInFlight++;
      // #sendBatch makes its call before it first awaits, so calls start in queue order.
      void this.#sendBatch(this.#takeBatch()).then(() => {
        this.#writesInFlight--;
        if (this.#queue.length > 0) this.#flush();
        else if (this.#writesInFlight === 0) {
          for (const resolve of this.#drainWaiters.splice(0)) resolve();
        }
      });
    }
  }

  /** Copies a batch to native memory, writes it, and settles its writes. */
  async #sendBatch(batch: QueuedWrite[]): Promise<void> {
    const length = batch.reduce((sum, { data }) => sum + data.byteLength, 0);
    const staged = length <= STAGE_BYTES;
    let memory: NativeMemory | null = null;
    try {
      memory = staged ? takeStage() : NativeMemory.alloc(length);
      let offset = 0;
      for (const { data } of batch) {
        memory.bytes.set(data, offset);
        offset += data.byteLength;
      }
      await this.#send(memory, length);
      for (const write of batch) write.resolve();
    } catch (error) {
      for (const write of batch) write.reject(error);
    } finally {
      if (memory && staged) releaseStage(memory);
      else memory?.free();
    }
  }

  /** The writes of the next call: one message, or queued bytes up to a stage (or one larger write). */
  #takeBatch(): QueuedWrite[] {
    const first = this.#queue.shift()!;
    const batch = [first];
    // Sockets only: pipes under Wine go through the wineserver, where one larger write was slower
    // than several (windows-deno, bench/pipes.ts: 62-96 against 118-128 MiB/s).
    if (this.options.message || !this.options.closeSocket || first.data.byteLength > STAGE_BYTES) {
      return batch;
    }
    let length = first.data.byteLength;
    while (this.#queue.length > 0 && length + this.#queue[0]!.data.byteLength <= STAGE_BYTES) {
      const next = this.#queue.shift()!;
      length += next.data.byteLength;
      batch.push(next);
    }
    return batch;
  }

  /** Writes the first `total` bytes of `memory` (0: one empty write, an empty message on a message pipe). */
  async #send(memory: NativeMemory, total: number): Promise<void> {
    let offset = 0;
    do {
      let completion: Completion;
      try {
        completion = await writeOverlapped(
          this.#handle,
          memory.address + BigInt(offset),
          total - offset,
        );
      } catch (error) {
        if (error instanceof Win32Error && isEnd(error.code)) throw this.#peerClosed(error);
        throw error;
      }
      if (completion.status !== STATUS.SUCCESS) {
        if (completion.status === STATUS.CANCELLED) throw this.#closedError("write to");
        const error = ntError(completion.status, "WriteFile");
        throw isEnd(error.code) ? this.#peerClosed(error) : error;
      }
      offset += completion.bytes;
      // A byte pipe may take a write in parts; a message pipe takes it whole.
    } while (offset < total && !this.options.message);
  }

  /** Resolves once every write so far has reached the handle (or failed). */
  drained(): Promise<void> {
    if (this.#queue.length === 0 && this.#writesInFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  close(): Promise<void> {
    return (this.#closing ??= this.#close());
  }

  async #close(): Promise<void> {
    await this.drained();
    if (this.options.flushOnClose) {
      // The server end: wait until the client has read everything written (FlushFileBuffers),
      // because disconnecting discards what it has not read yet.
      await kernel32.symbols.FlushFileBuffersAsync(this.#handle);
    }
    if (this.#reading) {
      cancelAll(this.#handle);
      await this.#reading; // the read's buffer stays alive until the read has completed
    }
    this.#readBuffer?.free();
    // Closing the handle (not DisconnectNamedPipe) ends the connection the graceful way: the
    // client reads everything left and then gets ERROR_BROKEN_PIPE, its end of stream, where
    // after DisconnectNamedPipe it would get ERROR_PIPE_NOT_CONNECTED (an error to libuv and
    // node:net). Instances are not reused: the server creates fresh ones.
    if (this.options.closeSocket) this.options.closeSocket(this.#handle);
    else kernel32.symbols.CloseHandle(this.#handle);
    this.#handle = 0n;
    this.options.onClose?.();
  }

  #closedError(verb: string): ClosedError {
    return new ClosedError(`Cannot ${verb} ${this.options.what}: it is closed`);
  }

  #peerClosed(cause: Win32Error): ClosedError {
    return new ClosedError(`Cannot write to ${this.options.what}: the other end closed it`, {
      cause,
    });
  }
}

/** A TCP peer that closed without reading everything (RST): the end of its stream, as on Linux. */
const STATUS_CONNECTION_RESET = 0xc000020d;
/** What STATUS_CONNECTION_RESET becomes when the read fails within its call. */
const ERROR_NETNAME_DELETED = 64;

function isEnd(code: number): boolean {
  return code === ERROR.BROKEN_PIPE || code === ERROR.PIPE_NOT_CONNECTED || code === ERROR.NO_DATA;
}

/**
 * A Win32Error for an operation that completed with an NTSTATUS.
 *
 * @param status The NTSTATUS.
 * @param syscall The call.
 * @returns The error.
 */
export function ntError(status: number, syscall: string): Win32Error {
  const error = new Win32Error(win32CodeOf(status), syscall);
  error.message += ` [NTSTATUS 0x${status.toString(16)}]`;
  return error;
}
