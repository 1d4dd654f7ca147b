/**
 * The options every waiting call shares (docs/api.md, "Waiting, timeouts
 * and cancellation"): `timeout` rejects with TimeoutError, `signal` rejects
 * with its reason. A call turns both into one AbortSignal whose reason is
 * what the call rejects with, so the code below it knows one way to stop.
 *
 * @module
 */
import { TimeoutError } from "./errors.ts";

/** The options of a call that can wait. */
export interface WaitOptions {
  /** Milliseconds to wait (0: just try; default: forever unless the call says otherwise); then the call rejects with TimeoutError. */
  readonly timeout?: number;
  /** Ends the wait early; the call rejects with the signal's reason. */
  readonly signal?: AbortSignal;
}

/**
 * Checks a timeout option.
 *
 * @param timeout The option's value.
 * @param what What waits, for the message ("lock mutex 'm'").
 * @returns The milliseconds, or undefined for forever.
 * @throws RangeError for a negative, NaN or non-number timeout.
 * @example
 * ```ts
 * import { checkTimeout } from "./_options.ts";
 * console.assert(checkTimeout(Infinity, "wait") === undefined);
 * ```
 */
export function checkTimeout(timeout: unknown, what: string): number | undefined {
  if (timeout === undefined || timeout === Infinity) return undefined;
  if (typeof timeout !== "number" || Number.isNaN(timeout) || timeout < 0) {
    throw new RangeError(
      `Cannot ${what} with a timeout of ${String(timeout)} ms: it must be a number >= 0`,
    );
  }
  return timeout;
}

/**
 * Runs a waiting call under one signal that fires on the caller's abort
 * (its reason) or when `timeout` passes (a TimeoutError naming `what`).
 * `run` must stop when the signal fires and reject with its reason.
 *
 * @param options The caller's `timeout` and `signal`.
 * @param what What waits, for messages ("accept on pipe 'jobs'").
 * @param run The call.
 * @param defaultTimeout The timeout when the caller gives none.
 * @returns What `run` returns.
 * @example
 * ```ts
 * import { withDeadline } from "./_options.ts";
 * await withDeadline({ timeout: 10 }, "wait", (signal) =>
 *   new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason)))
 * ).catch((error) => console.assert(error.name === "TimeoutError"));
 * ```
 */
export async function withDeadline<T>(
  options: WaitOptions,
  what: string,
  run: (signal: AbortSignal) => Promise<T>,
  defaultTimeout = Infinity,
): Promise<T> {
  const timeout = checkTimeout(options.timeout ?? defaultTimeout, what);
  const user = options.signal;
  user?.throwIfAborted();
  const controller = new AbortController();
  const onAbort = () => controller.abort(user!.reason);
  user?.addEventListener("abort", onAbort);
  const timer = timeout === undefined ? undefined : setTimeout(
    () => controller.abort(new TimeoutError(`Cannot ${what}: timed out after ${timeout} ms`)),
    timeout,
  );
  try {
    return await run(controller.signal);
  } finally {
    clearTimeout(timer);
    user?.removeEventListener("abort", onAbort);
  }
}

/**
 * Settles with `promise`, or rejects with the signal's reason as soon as it
 * fires (then `onAbort` runs, to undo or cancel what the promise stands for).
 *
 * @param promise The operation.
 * @param signal Ends the wait.
 * @param onAbort Cleanup after an abort.
 * @returns What the promise resolves to.
 * @example
 * ```ts
 * import { abortable } from "./_options.ts";
 * const controller = new AbortController();
 * const waiting = abortable(new Promise(() => {}), controller.signal);
 * controller.abort();
 * await waiting.catch((error) => console.assert(error.name === "AbortError"));
 * ```
 */
export function abortable<T>(
  promise: Promise<T>,
  signal: AbortSignal,
  onAbort?: () => void,
): Promise<T> {
  if (signal.aborted) {
    onAbort?.();
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const aborted = () => {
      onAbort?.();
      reject(signal.reason);
    };
    signal.addEventListener("abort", aborted, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", aborted);
        resolve(value);
      },
      (error) => {
        signal.removeEventListener("abort", aborted);
        reject(error);
      },
    );
  });
}

/**
 * Resolves after `ms`, or rejects with the signal's reason as soon as it
 * fires (the timer is cleared).
 *
 * @param ms Milliseconds.
 * @param signal Ends the pause early.
 * @returns Resolves after the pause.
 * @example
 * ```ts
 * import { delay } from "./_options.ts";
 * await delay(1);
 * ```
 */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  if (!signal) return new Promise((resolve) => setTimeout(resolve, ms));
  let timer: ReturnType<typeof setTimeout> | undefined;
  return abortable(
    new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))),
    signal,
    () => clearTimeout(timer),
  );
}
