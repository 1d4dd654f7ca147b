/**
 * The spin/park policy of event, semaphore and `waitAny` waits (the Linux
 * reactor keeps its own fixed 50 µs spin, and the Windows completion port
 * does not spin: docs/ffi.md has the measurements behind that).
 *
 * A wait first looks again on the JavaScript thread for a while (spins),
 * because a parked wait's wake-up costs a hop from another thread to the
 * JavaScript thread (docs/ffi.md has the figures), and only then parks. How
 * long is worth spinning depends on how fast the peer answers, which depends
 * on the machine's load: a fixed window either parks just before a slow
 * peer's answer (paying the hop on every message) or spins in vain on idle
 * waits. So the window adapts to what the waits of its kind saw:
 *
 * - a wait that parked and was answered within `max` anyway parked too
 *   early: the window doubles (up to `max`);
 * - a wait that parked and lasted longer than `max` is an idle wait, which
 *   no spinning would have saved: the window halves (down to `min`), so an
 *   idle process soon spins for `min` per wait and then costs nothing;
 * - a wait answered while spinning leaves it as it is.
 *
 * A {@link Spinner} runs the spins of one kind of wait: one round per
 * macrotask for all of them (other JavaScript work runs in between), and one
 * yield of the CPU per round in which nothing was ready, so a peer on this
 * CPU gets to answer.
 *
 * A {@link BlockWindow} is the other policy: how long the JavaScript thread
 * blocks in the OS wait itself before a wait parks (the Windows completion
 * port, and the Linux reactor under Deno).
 *
 * @module
 */
import { setImmediate } from "node:timers";

/**
 * An adaptive spin window for one kind of wait, in microseconds.
 *
 * @example Adapting to a peer
 * ```ts
 * import { SpinWindow } from "./_spin.ts";
 * const window = new SpinWindow(50, 500);
 * const start = performance.now();
 * // ... the wait spins until window.until(start), then parks ...
 * window.observe(performance.now() - start, true); // parked, answered soon: 100 µs next time
 * ```
 */
export class SpinWindow {
  #window: number;

  /**
   * @param min The shortest window (µs); also the starting one.
   * @param max The longest window (µs); a wait answered later than this counts as idle.
   */
  constructor(readonly min: number, readonly max: number) {
    this.#window = min;
  }

  /** The current window in microseconds. */
  get microseconds(): number {
    return this.#window;
  }

  /**
   * The performance.now() time until which a wait starting at `now` spins.
   *
   * @param now performance.now() at the start of the wait.
   * @returns The time in milliseconds.
   */
  until(now: number): number {
    return now + this.#window / 1000;
  }

  /**
   * Records how a wait ended.
   *
   * @param waitedMs How long it waited in all (ms).
   * @param parked Whether it had to park.
   */
  observe(waitedMs: number, parked: boolean): void {
    if (!parked) return;
    const next = waitedMs * 1000 <= this.max ? this.#window * 2 : this.#window / 2;
    this.#window = Math.min(this.max, Math.max(this.min, next));
  }
}

interface Spin {
  until: number;
  attempt(): unknown;
  resolve(value: unknown): void;
  reject(error: unknown): void;
  signal: AbortSignal;
}

/**
 * Spins waits of one kind on the JavaScript thread, sharing one round per
 * macrotask and one CPU yield per fruitless round.
 *
 * @example Spinning before parking
 * ```ts
 * import { Spinner, SpinWindow } from "./_spin.ts";
 * const spinner = new Spinner(new SpinWindow(50, 500), () => {});
 * let ready = false;
 * setTimeout(() => (ready = true), 0);
 * const start = performance.now();
 * const got = await spinner.spin(start, () => (ready ? "ready" : undefined), new AbortController().signal);
 * // got is "ready" or undefined (the window ended first: park now)
 * ```
 */
export class Spinner {
  #spins: Spin[] = [];
  #scheduled = false;

  /**
   * @param window The spin window of this kind of wait.
   * @param yieldCpu Gives the CPU to another thread (sched_yield, SwitchToThread).
   */
  constructor(readonly window: SpinWindow, readonly yieldCpu: () => void) {}

