/**
 * Cleanup that closes several things: it closes all of them, then reports
 * every failure together (docs/api.md, "Closing"). Stopping at the first
 * failure would leak everything after it.
 *
 * @module
 */

/** Something cleanup can close: a disposable, or a function that closes it. */
export type Closer =
  | Disposable
  | AsyncDisposable
  | (() => unknown)
  | null
  | undefined;

/**
 * Closes every item in order (awaiting each), whatever fails on the way.
 *
 * @param items What to close, in order (null and undefined are skipped).
 * @param what What is being closed, for the error message.
 * @returns Resolves when all are closed.
 * @throws AggregateError with every failure, when at least one failed.
 * @example Closing two things
 * ```ts
 * import { closeAll } from "./_cleanup.ts";
 * const log: string[] = [];
 * try {
 *   await closeAll([() => log.push("a"), () => { throw new Error("b failed"); }, () => log.push("c")], "the test");
 * } catch (error) {
 *   console.assert(error instanceof AggregateError && error.errors.length === 1);
 * }
 * console.assert(log.join() === "a,c");
 * ```
 */
export async function closeAll(items: Iterable<Closer>, what: string): Promise<void> {
  const errors: unknown[] = [];
  for (const item of items) {
    if (item === null || item === undefined) continue;
    try {
      if (typeof item === "function") await item();
      else if (Symbol.asyncDispose in item) await item[Symbol.asyncDispose]();
      else item[Symbol.dispose]();
    } catch (error) {
      errors.push(error);
    }
  }
  if (errors.length > 0) {
    throw new AggregateError(
      errors,
      `Cannot close ${what} cleanly: ${errors.length} ${
        errors.length === 1 ? "step" : "steps"
      } failed (${errors.map((e) => (e as Error)?.message ?? String(e)).join("; ")})`,
    );
  }
}

/**
 * Cleanup on an error path: closes every item, then throws `error`; when
 * closing failed too, throws a SuppressedError carrying both (as `using`
 * does).
 *
 * @param error The error already in flight.
 * @param items What to close, in order.
 * @param what What is being closed, for the message.
 * @returns Never; always throws.
 * @example Releasing what a failed start created
 * ```ts
 * import { closeAfter } from "./_cleanup.ts";
 * try {
 *   await closeAfter(new Error("start failed"), [() => {}], "the partial start");
 * } catch (error) {
 *   console.assert((error as Error).message === "start failed");
 * }
 * ```
 */
export async function closeAfter(
  error: unknown,
  items: Iterable<Closer>,
  what: string,
): Promise<never> {
  try {
    await closeAll(items, what);
  } catch (cleanup) {
    throw suppressed(
      cleanup,
      error,
      `${(error as Error)?.message ?? String(error)}; then ${(cleanup as Error).message}`,
    );
  }
  throw error;
}

/** Node 20 (where the unit tests run) has no SuppressedError; Deno and Bun do. */
function suppressed(error: unknown, suppressedError: unknown, message: string): Error {
  if (typeof SuppressedError === "function") {
    return new SuppressedError(error, suppressedError, message);
  }
  return Object.assign(new Error(message, { cause: suppressedError }), {
    name: "SuppressedError",
    error,
    suppressed: suppressedError,
  });
}
