/**
 * Named mutexes, semaphores and events shared between processes, with
 * Windows semantics on both OSes, and waits that never block the event loop.
 *
 * - {@link Mutex}: `await m.lock()` gives a guard that releases on scope
 *   exit; a holder that died makes the next lock throw
 *   {@link AbandonedMutexError} with the lock held.
 * - {@link Semaphore}: a count between 0 and a maximum.
 * - {@link Event}: manual or auto reset.
 * - {@link waitAny} / {@link waitAll} over events and semaphores.
 *
 * Every wait takes `{ timeout, signal }`; closing an object ends its waits
 * with {@link ClosedError}.
 *
 * @example A lock around shared memory
 * ```ts
 * import { Mutex } from "./sync.ts";
 * using m = Mutex.create("frames_lock_doc");
 * {
 *   using held = await m.lock({ timeout: 1000 });
 *   // ... touch the shared data
 * }
 * ```
 *
 * @module
 */
import { ClosedError, platform } from "./ffi/mod.ts";
import { AbandonedMutexError, TimeoutError } from "./errors.ts";
import { checkName } from "./_names.ts";
import {
  type LentWaitable,
  type NativeEvent,
  type NativeMutex,
  type NativeSemaphore,
  type NativeWaitable,
  type SyncBackend,
  WAIT_SOURCE,
  type WaitSource,
} from "./_sync_native.ts";
import * as posix from "./posix/sync.ts";
import * as win32 from "./win32/sync.ts";

// Module-private keys: the platform object and wait bookkeeping, shared with waitAny/waitAll.
const NATIVE = Symbol("native");
const ENTER = Symbol("enter");
const LEAVE = Symbol("leave");
const FINISH = Symbol("finish");

const native: SyncBackend = platform === "windows" ? win32 : posix;

/** Options of every wait. */
export interface WaitOptions {
  /** Milliseconds to wait (0: just try; default: forever). */
  readonly timeout?: number;
  /** Ends the wait early; the promise rejects with the signal's reason. */
  readonly signal?: AbortSignal;
}

/** Options of the `create` functions. */
export interface CreateOptions {
  /** Open the object when the name exists (as the same kind) instead of failing. */
  readonly openExisting?: boolean;
}

function checkTimeout(timeout: unknown, what: string): number | undefined {
  if (timeout === undefined || timeout === Infinity) return undefined;
  if (typeof timeout !== "number" || Number.isNaN(timeout) || timeout < 0) {
    throw new RangeError(
      `Cannot wait on ${what} for ${String(timeout)} ms: the timeout must be a number >= 0`,
    );
  }
  return timeout;
}

/** What SyncObject needs of a platform object. */
type NativeObject = { close(): void; osName: string; created: boolean };

/** The part every synchronization object shares: its name, its waits and its close. */
abstract class SyncObject<N extends NativeObject> implements Disposable {
  #native: N | null;
  #closing = new AbortController();
  #waits = 0;
  /** The name as given. */
  readonly name: string;
  /** The OS name: `Local\<name>` (Windows), `/ipckit.<name>` (Linux, the metadata segment under /dev/shm). */
  readonly osName: string;
  /** Whether this call created the object (false when it opened an existing one). */
  readonly created: boolean;

  protected constructor(name: string, nativeObject: N, readonly what: string) {
    this.#native = nativeObject;
    this.name = name;
    this.osName = nativeObject.osName;
    this.created = nativeObject.created;
  }

  /** Whether {@link close} has run. */
  get closed(): boolean {
    return this.#native === null;
  }

