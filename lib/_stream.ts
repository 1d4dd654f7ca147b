// The reading and writing surface every byte or message stream of ipckit
// shares (named pipes, anonymous pipes, sockets): read() with read-ahead,
// write(), Web Streams and async iteration over one Endpoint.
import { ClosedError } from "./errors.ts";
import type { Endpoint } from "./_pipe_common.ts";
import { toBytes } from "./_pipe_common.ts";

/** Bytes read ahead of the caller before reading pauses. */
const READ_AHEAD_BYTES = 1024 * 1024;

/**
 * A connected stream over an {@link Endpoint}: `read()`/`write()`, async
 * iteration, and Web Streams. `what` names it in messages ("pipe 'jobs'").
 */
export class StreamConnection implements AsyncDisposable, AsyncIterable<Uint8Array> {
  readonly #endpoint: Endpoint;
  readonly #what: string;
  readonly #queue: (Uint8Array | null)[] = [];
  #queuedBytes = 0;
  #pumping = false;
  #failure: unknown = null;
  #wake: (() => void) | null = null;
  #closed = false;
  #closing: Promise<void> | null = null;
  #readable: ReadableStream<Uint8Array> | null = null;
  #writable: WritableStream<Uint8Array> | null = null;

  /**
   * @param endpoint The OS connection (now owned).
   * @param what Names the stream in messages, e.g. "pipe 'jobs'".
   */
  constructor(endpoint: Endpoint, what: string) {
    this.#endpoint = endpoint;
    this.#what = what;
  }

  /** Whether close() was called. */
  protected get closed(): boolean {
    return this.#closed;
  }

  /**
   * Reads the next message (message mode) or the next chunk of bytes (byte mode).
   *
   * @returns The bytes, or null once the other end has closed and everything was read.
   */
  async read(): Promise<Uint8Array | null> {
    for (;;) {
      if (this.#queue.length > 0) {
        const item = this.#queue.shift()!;
        if (item === null) {
          this.#queue.unshift(null); // end of stream stays the answer
          return null;
        }
        this.#queuedBytes -= item.byteLength;
        this.#pump();
        return item;
      }
      if (this.#failure) throw this.#failure;
      if (this.#closed) throw new ClosedError(`Cannot read from ${this.#what}: it is closed`);
      this.#pump();
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  /** Keeps one read in flight while the queue is short, so the OS fills while JavaScript works. */
  #pump(): void {
    if (this.#pumping || this.#closed || this.#failure) return;
    if (this.#queuedBytes >= READ_AHEAD_BYTES || this.#queue.at(-1) === null) return;
    this.#pumping = true;
    this.#endpoint.read().then(
      (item) => {
        this.#pumping = false;
        this.#queue.push(item);
        if (item) this.#queuedBytes += item.byteLength;
        this.#signal();
        if (item) this.#pump();
      },
      (error) => {
        this.#pumping = false;
        if (!(error instanceof ClosedError && this.#closed)) this.#failure = error;
        this.#signal();
      },
    );
  }

  #signal(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  /**
   * Writes bytes (a string is sent as UTF-8). Writes keep their order even
   * when not awaited; don't change `data` until the promise settles.
   *
   * @param data The bytes.
   * @returns Resolves when the data is in the OS's hands.
   */
  write(data: Uint8Array | ArrayBufferView | ArrayBuffer | string): Promise<void> {
    if (this.#closed) {
      return Promise.reject(new ClosedError(`Cannot write to ${this.#what}: it is closed`));
    }
    return this.#endpoint.write(toBytes(data, this.#what));
  }

  /** The incoming data as a ReadableStream (one chunk per message in message mode). */
  get readable(): ReadableStream<Uint8Array> {
    return (this.#readable ??= new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        const item = await this.read();
        if (item === null) controller.close();
        else controller.enqueue(item);
      },
      cancel: () => this.close(),
    }));
  }

  /** A WritableStream over `write()`; closing it closes the connection. */
  get writable(): WritableStream<Uint8Array> {
    return (this.#writable ??= new WritableStream<Uint8Array>({
      write: (chunk) => this.write(chunk),
      close: () => this.close(),
      abort: () => this.close(),
    }));
  }

  /**
   * Waits until everything written has reached the OS, then closes.
   * Idempotent: later calls return the same promise.
   *
   * @returns Resolves once closed.
   */
  close(): Promise<void> {
    this.#closed = true;
    return (this.#closing ??= this.#endpoint.close().finally(() => this.#signal()));
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    for (;;) {
      const item = await this.read();
      if (item === null) return;
      yield item;
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
