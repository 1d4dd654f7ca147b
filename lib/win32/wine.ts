// Whether this process runs under Wine, for the few places that work around a
// Wine behaviour or account for one (docs/mechanisms.md says which).
import { encodeWide } from "../ffi/mod.ts";
import { kernel32 } from "./kernel32.ts";

let wine: boolean | undefined;

/**
 * Whether this Windows process runs under Wine: Wine's ntdll exports
 * `wine_get_version`, Windows' does not. Computed once.
 *
 * @returns true under Wine.
 * @example Choosing an expectation
 * ```ts
 * import { isWine } from "./wine.ts";
 * console.log(isWine() ? "Wine" : "Windows");
 * ```
 */
export function isWine(): boolean {
  return wine ??= kernel32.symbols.GetProcAddress(
    kernel32.symbols.GetModuleHandleW(encodeWide("ntdll.dll")),
    new TextEncoder().encode("wine_get_version\0"),
  ) !== 0n;
}
