/**
 * COM automation (Windows): drive COM objects through IDispatch from
 * JavaScript. On other OSes every entry point throws
 * `UnsupportedPlatformError` naming the platform.
 *
 * Client: {@link ComObject.create} (a ProgID or CLSID, in-process or a local
 * server), {@link ComObject.open} (a running object by class, or a moniker),
 * then `get`/`set`/`call`/`invoke` and `for…of` over collections. Values
 * cross as VARIANTs (see the table in docs/mechanisms.md, "COM"); a failing
 * call throws {@link ComError}. Calls run synchronously on the calling
 * thread, which becomes a single-threaded apartment (STA) on first use.
 *
 * @example Driving Scripting.Dictionary
 * ```ts
 * import { ComObject } from "./com.ts";
 * if (Deno.build.os === "windows") {
 *   using dict = ComObject.create({ name: "Scripting.Dictionary" });
 *   dict.call("Add", "answer", 42);
 *   console.log(dict.get("Item", "answer"), dict.get("Count")); // 42 1
 *   for (const key of dict) console.log(key);
 * }
 * ```
 *
 * @module
 */
export {
  type ComContext,
  type ComCreateOptions,
  ComObject,
  type ComOpenOptions,
  ComRef,
  type InvokeKind,
  type InvokeOptions,
} from "./win32/com/dispatch.ts";
export { ComError, HRESULT } from "./win32/com/error.ts";
export { Currency, Decimal, MISSING, SCode } from "./win32/com/variant.ts";

// ---- server (engineer com-server): exports of served objects go below ----
export { type ComServeOptions, ComServer } from "./win32/com/serve.ts";
export { OutArgument } from "./win32/com/server.ts";
export { type ComEvent, ComEvents, type ComSubscribeOptions } from "./win32/com/events.ts";
