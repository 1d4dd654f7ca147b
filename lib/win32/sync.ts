/**
 * Mutexes, semaphores and events on Windows: the kernel objects themselves
 * (CreateMutexW, CreateSemaphoreW, CreateEventW), waited on off the
 * JavaScript thread.
 *
 * - waitAny (and so every Event and Semaphore wait) shares one parked
 *   WaitForMultipleObjects per 63 objects across the whole process, with a
 *   wake event to change the set; a wait is called off by leaving the set.
 *   waitAll cannot share (it takes all or nothing), so it waits alertably on
 *   a dedicated thread and is called off by a user APC queued to that thread.
 * - A mutex belongs to the thread whose wait acquired it. The uncontended
 *   path tries a zero-timeout wait on the JavaScript thread; a contended lock
 *   waits on the mutex's own DedicatedThread, and the release runs there.
 *
 * @module
 */
import { DedicatedThread, encodeC, encodeWide, NativeMemory } from "../ffi/mod.ts";
import { nameTakenBySameKind, win32ObjectName } from "../_names.ts";
import {
  registerWait,
  type SharedWait,
  SharedWatcher,
  unregisterWait,
  type Watched,
} from "../_shared_wait.ts";
import type {
  LockOutcome,
  NativeEvent,
  NativeMutex,
  NativeSemaphore,
  NativeWaitable,
} from "../_sync_native.ts";
import { ERROR, Win32Error } from "./error.ts";
import { kernel32 } from "./kernel32.ts";
import { ntdll } from "./ntdll.ts";
import { namedObjectError, type ObjectKind } from "./_objects.ts";

const WAIT_OBJECT_0 = 0;
const WAIT_ABANDONED_0 = 0x80;
const WAIT_IO_COMPLETION = 0xc0;
const WAIT_TIMEOUT = 258;
const INFINITE = 0xffffffff;
const MAXIMUM_WAIT_OBJECTS = 64;
const MUTEX_ALL_ACCESS = 0x1f0001;
const SEMAPHORE_ALL_ACCESS = 0x1f0003;
const EVENT_ALL_ACCESS = 0x1f0003;
const THREAD_SET_CONTEXT = 0x10;

/** A timeout for a Win32 wait: INFINITE for none, else whole ms below INFINITE. */
function waitMs(timeoutMs: number | undefined): number {
  return timeoutMs === undefined ? INFINITE : Math.min(Math.ceil(timeoutMs), INFINITE - 1);
}

/** Creates or opens a named object; maps the failures to typed errors. */
function named(
  kind: ObjectKind,
  name: string,
  openExisting: boolean,
  create: (wideName: Uint8Array) => bigint,
  syscall: string,
): { handle: bigint; osName: string; created: boolean } {
  const k = kernel32.symbols;
  const osName = win32ObjectName(name);
  const handle = create(encodeWide(osName));
  const code = k.GetLastError();
  if (handle === 0n) throw namedObjectError("create", kind, name, osName, code, syscall);
  if (code === ERROR.ALREADY_EXISTS) {
    if (!openExisting) {
      k.CloseHandle(handle);
      throw nameTakenBySameKind(kind, name, new Win32Error(code, syscall));
    }
    return { handle, osName, created: false };
  }
  return { handle, osName, created: true };
}

function opened(
  kind: ObjectKind,
  name: string,
  open: (wideName: Uint8Array) => bigint,
  syscall: string,
) {
  const osName = win32ObjectName(name);
  const handle = open(encodeWide(osName));
  if (handle === 0n) {
    throw namedObjectError("open", kind, name, osName, kernel32.symbols.GetLastError(), syscall);
  }
  return { handle, osName, created: false };
}

// ---- Mutex ------------------------------------------------------------------

class Win32Mutex implements NativeMutex {
  #thread: DedicatedThread | null = null;
  #cancel = 0n;
  #waitHandles: NativeMemory | null = null;
  #owner: "js" | "thread" | null = null;
  /** An unlock queued on the thread and not yet run. */
  #pendingRelease: Promise<unknown> | null = null;

  constructor(readonly handle: bigint, readonly osName: string, readonly created: boolean) {}

  tryLock(): LockOutcome | "busy" {
    const result = kernel32.symbols.WaitForSingleObject(this.handle, 0);
    if (result === WAIT_TIMEOUT) return "busy";
    return this.#took(result, "js");
  }

