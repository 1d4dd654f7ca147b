/**
 * A dedicated OS thread for native calls that must stay on one thread
 * (mutex ownership, window message queues, COM apartments) or that block.
 * It is a `node:worker_threads` Worker, which Bun and Deno both provide and
 * which can be unref'd so an idle thread never keeps the process alive.
 *
 * @module
 */
import { Worker } from "node:worker_threads";
import { backend } from "./runtime.ts";
import type { SymbolDef, SymbolTable } from "./types.ts";

/** A library as a worker can open it: its file for this OS and its table. */
export interface ThreadLibrary {
  readonly path: string;
  readonly table: SymbolTable;
}

/** One call in a batch: `[library, symbol name, ...args]`. */
export type ThreadCall = readonly [ThreadLibrary, string, ...unknown[]];

/** A {@link ThreadCall} as it crosses to a worker: plain data a structured clone carries. */
export interface ThreadCallMessage {
  readonly path: string;
  readonly name: string;
  readonly def: SymbolDef;
  readonly args: unknown[];
}

/**
 * Turns calls into messages a worker can run with {@link runThreadCalls}.
 *
 * @param calls The calls.
 * @returns Their plain-data form.
 * @example Using threadCallMessages
 * ```ts
 * import { threadCallMessages } from "./thread.ts";
 * const lib = { path: "kernel32.dll", table: { GetLastError: { args: [], returns: "u32" } } } as const;
 * threadCallMessages([[lib, "GetLastError"]]);
 * ```
 */
export function threadCallMessages(calls: readonly ThreadCall[]): ThreadCallMessage[] {
  return calls.map(([library, name, ...args]) => ({
    path: library.path,
    name,
    def: library.table[name]!,
    args,
  }));
}

const openedOnThisThread = new Map<string, (...args: unknown[]) => unknown>();

/**
 * Runs calls synchronously on the calling thread, in order, opening each
 * symbol once per thread (as a synchronous call). The body of a worker that
 * owns thread-affine state uses it.
 *
 * @param calls The calls, from {@link threadCallMessages}.
 * @returns Their results, in order.
 * @example Using runThreadCalls
 * ```ts
 * import { runThreadCalls } from "./thread.ts";
 * // runThreadCalls(message.calls) inside a worker
 * ```
 */
export function runThreadCalls(calls: readonly ThreadCallMessage[]): unknown[] {
  return calls.map(({ path, name, def, args }) => {
    const key = `${path}\0${name}`;
    let fn = openedOnThisThread.get(key);
    if (!fn) {
      fn = backend.open(path, { [name]: { ...def, blocking: false } })[name];
      if (!fn) throw new Error(`Symbol '${name}' is missing from '${path}'`);
      openedOnThisThread.set(key, fn);
    }
    return fn(...args);
  });
}

interface Job {
  calls: ThreadCall[];
  resolve(values: unknown[]): void;
  reject(error: unknown): void;
}

/**
 * Runs native calls synchronously on one dedicated OS thread, in order.
 * A batch runs back to back on that thread, so a call and the
 * `GetLastError`/`errno` read after it see the same thread state.
 *
 * @example Owning a Win32 mutex on one thread
 * ```ts
 * import { DedicatedThread } from "./thread.ts";
 * import { NativeLibrary } from "./library.ts";
 * const k32 = new NativeLibrary({ windows: "kernel32.dll" }, {
 *   WaitForSingleObject: { args: ["pointer", "u32"], returns: "u32" },
 *   ReleaseMutex: { args: ["pointer"], returns: "i32" },
 * } as const);
 * using thread = new DedicatedThread();
 * // const [waitResult] = await thread.batch([[k32, "WaitForSingleObject", handle, 0xffffffff]]);
 * // await thread.call(k32, "ReleaseMutex", handle); // same thread as the wait
 * ```
 */
export class DedicatedThread implements Disposable {
  #worker: Worker | null;
  #queue: Job[] = [];
  #busy = false;

  constructor() {
    this.#worker = new Worker(new URL("./_thread_worker.ts", import.meta.url));
    this.#worker.on("message", (message: { ok: boolean; values?: unknown[]; error?: string }) => {
      const job = this.#queue.shift();
      this.#busy = false;
      if (message.ok) job?.resolve(message.values ?? []);
      else job?.reject(new Error(`Native call failed on its thread: ${message.error}`));
      this.#pump();
    });
    this.#worker.on("error", (error: unknown) => {
      for (const job of this.#queue.splice(0)) job.reject(error);
      this.#busy = false;
    });
    // After the listeners: on Bun, adding a "message" listener refs the worker again.
    this.#worker.unref();
  }

  /** Whether a call is running or queued. */
  get busy(): boolean {
    return this.#busy || this.#queue.length > 0;
  }

  /**
   * Runs one call on the thread.
   *
   * @param library The library (a {@link NativeLibrary}).
   * @param name The symbol.
   * @param args Numbers and bigints only (no buffers: pass native addresses).
   * @returns The call's result.
   */
  // The result's type is the symbol's in its table, which this generic call cannot see; callers annotate it.
  // deno-lint-ignore no-explicit-any
  async call(library: ThreadLibrary, name: string, ...args: unknown[]): Promise<any> {
    const [value] = await this.batch([[library, name, ...args]]);
    return value;
  }

  /**
   * Runs calls back to back on the thread.
   *
   * @param calls The calls, in order.
   * @returns Their results, in order.
   */
  // deno-lint-ignore no-explicit-any -- as call(): each result has its own symbol's type
  batch(calls: ThreadCall[]): Promise<any[]> {
    if (!this.#worker) return Promise.reject(new Error("Cannot call on a closed thread"));
    return new Promise((resolve, reject) => {
      this.#queue.push({ calls, resolve, reject });
      this.#pump();
    });
  }

  /** Ends the thread; queued calls are rejected. A call in progress is abandoned. */
  close(): void {
    const worker = this.#worker;
    if (!worker) return;
    this.#worker = null;
    for (const job of this.#queue.splice(0)) job.reject(new Error("Thread closed"));
    void worker.terminate();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #pump(): void {
    const worker = this.#worker;
    if (!worker) return;
    if (this.#busy || this.#queue.length === 0) {
      if (!this.#busy) worker.unref();
      return;
    }
    this.#busy = true;
    // A call in progress keeps the process alive, like any pending I/O.
    worker.ref();
    const job = this.#queue[0]!;
    worker.postMessage(threadCallMessages(job.calls));
  }
}
