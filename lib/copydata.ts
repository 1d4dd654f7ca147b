/**
 * Data copy: one process listens under a name, any number send it tagged
 * messages, and each sender gets the receiver's true/false answer (Win32
 * WM_COPYDATA semantics). Windows: a message-only window on the message-loop
 * thread and SendMessageTimeoutW; Linux: a named SOCK_SEQPACKET socket with
 * the same behaviour. Messages of any size up to 4 GiB - 1 arrive whole.
 *
 * @example A receiver that answers and a sender
 * ```ts
 * import { CopyData } from "./copydata.ts";
 * await using receiver = await CopyData.listen({
 *   name: "jobs",
 *   handler: ({ tag, data }) => tag === 1n && data.byteLength > 0,
 * });
 * await using sender = await CopyData.connect({ name: "jobs" });
 * console.log(await sender.send("run", { tag: 1n, timeout: 1000 })); // true
 * ```
 *
 * @module
 */
import { platform } from "./ffi/mod.ts";
import {
  ClosedError,
  MessageTooLargeError,
  TimeoutError,
  UnsupportedPlatformError,
} from "./errors.ts";
import {
  checkTag,
  checkTimeout,
  type CopyDataMessage,
  type Deliver,
  MAX_COPYDATA_SIZE,
  type ReceiverEndpoint,
  type SenderEndpoint,
} from "./_copydata_common.ts";
import { bareName, checkName } from "./_names.ts";
import { toBytes } from "./_pipe_common.ts";
import * as posix from "./posix/copydata.ts";
import * as win32 from "./win32/copydata.ts";

export type { CopyDataMessage } from "./_copydata_common.ts";

const os = platform === "windows" ? win32 : posix;
const DEFAULT_REPLY_TIMEOUT = 10_000;

/** Bytes a sender accepts: a string is sent as UTF-8. */
export type CopyDataPayload = Uint8Array | ArrayBufferView | ArrayBuffer | string;

/**
 * Answers one message; its result goes back to the sender: `false` means
 * refused, anything else (true, nothing) means handled. A handler that throws
 * answers false, and its error is rethrown as an uncaught error.
 */
export type CopyDataHandler = (
  message: CopyDataMessage,
) => boolean | void | Promise<boolean | void>;

/** Options of {@link CopyData.listen}. */
export interface CopyDataListenOptions {
  /** The receiver's name (see docs/env-contract.md for the OS names). */
  name: string;
  /**
   * Answers each message. Without one, messages are queued for `for await`
   * and each sender gets true as soon as its message is queued.
   */
  handler?: CopyDataHandler;
  /** How long a handler's asynchronous answer is awaited before the sender gets false, in ms (default 10000). */
  replyTimeout?: number;
  /**
   * Windows: let processes of lower integrity send (ChangeWindowMessageFilterEx;
   * UIPI drops their WM_COPYDATA otherwise). Ignored on Linux, where the socket
   * directory admits the same user only.
   */
  allowLowerIntegrity?: boolean;
}

/** Options of {@link CopyData.connect}. */
export interface CopyDataConnectOptions {
  /** The receiver's name. */
  name: string;
  /** How long to wait for the receiver to appear, in ms (default 0: look once). */
  timeout?: number;
  /** Stops waiting; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** Options of {@link CopyDataSender.send} and {@link CopyData.sendToWindow}. */
export interface CopyDataSendOptions {
  /** The message's tag (WM_COPYDATA's dwData), 0 to 2^64-1 (default 0). */
  tag?: bigint | number;
  /** How long to wait for the receiver's answer, in ms (default Infinity). */
  timeout?: number;
  /** Stops waiting; the promise rejects with the signal's reason (the message may still arrive). */
  signal?: AbortSignal;
}

function checkOptions(options: unknown, call: string): void {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`Cannot call ${call}: pass an options object with a name`);
  }
}

function checkSignal(signal: unknown, what: string): AbortSignal | undefined {
  if (signal === undefined || signal instanceof AbortSignal) return signal;
  throw new TypeError(`Cannot ${what}: signal must be an AbortSignal`);
}

/** Settles with `work`, or rejects with the signal's reason once it aborts. */
function abortable<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