  async lock(timeoutMs: number | undefined, signal: AbortSignal): Promise<LockOutcome | "timeout"> {
    const fast = this.tryLock();
    if (fast !== "busy") return fast;
    if (timeoutMs === 0) return "timeout";
    signal.throwIfAborted();
    const k = kernel32.symbols;
    this.#thread ??= new DedicatedThread();
    if (!this.#waitHandles) {
      this.#cancel = k.CreateEventW(0n, 1, 0, null);
      if (this.#cancel === 0n) throw new Win32Error(k.GetLastError(), "CreateEventW");
      this.#waitHandles = NativeMemory.alloc(16);
      this.#waitHandles.view.setBigUint64(0, this.handle, true);
      this.#waitHandles.view.setBigUint64(8, this.#cancel, true);
    }
    // Reset on this thread before the wait is queued, so an abort from now on is never missed.
    k.ResetEvent(this.#cancel);
    const cancel = () => k.SetEvent(this.#cancel);
    signal.addEventListener("abort", cancel);
    try {
      const result: number = await this.#thread.call(
        kernel32,
        "WaitForMultipleObjectsEx",
        2,
        this.#waitHandles.address,
        0,
        waitMs(timeoutMs),
        0,
      );
      if (result === WAIT_OBJECT_0 + 1) throw signal.reason;
      if (result === WAIT_TIMEOUT) return "timeout";
      return this.#took(result, "thread");
    } finally {
      signal.removeEventListener("abort", cancel);
    }
  }

  #took(result: number, where: "js" | "thread"): LockOutcome {
    if (result === WAIT_OBJECT_0 || result === WAIT_ABANDONED_0) {
      this.#owner = where;
      return result === WAIT_ABANDONED_0 ? "abandoned" : "acquired";
    }
    throw new Error(
      `Cannot lock mutex '${this.osName}': the wait returned 0x${result.toString(16)}`,
    );
  }

  unlock(): void {
    const k = kernel32.symbols;
    if (this.#owner === "js") {
      this.#owner = null;
      if (!k.ReleaseMutex(this.handle)) throw new Win32Error(k.GetLastError(), "ReleaseMutex");
    } else if (this.#owner === "thread") {
      this.#owner = null;
      // Release on the owning thread; calls on it run in order, so a later wait queues behind this.
      const release = this.#thread!.call(kernel32, "ReleaseMutex", this.handle);
      // A failed unlock there (the lock was not that thread's) must not become an unhandled rejection.
      this.#pendingRelease = release.catch(() => undefined).finally(() => {
        if (this.#pendingRelease === settled) this.#pendingRelease = null;
      });
      const settled = this.#pendingRelease;
    }
  }

