/**
 * Runtime-neutral FFI type names and symbol-table shapes. Tables of symbols
 * are plain data (`as const` objects) written with these names; the backends
 * translate them to `Deno.dlopen` or `bun:ffi` definitions.
 *
 * Value conventions (the one neutral representation used everywhere in ipckit):
 * - `i8`..`u32`, `f32`, `f64`: `number`.
 * - `i64`, `u64`, `isize`, `usize`, `pointer`: `bigint`. Pointers and handles
 *   are addresses as `bigint`; `0n` is NULL.
 * - `buffer`: an `ArrayBufferView` (or `null`) the call reads or writes while
 *   it runs. Never for memory the kernel writes after the call returns: use
 *   {@link NativeMemory} and pass its `address` as a `pointer` instead.
 * - `callback`: a {@link Callback} (or `null`), passed as its code pointer.
 *
 * @module
 */

/** Native types a symbol's arguments and result can have. */
export type NativeType =
  | "i8"
  | "u8"
  | "i16"
  | "u16"
  | "i32"
  | "u32"
  | "i64"
  | "u64"
  | "isize"
  | "usize"
  | "f32"
  | "f64"
  | "pointer"
  | "buffer"
  | "callback"
  | "void";

/** Types a symbol may return (no buffers or callbacks). */
export type ResultType = Exclude<NativeType, "buffer" | "callback">;

/**
 * One native function: its argument and result types. `blocking: true` marks
 * a call that may wait (for a kernel object, I/O, a futex): it returns a
 * Promise and runs off the JavaScript thread, so the event loop keeps going.
 * Blocking calls take no `buffer` arguments (their memory must not move):
 * pass the `address` of a {@link NativeMemory}.
 *
 * @example Declaring a symbol
 * ```ts
 * const table = {
 *   WaitForSingleObject: { args: ["pointer", "u32"], returns: "u32", blocking: true },
 * } as const satisfies SymbolTable;
 * ```
 */
export interface SymbolDef {
  readonly args: readonly NativeType[];
  readonly returns: ResultType;
  readonly blocking?: boolean;
  /** The exported name, when the table key differs (e.g. a blocking twin of a sync call). */
  readonly symbol?: string;
  /** A symbol missing from the library is `undefined` instead of failing the open. */
  readonly optional?: boolean;
  /**
   * The call may run a JavaScript callback before it returns (a window
   * procedure inside `GetMessageW`/`DispatchMessageW`), so the runtime must
   * not take its fast path that forbids re-entry (Deno's `callback: true`).
   */
  readonly callsBack?: boolean;
}

/** A library's symbols, by exported name. */
export type SymbolTable = Readonly<Record<string, SymbolDef>>;

/** A native callback's signature. */
export interface CallbackDef {
  readonly args: readonly Exclude<NativeType, "buffer" | "callback">[];
  readonly returns: ResultType;
}

/** A function pointer made from a JavaScript function (see `callback()`). */
export interface Callback {
  /** The code address to hand to native code. */
  readonly pointer: bigint;
  /** Frees the trampoline; native code must not call it afterwards. */
  close(): void;
}

/** The JavaScript value of a native type used as an argument. */
export type ArgValue<T extends NativeType> = T extends "i64" | "u64" | "isize" | "usize"
  ? bigint | number
  : T extends "pointer" ? bigint
  : T extends "buffer" ? ArrayBufferView | null
  : T extends "callback" ? Callback | null
  : T extends "void" ? never
  : number;

/** The JavaScript value of a native type used as a result. */
export type ResultValue<T extends ResultType> = T extends "void" ? undefined
  : T extends "i64" | "u64" | "isize" | "usize" | "pointer" ? bigint
  : number;

type ArgValues<A extends readonly NativeType[]> = { -readonly [K in keyof A]: ArgValue<A[K]> };

/** The JavaScript function type of one symbol. */
export type SymbolFunction<D extends SymbolDef> = D["blocking"] extends true
  ? (...args: ArgValues<D["args"]>) => Promise<ResultValue<D["returns"]>>
  : (...args: ArgValues<D["args"]>) => ResultValue<D["returns"]>;

/** The callable symbols of an opened table. */
export type Symbols<T extends SymbolTable> = {
  readonly [K in keyof T]: T[K]["optional"] extends true ? SymbolFunction<T[K]> | undefined
    : SymbolFunction<T[K]>;
};

/**
 * Where a socket read by the runtime's own event loop delivers
 * ({@link SocketInput}). Each call comes from the event loop, never after
 * `close()` of the input.
 *
 * @example
 * ```ts
 * import type { SocketSink } from "./types.ts";
 * const sink: SocketSink = {
 *   data: (bytes) => console.log(bytes.byteLength),
 *   end: () => console.log("end of stream"),
 *   error: (error) => console.error(error),
 * };
 * ```
 */
export interface SocketSink {
  /** Bytes as one `recv` returned them (one record on a SOCK_SEQPACKET socket); the sink keeps them. */
  data(bytes: Uint8Array): void;
  /** The peer shut down its sending side: no more data. */
  end(): void;
  /** Reading failed (`errno` and `code` as the runtime reports them, e.g. ECONNRESET). */
  error(error: Error & { errno?: number; code?: string }): void;
}

/**
 * A connected socket that the runtime's own event loop reads: one wake-up of
 * the JavaScript thread per arrival, as for the runtime's own sockets.
 * Reading starts at once; the input never writes, and never shuts the socket
 * down.
 *
 * @example
 * ```ts
 * import type { SocketInput } from "./types.ts";
 * function stopReading(input: SocketInput) {
 *   input.pause();
 * }
 * ```
 */
export interface SocketInput {
  /** Stops reading from the socket (the kernel buffers, then the peer waits). */
  pause(): void;
  /** Reads again after {@link SocketInput.pause}. */
  resume(): void;
  /** Keeps the process alive while the input is open (someone waits for data). */
  ref(): void;
  /** Lets the process exit although the input is open. */
  unref(): void;
  /** Stops reading and closes the descriptor the input owns. */
  close(): void;
}