function payload(data: CopyDataPayload, what: string): Uint8Array {
  const bytes = toBytes(data, what);
  if (bytes.byteLength > MAX_COPYDATA_SIZE) {
    throw new MessageTooLargeError(
      `Cannot send ${bytes.byteLength} bytes to ${what}: a copydata message holds at most ${MAX_COPYDATA_SIZE}`,
      bytes.byteLength,
      MAX_COPYDATA_SIZE,
    );
  }
  return bytes;
}

/**
 * A listening receiver. Without a handler, read its messages with
 * `for await`; the iteration ends when the receiver closes.
 *
 * @example Reading messages with for await
 * ```ts
 * import { CopyData } from "./copydata.ts";
 * await using receiver = await CopyData.listen({ name: "jobs" });
 * for await (const { tag, data } of receiver) console.log(tag, data.byteLength);
 * ```
 */
export class CopyDataReceiver implements AsyncDisposable, AsyncIterable<CopyDataMessage> {
  #endpoint: ReceiverEndpoint | null = null;
  readonly #queue: CopyDataMessage[] = [];
  #wake: (() => void) | null = null;
  #closing: Promise<void> | null = null;

  /** @internal Made by {@link CopyData.listen}. */
  constructor(
    /** The receiver's name. */
    readonly name: string,
    readonly handler: CopyDataHandler | undefined,
  ) {}

  /** @internal Starts the OS receiver. */
  async _start(settings: { replyTimeout: number; allowLowerIntegrity: boolean }): Promise<this> {
    this.#endpoint = await os.listenCopyData(bareName(this.name), this.#deliver, settings);
    return this;
  }

  /**
   * The receiver's window handle on Windows, for programs that are not
   * ipckit (they send WM_COPYDATA to it); null on Linux.
   */
  get hwnd(): bigint | null {
    return this.#endpoint?.hwnd ?? null;
  }

  /** Whether `close()` has been called. */
  get closed(): boolean {
    return this.#closing !== null;
  }

  readonly #deliver: Deliver = (message) => {
    if (this.#closing) return Promise.resolve(false);
    if (!this.handler) {
      this.#queue.push(message);
      this.#wake?.();
      return Promise.resolve(true);
    }
    try {
      return Promise.resolve(this.handler(message)).then(
        (answer) => answer !== false,
        (error) => this.#handlerFailed(error),
      );
    } catch (error) {
      return Promise.resolve(this.#handlerFailed(error));
    }
  };

  #handlerFailed(error: unknown): false {
    queueMicrotask(() => {
      throw error;
    });
    return false;
  }

  /**
   * Stops receiving and frees the name. Messages queued and not yet read are
   * dropped; a pending iteration ends. Idempotent.
   *
   * @returns Resolves once the name is free.
   * @example Closing a receiver
   * ```ts
   * import { CopyData } from "./copydata.ts";
   * const receiver = await CopyData.listen({ name: "jobs" });
   * await receiver.close();
   * ```
   */
  close(): Promise<void> {
    return (this.#closing ??= (async () => {
      this.#queue.length = 0;
      this.#wake?.();
      await this.#endpoint?.close();
    })());
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<CopyDataMessage> {
    if (this.handler) {
      throw new TypeError(
        `Cannot iterate copydata receiver '${this.name}': its messages go to its handler`,
      );
    }
    for (;;) {
      const message = this.#queue.shift();
      if (message) {
        yield message;
        continue;
      }
      if (this.#closing) return;
      await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#wake = null;
    }
  }
}

/**
 * A sender connected to one receiver. Its messages arrive in the order
 * `send()` was called (each waits for the one before). It stays bound to the
 * receiver it reached: once that one closes, sends reject with ClosedError,
 * even if a new receiver listens under the name (connect again).
 *
 * @example A sender with a tag and a timeout
 * ```ts
 * import { CopyData } from "./copydata.ts";
 * await using sender = await CopyData.connect({ name: "jobs", timeout: 1000 });
 * const handled = await sender.send(new Uint8Array([1, 2, 3]), { tag: 7n, timeout: 500 });
 * ```
 */
export class CopyDataSender implements AsyncDisposable {
  readonly #endpoint: SenderEndpoint;
  #turn: Promise<unknown> = Promise.resolve();
  #closing: Promise<void> | null = null;

  readonly #what: string;