  close(): void {
    const k = kernel32.symbols;
    const thread = this.#thread;
    const finish = () => {
      k.CloseHandle(this.handle);
      if (this.#cancel !== 0n) k.CloseHandle(this.#cancel);
      this.#waitHandles?.free();
      thread?.close();
    };
    // An unlock queued on the thread must run before the handle is closed.
    if (this.#pendingRelease) void this.#pendingRelease.finally(finish);
    else finish();
  }
}

/**
 * Creates (or, with `openExisting`, opens) a named mutex, not held.
 *
 * @param name The caller's name (checked).
 * @param openExisting Open an existing mutex of that name instead of failing.
 * @returns The mutex.
 * @example Creating and closing
 * ```ts
 * import { createMutex } from "./sync.ts";
 * const m = createMutex("m", false);
 * m.close();
 * ```
 */
export function createMutex(name: string, openExisting: boolean): NativeMutex {
  const k = kernel32.symbols;
  const { handle, osName, created } = named(
    "mutex",
    name,
    openExisting,
    (wide) => k.CreateMutexW(0n, 0, wide),
    "CreateMutexW",
  );
  return new Win32Mutex(handle, osName, created);
}

/**
 * Opens an existing named mutex.
 *
 * @param name The caller's name (checked).
 * @returns The mutex.
 * @example Creating and closing
 * ```ts
 * import { openMutex } from "./sync.ts";
 * const m = openMutex("m");
 * m.close();
 * ```
 */
export function openMutex(name: string): NativeMutex {
  const k = kernel32.symbols;
  const { handle, osName } = opened(
    "mutex",
    name,
    (wide) => k.OpenMutexW(MUTEX_ALL_ACCESS, 0, wide),
    "OpenMutexW",
  );
  return new Win32Mutex(handle, osName, false);
}

// ---- Semaphore and Event --------------------------------------------------------

abstract class Win32Waitable implements NativeWaitable {
  constructor(readonly handle: bigint, readonly osName: string, readonly created: boolean) {}
  abstract undo(): void;
  tryTake(): boolean {
    return kernel32.symbols.WaitForSingleObject(this.handle, 0) === WAIT_OBJECT_0;
  }
  close(): void {
    kernel32.symbols.CloseHandle(this.handle);
  }
}

class Win32Semaphore extends Win32Waitable implements NativeSemaphore {
  release(count: number): number {
    const k = kernel32.symbols;
    const previous = new Int32Array(1);
    if (!k.ReleaseSemaphore(this.handle, count, previous)) {
      const cause = new Win32Error(k.GetLastError(), "ReleaseSemaphore");
      if (cause.code === ERROR.TOO_MANY_POSTS) {
        throw new RangeError(
          `Cannot release semaphore '${this.osName}' by ${count}: the count would exceed its maximum ${this.max}`,
          { cause },
        );
      }
      throw cause;
    }
    return previous[0]!;
  }
  undo(): void {
    kernel32.symbols.ReleaseSemaphore(this.handle, 1, null);
  }
  #query(): Int32Array {
    const info = new Int32Array(2); // SEMAPHORE_BASIC_INFORMATION
    const status = ntdll.symbols.NtQuerySemaphore(this.handle, 0, info, 8, 0n);
    if (status !== 0) throw new Error(`NtQuerySemaphore failed: NTSTATUS 0x${status.toString(16)}`);
    return info;
  }
  get count(): number {
    return this.#query()[0]!;
  }
  get max(): number {
    return this.#query()[1]!;
  }
}

class Win32Event extends Win32Waitable implements NativeEvent {
  set(): void {
    const k = kernel32.symbols;
    if (!k.SetEvent(this.handle)) throw new Win32Error(k.GetLastError(), "SetEvent");
  }
  reset(): void {
    const k = kernel32.symbols;
    if (!k.ResetEvent(this.handle)) throw new Win32Error(k.GetLastError(), "ResetEvent");
  }
  undo(): void {
    if (!this.manualReset) kernel32.symbols.SetEvent(this.handle);
  }
  #query(): Int32Array {
    const info = new Int32Array(2); // EVENT_BASIC_INFORMATION
    const status = ntdll.symbols.NtQueryEvent(this.handle, 0, info, 8, 0n);
    if (status !== 0) throw new Error(`NtQueryEvent failed: NTSTATUS 0x${status.toString(16)}`);
    return info;
  }
  get manualReset(): boolean {
    return this.#query()[0] === 0; // NotificationEvent
  }
  get isSet(): boolean {
    return this.#query()[1] !== 0;
  }
}

/**
 * Creates (or, with `openExisting`, opens) a named semaphore.
 *
 * @param name The caller's name (checked).
 * @param initial The starting count (checked: 0..max).
 * @param max The maximum count (checked).
 * @param openExisting Open an existing semaphore of that name instead of failing.
 * @returns The semaphore.
 * @example Creating and closing
 * ```ts
 * import { createSemaphore } from "./sync.ts";
 * const sem = createSemaphore("slots", 2, 4, false);
 * sem.close();
 * ```
 */
export function createSemaphore(
  name: string,
  initial: number,
  max: number,
  openExisting: boolean,
): NativeSemaphore {
  const k = kernel32.symbols;
  const { handle, osName, created } = named(
    "semaphore",
    name,
    openExisting,
    (wide) => k.CreateSemaphoreW(0n, initial, max, wide),
    "CreateSemaphoreW",
  );
  return new Win32Semaphore(handle, osName, created);
}

/**
 * Opens an existing named semaphore.
 *
 * @param name The caller's name (checked).
 * @returns The semaphore.
 * @example Creating and closing
 * ```ts
 * import { openSemaphore } from "./sync.ts";
 * const sem = openSemaphore("slots");
 * sem.close();
 * ```
 */
