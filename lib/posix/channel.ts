/**
 * The Linux side of lib/channel.ts. Role locks are process-shared robust
 * pthread mutexes inside the channel's own mapping (a dead holder's lock
 * turns EOWNERDEAD, and the kernel wakes one waiter on its word), so a
 * channel needs no OS object besides its shared memory. Sleeps share the
 * process's parked futex_waitv calls (lib/posix/sync.ts): a reader sleeps on
 * the head word and on the writer's lock word, a blocked writer on the space
 * word and on its readers' lock words, with the waiters bit set so that a
 * holder's death wakes the sleeper.
 *
 * On Bun a sleep that parked there costs a worker's wake-up and its hop back
 * to the JavaScript thread. So on Bun's main thread an end also sleeps by
 * signal, as the reactor's socket reads do: it announces SLEEPS.bySignal
 * too, and the other end also sends it tgkill(pid, pid, SIGURG) (whose
 * default action is to ignore it), which Bun's own event loop delivers in
 * one wake-up; whichever arrives first ends the sleep. The parked futex wait
 * stays: it watches the holders' deaths. The waker signals a pid only while that
 * role's lock holds it as owner: a dead end's lock is marked owner-died by
 * the kernel before its pid can be reused. The reactor's descriptors signal SIGURG too: one of theirs
 * only makes each sleep here look at its words, and one of ours costs a
 * parked pipe read at most a failed read (lib/posix/reactor.ts).
 *
 * @module
 */
import process from "node:process";
import { setImmediate, setInterval } from "node:timers";
import { isMainThread } from "node:worker_threads";
import type { ChannelAddresses, ChannelPort, RoleClaim } from "../_channel_native.ts";
import { SLEEPS, WRITER_ROLE } from "../_channel_native.ts";
import { signalsWakeFast } from "../ffi/mod.ts";
import type { NativeWaitable } from "../_sync_native.ts";
import { ERRNO, ErrnoError } from "./error.ts";
import { libc } from "./libc.ts";
import {
  deadlineOf,
  FUTEX_WAITERS,
  initRobustMutex,
  sleepOn,
  wake,
  WAKE_ALL,
  type WatchedWord,
} from "./sync.ts";

/** The owner's thread id in a robust mutex word (the rest are the waiters and owner-died bits). */
const TID_MASK = 0x3fffffff;
const SYS_SCHED_YIELD = 24n; // x86-64
const SIGURG = 23n;
const SYS_TGKILL = 234n; // x86-64
/**
 * Whether ends of this thread sleep by signal: Bun's main thread (its loop
 * delivers signals; a worker's does not, and Deno's wakes slower than its
 * FFI pool returns: docs/ffi.md).
 */
const BY_SIGNAL = signalsWakeFast() && isMainThread;

// ---- Sleeping by signal --------------------------------------------------------------

/** A sleep by signal: it ends once one of `words` no longer holds its expected value. */
interface SignalSleep {
  readonly words: readonly WatchedWord[];
  finish(): void;
}

const signalSleeps = new Set<SignalSleep>();
let listening = false;
/** Keeps the process alive while an end sleeps by signal, as a parked call would (a listener does not). */
let keepAlive: ReturnType<typeof setInterval> | null = null;

/** A SIGURG (ours, or a reactor descriptor's): every sleep whose word changed ends. */
function checkSignalSleeps(): void {
  for (const sleep of signalSleeps) {
    if (sleep.words.some((word) => word.current() !== word.expected)) sleep.finish();
  }
}

function keepAliveWhileSleeping(): void {
  if (signalSleeps.size > 0) (keepAlive ??= setInterval(() => {}, 2 ** 31 - 1)).ref();
  else keepAlive?.unref();
}

/**
 * The parked futex wait of a sleep by signal. It outlives its sleeps by one
 * macrotask, so the next sleep on the same words reuses it and waking it
 * (which preempted the woken JavaScript thread on a busy machine) happens
 * after the woken caller has run.
 */
interface ParkedWatch {
  readonly controller: AbortController;
  readonly sleeps: Set<SignalSleep>;
  endScheduled: boolean;
}

/** Parked waits by their words and expected values. */
const parkedWatches = new Map<string, ParkedWatch>();

function watchWords(parked: readonly WatchedWord[], sleep: SignalSleep): ParkedWatch {
  const key = parked.map((word) => `${word.address}:${word.expected}`).join(",");
  let watch = parkedWatches.get(key);
  if (!watch) {
    const created: ParkedWatch = {
      controller: new AbortController(),
      sleeps: new Set(),
      endScheduled: false,
    };
    parkedWatches.set(key, watch = created);
    void sleepOn(parked, undefined, created.controller.signal).then(() => {
      if (parkedWatches.get(key) === created) parkedWatches.delete(key);
      for (const woken of created.sleeps) woken.finish();
    });
  }
  watch.sleeps.add(sleep);
  return watch;
}

