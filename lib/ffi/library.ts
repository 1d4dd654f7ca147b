/**
 * Lazily opened native libraries described by data tables.
 *
 * @module
 */
import { backend, type Platform, platform } from "./runtime.ts";
import type { SymbolDef, SymbolFunction, Symbols, SymbolTable } from "./types.ts";

/** A library's file name on each OS where it exists. */
export type LibraryPaths = Partial<Record<Platform, string>>;

/**
 * A native library whose symbols are opened on first use, so importing a
 * table on the wrong OS costs nothing and fails only if it is called.
 *
 * @example Declaring and calling kernel32
 * ```ts
 * import { NativeLibrary } from "./library.ts";
 * const kernel32 = new NativeLibrary({ windows: "kernel32.dll" }, {
 *   GetCurrentProcessId: { args: [], returns: "u32" },
 * } as const);
 * if (kernel32.available) console.log(kernel32.symbols.GetCurrentProcessId());
 * ```
 */
export class NativeLibrary<T extends SymbolTable> {
  #symbols: Symbols<T> | undefined;

  /**
   * @param paths The library file per OS.
   * @param table The symbols, as data.
   */
  constructor(readonly paths: LibraryPaths, readonly table: T) {}

  /** Whether the library exists on this OS. */
  get available(): boolean {
    return platform !== "other" && this.paths[platform] !== undefined;
  }

  /** The library's file on this OS; throws where it does not exist. */
  get path(): string {
    const path = platform === "other" ? undefined : this.paths[platform];
    if (path === undefined) {
      const where = Object.keys(this.paths).join(" and ");
      throw new Error(`Cannot open native library: it exists only on ${where}, not on ${platform}`);
    }
    return path;
  }

  /** The callable symbols; opens the library on first access. */
  get symbols(): Symbols<T> {
    return (this.#symbols ??= backend.open(this.path, this.table) as Symbols<T>);
  }
}

/**
 * A native function known only by its address (an extension function a
 * library hands out at run time, such as Winsock's ConnectEx). Not for
 * blocking calls.
 *
 * @param address The function's code address.
 * @param def Its signature, as in a symbol table.
 * @returns The callable function.
 * @example
 * ```ts
 * import { functionAt } from "./library.ts";
 * // const connectEx = functionAt(address, { args: ["usize", "pointer", "i32"], returns: "i32" } as const);
 * ```
 */
export function functionAt<D extends SymbolDef>(address: bigint, def: D): SymbolFunction<D> {
  if (def.blocking) throw new TypeError("Cannot call a function pointer as a blocking call");
  if (address === 0n) throw new RangeError("Cannot call a function at address 0");
  return backend.functionAt(address, def) as SymbolFunction<D>;
}