export function openSemaphore(name: string): NativeSemaphore {
  const k = kernel32.symbols;
  const { handle, osName } = opened(
    "semaphore",
    name,
    (wide) => k.OpenSemaphoreW(SEMAPHORE_ALL_ACCESS, 0, wide),
    "OpenSemaphoreW",
  );
  return new Win32Semaphore(handle, osName, false);
}

/**
 * Creates (or, with `openExisting`, opens) a named event.
 *
 * @param name The caller's name (checked).
 * @param manualReset Stay set until reset (true) or let one waiter through (false).
 * @param initial Start set.
 * @param openExisting Open an existing event of that name instead of failing.
 * @returns The event.
 * @example Creating and closing
 * ```ts
 * import { createEvent } from "./sync.ts";
 * const ev = createEvent("ready", false, false, false);
 * ev.close();
 * ```
 */
export function createEvent(
  name: string,
  manualReset: boolean,
  initial: boolean,
  openExisting: boolean,
): NativeEvent {
  const k = kernel32.symbols;
  const { handle, osName, created } = named(
    "event",
    name,
    openExisting,
    (wide) => k.CreateEventW(0n, manualReset ? 1 : 0, initial ? 1 : 0, wide),
    "CreateEventW",
  );
  return new Win32Event(handle, osName, created);
}

/**
 * Opens an existing named event.
 *
 * @param name The caller's name (checked).
 * @returns The event.
 * @example Creating and closing
 * ```ts
 * import { openEvent } from "./sync.ts";
 * const ev = openEvent("ready");
 * ev.close();
 * ```
 */
export function openEvent(name: string): NativeEvent {
  const k = kernel32.symbols;
  const { handle, osName } = opened(
    "event",
    name,
    (wide) => k.OpenEventW(EVENT_ALL_ACCESS, 0, wide),
    "OpenEventW",
  );
  return new Win32Event(handle, osName, false);
}

// ---- Waits --------------------------------------------------------------------

function handlesOf(objects: NativeWaitable[]): bigint[] {
  return objects.map((o) => (o as Win32Waitable).handle);
}

function failed(result: number, syscall: string): Error {
  return new Error(
    `${syscall} failed: it returned 0x${result.toString(16)} (an object was closed?)`,
  );
}

/** A waitAny call in progress. */
interface PendingWait extends SharedWait {
  /** The caller's objects' handles, by the caller's index. */
  readonly handles: readonly bigint[];
  done: boolean;
  /** Ends the wait; it settles once no parked call still holds its handles. */
  finish(outcome: { index: number } | { error: unknown }): void;
}

/** An object some waits want. */
interface WaitTarget {
  readonly object: Win32Waitable;
  /** A manual-reset event is not consumed by a wait: every wait on it goes through. */
  readonly manualReset: boolean;
}

/**
 * One WaitForMultipleObjects over up to 63 objects plus a wake event, shared
 * by every waitAny of the process (see lib/_shared_wait.ts for why).
 */
class WaitWatcher extends SharedWatcher<WaitTarget, PendingWait> {
  static readonly pool: WaitWatcher[] = [];
  readonly #wake: bigint;
  /** The handle array: written only while no call is parked on it. */
  readonly #handles = NativeMemory.alloc(8 * MAXIMUM_WAIT_OBJECTS);

