/**
 * The FFI layer: the only part of ipckit that knows Deno from Bun. Symbol
 * tables are data ({@link SymbolTable}); {@link NativeLibrary} opens them
 * lazily with `Deno.dlopen` or `bun:ffi`; values are neutral (pointers and
 * handles are `bigint`); blocking calls return promises on both runtimes.
 *
 * @example Calling a symbol
 * ```ts
 * import { NativeLibrary } from "./mod.ts";
 * const libc = new NativeLibrary({ linux: "libc.so.6" }, {
 *   getpid: { args: [], returns: "i32" },
 * } as const);
 * if (libc.available) console.log(libc.symbols.getpid());
 * ```
 *
 * @module
 */
export * from "./types.ts";
export * from "./library.ts";
export * from "./memory.ts";
export * from "./strings.ts";
export * from "./struct.ts";
export * from "./callback.ts";
export {
  blockingCallsInFlight,
  collectGarbage,
  type Platform,
  platform,
  runtimeName,
  scriptCommand,
  signalsWakeFast,
  watchSocketInput,
} from "./runtime.ts";
export * from "./thread.ts";
