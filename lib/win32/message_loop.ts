/**
 * The message-loop thread: message-only windows whose messages are handled
 * in JavaScript, on Windows. Data copy (WM_COPYDATA) and the clipboard's
 * change listener use it; DDE and COM apartments are to (docs/ffi.md).
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
 *   runs one window procedure at a time, as any Win32 thread does.
 *
 * @module
 */
import { MessageChannel, type MessagePort, Worker } from "node:worker_threads";
import { ClosedError, type ThreadCall, threadCallMessages } from "../ffi/mod.ts";
import { lastWin32Error, Win32Error } from "./error.ts";
import { user32 } from "./user32.ts";
import {
  HANDOFF_BYTES,
  type LoopCommand,
  type LoopError,
  type LoopEvent,
  PHASE,
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

const DEFAULT_REPLY_TIMEOUT = 10_000;

function loopError(error: LoopError): Error {
  return "code" in error ? new Win32Error(error.code, error.syscall) : new Error(error.message);
}

function lresult(value: MessageResult): bigint {
  if (typeof value === "bigint") return BigInt.asIntN(64, value);
  if (typeof value === "number") return BigInt(Math.trunc(value));
  return value ? 1n : 0n;
}

type LoopRequest = LoopCommand extends infer C ? C extends LoopCommand ? Omit<C, "id"> : never
  : never;

/** One loop thread; a new one takes commands only after the previous one has exited. */
class LoopThread {
  readonly #worker: Worker;
  readonly #commands: MessagePort;
  readonly #state: Int32Array;
  readonly #answer: BigInt64Array;
  readonly #replies = new Map<
    number,
    { resolve(value: unknown): void; reject(error: unknown): void }
  >();
  readonly windows = new Map<bigint, MessageWindow>();
  #threadId = 0;
  // The previous thread must have unregistered its classes before this one registers them.
  #previousExited = false;
  #queued: LoopCommand[] = [];
  #nextId = 1;
  #failure: Error | null = null;
  /** Windows open or being created; the thread stops when this returns to 0. */
  users = 0;
  readonly exited: Promise<void>;

  constructor(previousExit: Promise<void>) {
    const handoff = new SharedArrayBuffer(HANDOFF_BYTES);
    this.#state = new Int32Array(handoff, 0, 1);
    this.#answer = new BigInt64Array(handoff, 8, 1);
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
        this.#threadId = event.threadId;
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

  #flush(): void {
    if (!this.#threadId || !this.#previousExited || this.#queued.length === 0) return;
    for (const command of this.#queued.splice(0)) this.#commands.postMessage(command);
    if (!user32.symbols.PostThreadMessageW(this.#threadId, WM_LOOP_COMMANDS, 0n, 0n)) {
      this.#fail(lastWin32Error("PostThreadMessageW"));
    }
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
      case "message":
        return this.#answerMessage(event);
      case "posted":
        return void this.windows.get(event.hwnd)?._handle(event);
      case "fatal":
        return this.#fail(loopError(event.error));
    }
  }

  /** Runs the handler of a message whose sender waits, and answers through the hand-off slot. */
  #answerMessage(event: Extract<LoopEvent, { type: "message" }>): void {
    const base = event.seq * 8;
    // The loop thread may have given up already; then its sender has its answer (0).
    if (
      Atomics.compareExchange(this.#state, 0, base + PHASE.PENDING, base + PHASE.TAKEN) !==
        base + PHASE.PENDING
    ) return;
    const window = this.windows.get(event.hwnd);
    const result = window ? window._handle(event) : 0n;
    if (!(result instanceof Promise)) {
      this.#settle(base, lresult(result));
      return;
    }
    Atomics.store(this.#state, 0, base + PHASE.RELEASED);
    Atomics.notify(this.#state, 0);
    void result.then((value) => {
      if (
        Atomics.compareExchange(this.#state, 0, base + PHASE.RELEASED, base + PHASE.WRITING) ===
          base + PHASE.RELEASED
      ) this.#settle(base, lresult(value));
    });
  }

  #settle(base: number, value: bigint): void {
    this.#answer[0] = value;
    Atomics.store(this.#state, 0, base + PHASE.ANSWERED);
    Atomics.notify(this.#state, 0);
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
    this.#onError = options.onError ?? ((error) =>
      queueMicrotask(() => {
        throw error;
      }));
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
    if (!(replyTimeout >= 0)) {
      throw new RangeError(`Cannot use reply timeout ${replyTimeout}: use ms >= 0`);
    }
    const ids = Object.keys(handlers).map(Number);
    const loop = acquireLoop();
    try {
      const hwnd: bigint = await loop.request({
        op: "createWindow",
        className,
        title,
        replied: ids.filter((id) => !posted.includes(id)),
        posted: ids.filter((id) => posted.includes(id)),
        replyTimeout: Math.min(replyTimeout, 0x7fffffff),
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
   * `GetLastError`, with no message handled in between.
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
   * Destroys the window (on its thread). The last window to close stops the
   * loop thread. Idempotent: later calls return the same promise.
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
    const report = (error: unknown) => {
      this.#onError(error);
      return 0n;
    };
    try {
      const result = handler({
        hwnd: message.hwnd,
        message: message.message,
        wParam: message.wParam,
        lParam: message.lParam,
      });
      return result instanceof Promise ? result.catch(report) : result;
    } catch (error) {
      return report(error);
    }
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