  constructor() {
    super(MAXIMUM_WAIT_OBJECTS - 1);
    this.#wake = kernel32.symbols.CreateEventW(0n, 0, 0, null);
    if (this.#wake === 0n) throw new Win32Error(kernel32.symbols.GetLastError(), "CreateEventW");
  }

  protected park(entries: Watched<WaitTarget, PendingWait>[]): Promise<number> {
    const handles = [this.#wake, ...entries.map((e) => e.item.object.handle)];
    handles.forEach((h, i) => this.#handles.view.setBigUint64(8 * i, h, true));
    return kernel32.symbols.WaitForMultipleObjectsAsync(
      handles.length,
      this.#handles.address,
      0,
      INFINITE,
    );
  }

  protected wake(): void {
    kernel32.symbols.SetEvent(this.#wake);
  }

  protected returned(result: number, entries: Watched<WaitTarget, PendingWait>[]): void {
    if (result === WAIT_OBJECT_0) return; // woken: the set changed
    const entry = entries[result - WAIT_OBJECT_0 - 1];
    if (entry) this.#deliver(entry);
    else this.#failBadHandles(entries, result);
  }

  /** The entry's object was signaled (and, unless a manual-reset event, taken). */
  #deliver(entry: Watched<WaitTarget, PendingWait>): void {
    const handle = entry.item.object.handle;
    // Serve it last next time: WaitForMultipleObjects favours low indexes, so a busy
    // object at the front would starve the others.
    if (this.watched.get(handle) === entry) {
      this.watched.delete(handle);
      this.watched.set(handle, entry);
    }
    const waits = [...entry.waits];
    if (entry.item.manualReset) {
      for (const wait of waits) wait.finish({ index: wait.handles.indexOf(handle) });
      return;
    }
    const first = waits[0];
    if (first) first.finish({ index: first.handles.indexOf(handle) });
    else entry.item.object.undo(); // taken for waits that ended meanwhile: give it back
  }

  /** WAIT_FAILED: fail the waits on handles that are no longer valid, keep the others. */
  #failBadHandles(entries: Watched<WaitTarget, PendingWait>[], result: number): void {
    const flags = new Uint32Array(1);
    const bad = entries.filter((e) =>
      !kernel32.symbols.GetHandleInformation(e.item.object.handle, flags)
    );
    const error = failed(result, "WaitForMultipleObjects");
    // Without a culprit every wait fails: waiting again would fail at once, forever.
    for (const entry of bad.length > 0 ? bad : entries) {
      for (const wait of [...entry.waits]) wait.fail(error);
    }
  }
}

/**
 * Waits until one of the objects is signaled and takes it. A signaled
 * object is taken at once on this thread; otherwise the wait joins the
 * process's shared watchers (one parked call per 63 objects, whatever the
 * number of waits).
 *
 * @param objects This platform's events and semaphores.
 * @param timeoutMs Milliseconds, or undefined to wait forever.
 * @param signal Ends the wait; the promise rejects with its reason.
 * @returns The index of the object taken, or -1 on timeout.
 * @example Waiting on two events
 * ```ts
 * import { createEvent, waitAny } from "./sync.ts";
 * const a = createEvent("a", false, false, false);
 * const b = createEvent("b", false, true, false);
 * await waitAny([a, b], 100, new AbortController().signal); // 1
 * ```
 */
export async function waitAny(
  objects: NativeWaitable[],
  timeoutMs: number | undefined,
  signal: AbortSignal,
): Promise<number> {
  const k = kernel32.symbols;
  const handles = handlesOf(objects);
  // Fast path: zero-timeout waits on this thread, 64 distinct handles at a time (a
  // repeated handle would make WaitForMultipleObjects fail); earlier objects win ties.
  const distinct = [...new Set(handles)];
  for (let i = 0; i < distinct.length; i += MAXIMUM_WAIT_OBJECTS) {
    const group = distinct.slice(i, i + MAXIMUM_WAIT_OBJECTS);
    const result = k.WaitForMultipleObjects(group.length, new BigUint64Array(group), 0, 0);
    if (result < group.length) return handles.indexOf(group[result]!);
    if (result !== WAIT_TIMEOUT) throw failed(result, "WaitForMultipleObjects");
  }
  if (timeoutMs === 0) return -1;
  signal.throwIfAborted();
  return await new Promise<number>((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onAbort = () => wait.finish({ error: signal.reason });
    const wait: PendingWait = {
      handles,
      watchers: new Set(),
      done: false,
      finish(outcome) {
        if (wait.done) return;
        wait.done = true;
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        unregisterWait(
          wait,
          () => ("error" in outcome ? reject(outcome.error) : resolve(outcome.index)),
        );
      },
      fail: (error) => wait.finish({ error }),
    };
    signal.addEventListener("abort", onAbort);
    if (timeoutMs !== undefined) timer = setTimeout(() => wait.finish({ index: -1 }), timeoutMs);
    registerWait(
      WaitWatcher.pool,
      () => new WaitWatcher(),
      wait,
      (objects as Win32Waitable[]).map((object) => [
        object.handle,
        () => ({ object, manualReset: object instanceof Win32Event && object.manualReset }),
      ]),
    );
  });
}

// Alertable waits for waitAll: a few dedicated threads, each with a handle an APC can target.
interface AlertableThread {
  thread: DedicatedThread;
  handle: bigint;
}
const idleAlertable: AlertableThread[] = [];
let apcRoutine = 0n;

async function takeAlertableThread(): Promise<AlertableThread> {
  const idle = idleAlertable.pop();
  if (idle) return idle;
  const k = kernel32.symbols;
  const thread = new DedicatedThread();
  const threadId: number = await thread.call(kernel32, "GetCurrentThreadId");
  const handle = k.OpenThread(THREAD_SET_CONTEXT, 0, threadId);
  if (handle === 0n) {
    thread.close();
    throw new Win32Error(k.GetLastError(), "OpenThread");
  }
  return { thread, handle };
}

/**
 * The APC that ends an alertable wait: kernel32!SetLastError, a function
 * that takes one integer and has no effect we rely on; the APC's purpose is
 * only to make the wait return WAIT_IO_COMPLETION.
 */
function wakeRoutine(): bigint {
  if (apcRoutine === 0n) {
    const k = kernel32.symbols;
    const module = k.GetModuleHandleW(encodeWide("kernel32.dll"));
    apcRoutine = k.GetProcAddress(module, encodeC("SetLastError"));
    if (apcRoutine === 0n) throw new Win32Error(k.GetLastError(), "GetProcAddress");
  }
  return apcRoutine;
}

async function waitAllGroup(handles: bigint[], deadline: number | undefined, signal: AbortSignal) {
  const k = kernel32.symbols;
  const ready = k.WaitForMultipleObjects(handles.length, new BigUint64Array(handles), 1, 0);
  if (ready < handles.length) return true;
  if (ready !== WAIT_TIMEOUT) throw failed(ready, "WaitForMultipleObjects");
  if (deadline !== undefined && deadline <= Date.now()) return false;
  signal.throwIfAborted();
  const alertable = await takeAlertableThread();
  using memory = NativeMemory.alloc(8 * handles.length);
  handles.forEach((handle, i) => memory.view.setBigUint64(8 * i, handle, true));
  const routine = wakeRoutine();
  const onAbort = () => k.QueueUserAPC(routine, alertable.handle, 0n);
  signal.addEventListener("abort", onAbort);
  try {
    for (;;) {
      const ms = deadline === undefined ? undefined : Math.max(0, deadline - Date.now());
      const result: number = await alertable.thread.call(
        kernel32,
        "WaitForMultipleObjectsEx",
        handles.length,
        memory.address,
        1,
        waitMs(ms),
        1,
      );
      if (result < handles.length) return true;
      if (result === WAIT_TIMEOUT) return false;
      if (result !== WAIT_IO_COMPLETION) throw failed(result, "WaitForMultipleObjectsEx");
      signal.throwIfAborted();
      // An APC left over from an abort that came after an earlier wait ended: wait again.
    }
  } finally {
    signal.removeEventListener("abort", onAbort);
    // Run any APC queued after the wait ended, so the thread goes back clean.
    await alertable.thread.call(kernel32, "SleepEx", 0, 1);
    idleAlertable.push(alertable);
  }
}

/**
 * Waits until every object is signaled and takes them all, or none.
 *
 * Up to 64 objects are taken atomically (one WaitForMultipleObjects with
 * waitAll). Beyond that, groups of 64 are taken one after the other, and
 * what earlier groups took is given back when a later group times out.
 *
 * @param objects This platform's events and semaphores.
 * @param timeoutMs Milliseconds, or undefined to wait forever.
 * @param signal Ends the wait; the promise rejects with its reason.
 * @returns true when all were taken, false on timeout.
 * @example Waiting for two events together
 * ```ts
 * import { createEvent, waitAll } from "./sync.ts";
 * const a = createEvent("a", false, true, false);
 * const b = createEvent("b", false, true, false);
 * await waitAll([a, b], 100, new AbortController().signal); // true
 * ```
 */
export async function waitAll(
  objects: NativeWaitable[],
  timeoutMs: number | undefined,
  signal: AbortSignal,
): Promise<boolean> {
  const deadline = timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
  const taken: NativeWaitable[] = [];
  try {
    for (let i = 0; i < objects.length; i += MAXIMUM_WAIT_OBJECTS) {
      const group = objects.slice(i, i + MAXIMUM_WAIT_OBJECTS);
      if (!(await waitAllGroup(handlesOf(group), deadline, signal))) {
        for (const object of taken) object.undo();
        return false;
      }
      taken.push(...group);
    }
    return true;
  } catch (error) {
    for (const object of taken) object.undo();
    throw error;
  }
}
