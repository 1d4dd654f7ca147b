// Deno backend: Deno.dlopen with `nonblocking` for blocking calls (they run on
// Deno's FFI thread pool and resolve as promises).
import v8 from "node:v8";
import vm from "node:vm";
import type { Backend } from "./_backend.ts";
import type { Callback, CallbackDef, NativeType, SymbolDef, SymbolTable } from "./types.ts";

// Only the parts of the Deno namespace this backend uses; tsc runs without
// Deno's own declarations, and `deno check` sees the real ones.
interface DenoFfi {
  dlopen(path: string, symbols: Record<string, unknown>): { symbols: Record<string, unknown> };
  UnsafePointer: { create(value: bigint): unknown; value(pointer: unknown): bigint | number };
  UnsafePointerView: { getArrayBuffer(pointer: unknown, byteLength: number): ArrayBuffer };
  UnsafeFnPointer: new (pointer: unknown, def: unknown) => { call(...args: unknown[]): unknown };
  UnsafeCallback: {
    new (def: unknown, fn: (...args: unknown[]) => unknown): { pointer: unknown; close(): void };
    threadSafe(
      def: unknown,
      fn: (...args: unknown[]) => unknown,
    ): { pointer: unknown; close(): void };
  };
  execPath(): string;
}
const Deno = (globalThis as unknown as { Deno: DenoFfi }).Deno;

const WIDE_INTS = new Set<NativeType>(["i64", "u64", "isize", "usize", "pointer"]);

function denoType(type: NativeType): string {
  switch (type) {
    case "pointer":
    case "callback":
    case "usize":
      return "u64";
    case "isize":
      return "i64";
    default:
      return type;
  }
}

function open(path: string, table: SymbolTable) {
  const defs: Record<string, unknown> = {};
  for (const [name, def] of Object.entries(table)) {
    defs[name] = {
      ...(def.symbol ? { name: def.symbol } : {}),
      parameters: def.args.map(denoType),
      result: denoType(def.returns),
      ...(def.blocking ? { nonblocking: true } : {}),
      ...(def.optional ? { optional: true } : {}),
      ...(def.callsBack ? { callback: true } : {}),
    };
  }
  const raw = Deno.dlopen(path, defs).symbols;
  const out: Record<string, ((...args: unknown[]) => unknown) | undefined> = {};
  for (const [name, def] of Object.entries(table)) {
    const fn = raw[name] as ((...args: unknown[]) => unknown) | undefined | null;
    out[name] = fn ? wrap(fn, def) : undefined;
  }
  return out;
}

/** Callbacks travel as their code address; wide results always as bigint. */
function wrap(
  fn: (...args: unknown[]) => unknown,
  def: SymbolDef,
): (...args: unknown[]) => unknown {
  const callbackSlots = def.args.flatMap((t, i) => (t === "callback" ? [i] : []));
  const returnsWide = WIDE_INTS.has(def.returns);
  if (callbackSlots.length === 0 && !returnsWide) return fn;
  return (...args: unknown[]) => {
    for (const i of callbackSlots) args[i] = (args[i] as Callback | null)?.pointer ?? 0n;
    const result = fn(...args);
    if (!returnsWide) return result;
    return def.blocking ? (result as Promise<unknown>).then(toBigInt) : toBigInt(result);
  };
}

function functionAt(address: bigint, def: SymbolDef): (...args: unknown[]) => unknown {
  const pointer = new Deno.UnsafeFnPointer(Deno.UnsafePointer.create(address), {
    parameters: def.args.map(denoType),
    result: denoType(def.returns),
  });
  return wrap((...args: unknown[]) => pointer.call(...args), def);
}

function toBigInt(value: unknown): bigint {
  return typeof value === "bigint" ? value : BigInt(value as number);
}

function callback(
  def: CallbackDef,
  fn: (...args: unknown[]) => unknown,
  threadsafe: boolean,
): Callback {
  const wideArgs = def.args.map((t) => WIDE_INTS.has(t));
  const denoDef = { parameters: def.args.map(denoType), result: denoType(def.returns) };
  const wrapped = (...args: unknown[]) =>
    fn(...args.map((a, i) => (wideArgs[i] ? toBigInt(a) : a)));
  const cb = threadsafe
    ? Deno.UnsafeCallback.threadSafe(denoDef, wrapped)
    : new Deno.UnsafeCallback(denoDef, wrapped);
  return { pointer: toBigInt(Deno.UnsafePointer.value(cb.pointer)), close: () => cb.close() };
}

let inFlight = 0;

let threadGc: (() => void) | null = null;

/**
 * V8's gc() for this thread without --expose-gc on the command line: a
 * context made while the flag is set has it; the flag is then reset, so
 * contexts made later (the user's) do not.
 */
function exposeGc(): () => void {
  v8.setFlagsFromString("--expose-gc");
  try {
    return vm.runInNewContext("gc") as () => void;
  } finally {
    v8.setFlagsFromString("--no-expose-gc");
  }
}

export const denoBackend: Backend = {
  name: "deno",
  open(path, table) {
    const symbols = open(path, table);
    // Count blocking calls so tests can see threads parked in waits.
    for (const [name, def] of Object.entries(table)) {
      const fn = symbols[name];
      if (!def.blocking || !fn) continue;
      symbols[name] = (...args: unknown[]) => {
        inFlight++;
        return (fn(...args) as Promise<unknown>).finally(() => inFlight--);
      };
    }
    return symbols;
  },
  functionAt,
  view(address, byteLength) {
    return Deno.UnsafePointerView.getArrayBuffer(Deno.UnsafePointer.create(address), byteLength);
  },
  callback,
  blockingCallsInFlight: () => inFlight,
  // A signal listener is an async op polled by the event loop: slower than the FFI pool.
  signalsWakeFast: false,
  collectGarbage: () => (threadGc ??= exposeGc())(),
  scriptCommand: (script, args) => [Deno.execPath(), "run", "-A", "--quiet", script, ...args],
};
