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
  /** Reads waiting for data, in call order. */
  readonly #readers: {
    resolve(item: Uint8Array | null): void;
    reject(error: unknown): void;
  }[] = [];
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
   * Reads the next message (message mode) or the next chunk of bytes (byte
   * mode). Concurrent reads are answered in call order.
   *
   * @returns The bytes, or null once the other end has closed and everything was read.
   * @example
   * ```ts
   * import { NamedPipe } from "./pipe.ts";
   * await using conn = await NamedPipe.connect("jobs");
   * const message = await conn.read();
   * ```
   */
  read(): Promise<Uint8Array | null> {
    if (this.#closed) {
      return Promise.reject(new ClosedError(`Cannot read from ${this.#what}: it is closed`));
    }
    return new Promise((resolve, reject) => {
      this.#readers.push({ resolve, reject });
      this.#deliver();
    });
  }

  /** Hands queued data (or the end, a failure, the close) to waiting reads, first come first served. */
  #deliver(): void {
    while (this.#readers.length > 0) {
      const item = this.#queue[0];
      if (item !== undefined) {
        const reader = this.#readers.shift()!;
        if (item === null) {
          reader.resolve(null); // the end of the stream stays queued: it is every later answer
          continue;
        }
        this.#queue.shift();
        this.#queuedBytes -= item.byteLength;
        reader.resolve(item);
        continue;
      }
      if (this.#failure) {
        for (const reader of this.#readers.splice(0)) reader.reject(this.#failure);
        return;
      }
      if (this.#closed) {
        const error = new ClosedError(`Cannot read from ${this.#what}: it is closed`);
        for (const reader of this.#readers.splice(0)) reader.reject(error);
        return;
      }
      break;
    }
    this.#pump();
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
        this.#deliver();
      },
      (error) => {
        this.#pumping = false;
        if (!(error instanceof ClosedError && this.#closed)) this.#failure = error;
        this.#deliver();
      },
    );
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
    return this.#closing ??= (async () => {
      this.#closed = true;
      try {
        await this.#endpoint.close();
      } finally {
        this.#deliver();
      }
    })();
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
