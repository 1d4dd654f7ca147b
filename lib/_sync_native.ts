// What lib/win32/sync.ts and lib/posix/sync.ts hand back to lib/sync.ts.
// Waits take one AbortSignal (the caller's, the object's close, combined) and
// reject with its reason when it fires; a timeout is a result, not an error.

/** How a lock attempt ended. */
export type LockOutcome = "acquired" | "abandoned";

/** A named mutex; lock ownership is per thread, so the backend tracks which thread holds it. */
export interface NativeMutex {
  readonly osName: string;
  readonly created: boolean;
  /** One attempt on the JavaScript thread. */
  tryLock(): LockOutcome | "busy";
  /** Waits for the lock (off the JavaScript thread when contended); `undefined` timeout waits forever. */
  lock(timeoutMs: number | undefined, signal: AbortSignal): Promise<LockOutcome | "timeout">;
  /** Releases the lock on the thread that holds it. */
  unlock(): void;
  /** Lets go of the object (no wait in flight, not held). */
  close(): void;
}

/** An object waitAny/waitAll can wait on. */
export interface NativeWaitable {
  readonly osName: string;
  readonly created: boolean;
  /** Takes it if it is signaled right now, on the calling thread. */
  tryTake(): boolean;
  /** Gives back what a wait took (a semaphore count, an auto-reset event's signal). */
  undo(): void;
  close(): void;
}

/** A named counting semaphore. */
export interface NativeSemaphore extends NativeWaitable {
  /** @returns The count before the release. */
  release(count: number): number;
  readonly count: number;
  readonly max: number;
}

/** A named event. */
export interface NativeEvent extends NativeWaitable {
  set(): void;
  reset(): void;
  readonly manualReset: boolean;
  readonly isSet: boolean;
}

/** The functions each platform's sync module exports. */
export interface SyncBackend {
  createMutex(name: string, openExisting: boolean): NativeMutex;
  openMutex(name: string): NativeMutex;
  createSemaphore(
    name: string,
    initial: number,
    max: number,
    openExisting: boolean,
  ): NativeSemaphore;
  openSemaphore(name: string): NativeSemaphore;
  createEvent(
    name: string,
    manualReset: boolean,
    initial: boolean,
    openExisting: boolean,
  ): NativeEvent;
  openEvent(name: string): NativeEvent;
  /** @returns The index of the object taken, or -1 on timeout. */
  waitAny(
    objects: NativeWaitable[],
    timeoutMs: number | undefined,
    signal: AbortSignal,
  ): Promise<number>;
  /** @returns Whether every object was taken (false on timeout). */
  waitAll(
    objects: NativeWaitable[],
    timeoutMs: number | undefined,
    signal: AbortSignal,
  ): Promise<boolean>;
}

/** The key of {@link WaitSource}: objects outside lib/sync.ts that waitAny can wait on. */
export const WAIT_SOURCE: unique symbol = Symbol("ipckit.waitSource");

/** One wait on a {@link WaitSource}: its platform waitable, its close signal and the end of the wait. */
export interface LentWaitable {
  readonly native: NativeWaitable;
  /** Fires when the source closes during the wait (the wait then rejects with its reason). */
  readonly closing: AbortSignal;
  /** Ends the wait; the source may release its memory afterwards. */
  leave(): void;
}

/**
 * Something waitAny can wait on besides events and semaphores (a channel
 * reader: ready when a message or the end of its stream is there). Waiting
 * does not take anything: the caller receives afterwards.
 */
export interface WaitSource {
  [WAIT_SOURCE](): LentWaitable;
}