function unwatchWords(watch: ParkedWatch, sleep: SignalSleep): void {
  watch.sleeps.delete(sleep);
  if (watch.sleeps.size > 0 || watch.endScheduled) return;
  watch.endScheduled = true;
  setImmediate(() => {
    watch.endScheduled = false;
    if (watch.sleeps.size > 0) return;
    for (const [key, value] of parkedWatches) if (value === watch) parkedWatches.delete(key);
    watch.controller.abort();
  });
}

/**
 * Sleeps until a signal finds one of `words` changed, a futex wait on
 * `parked` returns, the timeout passes or `signal` fires.
 */
function sleepBySignal(
  words: readonly WatchedWord[],
  parked: readonly WatchedWord[],
  timeoutMs: number | undefined,
  signal: AbortSignal,
): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  if (!listening) {
    process.on("SIGURG", checkSignalSleeps);
    listening = true;
  }
  return new Promise((resolve) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let watch: ParkedWatch | null = null;
    const sleep: SignalSleep = {
      words,
      finish() {
        if (!signalSleeps.delete(sleep)) return;
        clearTimeout(timer);
        signal.removeEventListener("abort", sleep.finish);
        if (watch) unwatchWords(watch, sleep);
        keepAliveWhileSleeping();
        resolve();
      },
    };
    signalSleeps.add(sleep);
    keepAliveWhileSleeping();
    signal.addEventListener("abort", sleep.finish);
    if (timeoutMs !== undefined) {
      timer = setTimeout(sleep.finish, Math.max(0, Math.ceil(timeoutMs)));
    }
    watch = watchWords(parked, sleep);
    // A word that changed since the caller read it: its signal may have come and gone.
    if (words.some((word) => word.current() !== word.expected)) sleep.finish();
  });
}

let pid = 0;
function ownPid(): number {
  return (pid ||= libc.symbols.getpid());
}

/**
 * Initializes the role locks of a new channel.
 *
 * @param addresses The channel's words.
 * @param readers How many reader roles.
 * @example Initializing
 * ```ts
 * import { initChannelLocks } from "./channel.ts";
 * // initChannelLocks(addresses, 16);
 * ```
 */
export function initChannelLocks(addresses: ChannelAddresses, readers: number): void {
  for (let role = WRITER_ROLE; role < readers; role++) {
    initRobustMutex(addresses.base + BigInt(addresses.lockOffset(role)));
  }
}

/**
 * The OS side of one endpoint of a channel.
 *
 * @param addresses The channel's words.
 * @returns The port.
 * @example Opening a port
 * ```ts
 * import { channelPort } from "./channel.ts";
 * // const port = channelPort(addresses);
 * ```
 */
export function channelPort(addresses: ChannelAddresses): ChannelPort {
  return new PosixChannelPort(addresses);
}

class PosixChannelPort implements ChannelPort {
  /** Set once the mapping is about to go: a death watch returning later must not read it. */
  #closed = false;

  constructor(readonly a: ChannelAddresses) {}

