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
  STATUS,
  writeOverlapped,
} from "./completion.ts";
import { ERROR, Win32Error } from "./error.ts";
import { kernel32 } from "./kernel32.ts";

/** Bytes asked for per ReadFile; a longer message arrives in parts (ERROR_MORE_DATA). */
const READ_CHUNK = 64 * 1024;

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
  #readBuffer: NativeMemory | null = null;
  #reading: Promise<unknown> | null = null;
  readonly #writes = new Set<Promise<unknown>>();
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
    const buffer = (this.#readBuffer ??= NativeMemory.alloc(READ_CHUNK));
    const parts: Uint8Array[] = [];
    for (;;) {
      let completion: Completion;
      try {
        completion = await readOverlapped(this.#handle, buffer.address, READ_CHUNK);
      } catch (error) {
        if (
          error instanceof Win32Error && (isEnd(error.code) || error.code === ERROR_NETNAME_DELETED)
        ) {
          return this.#end(parts);
        }
        throw error;
      }
      const { status, bytes } = completion;
      if (status === STATUS.SUCCESS || status === STATUS.BUFFER_OVERFLOW) {
        if (bytes > 0) parts.push(buffer.bytes.slice(0, bytes));
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

  write(data: Uint8Array): Promise<void> {
    if (this.#closing) return Promise.reject(this.#closedError("write to"));
    const writing = this.#write(data);
    const tracked = writing.catch(() => {});
    this.#writes.add(tracked);
    void tracked.then(() => this.#writes.delete(tracked));
    return writing;
  }

  async #write(data: Uint8Array): Promise<void> {
    // The kernel reads the buffer after WriteFile returns: copy it to memory that does not move.
    const memory = NativeMemory.alloc(Math.max(1, data.byteLength));
    memory.bytes.set(data);
    try {
      let offset = 0;
      do {
        const rest = data.byteLength - offset;
        let completion: Completion;
        try {
          completion = await writeOverlapped(this.#handle, memory.address + BigInt(offset), rest);
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
      } while (offset < data.byteLength && !this.options.message);
    } finally {
      memory.free();
    }
  }

  /** Resolves once every write so far has reached the handle (or failed). */
  async drained(): Promise<void> {
    await Promise.all(this.#writes);
  }

  close(): Promise<void> {
    return (this.#closing ??= this.#close());
  }

  async #close(): Promise<void> {
    await Promise.all(this.#writes);
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
