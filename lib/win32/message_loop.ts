/**
 * The message-loop thread: message-only windows whose messages are handled
 * in JavaScript, and native callbacks made on that thread whose invocations
 * are handled in JavaScript, on Windows. Data copy (WM_COPYDATA), the
 * clipboard's change listener, DDE and COM apartments use it (docs/ffi.md).
 *
 * How to use it:
 * ```ts
 * import { MessageWindow } from "./message_loop.ts";
 * import { kernel32 } from "./kernel32.ts";
 * import { user32 } from "./user32.ts";
 * const WM_CLIPBOARDUPDATE = 0x031d;
 * const window = await MessageWindow.create({
 *   className: "ipckit.Clipboard",            // registered on the loop thread as needed
 *   handlers: { [WM_CLIPBOARDUPDATE]: () => console.log("changed") },
 *   posted: [WM_CLIPBOARDUPDATE],             // answered at once; the handler runs afterwards
 * });
 * // Thread-affine calls run on the loop thread (read GetLastError in the same batch):
 * const [ok, error] = await window.batch([
 *   [user32, "AddClipboardFormatListener", window.hwnd],
 *   [kernel32, "GetLastError"],
 * ]);
 * window.post(0x0400);                        // PostMessageW from this thread
 * await window.close();                       // the last close stops the thread
 * ```
 * - One loop thread per process, started by the first window and stopped
 *   when the last one closes: no thread, window or class is left, and a
 *   process with no open window can exit. An open window keeps it alive.
 * - A handler of a message that is not `posted` runs while the sender waits:
 *   its synchronous part may read memory that `lParam` points to; its result
 *   (a bigint, number or boolean, or a promise of one) is the message's
 *   LRESULT. The loop waits at most `replyTimeout` ms for a promise, then
 *   answers 0 (and at most 60 s for a busy JavaScript thread to take the
 *   message at all). Messages no handler takes go to DefWindowProcW.
 * - One slow handler delays every window of the process: the loop thread
 *   runs one window procedure at a time, as any Win32 thread does. While it
 *   waits for a handler, it runs the native calls (`batch`) JavaScript
 *   sends, so a handler may call back into thread-affine state before it
 *   answers; a message those calls dispatch is handed off nested.
 * - Without a window, {@link MessageLoop.open} holds the thread for native
 *   callbacks (`loop.callback(signature, handler)`: made on the loop thread,
 *   handled like a sent message) and calls (`loop.batch`).
 * - Each trip between the threads costs (much under Wine), so a callback can
 *   declare native calls the loop thread makes around its hand-off: `reads`
 *   (arguments read before it, the handler gets their bytes) and `answer`
 *   (the call that turns a handler's bytes into the result), and a batch can
 *   pass one call's result to a later call ({@link operand}).
 *
 * @module
 */
import { MessageChannel, type MessagePort, Worker } from "node:worker_threads";
import {
  type CallbackDef,
  ClosedError,
  NativeMemory,
  type ThreadCall,
  threadCallMessages,
} from "../ffi/mod.ts";
import { lastWin32Error, Win32Error } from "./error.ts";
import { user32 } from "./user32.ts";
import {
  ANSWER_KIND,
  answerIndex,
  DOORBELL,
  HANDOFF_BYTES,
  HANDOFF_SLOTS,
  type HandOffEvent,
  kindIndex,
  type LoopCommand,
  type LoopError,
  type LoopEvent,
  type LoopOperand,
  PHASE,
  stateIndex,
  WM_LOOP_COMMANDS,
} from "./_message_loop_protocol.ts";

/** A window message as a handler sees it. */
export interface WindowMessage {
  /** The window it was sent or posted to. */
  readonly hwnd: bigint;
  /** The message id (e.g. 0x004a for WM_COPYDATA). */
  readonly message: number;
  readonly wParam: bigint;
  /** For a sent message, memory it points to is valid during the handler's synchronous part only. */
  readonly lParam: bigint;
}

/** A handler's answer: the message's LRESULT (true is 1, false and nothing are 0). */
export type MessageResult = bigint | number | boolean | void;

/** Handles one message id; see {@link MessageWindow}. */
export type MessageHandler = (message: WindowMessage) => MessageResult | Promise<MessageResult>;