  /** The platform object; ClosedError once closed. */
  [NATIVE](verb: string): N {
    if (!this.#native) throw new ClosedError(`Cannot ${verb} ${this.what}: it is closed`);
    return this.#native;
  }

  /** Runs a wait with a signal that fires on the caller's abort or on close. */
  protected async waiting<T>(
    verb: string,
    user: AbortSignal | undefined,
    run: (signal: AbortSignal) => Promise<T>,
  ) {
    return await trackWaits([this], verb, user, run);
  }

  [ENTER](verb: string): { native: N; closing: AbortSignal } {
    const nativeObject = this[NATIVE](verb);
    this.#waits++;
    return { native: nativeObject, closing: this.#closing.signal };
  }

  [LEAVE](): void {
    if (--this.#waits === 0 && this.#native === null) this[FINISH]();
  }

  /** Lets go of the platform object (subclasses release held locks first). */
  [FINISH](): void {
    this.#released?.close();
    this.#released = null;
  }
  #released: N | null = null;

  /**
   * Closes the object: waits in progress reject with ClosedError, and the
   * name goes away once no process holds it. Throws ClosedError when closed already.
   */
  close(): void {
    const nativeObject = this[NATIVE]("close");
    this.#native = null;
    this.#released = nativeObject;
    this.#closing.abort(new ClosedError(`Cannot wait on ${this.what}: it was closed`));
    if (this.#waits === 0) this[FINISH]();
  }

  /** Closes the object unless it is closed already. */
  [Symbol.dispose](): void {
    if (this.#native) this.close();
  }
}

/** Runs `run` with one signal combining the caller's and every object's close. */
async function trackWaits<T>(
  objects: SyncObject<NativeObject>[],
  verb: string,
  user: AbortSignal | undefined,
  run: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  user?.throwIfAborted();
  const entered: SyncObject<NativeObject>[] = [];
  const controller = new AbortController();
  const listeners: [AbortSignal, () => void][] = [];
  const follow = (signal: AbortSignal) => {
    const onAbort = () => controller.abort(signal.reason);
    signal.addEventListener("abort", onAbort);
    listeners.push([signal, onAbort]);
  };
  try {
    for (const object of objects) {
      const { closing } = object[ENTER](verb);
      entered.push(object);
      follow(closing);
    }
    if (user) follow(user);
    return await run(controller.signal);
  } finally {
    for (const [signal, onAbort] of listeners) signal.removeEventListener("abort", onAbort);
    for (const object of entered) object[LEAVE]();
  }
}

// ---- Mutex ----------------------------------------------------------------------

/** A process-local queue per mutex name: one holder per process at a time (Win32 mutexes are recursive per thread). */
class LocalGate {
  static #gates = new Map<string, LocalGate>();
  #held = false;
  #queue: (() => void)[] = [];
  #users = 0;

  static for(osName: string): LocalGate {
    let gate = LocalGate.#gates.get(osName);
    if (!gate) LocalGate.#gates.set(osName, gate = new LocalGate());
    gate.#users++;
    return gate;
  }

  static done(osName: string): void {
    const gate = LocalGate.#gates.get(osName);
    if (gate && --gate.#users === 0) LocalGate.#gates.delete(osName);
  }

  tryEnter(): boolean {
    if (this.#held) return false;
    this.#held = true;
    return true;
  }

  /** @returns false on timeout; rejects on abort. */
  enter(deadline: number | undefined, signal: AbortSignal): Promise<boolean> {
    if (this.tryEnter()) return Promise.resolve(true);
    return new Promise((resolve, reject) => {
      const entry = () => {
        cleanup();
        resolve(true);
      };
      const timer = deadline === undefined ? undefined : setTimeout(() => {
        cleanup();
        resolve(false);
      }, Math.max(0, deadline - Date.now()));
      const onAbort = () => {
        cleanup();
        reject(signal.reason);
      };
      const cleanup = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        const at = this.#queue.indexOf(entry);
        if (at >= 0) this.#queue.splice(at, 1);
      };
      signal.addEventListener("abort", onAbort);
      this.#queue.push(entry);
    });
  }

  leave(): void {
    const next = this.#queue.shift();
    if (next) next(); // stays held, handed to the next local waiter
    else this.#held = false;
  }
}

/**
 * A held mutex lock: release it with `release()` or let `using` do it.
 *
 * @example Using MutexGuard
 * ```ts
 * import { Mutex } from "./sync.ts";
 * using m = Mutex.create("guard_doc");
 * const held = await m.lock();
 * held.release();
 * ```
 */
export class MutexGuard implements Disposable {
  #release: (() => void) | null;

  /** @internal */
  constructor(release: () => void) {
    this.#release = release;
  }

  /** Whether the lock is still held through this guard. */
  get held(): boolean {
    return this.#release !== null;
  }

  /** Releases the lock. Throws ClosedError when released already. */
  release(): void {
    const release = this.#release;
    if (!release) throw new ClosedError("Cannot release mutex: this guard released it already");
    this.#release = null;
    release();
  }

  /** Releases the lock unless released already. */
  [Symbol.dispose](): void {
    if (this.#release) this.release();
  }
}

/** Options of {@link Mutex.lock}. */
export type LockOptions = WaitOptions;

/**
 * A named mutex shared between processes (Windows: a kernel mutex; Linux: a
 * robust process-shared pthread mutex). One holder at a time across all
 * processes, and one per process (locks from the same process queue).
 *
 * @example Lock, handle an abandoned lock
 * ```ts
 * import { Mutex } from "./sync.ts";
 * import { AbandonedMutexError } from "./errors.ts";
 * using m = Mutex.create("counter_lock_doc");
 * let held: Disposable & { release(): void };
 * try {
 *   held = await m.lock({ timeout: 1000 });
 * } catch (error) {
 *   if (!(error instanceof AbandonedMutexError)) throw error;
 *   held = error.guard; // the owner died; the data may need repair
 * }
 * held.release();
 * ```
 */
export class Mutex extends SyncObject<NativeMutex> {
  #gate: LocalGate;
  #guard: MutexGuard | null = null;

  private constructor(name: string, nativeMutex: NativeMutex) {
    super(name, nativeMutex, `mutex '${name}'`);
    this.#gate = LocalGate.for(nativeMutex.osName);
  }

  /**
   * Creates a named mutex, not held.
   *
   * @param name The name.
   * @param options `openExisting`.
   * @returns The mutex.
   * @throws NameTakenError when the name exists (another kind; or a mutex, without `openExisting`).
   * @example Using create
   * ```ts
   * import { Mutex } from "./sync.ts";
   * using m = Mutex.create("create_doc");
   * ```
   */
  static create(name: string, options: CreateOptions = {}): Mutex {
    checkName(name, "mutex");
    return new Mutex(name, native.createMutex(name, options.openExisting === true));
  }

  /**
   * Opens an existing named mutex.
   *
   * @param name The name.
   * @returns The mutex.
   * @throws NotFoundError when nothing has that name.
   * @example Using open
   * ```ts
   * import { Mutex } from "./sync.ts";
   * using owner = Mutex.create("open_doc");
   * using m = Mutex.open("open_doc");
   * ```
   */
  static open(name: string): Mutex {
    checkName(name, "mutex");
    return new Mutex(name, native.openMutex(name));
  }

  /**
   * Takes the lock if it is free right now.
   *
   * @returns The guard, or null when another holder has it.
   * @throws AbandonedMutexError (holding the lock) when the previous holder died.
   * @example Using tryLock
   * ```ts
   * import { Mutex } from "./sync.ts";
   * using m = Mutex.create("try_doc");
   * using held = m.tryLock();
   * ```
   */
  tryLock(): MutexGuard | null {
    const nativeMutex = this[NATIVE]("lock");
    if (!this.#gate.tryEnter()) return null;
    let outcome;
    try {
      outcome = nativeMutex.tryLock();
    } catch (error) {
      this.#gate.leave();
      throw error;
    }
    if (outcome === "busy") {
      this.#gate.leave();
      return null;
    }
    return this.#held(nativeMutex, outcome);
  }

  /**
   * Waits for the lock without blocking the event loop.
   *
   * @param options `timeout` (ms), `signal`.
   * @returns The guard; dispose it (or call `release()`) to unlock.
   * @throws TimeoutError after `timeout`; the signal's reason on abort; ClosedError on close.
   * @throws AbandonedMutexError (holding the lock, as `error.guard`) when the previous holder died holding it.
   * @example Using lock
   * ```ts
   * import { Mutex } from "./sync.ts";
   * using m = Mutex.create("lock_doc");
   * {
   *   using held = await m.lock({ timeout: 1000 });
   * }
   * ```
   */
  lock(options: LockOptions = {}): Promise<MutexGuard> {
    const timeout = checkTimeout(options.timeout, this.what);
    return this.waiting("lock", options.signal, async (signal) => {
      const deadline = timeout === undefined ? undefined : Date.now() + timeout;
      const nativeMutex = this[NATIVE]("lock");
      if (!(await this.#gate.enter(deadline, signal))) throw this.#timeout(timeout!);
      let outcome;
      try {
        const remaining = deadline === undefined ? undefined : Math.max(0, deadline - Date.now());
        outcome = await nativeMutex.lock(remaining, signal);
      } catch (error) {
        this.#gate.leave();
        throw error;
      }
      if (outcome === "timeout") {
        this.#gate.leave();
        throw this.#timeout(timeout!);
      }
      return this.#held(nativeMutex, outcome);
    });
  }

  #timeout(timeout: number): TimeoutError {
    return new TimeoutError(`Cannot lock ${this.what}: timed out after ${timeout} ms`);
  }

  #held(nativeMutex: NativeMutex, outcome: "acquired" | "abandoned"): MutexGuard {
    const guard = new MutexGuard(() => {
      this.#guard = null;
      try {
        nativeMutex.unlock();
      } finally {
        this.#gate.leave();
      }
    });
    this.#guard = guard;
    if (outcome === "abandoned") {
      throw new AbandonedMutexError(
        `Mutex '${this.name}' was abandoned: its previous holder ended without releasing it; the lock is now held by the caller`,
        guard,
      );
    }
    return guard;
  }

  override [FINISH](): void {
    // Closing while held releases the lock first, as a dying holder would not.
    if (this.#guard?.held) this.#guard.release();
    LocalGate.done(this.osName);
    super[FINISH]();
  }
}

// ---- Semaphore ---------------------------------------------------------------------

/** Options of {@link Semaphore.create}. */
export interface SemaphoreOptions extends CreateOptions {
  /** The count to start with (0..max). Default 0. */
  readonly initial?: number;
  /** The maximum count (1..2^31-1). Default 2^31-1. */
  readonly max?: number;
}

const MAX_COUNT = 0x7fffffff;

function checkCount(value: unknown, what: string, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(
      `Cannot use ${String(value)} as ${what}: it must be an integer from ${min} to ${max}`,
    );
  }
  return value;
}

/**
 * A named counting semaphore shared between processes.
 *
 * @example Two slots
 * ```ts
 * import { Semaphore } from "./sync.ts";
 * using sem = Semaphore.create("slots_doc", { initial: 2, max: 4 });
 * await sem.acquire();
 * sem.release(1);
 * ```
 */
export class Semaphore extends SyncObject<NativeSemaphore> {
  private constructor(name: string, nativeSemaphore: NativeSemaphore) {
    super(name, nativeSemaphore, `semaphore '${name}'`);
  }

  /**
   * Creates a named semaphore.
   *
   * @param name The name.
   * @param options `initial`, `max`, `openExisting`.
   * @returns The semaphore.
   * @throws RangeError for counts outside 0 <= initial <= max, 1 <= max <= 2^31-1.
   * @example Using create
   * ```ts
   * import { Semaphore } from "./sync.ts";
   * using sem = Semaphore.create("sem_create_doc", { initial: 1, max: 1 });
   * ```
   */
  static create(name: string, options: SemaphoreOptions = {}): Semaphore {
    checkName(name, "semaphore");
    const max = checkCount(
      options.max ?? MAX_COUNT,
      `the maximum of semaphore '${name}'`,
      1,
      MAX_COUNT,
    );
    const initial = checkCount(
      options.initial ?? 0,
      `the initial count of semaphore '${name}'`,
      0,
      max,
    );
    return new Semaphore(
      name,
      native.createSemaphore(name, initial, max, options.openExisting === true),
    );
  }

  /**
   * Opens an existing named semaphore.
   *
   * @param name The name.
   * @returns The semaphore.
   * @throws NotFoundError when nothing has that name.
   * @example Using open
   * ```ts
   * import { Semaphore } from "./sync.ts";
   * using owner = Semaphore.create("sem_open_doc");
   * using sem = Semaphore.open("sem_open_doc");
   * ```
   */
  static open(name: string): Semaphore {
    checkName(name, "semaphore");
    return new Semaphore(name, native.openSemaphore(name));
  }

  /** The current count. */
  get count(): number {
    return this[NATIVE]("read").count;
  }

  /** The maximum count. */
  get max(): number {
    return this[NATIVE]("read").max;
  }

  /**
   * Takes one unit if the count is above 0 right now.
   *
   * @returns Whether a unit was taken.
   */
  tryAcquire(): boolean {
    return this[NATIVE]("acquire").tryTake();
  }

  /**
   * Waits for the count to be above 0 and takes one unit.
   *
   * @param options `timeout` (ms), `signal`.
   * @returns true when taken, false on timeout.
   * @example Using acquire
   * ```ts
   * import { Semaphore } from "./sync.ts";
   * using sem = Semaphore.create("sem_acquire_doc", { initial: 1 });
   * if (await sem.acquire({ timeout: 100 })) sem.release();
   * ```
   */
  async acquire(options: WaitOptions = {}): Promise<boolean> {
    return (await waitAny([this], options)) === 0;
  }

  /**
   * Adds to the count, waking waiters.
   *
   * @param count How much (default 1).
   * @returns The count before the release.
   * @throws RangeError when the count would exceed the maximum (nothing is released).
   * @example Using release
   * ```ts
   * import { Semaphore } from "./sync.ts";
   * using sem = Semaphore.create("sem_release_doc", { max: 2 });
   * sem.release(2); // 0
   * ```
   */
  release(count = 1): number {
    checkCount(count, `a release count of ${this.what}`, 1, MAX_COUNT);
    return this[NATIVE]("release").release(count);
  }
}

// ---- Event ---------------------------------------------------------------------------

/** Options of {@link Event.create}. */
export interface EventOptions extends CreateOptions {
  /** Stay set until reset (true), or let one waiter through and reset (false, the default). */
  readonly manualReset?: boolean;
  /** Start set. Default false. */
  readonly initial?: boolean;
}

/**
 * A named event shared between processes. Auto-reset: `set()` lets exactly
 * one waiter through. Manual-reset: every waiter passes until `reset()`.
 *
 * @example Signal another process
 * ```ts
 * import { Event } from "./sync.ts";
 * using ev = Event.create("frame_ready_doc", { manualReset: false, initial: false });
 * ev.set();
 * await ev.wait({ timeout: 500 }); // true
 * ```
 */
export class Event extends SyncObject<NativeEvent> {
  private constructor(name: string, nativeEvent: NativeEvent) {
    super(name, nativeEvent, `event '${name}'`);
  }

  /**
   * Creates a named event.
   *
   * @param name The name.
   * @param options `manualReset`, `initial`, `openExisting`.
   * @returns The event.
   * @example Using create
   * ```ts
   * import { Event } from "./sync.ts";
   * using ev = Event.create("event_create_doc", { manualReset: true });
   * ```
   */
  static create(name: string, options: EventOptions = {}): Event {
    checkName(name, "event");
    const manualReset = options.manualReset === true;
    return new Event(
      name,
      native.createEvent(
        name,
        manualReset,
        options.initial === true,
        options.openExisting === true,
      ),
    );
  }

  /**
   * Opens an existing named event.
   *
   * @param name The name.
   * @returns The event.
   * @throws NotFoundError when nothing has that name.
   * @example Using open
   * ```ts
   * import { Event } from "./sync.ts";
   * using owner = Event.create("event_open_doc");
   * using ev = Event.open("event_open_doc");
   * ```
   */
  static open(name: string): Event {
    checkName(name, "event");
    return new Event(name, native.openEvent(name));
  }

  /** Whether the event is reset manually (as created, whoever created it). */
  get manualReset(): boolean {
    return this[NATIVE]("read").manualReset;
  }

  /** Whether the event is set right now. */
  get isSet(): boolean {
    return this[NATIVE]("read").isSet;
  }

  /** Sets the event: wakes one waiter (auto reset) or all until reset (manual). */
  set(): void {
    this[NATIVE]("set").set();
  }

  /** Resets the event. */
  reset(): void {
    this[NATIVE]("reset").reset();
  }

  /**
   * Waits until the event is set (an auto-reset event is reset by this wait).
   *
   * @param options `timeout` (ms), `signal`.
   * @returns true when set, false on timeout.
   * @example Using wait
   * ```ts
   * import { Event } from "./sync.ts";
   * using ev = Event.create("event_wait_doc", { initial: true });
   * await ev.wait({ timeout: 10 }); // true
   * ```
   */
  async wait(options: WaitOptions = {}): Promise<boolean> {
    return (await waitAny([this], options)) === 0;
  }
}

// ---- Waiting on several -----------------------------------------------------------------

/**
 * What waitAny and waitAll accept. Mutexes are locked with `lock()` (their
 * ownership is per thread). waitAny also takes a `ChannelReader` (a
 * {@link WaitSource}): it is ready when a message (or the end of its stream)
 * is there, and the caller then receives it.
 */
export type Waitable = Event | Semaphore | WaitSource;

const isSource = (object: unknown): object is WaitSource =>
  typeof object === "object" && object !== null && WAIT_SOURCE in object;

function checkWaitables(objects: unknown, what: string): Waitable[] {
  if (!Array.isArray(objects) || objects.length === 0) {
    throw new TypeError(`Cannot ${what}: pass a non-empty array of events and semaphores`);
  }
  for (const object of objects) {
    if (what === "waitAny" && isSource(object)) continue;
    if (!(object instanceof Event) && !(object instanceof Semaphore)) {
      const kind = object instanceof Mutex ? "a mutex (lock it with lock())" : String(object);
      throw new TypeError(
        `Cannot ${what} on ${kind}: only events and semaphores can be waited on together`,
      );
    }
  }
  return objects;
}

/**
 * waitAll takes every object at once, so one object listed twice (the same
 * instance, or two opened under one name) could never be taken: an auto-reset
 * event is one signal, and Windows refuses a handle listed twice. Both OSes
 * refuse it here, before any wait.
 */
function checkDistinct(list: (Event | Semaphore)[]): void {
  const seen = new Set<string>();
  for (const object of list) {
    const osName = object[NATIVE]("wait on").osName;
    if (seen.has(osName)) {
      throw new TypeError(
        `Cannot waitAll on ${object.what} twice: list each object once (waitAll takes them all together)`,
      );
    }
    seen.add(osName);
  }
}

/** The result of a {@link waitAny} that timed out. */
export const TIMED_OUT = "timeout" as const;

/**
 * Waits until one of the objects is signaled and takes it (an auto-reset
 * event resets, a semaphore's count drops by one). Earlier objects win ties.
 * Any number of objects; any number of waits at once (they share one parked
 * OS wait per 63 objects on Windows, per 127 on Linux).
 *
 * @param objects Events, semaphores and channel readers (a reader is ready
 *   when a message or the end of its stream is there; nothing is taken from it).
 * @param options `timeout` (ms), `signal`.
 * @returns The index of the object taken, or `"timeout"`.
 * @example Using waitAny
 * ```ts
 * import { Event, Semaphore, waitAny } from "./sync.ts";
 * using ev = Event.create("any_ev_doc");
 * using sem = Semaphore.create("any_sem_doc", { initial: 1 });
 * const i = await waitAny([ev, sem], { timeout: 1000 }); // 1
 * ```
 */
export function waitAny(
  objects: readonly Waitable[],
  options: WaitOptions = {},
): Promise<number | typeof TIMED_OUT> {
  const list = checkWaitables(objects, "waitAny");
  const timeout = checkTimeout(options.timeout, "waitAny");
  const syncObjects = list.filter((o) => !isSource(o)) as (Event | Semaphore)[];
  return trackWaits(syncObjects, "wait on", options.signal, async (signal) => {
    const lent = new Map<WaitSource, LentWaitable>();
    const controller = new AbortController();
    const follow = (from: AbortSignal) => {
      const onAbort = () => controller.abort(from.reason);
      if (from.aborted) onAbort();
      from.addEventListener("abort", onAbort);
      return () => from.removeEventListener("abort", onAbort);
    };
    const unfollow = [follow(signal)];
    try {
      for (const object of list) {
        if (!isSource(object) || lent.has(object)) continue;
        const wait = object[WAIT_SOURCE]();
        lent.set(object, wait);
        unfollow.push(follow(wait.closing));
      }
      const natives = list.map((o) =>
        isSource(o) ? lent.get(o)!.native : o[NATIVE]("wait on") as NativeWaitable
      );
      const index = await native.waitAny(natives, timeout, controller.signal);
      return index < 0 ? TIMED_OUT : index;
    } finally {
      for (const stop of unfollow) stop();
      for (const wait of lent.values()) wait.leave();
    }
  });
}

/**
 * Waits until every object is signaled and takes them all, or none.
 * Windows takes up to 64 atomically (beyond that, in groups, giving back on
 * failure); Linux takes them together when all are ready, giving back if one
 * slipped away, and waits again.
 *
 * @param objects Events and semaphores, each once (TypeError otherwise, on both OSes).
 * @param options `timeout` (ms), `signal`.
 * @returns true when all were taken, false on timeout (nothing taken).
 * @example Using waitAll
 * ```ts
 * import { Event, waitAll } from "./sync.ts";
 * using a = Event.create("all_a_doc", { initial: true });
 * using b = Event.create("all_b_doc", { initial: true });
 * await waitAll([a, b], { timeout: 1000 }); // true
 * ```
 */
export function waitAll(
  objects: readonly (Event | Semaphore)[],
  options: WaitOptions = {},
): Promise<boolean> {
  const list = checkWaitables(objects, "waitAll") as (Event | Semaphore)[];
  checkDistinct(list);
  const timeout = checkTimeout(options.timeout, "waitAll");
  return trackWaits(list, "wait on", options.signal, (signal) => {
    const natives = list.map((o) => o[NATIVE]("wait on") as NativeWaitable);
    return native.waitAll(natives, timeout, signal);
  });
}