  /**
   * Retries `attempt` once per macrotask until it returns a value, the
   * window of a wait begun at `start` ends, or `signal` fires. A wait
   * answered here is recorded in the window as not parked.
   *
   * @param start performance.now() when the wait began.
   * @param attempt Returns the wait's result, or undefined while not ready.
   * @param signal Rejects the spin with its reason.
   * @returns The result, or undefined when the window ended first (then park).
   */
  spin<T>(
    start: number,
    attempt: () => T | undefined,
    signal: AbortSignal,
  ): Promise<T | undefined> {
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise<T | undefined>((resolve, reject) => {
      this.#spins.push({
        until: this.window.until(start),
        attempt,
        resolve: (value) => {
          if (value !== undefined) this.window.observe(performance.now() - start, false);
          resolve(value as T | undefined);
        },
        reject,
        signal,
      });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => this.#round());
  }

  #round(): void {
    this.#scheduled = false;
    const round = this.#spins;
    this.#spins = [];
    let answered = false;
    const now = performance.now();
    for (const spin of round) {
      if (spin.signal.aborted) {
        spin.reject(spin.signal.reason);
        continue;
      }
      let value: unknown;
      try {
        value = spin.attempt();
      } catch (error) {
        spin.reject(error);
        continue;
      }
      if (value !== undefined) {
        answered = true;
        spin.resolve(value);
      } else if (now >= spin.until) spin.resolve(undefined);
      else this.#spins.push(spin);
    }
    if (this.#spins.length === 0) return;
    if (!answered) this.yieldCpu();
    this.#schedule();
  }
}

/** The longest the JavaScript thread blocks before a wait parks, in ms. */
export const BLOCK_MAX_MS = 2;
/** A block that timed out this much later than asked points at a coarse OS timer… */
const LATE_BY_MS = 8;
/** …and this many in a row turn blocking off. */
const COARSE_AFTER = 3;

/**
 * How long the JavaScript thread blocks in the OS wait itself (a completion
 * port on Windows, `poll()` on Linux under Deno) before a wait parks off the
 * thread. A parked wait costs a hop back to the JavaScript thread; a block
 * answered in time costs none.
 *
 * Blocking holds the event loop (timers and other I/O of this process wait),
 * so it is worth it only while answers come soon, and the window follows what
 * the waits saw:
 * - a block that got an answer leaves the window as it is;
 * - a wait that parked and was answered within 2 × {@link BLOCK_MAX_MS} of
 *   its start was blocked too briefly: the window grows by 1 ms, up to the
 *   maximum (from 0, a wait answered so soon turns blocking on);
 * - a wait that lasted longer is an idle one: the window drops to 0, so an
 *   idle process blocks once and then parks at once.
 *
 * Blocks that time out much later than asked, three in a row (the OS timer
 * is coarse: 15.6 ms by default on Windows, against about 1 ms under Wine),
 * turn blocking off for the life of the process: a wait would then hold the
 * event loop for a whole timer tick. One late block is only a busy machine.
 *
 * @example
 * ```ts
 * import { BlockWindow } from "./_spin.ts";
 * const window = new BlockWindow();
 * window.ms; // 1
 * window.parkedFor(0.9); // a parked wait answered after 0.9 ms: block longer next time
 * window.ms; // 2
 * ```
 */
export class BlockWindow {
  #ms = 1;
  /** Late time-outs in a row; at COARSE_AFTER blocking stops for good. */
  #late = 0;

  /** The next block's timeout in ms (0: park at once). */
  get ms(): number {
    return this.#late >= COARSE_AFTER ? 0 : this.#ms;
  }

  /**
   * Records a block of `askedMs` that timed out after `tookMs`.
   *
   * @param askedMs The timeout passed.
   * @param tookMs How long the call took.
   */
  timedOut(askedMs: number, tookMs: number): void {
    this.#late = tookMs >= askedMs + LATE_BY_MS ? this.#late + 1 : 0;
  }

  /**
   * Records a wait that had to park, answered `waitedMs` after it began (its block included).
   *
   * @param waitedMs From the start of the wait to the answer.
   */
  parkedFor(waitedMs: number): void {
    this.#ms = waitedMs <= 2 * BLOCK_MAX_MS ? Math.min(BLOCK_MAX_MS, this.#ms + 1) : 0;
  }
}
