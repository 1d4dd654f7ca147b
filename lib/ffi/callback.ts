/**
 * Native function pointers that call JavaScript.
 *
 * @module
 */
import { backend } from "./runtime.ts";
import type { Callback, CallbackDef } from "./types.ts";

/**
 * Makes a native function pointer that calls `fn`. A plain callback must be
 * called on the JavaScript thread (e.g. from a window procedure during a
 * message pump on that thread). A `threadsafe` one may be called from any OS
 * thread: the call is queued to the event loop, and its result is ignored,
 * so its `returns` must be `"void"`.
 *
 * @param def The native signature.
 * @param fn The JavaScript function.
 * @param options `threadsafe` for calls from other threads.
 * @returns The callback; `close()` it when native code can no longer call it.
 * @example A WAITORTIMERCALLBACK
 * ```ts
 * import { callback } from "./callback.ts";
 * const onSignal = callback({ args: ["pointer", "u8"], returns: "void" }, () => {
 *   console.log("signalled");
 * }, { threadsafe: true });
 * onSignal.close();
 * ```
 */
export function callback(
  def: CallbackDef,
  // The callback's parameters are typed by its caller to match `def` (a window procedure takes
  // bigints, say); `unknown[]` would refuse every such function.
  // deno-lint-ignore no-explicit-any
  fn: (...args: any[]) => unknown,
  options: { threadsafe?: boolean } = {},
): Callback {
  if (options.threadsafe && def.returns !== "void") {
    throw new TypeError(
      "A threadsafe callback must return void: its result cannot reach the caller",
    );
  }
  return backend.callback(def, fn, options.threadsafe ?? false);
}
