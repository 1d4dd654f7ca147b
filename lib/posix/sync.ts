/**
 * Mutexes, semaphores and events on Linux with Windows semantics, kept in
 * each object's ipckit metadata page (lib/posix/_registry.ts), which also
 * gives them Windows lifetime and the shared name space.
 *
 * - Mutex: a process-shared robust pthread mutex (EOWNERDEAD is Windows'
 *   WAIT_ABANDONED). pthread_mutex_trylock runs on the JavaScript thread
 *   first; when contended, the mutex's own DedicatedThread retries the
 *   trylock and sleeps in futex_waitv on the mutex word (with the waiters bit
 *   set, as glibc does, so the unlock wakes it) and on a private cancel word,
 *   so a timeout, an abort or a close wakes it. The thread that took the lock
 *   releases it.
 * - Semaphore: a futex word holding the count, and the maximum.
 * - Event: a futex word (0 or 1) and the reset mode; set() wakes every
 *   waiter, and an auto-reset waiter takes the signal with a compare-exchange.
 * - Waits never sleep in a loop: waitAny and waitAll share the process's
 *   parked futex_waitv calls (syscall 449; one per 127 words plus a wake
 *   word), and re-check their objects whenever one of their words changes.
 *   errno is not readable after a blocking call, so the outcome is read from
 *   the words. No FUTEX_PRIVATE_FLAG: the words are shared between processes.
 *
 * @module
 */
import { DedicatedThread, NativeMemory } from "../ffi/mod.ts";
import { bareName, nameTakenBySameKind } from "../_names.ts";
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
import { NotFoundError } from "../errors.ts";
import { Spinner, SpinWindow } from "../_spin.ts";
import { ERRNO, ErrnoError } from "./error.ts";
import { libc } from "./libc.ts";
import {
  claimExisting,
  claimNew,
  type Kind,
  metaName,
  reclaimStaleLocked,
  type Registration,
  STATE_OFFSET,
  withNamespaceLock,
} from "./_registry.ts";

const SYS_FUTEX = 202;
const SYS_FUTEX_WAITV = 449;
const FUTEX_WAKE = 1;
const FUTEX_32 = 2;
const FUTEX_WAITV_MAX = 128;
const CLOCK_MONOTONIC = 1;
/** A wake count meaning every waiter. */
export const WAKE_ALL = 0x7fffffff;
/** The waiters bit of a pthread mutex word (glibc's FUTEX_WAITERS). */
export const FUTEX_WAITERS = 0x80000000 | 0;
/** The owner's thread id in a pthread mutex word; 0 means free (maybe with FUTEX_OWNER_DIED set). */
const FUTEX_TID_MASK = 0x3fffffff;
const STATE_INDEX = STATE_OFFSET / 4;
const SYS_SCHED_YIELD = 24n; // x86-64
/**
 * Spins of waitAny before it parks (lib/_spin.ts): 50 µs when idle, up to 500 µs for a slow
 * peer, with a sched_yield() after each fruitless round so a peer on this CPU gets to answer.
 */
const spinner = new Spinner(
  new SpinWindow(50, 500),
  () => libc.symbols.syscall(SYS_SCHED_YIELD, 0n, 0n, 0n, 0n, 0n, 0n),
);

/**
 * Wakes up to `count` futex waiters on a shared word (lib/channel.ts uses it too).
 *
 * @param address The word's address.
 * @param count How many waiters (WAKE_ALL for all).
 * @returns How many were woken (0 also when none had parked yet), or -1 on an error.
 */
export function wake(address: bigint, count: number): number {
  return Number(libc.symbols.syscall(SYS_FUTEX, address, FUTEX_WAKE, count, 0, 0, 0));
}

/** CLOCK_MONOTONIC in nanoseconds. */
function monotonicNs(): bigint {
  const ts = new BigInt64Array(2);
  libc.symbols.clock_gettime(CLOCK_MONOTONIC, ts);
  return ts[0]! * 1_000_000_000n + ts[1]!;
}

/**
 * The absolute CLOCK_MONOTONIC deadline `timeoutMs` from now.
 *
 * @param timeoutMs Milliseconds, or undefined for none.
 * @returns The deadline in nanoseconds, or undefined.
 */
export function deadlineOf(timeoutMs: number | undefined): bigint | undefined {
  return timeoutMs === undefined ? undefined : monotonicNs() + BigInt(Math.ceil(timeoutMs * 1e6));
}

function expired(deadline: bigint | undefined): boolean {
  return deadline !== undefined && monotonicNs() >= deadline;
}

