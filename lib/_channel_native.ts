// What lib/posix/channel.ts and lib/win32/channel.ts hand back to
// lib/channel.ts: the role locks that tell a live endpoint from a dead one,
// and the sleeps and wakes around the ring. The ring itself is plain
// Atomics on the mapping and lives in lib/channel.ts.
import type { NativeWaitable } from "./_sync_native.ts";

/** The writer's role number; readers are 0..maxReaders-1. */
export const WRITER_ROLE = -1;

/** How an end sleeps (bits), as it announces it in its `sleeping` field and in `wakeReaders`/`wakeWriter`. */
export const SLEEPS = {
  /** On the head or space futex (Linux) or its wake event (Windows): wake it with those. */
  onWord: 1,
  /** Also until its main thread gets SIGURG (Linux on Bun): wake it with that too, it comes sooner. */
  bySignal: 2,
} as const;

/** How taking a role lock went. */
export type RoleClaim = "acquired" | "abandoned" | "busy";

/** Where the OS parts find the channel's shared words. */
export interface ChannelAddresses {
  /** The mapping's first byte. */
  readonly base: bigint;
  /** Every 32-bit word of the mapping, for Atomics. */
  readonly words: Int32Array;
  /** Byte offset of the published-messages counter (readers sleep on it). */
  readonly headOffset: number;
  /** Byte offset of the readers' sleep announcements (a commit that takes them changes it to 0). */
  readonly wakeReadersOffset: number;
  /** Byte offset of the space counter (a blocked writer sleeps on it). */
  readonly spaceOffset: number;
  /** Byte offset of the writer state (it changes when a writer attaches, closes or dies). */
  readonly writerStateOffset: number;
  /** Byte offset of a role's 64-byte lock area (Linux keeps a robust mutex there). */
  lockOffset(role: number): number;
}

/** The OS side of one open channel endpoint. */
export interface ChannelPort {
  /** Takes a role lock for this process; it is held until {@link unclaim} or death. */
  claim(role: number): RoleClaim;
  /** Lets go of a role lock this process holds. */
  unclaim(role: number): void;
  /** Whether another process holds `role` right now (a dead holder's lock is left free). */
  held(role: number): boolean;
  /**
   * How `role` of this process sleeps ({@link SLEEPS}), to announce before
   * {@link sleepReader} or {@link sleepWriter}.
   */
  sleepMark(role: number): number;
  /**
   * Sleeps until the head may differ from `expectedHead`, the announcements
   * (wakeReaders) from `expectedWake`, the writer state from
   * `expectedState`, the writer (pid `writerPid`, 0 for none) may have
   * died, the timeout passes or the signal fires. Never rejects: the caller
   * looks again.
   */
  sleepReader(
    reader: number,
    expectedHead: number,
    expectedWake: number,
    expectedState: number,
    writerPid: number,
    timeoutMs: number | undefined,
    signal: AbortSignal,
  ): Promise<void>;
  /** Wakes readers sleeping on the word (their numbers; Linux wakes every such sleeper at once). */
  wakeReaders(readers: readonly number[]): void;
  /**
   * Wakes the end holding `role` in process `pid`, which sleeps by signal
   * (SLEEPS.bySignal), unless that role's lock shows the end died.
   */
  signal(role: number, pid: number): void;
  /**
   * Sleeps until the space counter may differ from `expectedSpace`, one of
   * `readers` (number and pid) may have died, the timeout passes or the signal fires.
   */
  sleepWriter(
    expectedSpace: number,
    readers: readonly { index: number; pid: number }[],
    timeoutMs: number | undefined,
    signal: AbortSignal,
  ): Promise<void>;
  /**
   * What waitAny waits on for reader `reader`: `announce` asks the writer for
   * a wake, `ready` says whether a message (or the end of the stream) is there.
   */
  waitable(reader: number, announce: () => void, ready: () => boolean): NativeWaitable;
  /** Gives the CPU to another runnable thread, if any (sched_yield, SwitchToThread). */
  yieldCpu(): void;
  /**
   * Wakes a writer sleeping in {@link sleepWriter}: on the space word, and
   * by signal too when `pid` (its process) is not 0.
   */
  wakeWriter(pid: number): void;
  /** Lets go of the port's OS objects (no sleep in flight). */
  close(): void;
}
