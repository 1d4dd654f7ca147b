/**
 * The spin/park policy of event, semaphore and `waitAny` waits (the Linux
 * reactor and the Windows completion port keep their own fixed windows:
 * docs/ffi.md has the measurements behind that).
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