/** A futex word to sleep on while it holds `expected`. */
export interface FutexWait {
  address: bigint;
  expected: number;
}

/** A shared word a waitAny/waitAll sleeps on, and how to read it from here. */
export interface WatchedWord extends FutexWait {
  current(): number;
}

/** Writes entry `i` of a futex_waitv array. */
function writeWaitv(view: DataView, i: number, word: FutexWait): void {
  // struct futex_waitv { u64 val; u64 uaddr; u32 flags; u32 __reserved; }
  view.setBigUint64(24 * i, BigInt(word.expected >>> 0), true);
  view.setBigUint64(24 * i + 8, word.address, true);
  view.setUint32(24 * i + 16, FUTEX_32, true);
  view.setUint32(24 * i + 20, 0, true);
}

/**
 * Builds one futex_waitv call over `words` (at most FUTEX_WAITV_MAX), with
 * an optional absolute CLOCK_MONOTONIC deadline.
 */
function waitvBlock(words: FutexWait[], deadline: bigint | undefined) {
  const memory = NativeMemory.alloc(24 * words.length + 16);
  words.forEach((word, i) => writeWaitv(memory.view, i, word));
  const timespec = 24 * words.length;
  if (deadline !== undefined) {
    memory.view.setBigInt64(timespec, deadline / 1_000_000_000n, true);
    memory.view.setBigInt64(timespec + 8, deadline % 1_000_000_000n, true);
  }
  const timeout = deadline === undefined ? 0n : memory.address + BigInt(timespec);
  return {
    memory,
    args: [SYS_FUTEX_WAITV, memory.address, words.length, 0, timeout, CLOCK_MONOTONIC, 0] as const,
  };
}

/**
 * Sleeps on a mutex's own thread until its word changes from `word.expected`
 * (or is woken), the deadline passes or the signal fires. The caller
 * re-checks the lock afterwards, so a spurious return is harmless.
 */
async function sleepOnThread(
  word: FutexWait,
  deadline: bigint | undefined,
  signal: AbortSignal,
  thread: DedicatedThread,
): Promise<void> {
  using cancel = NativeMemory.alloc(4);
  const cancelWord = new Int32Array(cancel.bytes.buffer, 0, 1);
  const callOff = () => {
    Atomics.store(cancelWord, 0, 1);
    wake(cancel.address, WAKE_ALL);
  };
  const block = waitvBlock([word, { address: cancel.address, expected: 0 }], deadline);
  signal.addEventListener("abort", callOff);
  try {
    if (!signal.aborted) await thread.call(libc, "syscall", ...block.args);
  } finally {
    signal.removeEventListener("abort", callOff);
    block.memory.free();
  }
}

/** A waitAny/waitAll sleeping until one of its words may have changed. */
interface Sleeper extends SharedWait {
  done: boolean;
  /** Ends the sleep (with an error if it could not be made); it returns once no parked call still holds its words. */
  finish(error?: unknown): void;
}

/**
 * One futex_waitv over up to 127 words plus a wake word, shared by every
 * waitAny and waitAll of the process (see lib/_shared_wait.ts for why).
 * Timeouts and aborts are JavaScript timers and listeners that take the
 * sleeper out of the set.
 */
class FutexWatcher extends SharedWatcher<WatchedWord, Sleeper> {
  static readonly pool: FutexWatcher[] = [];
  readonly #wakeWord = NativeMemory.alloc(4);
  readonly #wakeView = new Int32Array(this.#wakeWord.bytes.buffer, 0, 1);
  /** The futex_waitv array: written only while no call is parked on it. */
  readonly #block = NativeMemory.alloc(24 * FUTEX_WAITV_MAX);

  constructor() {
    super(FUTEX_WAITV_MAX - 1);
  }