  /** @internal Made by {@link CopyData.connect}. */
  constructor(
    endpoint: SenderEndpoint,
    /** The receiver's name. */
    readonly name: string,
    what = `copydata receiver '${name}'`,
  ) {
    this.#endpoint = endpoint;
    this.#what = what;
  }

  /**
   * Sends one message and waits for the receiver's answer.
   *
   * @param data The bytes (a string is sent as UTF-8), up to 4 GiB - 1.
   * @param options `tag` (0 to 2^64-1), `timeout` for the answer in ms, `signal`.
   * @returns The receiver's answer: true when it handled the message.
   * @throws TimeoutError when no answer came in time (a hung receiver); ClosedError when the
   *   receiver is gone or this sender is closed; the signal's reason on abort.
   * @example Sending the largest tag
   * ```ts
   * import { CopyData } from "./copydata.ts";
   * await using sender = await CopyData.connect({ name: "jobs" });
   * await sender.send("hello", { tag: 2n ** 64n - 1n, timeout: 1000 });
   * ```
   */
  send(data: CopyDataPayload, options: CopyDataSendOptions = {}): Promise<boolean> {
    const what = this.#what;
    if (this.#closing) {
      return Promise.reject(new ClosedError(`Cannot send to ${what}: the sender is closed`));
    }
    let bytes: Uint8Array, tag: bigint, timeout: number, signal: AbortSignal | undefined;
    try {
      bytes = payload(data, what);
      tag = checkTag(options.tag);
      timeout = checkTimeout(options.timeout, Infinity, `send to ${what}`);
      signal = checkSignal(options.signal, `send to ${what}`);
    } catch (error) {
      return Promise.reject(error);
    }
    const deadline = performance.now() + timeout;
    const sent = this.#turn.then(() => {
      const left = deadline - performance.now();
      if (left <= 0 && timeout !== Infinity) {
        throw new TimeoutError(
          `Cannot send to ${what}: no answer within ${timeout} ms (earlier messages were still waiting)`,
        );
      }
      return this.#endpoint.send(bytes, tag, timeout === Infinity ? Infinity : left);
    });
    this.#turn = sent.catch(() => {});
    return abortable(sent, signal);
  }

  /**
   * Closes the sender once its messages are answered. Idempotent.
   *
   * @returns Resolves once closed.
   * @example Closing a sender
   * ```ts
   * import { CopyData } from "./copydata.ts";
   * const sender = await CopyData.connect({ name: "jobs" });
   * await sender.close();
   * ```
   */
  close(): Promise<void> {
    return (this.#closing ??= this.#turn.then(() => this.#endpoint.close()));
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * Data copy between processes: {@link CopyData.listen} to receive,
 * {@link CopyData.connect} to send, {@link CopyData.sendToWindow} for a
 * Windows program that is not ipckit.
 *
 * @example Listening and sending
 * ```ts
 * import { CopyData } from "./copydata.ts";
 * await using receiver = await CopyData.listen({ name: "jobs", handler: () => true });
 * await using sender = await CopyData.connect({ name: "jobs" });
 * await sender.send("job 1");
 * ```
 */
export const CopyData = {
  /**
   * The name a program that is not ipckit finds a receiver by.
   *
   * @param name The receiver's name.
   * @returns Windows: the window name of the `ipckit.CopyData` message-only window
   *   (FindWindowExW(HWND_MESSAGE, NULL, L"ipckit.CopyData", name)); Linux: the socket path.
   * @example The OS name of a receiver
   * ```ts
   * import { CopyData } from "./copydata.ts";
   * console.log(CopyData.osName("jobs")); // "jobs" on Windows, "/run/user/1000/ipckit/jobs.copydata" on Linux
   * ```
   */
  osName(name: string): string {
    const bare = bareName(checkName(name, "copydata receiver"));
    return platform === "windows" ? bare : posix.copyDataPath(bare);
  },

  /**
   * Removes what a receiver that died without closing left of a name: on
   * Linux a stale socket file (a live receiver's is never touched); on
   * Windows nothing, since its window and name lock went with the process.
   *
   * @param name The receiver's name.
   * @returns Whether something stale was removed.
   * @example Cleaning up after a crashed receiver
   * ```ts
   * import { CopyData } from "./copydata.ts";
   * CopyData.reclaim("jobs");
   * ```
   */
  reclaim(name: string): boolean {
    const bare = bareName(checkName(name, "copydata receiver"));
    return platform === "windows" ? false : posix.reclaimCopyData(bare);
  },

  /**
   * Listens under a name. NameTakenError when another receiver has it.
   *
   * @param options `name`, and `handler` (its answer goes to the sender) or none
   *   (iterate the receiver), `replyTimeout`, `allowLowerIntegrity`.
   * @returns The receiver, once it can receive.
   * @example A receiver whose handler answers
   * ```ts
   * import { CopyData } from "./copydata.ts";
   * await using receiver = await CopyData.listen({
   *   name: "jobs",
   *   handler: async ({ data }) => data.byteLength < 1024,
   * });
   * ```
   */
  async listen(options: CopyDataListenOptions): Promise<CopyDataReceiver> {
    checkOptions(options, "CopyData.listen");
    const name = checkName(options.name, "copydata receiver");
    const { handler, allowLowerIntegrity = false } = options;
    if (handler !== undefined && typeof handler !== "function") {
      throw new TypeError(`Cannot listen for copydata on '${name}': handler must be a function`);
    }
    const replyTimeout = checkTimeout(
      options.replyTimeout,
      DEFAULT_REPLY_TIMEOUT,
      `listen for copydata on '${name}'`,
    );
    return await new CopyDataReceiver(name, handler)._start({
      replyTimeout: Math.min(replyTimeout, 0x7fffffff),
      allowLowerIntegrity: allowLowerIntegrity === true,
    });
  },

  /**
   * Connects to the receiver of a name, waiting up to `timeout` ms for it to
   * appear. NotFoundError when none listens by then.
   *
   * @param options `name`, `timeout` (default 0: look once), `signal`.
   * @returns The sender.
   * @example Connecting with a timeout
   * ```ts
   * import { CopyData } from "./copydata.ts";
   * await using sender = await CopyData.connect({ name: "jobs", timeout: 2000 });
   * ```
   */
  async connect(options: CopyDataConnectOptions): Promise<CopyDataSender> {
    checkOptions(options, "CopyData.connect");
    const name = checkName(options.name, "copydata receiver");
    const timeout = checkTimeout(options.timeout, 0, `connect to copydata receiver '${name}'`);
    const signal = checkSignal(options.signal, `connect to copydata receiver '${name}'`);
    const connecting = os.connectCopyData(bareName(name), timeout);
    // An abandoned connect still finishes: close what it made.
    connecting.then((endpoint) => {
      if (signal?.aborted) void endpoint.close();
    }, () => {});
    return new CopyDataSender(await abortable(connecting, signal), name);
  },

  /**
   * Windows: sends WM_COPYDATA to any window, e.g. of a program that is not
   * ipckit, and resolves with its answer (its window procedure's result is
   * not 0). On Linux: UnsupportedPlatformError (there are no windows; use
   * `connect`).
   *
   * @param hwnd The window handle.
   * @param data The bytes (a string is sent as UTF-8).
   * @param options `tag`, `timeout` for the answer in ms, `signal`.
   * @returns Whether the window handled the message.
   * @example Sending to a raw window handle
   * ```ts
   * import { CopyData } from "./copydata.ts";
   * await using receiver = await CopyData.listen({ name: "jobs", handler: () => true });
   * if (receiver.hwnd !== null) await CopyData.sendToWindow(receiver.hwnd, "hi", { timeout: 1000 });
   * ```
   */
  sendToWindow(
    hwnd: bigint,
    data: CopyDataPayload,
    options: CopyDataSendOptions = {},
  ): Promise<boolean> {
    if (platform !== "windows") {
      return Promise.reject(
        new UnsupportedPlatformError(
          `Cannot send copydata to a window on ${platform}: windows exist only on Windows` +
            ` (use CopyData.connect with the receiver's name)`,
        ),
      );
    }
    if (typeof hwnd !== "bigint" || hwnd <= 0n || hwnd > 0xffffffffffffffffn) {
      return Promise.reject(
        new TypeError(`Cannot send copydata to window ${String(hwnd)}: pass its HWND as a bigint`),
      );
    }
    const what = `window 0x${hwnd.toString(16)}`;
    return new CopyDataSender(win32.windowSender(hwnd, what), what, what).send(data, options);
  },
};