/** Options of {@link MessageWindow.create}. */
export interface MessageWindowOptions {
  /** The window class (registered on the loop thread while windows of it exist). */
  className: string;
  /** The window name, what FindWindowExW matches (default ""). */
  title?: string;
  /** Handlers by message id. */
  handlers: Readonly<Record<number, MessageHandler>>;
  /** Message ids answered 0 at once, their handlers run afterwards (notifications). */
  posted?: readonly number[];
  /** How long the loop waits for a handler's asynchronous answer, in ms (default 10000). */
  replyTimeout?: number;
  /** Receives errors thrown by handlers (default: reported as uncaught). The message is answered 0. */
  onError?: (error: unknown) => void;
}

/**
 * A callback handler's answer: the callback's result, or bytes that the
 * callback's `answer` call turns into it on the loop thread.
 */
export type CallbackResult = MessageResult | Uint8Array;

/**
 * Handles a native callback's invocations on the JavaScript thread: it gets
 * the callback's arguments (bigints for 64-bit and pointer types), then the
 * bytes of its `reads` if it has any, and returns its result, or a promise
 * of it (see {@link MessageLoop.callback}).
 */
// deno-lint-ignore no-explicit-any -- the arguments follow the callback's signature; handlers annotate them
export type CallbackHandler = (...args: any[]) => CallbackResult | Promise<CallbackResult>;

/**
 * Arguments of native calls made on the loop thread around a callback
 * invocation ({@link ArgumentRead}, `answer`) or later in a batch, resolved
 * when the call runs; numbers and bigints are passed as they are.
 */
export const operand = {
  /** The invocation's argument `index`, `& mask` if given. */
  arg: (index: number, mask?: number): LoopOperand =>
    mask === undefined ? { $: "arg", index } : { $: "arg", index, mask },
  /** The read's buffer (or the answer's bytes). */
  buffer: { $: "buffer" } as LoopOperand,
  /** The byte length of `buffer`. */
  length: { $: "length" } as LoopOperand,
  /** The u32 in native memory at `address` (which must stay valid) when the call runs. */
  u32At: (address: bigint): LoopOperand => ({ $: "u32At", address }),
  /** The result of call `index` earlier in the same batch. */
  result: (index: number): LoopOperand => ({ $: "result", index }),
} as const;

/**
 * An argument the loop thread reads with native calls before it hands an
 * invocation to JavaScript, so the handler needs no call back to that
 * thread: `size` bytes (or the result of the `size` call) are allocated,
 * `read` fills them ({@link operand} `buffer` and `length`) and counts the
 * `unit`s it copied. The handler gets the bytes (null when the argument is 0).
 */
export interface ArgumentRead {
  /** The argument's index. */
  readonly arg: number;
  /** The buffer's byte size, or a call whose result is it. */
  readonly size: number | ThreadCall;
  /** The call that fills the buffer. */
  readonly read: ThreadCall;
  /** Bytes per unit `read` returns. */
  readonly unit: number;
}

/** Options of {@link MessageLoop.batch}. */
export interface LoopBatchOptions {
  /** Run the calls only when no message or callback is being handed off (default false). */
  outsideCallbacks?: boolean;
}

/** Options of {@link MessageLoop.callback}. */
export interface LoopCallbackOptions {
  /** How long the loop waits for the handler's asynchronous answer, in ms (default 10000). */
  replyTimeout?: number;
  /** Receives errors thrown by the handler (default: reported as uncaught). The call returns 0. */
  onError?: (error: unknown) => void;
  /** Arguments read on the loop thread before each hand-off; the handler gets their bytes last. */
  reads?: readonly ArgumentRead[];
  /**
   * The call that turns a handler's Uint8Array answer into the callback's
   * result on the loop thread ({@link operand} `buffer` and `length` are
   * the bytes); without it a Uint8Array answer is an error.
   */
  answer?: ThreadCall;
}

const DEFAULT_REPLY_TIMEOUT = 10_000;

function loopError(error: LoopError): Error {
  return "code" in error ? new Win32Error(error.code, error.syscall) : new Error(error.message);
}

function lresult(value: MessageResult): bigint {
  if (typeof value === "bigint") return BigInt.asIntN(64, value);
  if (typeof value === "number") return BigInt(Math.trunc(value));
  return value ? 1n : 0n;
}

function checkReplyTimeout(replyTimeout: number): number {
  if (!(replyTimeout >= 0)) {
    throw new RangeError(`Cannot use reply timeout ${replyTimeout}: use ms >= 0`);
  }
  return Math.min(replyTimeout, 0x7fffffff);
}

function reporter(onError: ((error: unknown) => void) | undefined): (error: unknown) => void {
  return onError ?? ((error) =>
    queueMicrotask(() => {
      throw error;
    }));
}

