// The interface each runtime backend implements. Everything above lib/ffi sees
// only this; the backends are the only code that touches Deno.* or bun:ffi.
import type {
  Callback,
  CallbackDef,
  SocketInput,
  SocketSink,
  SymbolDef,
  SymbolTable,
} from "./types.ts";

export interface Backend {
  readonly name: "bun" | "deno";
  /** Opens a library; returns functions taking and returning neutral values. */
  open(
    path: string,
    table: SymbolTable,
  ): Record<string, ((...args: unknown[]) => unknown) | undefined>;
  /** A function at a native code address (not blocking), taking and returning neutral values. */
  functionAt(address: bigint, def: SymbolDef): (...args: unknown[]) => unknown;
  /** A non-owning ArrayBuffer over native memory. */
  view(address: bigint, byteLength: number): ArrayBuffer;
  /** A native function pointer that calls `fn`. */
  callback(def: CallbackDef, fn: (...args: unknown[]) => unknown, threadsafe: boolean): Callback;
  /** How many OS threads are currently parked in blocking calls made by this backend. */
  blockingCallsInFlight(): number;
  /**
   * Whether a process signal listener wakes the JavaScript thread sooner than
   * a parked blocking call returns to it (docs/ffi.md has the measurements).
   */
  readonly signalsWakeFast: boolean;
  /**
   * Has the runtime's own event loop read the connected socket `fd`, which
   * the backend then owns, into `sink`. Absent where that is slower than
   * our own waits or not possible (docs/ffi.md).
   */
  readonly watchSocketInput?: (fd: number, sink: SocketSink) => SocketInput;
  /**
   * Runs a full garbage collection of the calling thread's heap, for a thread
   * that never returns to its event loop (where the engine schedules its own).
   */
  collectGarbage(): void;
  /** The runtime's executable and the argv that runs a script with full permissions. */
  scriptCommand(script: string, args: readonly string[]): string[];
}