  /** The tid of `role`'s lock holder (0: free, or its holder died). */
  #holder(role: number): number {
    return Atomics.load(this.a.words, this.a.lockOffset(role) / 4) & TID_MASK;
  }

  #lock(role: number): bigint {
    return this.a.base + BigInt(this.a.lockOffset(role));
  }

  claim(role: number): RoleClaim {
    const lock = this.#lock(role);
    const result = libc.symbols.pthread_mutex_trylock(lock);
    if (result === ERRNO.EBUSY) return "busy";
    if (result === ERRNO.EOWNERDEAD) {
      libc.symbols.pthread_mutex_consistent(lock);
      return "abandoned";
    }
    if (result !== 0) throw new ErrnoError(result, "pthread_mutex_trylock");
    return "acquired";
  }

  unclaim(role: number): void {
    const result = libc.symbols.pthread_mutex_unlock(this.#lock(role));
    if (result !== 0) throw new ErrnoError(result, "pthread_mutex_unlock");
  }

  held(role: number): boolean {
    const claim = this.claim(role);
    if (claim === "busy") return true;
    this.unclaim(role);
    return false;
  }

  /** The lock word of `role` with the waiters bit set, or null when nobody holds it. */
  #lockWord(role: number): WatchedWord | null {
    const words = this.a.words;
    const index = this.a.lockOffset(role) / 4; // the mutex word is the first of pthread_mutex_t
    for (;;) {
      let value = Atomics.load(words, index);
      if ((value & TID_MASK) === 0) return null;
      if ((value & FUTEX_WAITERS) === 0) {
        const wanted = value | FUTEX_WAITERS;
        if (Atomics.compareExchange(words, index, value, wanted) !== value) continue;
        value = wanted;
      }
      return {
        address: this.#lock(role),
        expected: value,
        current: () => (this.#closed ? ~value : Atomics.load(words, index)),
      };
    }
  }

  #word(offset: number, expected: number): WatchedWord {
    const words = this.a.words;
    const word: WatchedWord = {
      address: this.a.base + BigInt(offset),
      expected,
      // A parked wait may return after close: the mapping is gone, the word counts as changed.
      current: () => (this.#closed ? ~word.expected : Atomics.load(words, offset / 4)),
    };
    return word;
  }

  sleepMark(role: number): number {
    // The waker checks the pid against this lock's holder: only a thread whose tid is its pid passes.
    return BY_SIGNAL && this.#holder(role) === ownPid()
      ? SLEEPS.onWord | SLEEPS.bySignal
      : SLEEPS.onWord;
  }

  sleepReader(
    reader: number,
    expectedHead: number,
    expectedWake: number,
    expectedState: number,
    writerPid: number,
    timeoutMs: number | undefined,
    signal: AbortSignal,
  ): Promise<void> {
    const head = this.#word(this.a.headOffset, expectedHead);
    // The commit that takes the announcement changes this word before it wakes (lib/channel.ts).
    const announced = this.#word(this.a.wakeReadersOffset, expectedWake);
    const deaths: WatchedWord[] = [];
    if (writerPid !== 0) {
      // The writer is attached: sleep on its lock too, so its death wakes us. A lock with no
      // owner means it died since the caller looked: return, and the caller looks again.
      const writer = this.#lockWord(WRITER_ROLE);
      if (!writer) return Promise.resolve();
      deaths.push(writer);
    }
    if (this.sleepMark(reader) & SLEEPS.bySignal) {
      // A writer that attaches or closes signals too, and changes the state word.
      const state = this.#word(this.a.writerStateOffset, expectedState);
      return sleepBySignal(
        [head, announced, state],
        [head, announced, ...deaths],
        timeoutMs,
        signal,
      );
    }
    return sleepOn([head, announced, ...deaths], deadlineOf(timeoutMs), signal);
  }

  wakeReaders(): void {
    wake(this.a.base + BigInt(this.a.headOffset), WAKE_ALL);
  }

  signal(role: number, pid: number): void {
    if (pid === 0 || this.#holder(role) !== pid) return; // that end died: nobody to wake
    // An end of this thread is woken here; one of this process's main thread from a worker too
    // needs the signal (the worker has its own module state).
    if (pid === ownPid() && BY_SIGNAL) checkSignalSleeps();
    // To that main thread (its tid is its pid): a signal to the process goes to another thread
    // when the main one has a signal pending, and a worker's runtime would take it.
    else libc.symbols.syscall(SYS_TGKILL, BigInt(pid), BigInt(pid), SIGURG, 0n, 0n, 0n);
  }

  sleepWriter(
    expectedSpace: number,
    readers: readonly { index: number; pid: number }[],
    timeoutMs: number | undefined,
    signal: AbortSignal,
  ): Promise<void> {
    const space = this.#word(this.a.spaceOffset, expectedSpace);
    const deaths: WatchedWord[] = [];
    for (const reader of readers) {
      const word = this.#lockWord(reader.index);
      // A reader with no lock owner died since the caller looked: return so it is reclaimed.
      if (!word) return Promise.resolve();
      deaths.push(word);
    }
    if (this.sleepMark(WRITER_ROLE) & SLEEPS.bySignal) {
      return sleepBySignal([space], [space, ...deaths], timeoutMs, signal);
    }
    return sleepOn([space, ...deaths], deadlineOf(timeoutMs), signal);
  }

  waitable(_reader: number, announce: () => void, ready: () => boolean): NativeWaitable {
    // lib/posix/sync.ts's waitAny calls tryTake(), then sleeps on `sleepWords` while they hold `expected`.
    const head = this.#word(this.a.headOffset, 0);
    // As in lib/channel.ts's sleep: a commit that takes the announcement turns this word to 0,
    // and one that closes changes the state, before they wake (maybe before this wait parks).
    const announced = this.#word(this.a.wakeReadersOffset, 0);
    const state = this.#word(this.a.writerStateOffset, 0);
    const words = [head, announced, state];
    return {
      osName: "channel",
      created: false,
      tryTake() {
        // Before looking: a commit after this changes a word. An announcement taken meanwhile is
        // made again (each time, a commit was there to take it).
        do {
          announce();
          for (const word of words) word.expected = word.current();
        } while (announced.expected === 0);
        return ready();
      },
      undo() {},
      close() {},
      get ready() {
        return ready();
      },
      get sleepWords() {
        return words;
      },
    } as NativeWaitable;
  }

  yieldCpu(): void {
    libc.symbols.syscall(SYS_SCHED_YIELD, 0n, 0n, 0n, 0n, 0n, 0n);
  }

  wakeWriter(pid: number): void {
    Atomics.add(this.a.words, this.a.spaceOffset / 4, 1);
    if (pid !== 0) this.signal(WRITER_ROLE, pid);
    wake(this.a.base + BigInt(this.a.spaceOffset), WAKE_ALL);
  }

  close(): void {
    this.#closed = true;
  }
}