  protected park(entries: Watched<WatchedWord, Sleeper>[]): Promise<number> {
    Atomics.store(this.#wakeView, 0, 0);
    const words = [{ address: this.#wakeWord.address, expected: 0 }, ...entries.map((e) => e.item)];
    words.forEach((word, i) => writeWaitv(this.#block.view, i, word));
    // Returns the index of the woken word, or -1 (a word had changed already, or EINTR).
    return libc.symbols.syscallAsync(
      SYS_FUTEX_WAITV,
      this.#block.address,
      words.length,
      0,
      0, // no timeout: deadlines are timers on the JavaScript side
      CLOCK_MONOTONIC,
      0,
    ).then(Number);
  }

  protected wake(): void {
    Atomics.store(this.#wakeView, 0, 1);
    wake(this.#wakeWord.address, 1);
  }

  protected returned(woken: number, entries: Watched<WatchedWord, Sleeper>[]): void {
    // Everyone whose word changed or was woken looks again; the rest keep sleeping.
    entries.forEach((entry, i) => {
      if (woken === i + 1 || entry.item.current() !== entry.item.expected) {
        for (const sleeper of [...entry.waits]) sleeper.finish();
      }
    });
  }
}

/**
 * Sleeps until one of the words may have changed from its expected value,
 * the deadline passes or the signal fires, sharing the process's parked
 * futex_waitv calls. Callers re-check their objects afterwards, so a
 * spurious return is harmless. lib/posix/channel.ts sleeps here too.
 *
 * @param words The words and the values they hold while there is nothing to do.
 * @param deadline CLOCK_MONOTONIC nanoseconds, or undefined.
 * @param signal Ends the sleep (it resolves; the caller checks the signal).
 * @returns Resolves once woken, timed out or aborted.
 */
export function sleepOn(
  words: readonly WatchedWord[],
  deadline: bigint | undefined,
  signal: AbortSignal,
): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onAbort = () => sleeper.finish();
    const sleeper: Sleeper = {
      watchers: new Set(),
      done: false,
      finish(error?: unknown) {
        if (sleeper.done) return;
        sleeper.done = true;
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        unregisterWait(sleeper, () => (error === undefined ? resolve() : reject(error)));
      },
      fail: (error) => sleeper.finish(error),
    };
    signal.addEventListener("abort", onAbort);
    if (deadline !== undefined) {
      const ms = Number(deadline - monotonicNs()) / 1e6;
      timer = setTimeout(onAbort, Math.max(0, Math.ceil(ms)));
    }
    registerWait(
      FutexWatcher.pool,
      () => new FutexWatcher(),
      sleeper,
      words.map((word) => [`${word.address}:${word.expected}`, () => word]),
    );
  });
}

// ---- Objects ---------------------------------------------------------------------

/** Creates or opens the metadata of a named object. */
function claim(
  kind: Kind,
  name: string,
  openExisting: boolean,
  init: ((page: DataView, address: bigint) => void) | null,
): { registration: Registration; created: boolean } {
  const bare = bareName(name);
  return withNamespaceLock(() => {
    // Creating is when leftovers of processes that died holding objects are swept, as for
    // shared memory: nothing stays in /dev/shm past the next create in this IPC name space.
    if (init) reclaimStaleLocked();
    const existing = claimExisting(bare, kind, init ? "create" : "open");
    if (existing) {
      if (init && !openExisting) {
        existing.releaseLocked();
        throw nameTakenBySameKind(kind, bare);
      }
      return { registration: existing, created: false };
    }
    if (!init) throw new NotFoundError(`Cannot open ${kind} '${bare}': it does not exist`, bare);
    return { registration: claimNew(bare, kind, init), created: true };
  });
}

abstract class PosixObject {
  readonly osName: string;
  protected readonly words: Int32Array;
  protected readonly stateAddress: bigint;

  constructor(protected readonly registration: Registration, readonly created: boolean) {
    this.osName = metaName(registration.bare);
    this.words = new Int32Array(registration.buffer);
    this.stateAddress = registration.address + BigInt(STATE_OFFSET);
  }

  close(): void {
    this.registration.release();
  }
}

// ---- Mutex -----------------------------------------------------------------------

class PosixMutex extends PosixObject implements NativeMutex {
  #thread: DedicatedThread | null = null;
  #owner: "js" | "thread" | null = null;
  /** An unlock queued on the thread and not yet run. */
  #pendingRelease: Promise<unknown> | null = null;

  tryLock(): LockOutcome | "busy" {
    const result = libc.symbols.pthread_mutex_trylock(this.stateAddress);
    if (result === ERRNO.EBUSY) return "busy";
    if (result === ERRNO.EOWNERDEAD) libc.symbols.pthread_mutex_consistent(this.stateAddress);
    return this.#took(result, "js");
  }

  async lock(timeoutMs: number | undefined, signal: AbortSignal): Promise<LockOutcome | "timeout"> {
    const fast = this.tryLock();
    if (fast !== "busy") return fast;
    const deadline = deadlineOf(timeoutMs);
    const thread = (this.#thread ??= new DedicatedThread());
    for (;;) {
      if (timeoutMs === 0 || expired(deadline)) return "timeout";
      signal.throwIfAborted();
      const result: number = await thread.call(libc, "pthread_mutex_trylock", this.stateAddress);
      if (result !== ERRNO.EBUSY) {
        if (result === ERRNO.EOWNERDEAD) {
          await thread.call(libc, "pthread_mutex_consistent", this.stateAddress);
        }
        const outcome = this.#took(result, "thread");
        // We slept, so others may sleep too: keep the waiters bit so our unlock wakes one (as glibc does).
        Atomics.or(this.words, STATE_INDEX, FUTEX_WAITERS);
        return outcome;
      }
      let word = Atomics.load(this.words, STATE_INDEX);
      // No owner: free, or its owner died after our trylock (FUTEX_OWNER_DIED, which nobody will
      // clear but a locker). Sleeping on it would wait for a wake that never comes.
      if ((word & FUTEX_TID_MASK) === 0) continue;
      if ((word & FUTEX_WAITERS) === 0) {
        if (Atomics.compareExchange(this.words, STATE_INDEX, word, word | FUTEX_WAITERS) !== word) {
          continue;
        }
        word |= FUTEX_WAITERS;
      }
      await sleepOnThread({ address: this.stateAddress, expected: word }, deadline, signal, thread);
    }
  }

  #took(result: number, where: "js" | "thread"): LockOutcome {
    if (result !== 0 && result !== ERRNO.EOWNERDEAD) {
      throw new ErrnoError(result, "pthread_mutex_trylock");
    }
    this.#owner = where;
    return result === ERRNO.EOWNERDEAD ? "abandoned" : "acquired";
  }

  unlock(): void {
    if (this.#owner === "js") {
      this.#owner = null;
      const result = libc.symbols.pthread_mutex_unlock(this.stateAddress);
      if (result !== 0) throw new ErrnoError(result, "pthread_mutex_unlock");
    } else if (this.#owner === "thread") {
      this.#owner = null;
      // Calls on the thread run in order: a later lock attempt there queues behind this.
      const release = this.#thread!.call(libc, "pthread_mutex_unlock", this.stateAddress);
      // A failed unlock there (the lock was not that thread's) must not become an unhandled rejection.
      this.#pendingRelease = release.catch(() => undefined).finally(() => {
        if (this.#pendingRelease === settled) this.#pendingRelease = null;
      });
      const settled = this.#pendingRelease;
    }
  }

  override close(): void {
    const thread = this.#thread;
    const finish = () => {
      thread?.close();
      super.close();
    };
    // An unlock queued on the thread must run before the page is unmapped.
    if (this.#pendingRelease) void this.#pendingRelease.finally(finish);
    else finish();
  }
}

function initMutex(_page: DataView, address: bigint): void {
  initRobustMutex(address + BigInt(STATE_OFFSET));
}

/**
 * Initializes a process-shared robust pthread mutex in shared memory (a
 * holder's death makes the next lock return EOWNERDEAD).
 *
 * @param mutex Its address (40 bytes, 8-byte aligned, in a shared mapping).
 */
export function initRobustMutex(mutex: bigint): void {
  const c = libc.symbols;
  const attr = new Uint8Array(8); // pthread_mutexattr_t
  for (
    const [result, call] of [
      [c.pthread_mutexattr_init(attr), "pthread_mutexattr_init"],
      [
        c.pthread_mutexattr_setpshared(attr, 1 /* PTHREAD_PROCESS_SHARED */),
        "pthread_mutexattr_setpshared",
      ],
      [
        c.pthread_mutexattr_setrobust(attr, 1 /* PTHREAD_MUTEX_ROBUST */),
        "pthread_mutexattr_setrobust",
      ],
      [c.pthread_mutex_init(mutex, attr), "pthread_mutex_init"],
    ] as const
  ) {
    if (result !== 0) throw new ErrnoError(result, call);
  }
  c.pthread_mutexattr_destroy(attr);
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
  const { registration, created } = claim("mutex", name, openExisting, initMutex);
  return new PosixMutex(registration, created);
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
  return new PosixMutex(claim("mutex", name, false, null).registration, false);
}

// ---- Semaphore and Event ------------------------------------------------------------

/** Something waitAny/waitAll can take: one futex word that is 0 while not ready. */
abstract class PosixWaitable extends PosixObject implements NativeWaitable {
  /** Takes it if ready. */
  abstract tryTake(): boolean;
  abstract undo(): void;
  get ready(): boolean {
    return Atomics.load(this.words, STATE_INDEX) > 0;
  }
  /** The words to sleep on until it may be ready (a channel reader's waitable has several). */
  get sleepWords(): WatchedWord[] {
    return [{
      address: this.stateAddress,
      expected: 0,
      current: () => Atomics.load(this.words, STATE_INDEX),
    }];
  }
}

class PosixSemaphore extends PosixWaitable implements NativeSemaphore {
  get count(): number {
    return Atomics.load(this.words, STATE_INDEX);
  }
  get max(): number {
    return this.words[STATE_INDEX + 1]!;
  }
  tryTake(): boolean {
    for (;;) {
      const count = Atomics.load(this.words, STATE_INDEX);
      if (count <= 0) return false;
      if (Atomics.compareExchange(this.words, STATE_INDEX, count, count - 1) === count) return true;
    }
  }
  release(count: number): number {
    for (;;) {
      const previous = Atomics.load(this.words, STATE_INDEX);
      if (previous + count > this.max) {
        throw new RangeError(
          `Cannot release semaphore '${this.registration.bare}' by ${count}: the count would exceed its maximum ${this.max}`,
        );
      }
      if (
        Atomics.compareExchange(this.words, STATE_INDEX, previous, previous + count) === previous
      ) {
        wake(this.stateAddress, count);
        return previous;
      }
    }
  }
  undo(): void {
    Atomics.add(this.words, STATE_INDEX, 1);
    wake(this.stateAddress, 1);
  }
}

class PosixEvent extends PosixWaitable implements NativeEvent {
  get manualReset(): boolean {
    return this.words[STATE_INDEX + 1] === 1;
  }
  get isSet(): boolean {
    return Atomics.load(this.words, STATE_INDEX) === 1;
  }
  tryTake(): boolean {
    if (this.manualReset) return Atomics.load(this.words, STATE_INDEX) === 1;
    return Atomics.compareExchange(this.words, STATE_INDEX, 1, 0) === 1;
  }
  set(): void {
    Atomics.store(this.words, STATE_INDEX, 1);
    wake(this.stateAddress, WAKE_ALL);
  }
  reset(): void {
    Atomics.store(this.words, STATE_INDEX, 0);
  }
  undo(): void {
    if (!this.manualReset) this.set();
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
  const { registration, created } = claim("semaphore", name, openExisting, (page) => {
    page.setInt32(STATE_OFFSET, initial, true);
    page.setInt32(STATE_OFFSET + 4, max, true);
  });
  return new PosixSemaphore(registration, created);
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
  return new PosixSemaphore(claim("semaphore", name, false, null).registration, false);
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
  const { registration, created } = claim("event", name, openExisting, (page) => {
    page.setInt32(STATE_OFFSET, initial ? 1 : 0, true);
    page.setInt32(STATE_OFFSET + 4, manualReset ? 1 : 0, true);
  });
  return new PosixEvent(registration, created);
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
  return new PosixEvent(claim("event", name, false, null).registration, false);
}

// ---- Waits ----------------------------------------------------------------------------

/**
 * Waits until one of the objects is signaled and takes it.
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
  const waitables = objects as PosixWaitable[];
  const deadline = deadlineOf(timeoutMs);
  const take = () => waitables.findIndex((object) => object.tryTake());
  const first = take();
  if (first >= 0) return first;
  if (timeoutMs === 0) return -1;
  // Spin first: a peer that answers soon is seen without a parked call's hop.
  const start = performance.now();
  const spun = await spinner.spin(start, () => {
    const index = take();
    if (index >= 0) return index;
    return expired(deadline) ? -1 : undefined;
  }, signal);
  if (spun !== undefined) return spun;
  for (;;) {
    if (expired(deadline)) return -1;
    signal.throwIfAborted();
    // The words' expected values make a set() between the spin's last look and this sleep
    // return at once: futex_waitv does not sleep on a word that no longer holds them.
    await sleepOn(waitables.flatMap((object) => object.sleepWords), deadline, signal);
    const index = take();
    if (index >= 0) {
      spinner.window.observe(performance.now() - start, true);
      return index;
    }
  }
}

/**
 * Waits until every object is signaled and takes them all, or none.
 *
 * Takes the objects one by one and gives back what it took when one is not
 * ready, then sleeps until a missing one changes: all-or-nothing for the
 * caller, but not atomic with respect to other waiters (one may see an
 * object briefly taken).
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
  const waitables = objects as PosixWaitable[];
  const deadline = deadlineOf(timeoutMs);
  for (;;) {
    const taken: PosixWaitable[] = [];
    for (const object of waitables) {
      if (!object.tryTake()) break;
      taken.push(object);
    }
    if (taken.length === waitables.length) return true;
    for (const object of taken) object.undo();
    if (timeoutMs === 0 || expired(deadline)) return false;
    signal.throwIfAborted();
    const missing = waitables.filter((object) => !object.ready);
    if (missing.length > 0) {
      await sleepOn(missing.flatMap((object) => object.sleepWords), deadline, signal);
    }
  }
}
