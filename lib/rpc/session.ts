/**
 * The call protocol of docs/rpc.md on one connection that carries whole
 * frames (lib/rpc/wire.ts): the client side multiplexes calls by id, the
 * server side runs each call's handler as its own task, so a slow handler
 * never holds up another call. Each direction of each streaming call has a
 * credit window, so a slow reader holds at most {@link WINDOW} messages of
 * its call in memory while other calls keep flowing.
 *
 * @module
 */
import { setImmediate } from "node:timers";
import { MessageTooLargeError, TimeoutError } from "../errors.ts";
import { codeName, RPC_CODES, RpcError } from "./errors.ts";
import type { CompiledSchema, MessageCodec, RpcMethod } from "./schema.ts";
import {
  batch,
  creditFrame,
  FLAG,
  FRAME,
  frame,
  HEADER_SIZE,
  NO_TIMEOUT,
  openFrame,
  parseCredit,
  parseFrame,
  parseOpen,
  parseStatus,
  splitBatch,
  statusFrame,
} from "./wire.ts";

/**
 * Messages a receiver accepts per call before it grants more credit.
 * @example
 * ```ts
 * import { WINDOW } from "./session.ts";
 * console.log(WINDOW); // 128
 * ```
 */
export const WINDOW = 128;

/** Whole frames in, whole frames out: a message-mode pipe connection. */
export interface FrameChannel extends AsyncIterable<Uint8Array> {
  write(frame: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

/**
 * Writes frames in batches: a frame sent on an idle connection goes out at
 * once; frames sent after it in the same turn of the event loop wait for the
 * next turn and go out together, so a busy connection makes one system call
 * per turn instead of one per frame.
 */
class FrameWriter {
  #queue: Uint8Array[] = [];
  #scheduled = false;
  #broken = false;

  constructor(readonly channel: FrameChannel) {}

  send(frame: Uint8Array): void {
    if (this.#broken) return;
    if (this.#scheduled) {
      this.#queue.push(frame);
      return;
    }
    this.#write([frame]);
  }

  #write(frames: Uint8Array[]): void {
    this.#scheduled = true;
    setImmediate(this.#flush);
    this.channel.write(batch(frames)).catch(() => {
      // The connection is gone; its reader ends every call.
      this.#broken = true;
      this.#queue = [];
    });
  }

  /** Writes whatever waits for the next turn now (before a close). */
  flushNow(): void {
    if (this.#queue.length === 0 || this.#broken) return;
    const frames = this.#queue;
    this.#queue = [];
    this.channel.write(batch(frames)).catch(() => {});
  }

  readonly #flush = (): void => {
    this.#scheduled = false;
    if (this.#queue.length === 0 || this.#broken) return;
    const frames = this.#queue;
    this.#queue = [];
    this.#write(frames);
  };
}

/** What a handler learns about its call. */
export interface CallContext {
  /** The method's name. */
  readonly method: string;
  /** Aborted when the client cancels, the deadline passes or the server closes. */
  readonly signal: AbortSignal;
  /** The deadline as epoch milliseconds, or `null` when the client gave none. */
  readonly deadline: number | null;
}

/** Options of one call. */
export interface CallOptions {
  /** Milliseconds the call may take, sent to the server as its deadline (default Infinity). */
  timeout?: number;
  /** Cancels the call on both sides. */
  signal?: AbortSignal;
}

/** A FIFO of incoming messages with an async iterator and per-pull credit. */
class Inbox<T> implements AsyncIterable<T> {
  #items: T[] = [];
  #ended = false;
  #error: unknown = null;
  #wake: (() => void) | null = null;
  #consumed = 0;

  /** @param onConsumed Called with a count when enough items were taken to grant credit. */
  constructor(readonly onConsumed: (count: number) => void) {}

  push(item: T): void {
    this.#items.push(item);
    this.#signal();
  }

  end(error: unknown = null): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#error = error;
    this.#signal();
  }

  get ended(): boolean {
    return this.#ended;
  }

  #signal(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  async next(): Promise<IteratorResult<T, undefined>> {
    for (;;) {
      if (this.#items.length > 0) {
        const value = this.#items.shift()!;
        if (++this.#consumed >= WINDOW / 2) {
          this.onConsumed(this.#consumed);
          this.#consumed = 0;
        }
        return { value, done: false };
      }
      if (this.#ended) {
        if (this.#error) throw this.#error;
        return { value: undefined, done: true };
      }
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<T, undefined> {
    return { next: () => this.next() };
  }
}

/** Credit to send on one call: waits while the peer's window is full. */
class Outbox {
  #credit = WINDOW;
  #waiters: (() => void)[] = [];
  #failure: unknown = null;

  grant(count: number): void {
    this.#credit += count;
    while (this.#credit > 0 && this.#waiters.length > 0) this.#waiters.shift()!();
  }

  fail(error: unknown): void {
    this.#failure ??= error;
    for (const wake of this.#waiters.splice(0)) wake();
  }

  async take(): Promise<void> {
    while (this.#credit <= 0) {
      if (this.#failure) throw this.#failure;
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
    if (this.#failure) throw this.#failure;
    this.#credit--;
  }
}

function checkSize(bytes: Uint8Array, limit: number, what: string): void {
  if (bytes.byteLength > limit) {
    throw new MessageTooLargeError(
      `Cannot send a ${bytes.byteLength}-byte ${what}: the limit is ${limit} bytes`,
      bytes.byteLength,
      limit,
    );
  }
}

function toRpcError(error: unknown): RpcError {
  if (error instanceof RpcError) return error;
  if (error instanceof MessageTooLargeError) {
    return new RpcError("resource_exhausted", error.message, { cause: error });
  }
  if (error instanceof TimeoutError) {
    return new RpcError("deadline_exceeded", error.message, { cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new RpcError("unknown", message, { cause: error });
}

/**
 * An async iterable whose first step rejects with `error`.
 *
 * @param error The error.
 * @returns The iterable.
 * @example
 * ```ts
 * import { failedStream } from "./session.ts";
 * for await (const _ of failedStream(new Error("closed"))) break; // throws
 * ```
 */
export function failedStream(error: unknown): AsyncIterableIterator<never> {
  return {
    next: () => Promise.reject(error),
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

// ---- client ---------------------------------------------------------------

interface ClientCall {
  inbox: Inbox<Uint8Array>;
  outbox: Outbox;
  /** Settles the call with an error (local cancel, timeout, remote status). */
  fail(error: unknown): void;
}

/** The client end of a connection: starts calls and routes frames to them. */
export class ClientSession {
  readonly #calls = new Map<number, ClientCall>();
  #nextId = 1;
  #closed: RpcError | null = null;
  readonly #reading: Promise<void>;
  readonly #writer: FrameWriter;

  /**
   * @param channel The connection.
   * @param schema The compiled schema.
   * @param maxMessageSize The largest message sent or accepted, in bytes.
   * @param label Names the connection in error messages.
   */
  constructor(
    readonly channel: FrameChannel,
    readonly schema: CompiledSchema,
    readonly maxMessageSize: number,
    readonly label: string,
  ) {
    this.#writer = new FrameWriter(channel);
    this.#reading = this.#read();
  }

  async #read(): Promise<void> {
    let reason = `Cannot finish the call: the connection to ${this.label} closed`;
    try {
      for await (const message of this.channel) {
        for (const bytes of splitBatch(message).frames) this.#dispatch(bytes);
      }
    } catch (error) {
      reason = `Cannot finish the call: the connection to ${this.label} failed: ${
        error instanceof Error ? error.message : String(error)
      }`;
    }
    this.#closed ??= new RpcError("unavailable", reason);
    for (const call of [...this.#calls.values()]) call.fail(this.#closed);
  }

  #dispatch(bytes: Uint8Array): void {
    let f;
    try {
      f = parseFrame(bytes);
    } catch {
      return; // Nothing to route it to; the server does not send these.
    }
    const call = this.#calls.get(f.id);
    if (!call) return; // A call that ended or was cancelled here already.
    switch (f.type) {
      case FRAME.MESSAGE:
        if (f.body.byteLength > this.maxMessageSize) {
          call.fail(
            new RpcError(
              "resource_exhausted",
              `Cannot accept a ${f.body.byteLength}-byte response: the limit is ${this.maxMessageSize} bytes`,
            ),
          );
          this.#send(frame(FRAME.CANCEL, 0, f.id));
          return;
        }
        call.inbox.push(f.body);
        if (f.flags & FLAG.END) this.#finish(f.id, null);
        return;
      case FRAME.STATUS: {
        const { code, text } = parseStatus(f.body);
        this.#finish(f.id, code === 0 ? null : new RpcError(codeName(code), text));
        return;
      }
      case FRAME.CREDIT:
        call.outbox.grant(parseCredit(f.body));
        return;
      default:
        return;
    }
  }

  #finish(id: number, error: RpcError | null): void {
    const call = this.#calls.get(id);
    if (!call) return;
    this.#calls.delete(id);
    if (error) call.fail(error);
    else {
      call.inbox.end();
      call.outbox.fail(new RpcError("canceled", "Cannot send more: the call has ended"));
    }
  }

  #send(bytes: Uint8Array): void {
    this.#writer.send(bytes);
  }

  /**
   * Starts a call of any shape.
   *
   * @param method The method.
   * @param requests The request (single-request shapes) or the requests to stream.
   * @param options Timeout and signal.
   * @returns The responses, as an async iterable that ends when the call succeeds.
   */
  call(
    method: RpcMethod,
    requests: unknown,
    options: CallOptions = {},
  ): AsyncIterable<unknown> & { first(): Promise<unknown> } {
    const input = this.schema.codec(method.input);
    const output = this.schema.codec(method.output);
    const timeout = options.timeout ?? Infinity;
    if (!(timeout >= 0)) {
      throw new RangeError(
        `Cannot call '${method.name}' with timeout ${timeout}: it must be >= 0 ms`,
      );
    }
    const id = this.#nextId;
    this.#nextId = this.#nextId >= 0xfffffffe ? 1 : this.#nextId + 1;
    let failure: unknown = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const signal = options.signal;
    const cleanup = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    };
    const inbox = new Inbox<Uint8Array>((count) => this.#send(creditFrame(id, count)));
    const outbox = new Outbox();
    const call: ClientCall = {
      inbox,
      outbox,
      fail: (error) => {
        // The server's deadline may expire before ours: the caller sees one kind of timeout.
        if (error instanceof RpcError && error.code === "deadline_exceeded") {
          error = new TimeoutError(`Cannot finish call '${method.name}': ${error.message}`, {
            cause: error,
          });
        }
        failure ??= error;
        cleanup();
        this.#calls.delete(id);
        inbox.end(failure);
        outbox.fail(failure);
      },
    };
    const cancel = (error: unknown) => {
      if (!this.#calls.has(id)) return;
      call.fail(error);
      this.#send(frame(FRAME.CANCEL, 0, id));
    };
    const onAbort = () => cancel(signal!.reason);
    const fail = (error: unknown) => {
      return Object.assign(failedStream(error), { first: () => Promise.reject(error) });
    };
    if (this.#closed) return fail(this.#closed);
    if (signal?.aborted) return fail(signal.reason);
    let first: Uint8Array | null = null;
    if (!method.clientStreaming) {
      try {
        first = input.encode(requests);
        checkSize(first, this.maxMessageSize, `request to '${method.name}'`);
      } catch (error) {
        return fail(error);
      }
    }
    this.#calls.set(id, call);
    signal?.addEventListener("abort", onAbort, { once: true });
    if (timeout !== Infinity) {
      timer = setTimeout(() => {
        cancel(
          new TimeoutError(`Cannot finish call '${method.name}': timed out after ${timeout} ms`, {
            cause: new RpcError("deadline_exceeded", `Deadline of ${timeout} ms exceeded`),
          }),
        );
      }, timeout);
    }
    const wireTimeout = timeout === Infinity
      ? NO_TIMEOUT
      : Math.min(Math.ceil(timeout), NO_TIMEOUT - 1);
    this.#send(openFrame(id, method.name, wireTimeout, first, !method.clientStreaming));
    if (method.clientStreaming) {
      void this.#pump(id, call, requests, input, method.name).catch((error) => cancel(error));
    }
    const responses = (async function* (): AsyncGenerator<unknown> {
      let done = false;
      try {
        for await (const bytes of inbox) {
          let value: unknown;
          try {
            value = output.decode(bytes);
          } catch (cause) {
            throw new RpcError("internal", `Cannot decode the response of '${method.name}'`, {
              cause,
            });
          }
          yield value;
        }
        done = true;
      } finally {
        cleanup();
        // Stopping early cancels the call on the server too.
        if (!done) cancel(new RpcError("canceled", `Call '${method.name}' was cancelled`));
      }
    })();
    const firstResponse = async () => {
      let value: unknown;
      let seen = false;
      for await (const v of responses) {
        if (!seen) {
          value = v;
          seen = true;
        }
      }
      if (!seen) {
        throw new RpcError("internal", `Call '${method.name}' ended without a response`);
      }
      return value;
    };
    return Object.assign(responses, { first: firstResponse });
  }

  async #pump(
    id: number,
    call: ClientCall,
    requests: unknown,
    input: MessageCodec,
    method: string,
  ): Promise<void> {
    const source = requests as AsyncIterable<unknown> | Iterable<unknown>;
    if (source === null || typeof source !== "object") {
      throw new TypeError(`Cannot stream requests to '${method}': pass an iterable`);
    }
    for await (const request of source) {
      if (!this.#calls.has(id)) return;
      const bytes = input.encode(request);
      checkSize(bytes, this.maxMessageSize, `request to '${method}'`);
      await call.outbox.take();
      if (!this.#calls.has(id)) return;
      this.#send(frame(FRAME.MESSAGE, 0, id, bytes));
    }
    if (this.#calls.has(id)) this.#send(frame(FRAME.END, FLAG.END, id));
  }

  /**
   * Closes the connection; calls in flight fail with `unavailable`.
   *
   * @returns Resolves once closed.
   */
  async close(): Promise<void> {
    this.#closed ??= new RpcError("unavailable", `Cannot call ${this.label}: the client is closed`);
    this.#writer.flushNow();
    await this.channel.close().catch(() => {});
    await this.#reading;
  }
}

// ---- server ---------------------------------------------------------------

/** Any handler; lib/rpc.ts types them per method shape. */
export type AnyHandler = (input: unknown, context: CallContext) => unknown;

interface ServerCall {
  inbox: Inbox<Uint8Array>;
  outbox: Outbox;
  controller: AbortController;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** The server end of one connection. */
export class ServerSession {
  readonly #calls = new Map<number, ServerCall>();
  readonly #methods: Map<string, { method: RpcMethod; handler: AnyHandler }>;
  #closed = false;
  readonly #writer: FrameWriter;
  /** Resolves when the connection has ended and every call with it. */
  readonly done: Promise<void>;

  /**
   * @param channel The connection.
   * @param schema The compiled schema.
   * @param methods The service's methods with their handlers, by name.
   * @param maxMessageSize The largest message accepted or sent, in bytes.
   */
  constructor(
    readonly channel: FrameChannel,
    readonly schema: CompiledSchema,
    methods: Map<string, { method: RpcMethod; handler: AnyHandler }>,
    readonly maxMessageSize: number,
  ) {
    this.#methods = methods;
    this.#writer = new FrameWriter(channel);
    this.done = this.#read();
  }

  async #read(): Promise<void> {
    try {
      for await (const message of this.channel) {
        const { frames, error } = splitBatch(message);
        for (const bytes of frames) this.#dispatch(bytes);
        if (error) this.#status(0, error);
      }
    } catch {
      // The client went away; its calls are cancelled below.
    }
    this.#closed = true;
    for (const id of [...this.#calls.keys()]) {
      this.#abort(id, new RpcError("canceled", "The client disconnected"));
    }
  }

  #send(bytes: Uint8Array): void {
    this.#writer.send(bytes);
  }

  #status(id: number, error: RpcError): void {
    this.#send(statusFrame(id, RPC_CODES[error.code], error.message));
  }

  #abort(id: number, reason: RpcError): void {
    const call = this.#calls.get(id);
    if (!call) return;
    this.#calls.delete(id);
    clearTimeout(call.timer);
    call.inbox.end(reason);
    call.outbox.fail(reason);
    call.controller.abort(reason);
  }

  #dispatch(bytes: Uint8Array): void {
    let f;
    try {
      f = parseFrame(bytes);
    } catch (error) {
      // Garbage names no call: answer on id 0 and keep serving.
      const id = bytes.byteLength >= HEADER_SIZE
        ? new DataView(bytes.buffer, bytes.byteOffset).getUint32(2, true)
        : 0;
      this.#status(id, toRpcError(error));
      return;
    }
    if (
      (f.type === FRAME.OPEN || f.type === FRAME.MESSAGE) &&
      f.body.byteLength > this.maxMessageSize + (f.type === FRAME.OPEN ? 6 + 0xffff : 0)
    ) {
      this.#abort(f.id, new RpcError("resource_exhausted", "Request too large"));
      this.#status(
        f.id,
        new RpcError(
          "resource_exhausted",
          `Cannot accept a ${f.body.byteLength}-byte request: the limit is ${this.maxMessageSize} bytes`,
        ),
      );
      return;
    }
    switch (f.type) {
      case FRAME.OPEN:
        return this.#open(f.id, f.flags, f.body);
      case FRAME.MESSAGE: {
        const call = this.#calls.get(f.id);
        if (!call || call.inbox.ended) return;
        call.inbox.push(f.body);
        if (f.flags & FLAG.END) call.inbox.end();
        return;
      }
      case FRAME.END:
        this.#calls.get(f.id)?.inbox.end();
        return;
      case FRAME.CANCEL:
        this.#abort(f.id, new RpcError("canceled", "The client cancelled the call"));
        return;
      case FRAME.CREDIT:
        this.#calls.get(f.id)?.outbox.grant(parseCredit(f.body));
        return;
      default:
        this.#status(
          f.id,
          new RpcError("invalid_argument", `Cannot accept a frame of type ${f.type} from a client`),
        );
    }
  }

  #open(id: number, flags: number, body: Uint8Array): void {
    let open;
    try {
      open = parseOpen(body, (flags & FLAG.MESSAGE) !== 0);
    } catch (error) {
      this.#status(id, toRpcError(error));
      return;
    }
    if (this.#calls.has(id)) {
      this.#status(
        id,
        new RpcError("invalid_argument", `Cannot open call ${id}: it is already open`),
      );
      return;
    }
    const entry = this.#methods.get(open.method);
    if (!entry) {
      this.#status(
        id,
        new RpcError("unimplemented", `Cannot call '${open.method}': no such method`),
      );
      return;
    }
    if (open.message && open.message.byteLength > this.maxMessageSize) {
      this.#status(
        id,
        new RpcError(
          "resource_exhausted",
          `Cannot accept a ${open.message.byteLength}-byte request: the limit is ${this.maxMessageSize} bytes`,
        ),
      );
      return;
    }
    const controller = new AbortController();
    const inbox = new Inbox<Uint8Array>((count) => this.#send(creditFrame(id, count)));
    const call: ServerCall = { inbox, outbox: new Outbox(), controller, timer: undefined };
    this.#calls.set(id, call);
    let deadline: number | null = null;
    if (open.timeoutMs !== NO_TIMEOUT) {
      deadline = Date.now() + open.timeoutMs;
      call.timer = setTimeout(() => {
        const error = new RpcError(
          "deadline_exceeded",
          `Call '${open.method}' passed its deadline of ${open.timeoutMs} ms`,
        );
        this.#abort(id, error);
        this.#status(id, error);
      }, open.timeoutMs);
    }
    if (open.message) inbox.push(open.message);
    if (flags & FLAG.END) inbox.end();
    const context: CallContext = { method: open.method, signal: controller.signal, deadline };
    void this.#run(id, call, entry.method, entry.handler, context);
  }

  async #run(
    id: number,
    call: ServerCall,
    method: RpcMethod,
    handler: AnyHandler,
    context: CallContext,
  ): Promise<void> {
    const input = this.schema.codec(method.input);
    const output = this.schema.codec(method.output);
    const decode = (bytes: Uint8Array) => {
      try {
        return input.decode(bytes);
      } catch (cause) {
        throw new RpcError(
          "invalid_argument",
          `Cannot decode the request to '${method.name}' as '${method.input}': ${
            cause instanceof Error ? cause.message : String(cause)
          }`,
          { cause },
        );
      }
    };
    const live = () => this.#calls.get(id) === call;
    const encode = (value: unknown) => {
      const bytes = output.encode(value);
      if (bytes.byteLength > this.maxMessageSize) {
        throw new RpcError(
          "resource_exhausted",
          `Cannot send a ${bytes.byteLength}-byte response from '${method.name}': the limit is ${this.maxMessageSize} bytes`,
        );
      }
      return bytes;
    };
    try {
      let argument: unknown;
      if (method.clientStreaming) {
        argument = (async function* () {
          for await (const bytes of call.inbox) yield decode(bytes);
        })();
      } else {
        const first = await call.inbox.next();
        if (first.done) {
          throw new RpcError("invalid_argument", `Call '${method.name}' sent no request`);
        }
        argument = decode(first.value);
      }
      const result = handler(argument, context);
      if (!method.serverStreaming) {
        const value = await result;
        if (!live()) return;
        const bytes = encode(value);
        this.#finish(id);
        this.#send(frame(FRAME.MESSAGE, FLAG.END, id, bytes));
        return;
      }
      const items = result as AsyncIterable<unknown> | Iterable<unknown>;
      if (items === null || typeof items !== "object") {
        throw new TypeError(`Handler '${method.name}' must return an iterable of responses`);
      }
      for await (const item of items) {
        if (!live()) break; // `break` runs the handler's `finally`
        const bytes = encode(item);
        await call.outbox.take();
        if (!live()) break;
        this.#send(frame(FRAME.MESSAGE, 0, id, bytes));
      }
      if (!live()) return;
      this.#finish(id);
      this.#send(statusFrame(id, 0, ""));
    } catch (error) {
      if (!live()) return;
      this.#finish(id);
      this.#status(id, toRpcError(error));
    }
  }

  #finish(id: number): void {
    const call = this.#calls.get(id);
    if (!call) return;
    this.#calls.delete(id);
    clearTimeout(call.timer);
    call.outbox.fail(new RpcError("canceled", "The call has ended"));
  }

  /**
   * Cancels every call and closes the connection.
   *
   * @returns Resolves once closed.
   */
  async close(): Promise<void> {
    if (!this.#closed) {
      for (const id of [...this.#calls.keys()]) {
        this.#abort(id, new RpcError("unavailable", "The server is closing"));
      }
    }
    this.#writer.flushNow();
    await this.channel.close().catch(() => {});
    await this.done;
  }
}