/** Runs a handler, turning a throw or rejection into a report and the answer 0. */
function runHandler<R extends CallbackResult>(
  handler: () => R | Promise<R>,
  onError: (error: unknown) => void,
): R | bigint | Promise<R | bigint> {
  const report = (error: unknown): bigint => {
    onError(error);
    return 0n;
  };
  try {
    const result = handler();
    return result instanceof Promise ? result.catch(report) : result;
  } catch (error) {
    return report(error);
  }
}

/** What a hand-off goes to: a window or a callback. */
interface HandOffTarget {
  readonly closed: boolean;
  /** Whether an answer may be bytes (a callback with an `answer` call). */
  readonly _answersBytes?: boolean;
  _report(error: unknown): void;
}

type LoopRequest = LoopCommand extends infer C ? C extends LoopCommand ? Omit<C, "id"> : never
  : never;

/** One loop thread; a new one takes commands only after the previous one has exited. */
class LoopThread {
  readonly #worker: Worker;
  readonly #commands: MessagePort;
  readonly #words: Int32Array;
  readonly #answers: BigInt64Array;
  readonly #replies = new Map<
    number,
    { resolve(value: unknown): void; reject(error: unknown): void }
  >();
  readonly windows = new Map<bigint, MessageWindow>();
  readonly callbacks = new Map<number, LoopCallback>();
  /** Hand-offs released to an asynchronous handler, by slot. */
  readonly #awaited = new Map<number, { base: number; target: HandOffTarget }>();
  #commandWindow = 0n;
  // The previous thread must have unregistered its classes before this one registers them.
  #previousExited = false;
  #queued: LoopCommand[] = [];
  #nextId = 1;
  #failure: Error | null = null;
  /** Windows and loop handles open or being created; the thread stops when this returns to 0. */
  users = 0;
  readonly exited: Promise<void>;

