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
 * @module
 */
import type { ChannelAddresses, ChannelPort, RoleClaim } from "../_channel_native.ts";
import { WRITER_ROLE } from "../_channel_native.ts";
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
  constructor(readonly a: ChannelAddresses) {}

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
        current: () => Atomics.load(words, index),
      };
    }
  }

  #word(offset: number, expected: number): WatchedWord {
    const words = this.a.words;
    return {
      address: this.a.base + BigInt(offset),
      expected,
      current: () => Atomics.load(words, offset / 4),
    };
  }

  sleepReader(
    _reader: number,
    expectedHead: number,
    writerPid: number,
    timeoutMs: number | undefined,
    signal: AbortSignal,
  ): Promise<void> {
    const words = [this.#word(this.a.headOffset, expectedHead)];
    if (writerPid !== 0) {
      // The writer is attached: sleep on its lock too, so its death wakes us. A lock with no
      // owner means it died since the caller looked: return, and the caller looks again.
      const writer = this.#lockWord(WRITER_ROLE);
      if (!writer) return Promise.resolve();
      words.push(writer);
    }
    return sleepOn(words, deadlineOf(timeoutMs), signal);
  }

  wakeReaders(): void {
    wake(this.a.base + BigInt(this.a.headOffset), WAKE_ALL);
  }

  sleepWriter(
    expectedSpace: number,
    readers: readonly { index: number; pid: number }[],
    timeoutMs: number | undefined,
    signal: AbortSignal,
  ): Promise<void> {
    const words = [this.#word(this.a.spaceOffset, expectedSpace)];
    for (const reader of readers) {
      const word = this.#lockWord(reader.index);
      // A reader with no lock owner died since the caller looked: return so it is reclaimed.
      if (!word) return Promise.resolve();
      words.push(word);
    }
    return sleepOn(words, deadlineOf(timeoutMs), signal);
  }

  waitable(_reader: number, announce: () => void, ready: () => boolean): NativeWaitable {
    // lib/posix/sync.ts's waitAny calls tryTake(), then sleeps on `word` while it holds `expected`.
    const head = this.#word(this.a.headOffset, 0);
    return {
      osName: "channel",
      created: false,
      tryTake() {
        announce();
        head.expected = head.current(); // before looking: a commit after this changes the word
        return ready();
      },
      undo() {},
      close() {},
      get ready() {
        return ready();
      },
      get word() {
        return head;
      },
    } as NativeWaitable;
  }

  yieldCpu(): void {
    libc.symbols.syscall(SYS_SCHED_YIELD, 0n, 0n, 0n, 0n, 0n, 0n);
  }

  wakeWriter(): void {
    Atomics.add(this.a.words, this.a.spaceOffset / 4, 1);
    wake(this.a.base + BigInt(this.a.spaceOffset), WAKE_ALL);
  }

  close(): void {}
}
