/**
 * Many waits sharing few parked OS waits: the part that does not depend on
 * the OS. A watcher parks one blocking call (off the JavaScript thread) over
 * up to `capacity` objects plus a wake object, for every wait of the process
 * that wants them. One parked call per wait would hold one thread each, and
 * Deno runs its `nonblocking` calls on a small pool: a few dozen concurrent
 * waits would exhaust it and stall every other blocking call.
 *
 * lib/win32/sync.ts and lib/posix/sync.ts supply the parked call, the wake
 * and what a return means; this module keeps which watcher holds which
 * object, which waits want it, and when a finished wait may settle.
 *
 * @module
 */

/** A wait in progress, as the watchers see it. */
export interface SharedWait {
  /** The watchers holding at least one of its objects (filled in by {@link registerWait}). */
  readonly watchers: Set<SharedWatcher<unknown, SharedWait>>;
  /** Ends the wait with an error (the parked call itself failed). */
  fail(error: unknown): void;
}

/** An object a watcher holds, and the waits that want it, first come first served. */
export interface Watched<Item, W extends SharedWait> {
  readonly item: Item;
  readonly waits: W[];
}

/** One parked OS wait shared by many waits; subclasses make the call. */
export abstract class SharedWatcher<Item, W extends SharedWait> {
  /** The objects held, by key (a handle, an address); insertion order is wait order. */
  readonly watched: Map<unknown, Watched<Item, W>> = new Map();
  #running = false;
  /** Resolves when the parked call returns; null while none is parked. */
  #parked: Promise<void> | null = null;

  /** @param capacity How many objects one parked call takes, besides the wake object. */
  constructor(readonly capacity: number) {}

  /** Parks one OS wait over `entries` plus the wake object; resolves with its result. */
  protected abstract park(entries: Watched<Item, W>[]): Promise<number>;
  /** Makes the parked call return early. */
  protected abstract wake(): void;
  /** Acts on what the parked call over `entries` returned. */
  protected abstract returned(result: number, entries: Watched<Item, W>[]): void;

  /** The promise of the parked call's return, or null when none is parked. */
  get parked(): Promise<void> | null {
    return this.#parked;
  }

  /** The set changed: start waiting, or wake the parked call so it restarts with the new set. */
  changed(): void {
    if (this.#parked) this.wake();
    else if (!this.#running) void this.#loop();
  }

  async #loop(): Promise<void> {
    this.#running = true;
    try {
      while (this.watched.size > 0) {
        const entries = [...this.watched.values()];
        let returned = () => {};
        this.#parked = new Promise((resolve) => (returned = resolve));
        let result: number;
        try {
          result = await this.park(entries);
        } finally {
          this.#parked = null;
          returned();
        }
        this.returned(result, entries);
      }
    } catch (error) {
      // The wait could not be made at all: fail every wait rather than leave it hanging.
      for (const entry of [...this.watched.values()]) {
        for (const wait of [...entry.waits]) wait.fail(error);
      }
    } finally {
      this.#running = false;
    }
  }
}

/**
 * Adds a wait for some objects to a pool of watchers: an object already
 * held is shared, a new one goes to a watcher with room (or a new watcher).
 *
 * @param pool The watchers of this kind in this process.
 * @param create Makes a watcher when every one is full.
 * @param wait The wait.
 * @param objects Each object's key and a function making its item (called only when new).
 * @example
 * ```ts
 * import { registerWait } from "./_shared_wait.ts";
 * // registerWait(watchers, () => new MyWatcher(), wait, objects.map((o) => [o.handle, () => o]));
 * ```
 */
export function registerWait<Item, W extends SharedWait>(
  pool: SharedWatcher<Item, W>[],
  create: () => SharedWatcher<Item, W>,
  wait: W,
  objects: Iterable<readonly [key: unknown, item: () => Item]>,
): void {
  for (const [key, item] of objects) {
    let watcher = pool.find((w) => w.watched.has(key)) ??
      pool.find((w) => w.watched.size < w.capacity);
    if (!watcher) pool.push(watcher = create());
    let entry = watcher.watched.get(key);
    if (!entry) watcher.watched.set(key, entry = { item: item(), waits: [] });
    if (!entry.waits.includes(wait)) entry.waits.push(wait);
    wait.watchers.add(watcher);
  }
  for (const watcher of wait.watchers) watcher.changed();
}

/**
 * Removes a wait from its watchers and calls `settle` once every call that
 * was parked on its objects has returned (at once when none was), so the
 * caller may close or unmap the objects as soon as the wait has settled.
 *
 * @param wait The wait.
 * @param settle Resolves or rejects the wait's promise.
 * @example
 * ```ts
 * import { unregisterWait } from "./_shared_wait.ts";
 * // unregisterWait(wait, () => resolve(index));
 * ```
 */
export function unregisterWait(wait: SharedWait, settle: () => void): void {
  const parked: Promise<void>[] = [];
  for (const watcher of wait.watchers) {
    for (const [key, entry] of watcher.watched) {
      const i = entry.waits.indexOf(wait);
      if (i >= 0) entry.waits.splice(i, 1);
      if (entry.waits.length === 0) watcher.watched.delete(key);
    }
    const call = watcher.parked;
    if (call) {
      parked.push(call);
      watcher.changed();
    }
  }
  if (parked.length > 0) void Promise.all(parked).then(settle);
  else settle();
}