  constructor(previousExit: Promise<void>) {
    const handoff = new SharedArrayBuffer(HANDOFF_BYTES);
    this.#words = new Int32Array(handoff);
    this.#answers = new BigInt64Array(handoff);
    const { port1, port2 } = new MessageChannel();
    this.#commands = port1;
    let exited!: () => void;
    this.exited = new Promise((resolve) => (exited = resolve));
    const end = (error: Error) => {
      this.#fail(error);
      port1.close();
      exited();
    };
    void previousExit.then(() => {
      this.#previousExited = true;
      this.#flush();
    });
    this.#worker = new Worker(new URL("./_message_loop_worker.ts", import.meta.url), {
      workerData: { commands: port2, handoff },
      transferList: [port2],
    });
    this.#worker.on("message", (event: LoopEvent) => {
      if (event.type === "ready") {
        this.#commandWindow = event.commandWindow;
        this.#flush();
      } else if (event.type === "exited") {
        end(new ClosedError("The message loop thread has ended"));
        void this.#worker.terminate();
      } else {
        this.#onEvent(event);
      }
    });
    this.#worker.on("error", (error: unknown) => {
      end(error instanceof Error ? error : new Error(String(error)));
    });
    this.#worker.on("exit", () => end(new ClosedError("The message loop thread has ended")));
  }

  /** Why the thread can take no more commands, or null. */
  get failure(): Error | null {
    return this.#failure;
  }

  /** Sends a command; resolves with the loop thread's reply. */
  // deno-lint-ignore no-explicit-any -- the reply's type depends on the command; callers annotate it
  request(command: LoopRequest): Promise<any> {
    if (this.#failure) return Promise.reject(this.#failure);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#replies.set(id, { resolve, reject });
      this.#queued.push({ ...command, id } as LoopCommand);
      this.#flush();
    });
  }

  /** Tells the thread to stop once the commands before this one have run. */
  quit(): void {
    if (this.#failure) return;
    this.#queued.push({ op: "quit", id: this.#nextId++ });
    this.#flush();
  }

  /** Answers 0 now to the hand-offs a closing target still owes an answer to. */
  abandon(target: HandOffTarget): void {
    for (const [slot, { base, target: owner }] of this.#awaited) {
      if (owner !== target) continue;
      this.#awaited.delete(slot);
      Atomics.compareExchange(
        this.#words,
        stateIndex(slot),
        base + PHASE.RELEASED,
        base + PHASE.ABANDONED,
      );
    }
    this.#ring();
  }

  /** Wakes the loop thread wherever it waits: in GetMessageW (a message) or in a hand-off (the doorbell). */
  #flush(): void {
    if (!this.#commandWindow || !this.#previousExited || this.#queued.length === 0) return;
    for (const command of this.#queued.splice(0)) this.#commands.postMessage(command);
    if (!user32.symbols.PostMessageW(this.#commandWindow, WM_LOOP_COMMANDS, 0n, 0n)) {
      this.#fail(lastWin32Error("PostMessageW"));
    }
    this.#ring();
  }

  #ring(): void {
    Atomics.add(this.#words, DOORBELL, 1);
    Atomics.notify(this.#words, DOORBELL);
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    for (const pending of this.#replies.values()) pending.reject(error);
    this.#replies.clear();
    for (const window of this.windows.values()) window._loopEnded(error);
  }

  #onEvent(event: LoopEvent): void {
    switch (event.type) {
      case "reply": {
        const pending = this.#replies.get(event.id);
        this.#replies.delete(event.id);
        if (event.ok) pending?.resolve(event.value);
        else pending?.reject(loopError(event.error));
        return;
      }
      case "message": {
        const window = this.windows.get(event.hwnd);
        return this.#answer(event.slot, event.seq, window, () => window!._handle(event));
      }
      case "call": {
        const target = this.callbacks.get(event.callback);
        return this.#answer(event.slot, event.seq, target, () => target!._handle(event.args));
      }
      case "posted":
        return void this.windows.get(event.hwnd)?._handle(event);
      case "overflow":
        return this.#targetOf(event.target)?._report(
          new Error(
            `Cannot hand a message to JavaScript: ${HANDOFF_SLOTS} already wait, nested; it was answered 0`,
          ),
        );
      case "fatal":
        return this.#fail(loopError(event.error));
    }
  }

  #targetOf(event: HandOffEvent): HandOffTarget | undefined {
    return event.type === "message"
      ? this.windows.get(event.hwnd)
      : this.callbacks.get(event.callback);
  }

  /** Runs the handler of a hand-off whose caller waits, and answers through its slot. */
  #answer(
    slot: number,
    seq: number,
    target: HandOffTarget | undefined,
    handle: () => CallbackResult | Promise<CallbackResult>,
  ): void {
    const at = stateIndex(slot);
    const base = seq * 8;
    // The loop thread may have given up already; then its caller has its answer (0).
    if (
      Atomics.compareExchange(this.#words, at, base + PHASE.PENDING, base + PHASE.TAKEN) !==
        base + PHASE.PENDING
    ) return;
    const result = target && !target.closed ? handle() : 0n;
    if (!(result instanceof Promise)) {
      this.#settle(slot, base, result, target);
      return;
    }
    this.#awaited.set(slot, { base, target: target! });
    Atomics.store(this.#words, at, base + PHASE.RELEASED);
    this.#ring();
    void result.then((value) => {
      if (this.#awaited.get(slot)?.base === base) this.#awaited.delete(slot);
      if (
        Atomics.compareExchange(this.#words, at, base + PHASE.RELEASED, base + PHASE.WRITING) ===
          base + PHASE.RELEASED
      ) this.#settle(slot, base, value, target);
    });
  }

  #settle(slot: number, base: number, value: CallbackResult, target?: HandOffTarget): void {
    let kind: number = ANSWER_KIND.VALUE;
    let answer = 0n;
    if (!(value instanceof Uint8Array)) {
      answer = lresult(value);
    } else if (!target?._answersBytes) {
      target?._report(
        new TypeError("A handler answered bytes, but its callback has no answer call"),
      );
    } else {
      // The loop thread takes the memory over, makes the answer from it and frees it.
      const memory = NativeMemory.alloc(8 + value.length);
      memory.view.setBigUint64(0, BigInt(value.length), true);
      memory.bytes.set(value, 8);
      answer = memory.handOver();
      kind = ANSWER_KIND.BYTES;
    }
    this.#answers[answerIndex(slot)] = answer;
    this.#words[kindIndex(slot)] = kind;
    Atomics.store(this.#words, stateIndex(slot), base + PHASE.ANSWERED);
    this.#ring();
  }
}

let current: LoopThread | null = null;
let lastExit: Promise<void> = Promise.resolve();

function acquireLoop(): LoopThread {
  if (!current) {
    current = new LoopThread(lastExit);
    lastExit = current.exited;
  }
  current.users++;
  return current;
}

function releaseLoop(loop: LoopThread): void {
  if (--loop.users > 0) return;
  if (current === loop) current = null;
  loop.quit();
}

/**
 * Whether the message-loop thread is running (it runs while a window is
 * open, and stops when the last one closes).
 *
 * @returns True while the thread exists.
 * @example Whether the loop runs
 * ```ts
 * import { messageLoopRunning } from "./message_loop.ts";
 * console.log(messageLoopRunning()); // false before the first window
 * ```
 */
export function messageLoopRunning(): boolean {
  return current !== null;
}

/**
 * A message-only window (HWND_MESSAGE parent) owned by the process's
 * message-loop thread, whose messages are handled in JavaScript. The module
 * comment shows the whole usage.
 *
 * @example A window that answers a registered message
 * ```ts
 * import { MessageWindow } from "./message_loop.ts";
 * await using window = await MessageWindow.create({
 *   className: "ipckit.Example",
 *   title: "example",
 *   handlers: { [0x0400]: ({ wParam }) => wParam + 1n }, // WM_USER
 * });
 * console.log(window.hwnd);
 * ```
 */
export class MessageWindow implements AsyncDisposable {
  readonly #loop: LoopThread;
  readonly #handlers: ReadonlyMap<number, MessageHandler>;
  readonly #onError: (error: unknown) => void;
  #closing: Promise<void> | null = null;
  #ended: Error | null = null;

  private constructor(
    loop: LoopThread,
    /** The window handle. */
    readonly hwnd: bigint,
    /** The window class. */
    readonly className: string,
    /** The window name. */
    readonly title: string,
    options: MessageWindowOptions,
  ) {
    this.#loop = loop;
    this.#handlers = new Map(Object.entries(options.handlers).map(([id, fn]) => [Number(id), fn]));
    this.#onError = reporter(options.onError);
  }

  /**
   * Creates a message-only window on the loop thread (starting the thread
   * if none runs).
   *
   * @param options Class, title, handlers by message id, posted ids, reply timeout.
   * @returns The window, once it exists.
   * @example Creating and closing a window
   * ```ts
   * import { MessageWindow } from "./message_loop.ts";
   * const window = await MessageWindow.create({ className: "ipckit.Example", handlers: {} });
   * await window.close();
   * ```
   */
  static async create(options: MessageWindowOptions): Promise<MessageWindow> {
    const { className, title = "", handlers, posted = [], replyTimeout = DEFAULT_REPLY_TIMEOUT } =
      options;
    if (typeof className !== "string" || className.length === 0) {
      throw new TypeError("Cannot create a message window: className must be a non-empty string");
    }
    if (typeof title !== "string") {
      throw new TypeError("Cannot create a message window: title must be a string");
    }
    if (typeof handlers !== "object" || handlers === null) {
      throw new TypeError("Cannot create a message window: handlers must be an object");
    }
    const timeout = checkReplyTimeout(replyTimeout);
    const ids = Object.keys(handlers).map(Number);
    const loop = acquireLoop();
    try {
      const hwnd: bigint = await loop.request({
        op: "createWindow",
        className,
        title,
        replied: ids.filter((id) => !posted.includes(id)),
        posted: ids.filter((id) => posted.includes(id)),
        replyTimeout: timeout,
      });
      const window = new MessageWindow(loop, hwnd, className, title, options);
      loop.windows.set(hwnd, window);
      return window;
    } catch (error) {
      releaseLoop(loop);
      throw error;
    }
  }

  /** Whether `close()` has been called. */
  get closed(): boolean {
    return this.#closing !== null;
  }

  /**
   * Posts a message to this window (PostMessageW; it returns at once).
   *
   * @param message The message id.
   * @param wParam The first parameter.
   * @param lParam The second parameter.
   * @example Posting a message
   * ```ts
   * import { MessageWindow } from "./message_loop.ts";
   * await using window = await MessageWindow.create({ className: "ipckit.Example", handlers: {} });
   * window.post(0x0400, 1n);
   * ```
   */
  post(message: number, wParam = 0n, lParam = 0n): void {
    this.#check("post to");
    if (!user32.symbols.PostMessageW(this.hwnd, message, wParam, lParam)) {
      throw lastWin32Error("PostMessageW");
    }
  }

  /**
   * Runs one native call on the loop thread (the thread that owns this window).
   *
   * @param library The library (a NativeLibrary).
   * @param name The symbol.
   * @param args Numbers and bigints only (native addresses, no buffers).
   * @returns The call's result.
   * @example A call on the loop thread
   * ```ts
   * import { MessageWindow } from "./message_loop.ts";
   * import { kernel32 } from "./kernel32.ts";
   * await using window = await MessageWindow.create({ className: "ipckit.Example", handlers: {} });
   * const threadId = await window.call(kernel32, "GetCurrentThreadId");
   * ```
   */
  // deno-lint-ignore no-explicit-any -- the result's type is the symbol's in its table; callers annotate it
  async call(library: ThreadCall[0], name: string, ...args: unknown[]): Promise<any> {
    const [value] = await this.batch([[library, name, ...args]]);
    return value;
  }

  /**
   * Runs native calls back to back on the loop thread, e.g. a call and then
   * `GetLastError`, with no message handled in between. It may be called
   * while a handler of this window holds a message: the loop runs the calls
   * while it waits for that handler's answer.
   *
   * @param calls `[library, symbol, ...args]` each.
   * @returns Their results, in order.
   * @example A call and its last error on the loop thread
   * ```ts
   * import { MessageWindow } from "./message_loop.ts";
   * import { kernel32 } from "./kernel32.ts";
   * await using window = await MessageWindow.create({ className: "ipckit.Example", handlers: {} });
   * const [id, error] = await window.batch([[kernel32, "GetCurrentThreadId"], [kernel32, "GetLastError"]]);
   * ```
   */
  // deno-lint-ignore no-explicit-any -- as call(): each result has its own symbol's type
  batch(calls: ThreadCall[]): Promise<any[]> {
    try {
      this.#check("call on the thread of");
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#loop.request({ op: "calls", calls: threadCallMessages(calls) });
  }

  /**
   * Destroys the window (on its thread). A message its handler still holds
   * is answered 0 at once. The last window to close stops the loop thread.
   * Idempotent: later calls return the same promise.
   *
   * @returns Resolves once the window is gone.
   * @example Closing a window
   * ```ts
   * import { MessageWindow } from "./message_loop.ts";
   * const window = await MessageWindow.create({ className: "ipckit.Example", handlers: {} });
   * await window.close();
   * ```
   */
  close(): Promise<void> {
    return (this.#closing ??= (async () => {
      try {
        this.#loop.abandon(this);
        if (!this.#ended) await this.#loop.request({ op: "destroyWindow", hwnd: this.hwnd });
      } finally {
        this.#loop.windows.delete(this.hwnd);
        releaseLoop(this.#loop);
      }
    })());
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** @internal Runs this window's handler for a message from the loop thread. */
  _handle(message: WindowMessage): MessageResult | Promise<MessageResult> {
    const handler = this.#handlers.get(message.message);
    if (!handler) return 0n;
    return runHandler(() =>
      handler({
        hwnd: message.hwnd,
        message: message.message,
        wParam: message.wParam,
        lParam: message.lParam,
      }), this.#onError);
  }

  /** @internal Reports an error about this window's messages. */
  _report(error: unknown): void {
    this.#onError(error);
  }

  /** @internal The loop thread ended under this window. */
  _loopEnded(error: Error): void {
    this.#ended ??= error;
  }

  #check(what: string): void {
    if (this.#closing) {
      throw new ClosedError(`Cannot ${what} message window '${this.title}': it is closed`);
    }
    if (this.#ended) {
      throw new ClosedError(
        `Cannot ${what} message window '${this.title}': its loop thread ended`,
        {
          cause: this.#ended,
        },
      );
    }
  }
}

/**
 * A hold on the process's message-loop thread without a window: for state
 * that belongs to that thread and calls back into JavaScript (a DDEML
 * instance, a COM apartment). Native calls run there with `call`/`batch`,
 * and `callback()` makes native function pointers whose invocations are
 * handled on the JavaScript thread. The thread runs while a window or a
 * loop is open.
 *
 * @example A callback made on the loop thread, called there
 * ```ts
 * import { MessageLoop } from "./message_loop.ts";
 * import { user32 } from "./user32.ts";
 * await using loop = MessageLoop.open();
 * // A WNDENUMPROC-shaped callback: BOOL CALLBACK(HWND, LPARAM).
 * const seen = await loop.callback({ args: ["pointer", "isize"], returns: "i32" }, (hwnd: bigint) => {
 *   console.log(hwnd);
 *   return true;
 * });
 * console.log(seen.pointer); // hand it to a native call that runs on the loop thread via loop.batch
 * await seen.close();
 * ```
 */
export class MessageLoop implements AsyncDisposable {
  readonly #loop: LoopThread;
  readonly #callbacks = new Set<LoopCallback>();
  #closing: Promise<void> | null = null;

  private constructor(loop: LoopThread) {
    this.#loop = loop;
  }

  /**
   * Takes a hold on the process's loop thread, starting it if none runs.
   *
   * @returns The hold; `close()` releases it.
   * @example Opening and closing
   * ```ts
   * import { MessageLoop } from "./message_loop.ts";
   * const loop = MessageLoop.open();
   * await loop.close();
   * ```
   */
  static open(): MessageLoop {
    return new MessageLoop(acquireLoop());
  }

  /** Whether `close()` has been called. */
  get closed(): boolean {
    return this.#closing !== null;
  }

  /**
   * Runs one native call on the loop thread.
   *
   * @param library The library (a NativeLibrary).
   * @param name The symbol.
   * @param args Numbers and bigints only (native addresses, no buffers).
   * @returns The call's result.
   * @example The loop thread's id
   * ```ts
   * import { MessageLoop } from "./message_loop.ts";
   * import { kernel32 } from "./kernel32.ts";
   * await using loop = MessageLoop.open();
   * const threadId: number = await loop.call(kernel32, "GetCurrentThreadId");
   * ```
   */
  // deno-lint-ignore no-explicit-any -- the result's type is the symbol's in its table; callers annotate it
  async call(library: ThreadCall[0], name: string, ...args: unknown[]): Promise<any> {
    const [value] = await this.batch([[library, name, ...args]]);
    return value;
  }

  /**
   * Runs native calls back to back on the loop thread. It may be called
   * while a handler holds a message or a callback invocation: the loop runs
   * the calls while it waits for that handler's answer, unless
   * `outsideCallbacks` asks it to wait until no callback is running (for
   * calls a library refuses from inside its own callback, such as DDEML's
   * transactions; a handler that awaits such calls before it answers waits
   * for its own reply timeout).
   *
   * @param calls `[library, symbol, ...args]` each.
   * @param options `outsideCallbacks`.
   * @returns Their results, in order.
   * @example A call and its last error
   * ```ts
   * import { MessageLoop } from "./message_loop.ts";
   * import { kernel32 } from "./kernel32.ts";
   * await using loop = MessageLoop.open();
   * const [id, error] = await loop.batch([[kernel32, "GetCurrentThreadId"], [kernel32, "GetLastError"]]);
   * ```
   */
  // deno-lint-ignore no-explicit-any -- as call(): each result has its own symbol's type
  batch(calls: ThreadCall[], options: LoopBatchOptions = {}): Promise<any[]> {
    try {
      this.#check("call on");
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#loop.request({
      op: "calls",
      calls: threadCallMessages(calls),
      ...(options.outsideCallbacks ? { outside: true } : {}),
    });
  }

  /**
   * Makes a native callback on the loop thread (not threadsafe: native code
   * must call it on that thread, e.g. inside a call made with `batch` or
   * while the loop dispatches messages). Each invocation waits there while
   * `handler` runs on the JavaScript thread, exactly like a window
   * procedure's sent message: the handler's synchronous part may read memory
   * the arguments point to, its result (or its promise's) is the callback's
   * return value, the loop waits at most `replyTimeout` ms for a promise and
   * then returns 0, and a thrown error is reported and returns 0. The
   * handler may call `batch` before it answers.
   *
   * @param def The native signature (integer or pointer results only, or void).
   * @param handler Runs each invocation.
   * @param options Reply timeout and error report.
   * @returns The callback; its `pointer` is valid until it or this loop closes.
   * @example A callback that answers after a native call on the loop thread
   * ```ts
   * import { MessageLoop } from "./message_loop.ts";
   * import { kernel32 } from "./kernel32.ts";
   * await using loop = MessageLoop.open();
   * await using onCall = await loop.callback(
   *   { args: ["u32"], returns: "u32" },
   *   async (n: number) => n + (await loop.call(kernel32, "GetCurrentThreadId")),
   *   { replyTimeout: 5000 },
   * );
   * ```
   */
  async callback(
    def: CallbackDef,
    handler: CallbackHandler,
    options: LoopCallbackOptions = {},
  ): Promise<LoopCallback> {
    this.#check("make a callback on");
    if (typeof handler !== "function") {
      throw new TypeError("Cannot make a loop callback: handler must be a function");
    }
    if (def.returns === "f32" || def.returns === "f64") {
      throw new TypeError(
        `Cannot make a loop callback that returns ${def.returns}: its answer is an integer`,
      );
    }
    const replyTimeout = checkReplyTimeout(options.replyTimeout ?? DEFAULT_REPLY_TIMEOUT);
    const message = (call: ThreadCall) => threadCallMessages([call])[0]!;
    const made: { callback: number; pointer: bigint } = await this.#loop.request({
      op: "callback",
      def: { args: [...def.args], returns: def.returns },
      replyTimeout,
      ...(options.reads
        ? {
          reads: options.reads.map((read) => ({
            arg: read.arg,
            size: typeof read.size === "number" ? read.size : message(read.size),
            read: message(read.read),
            unit: read.unit,
          })),
        }
        : {}),
      ...(options.answer ? { answer: message(options.answer) } : {}),
    });
    const result = new LoopCallback(
      this.#loop,
      made.callback,
      made.pointer,
      handler,
      options,
      () => this.#callbacks.delete(result),
    );
    this.#callbacks.add(result);
    this.#loop.callbacks.set(made.callback, result);
    if (this.#closing) await result.close();
    return result;
  }

  /**
   * @internal The code addresses of QueryInterface, AddRef and Release for
   * COM objects served from JavaScript, answered on the loop thread itself
   * (lib/win32/com/_server_thread.ts); they live as long as the thread.
   */
  _comUnknownMethods(): Promise<bigint[]> {
    try {
      this.#check("make COM methods on");
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#loop.request({ op: "comUnknown" });
  }

  /**
   * @internal Leaves COM on the loop thread (CoUninitialize), after
   * dispatching the messages already queued, so calls posted to the
   * apartment are answered while it still exists; calls posted to it later
   * are dropped (lib/win32/com/_server_thread.ts, isCallForLeftApartment).
   */
  _comUninitialize(): Promise<void> {
    try {
      this.#check("leave COM on");
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#loop.request({ op: "comUninitialize" });
  }

  /**
   * Closes this hold's callbacks (answering 0 to invocations still held) and
   * releases the thread; the last release stops it. Idempotent.
   *
   * @returns Resolves once the callbacks are closed.
   * @example Closing
   * ```ts
   * import { MessageLoop } from "./message_loop.ts";
   * const loop = MessageLoop.open();
   * await loop.close();
   * ```
   */
  close(): Promise<void> {
    return (this.#closing ??= (async () => {
      try {
        await Promise.all([...this.#callbacks].map((made) => made.close()));
      } finally {
        releaseLoop(this.#loop);
      }
    })());
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #check(what: string): void {
    if (this.#closing) throw new ClosedError(`Cannot ${what} the message loop: it is closed`);
    const failure = this.#loop.failure;
    if (failure) {
      throw new ClosedError(`Cannot ${what} the message loop: its thread ended`, {
        cause: failure,
      });
    }
  }
}

/**
 * A native function pointer made on the loop thread by
 * {@link MessageLoop.callback}, whose invocations run a JavaScript handler.
 *
 * @example Closing a callback
 * ```ts
 * import { MessageLoop } from "./message_loop.ts";
 * await using loop = MessageLoop.open();
 * const made = await loop.callback({ args: [], returns: "void" }, () => {});
 * await made.close();
 * ```
 */
export class LoopCallback implements AsyncDisposable {
  readonly #loop: LoopThread;
  readonly #id: number;
  readonly #handler: CallbackHandler;
  readonly #onError: (error: unknown) => void;
  readonly #forget: () => void;
  #closing: Promise<void> | null = null;
  /** @internal Whether the callback has an `answer` call (a handler may answer bytes). */
  readonly _answersBytes: boolean;

  /** @internal Made by {@link MessageLoop.callback}. */
  constructor(
    loop: LoopThread,
    id: number,
    /** The code address to hand to native code. */
    readonly pointer: bigint,
    handler: CallbackHandler,
    options: LoopCallbackOptions,
    forget: () => void,
  ) {
    this.#loop = loop;
    this.#id = id;
    this.#handler = handler;
    this.#onError = reporter(options.onError);
    this.#forget = forget;
    this._answersBytes = options.answer !== undefined;
  }

  /** Whether `close()` has been called. */
  get closed(): boolean {
    return this.#closing !== null;
  }

  /**
   * Frees the callback once no invocation of it is running; an invocation
   * its handler still holds returns 0 at once. Native code must not call it
   * afterwards. Idempotent.
   *
   * @returns Resolves once it is freed.
   * @example Closing
   * ```ts
   * import { MessageLoop } from "./message_loop.ts";
   * await using loop = MessageLoop.open();
   * const made = await loop.callback({ args: [], returns: "void" }, () => {});
   * await made.close();
   * ```
   */
  close(): Promise<void> {
    return (this.#closing ??= (async () => {
      try {
        this.#loop.abandon(this);
        if (!this.#loop.failure) {
          await this.#loop.request({ op: "closeCallback", callback: this.#id });
        }
      } finally {
        this.#loop.callbacks.delete(this.#id);
        this.#forget();
      }
    })());
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** @internal Runs the handler for one invocation. */
  _handle(args: unknown[]): CallbackResult | Promise<CallbackResult> {
    return runHandler(() => this.#handler(...args), this.#onError);
  }

  /** @internal Reports an error about this callback's invocations. */
  _report(error: unknown): void {
    this.#onError(error);
  }
}
