// Bun backend: bun:ffi. Bun has no `nonblocking` FFI calls (oven-sh/bun#5490),
// so a blocking call runs on a pooled DedicatedThread (a worker that holds its
// own dlopen of the symbol); docs/ffi.md has the measurements behind this.
import { isMainThread } from "node:worker_threads";
import type { Backend } from "./_backend.ts";
import { DedicatedThread, type ThreadLibrary } from "./thread.ts";
import type {
  Callback,
  CallbackDef,
  NativeType,
  SocketInput,
  SocketSink,
  SymbolDef,
  SymbolTable,
} from "./types.ts";

// Only the parts of bun:ffi this backend uses (tsc has no Bun declarations).
interface BunFfi {
  dlopen(path: string, symbols: Record<string, unknown>): { symbols: Record<string, unknown> };
  CFunction(def: { ptr: number; args: string[]; returns: string }): (...args: unknown[]) => unknown;
  toArrayBuffer(address: number, byteOffset: number, byteLength: number): ArrayBuffer;
  JSCallback: new (
    fn: (...args: unknown[]) => unknown,
    def: { args: string[]; returns: string; threadsafe?: boolean },
  ) => { ptr: number | null; close(): void };
}
// A variable specifier keeps `deno check` from resolving a Bun-only module.
const BUN_FFI = "bun:ffi";
const ffi = (await import(BUN_FFI)) as BunFfi;
/** The parts of a Bun socket that an input uses. */
interface BunSocket {
  pause(): void;
  resume(): void;
  ref(): void;
  unref(): void;
  terminate(): void;
}
type BunSocketError = Error & { errno?: number; code?: string };
/** Bun's global (tsc has no Bun declarations either). */
const bun = (globalThis as unknown as {
  Bun: {
    gc(force: boolean): void;
    connect(options: {
      fd: number;
      allowHalfOpen: boolean;
      socket: {
        binaryType: "uint8array";
        open(socket: BunSocket): void;
        data(socket: BunSocket, bytes: Uint8Array): void;
        end(socket: BunSocket): void;
        error(socket: BunSocket, error: BunSocketError): void;
        close(socket: BunSocket, error?: BunSocketError): void;
      };
    }): Promise<BunSocket>;
  };
}).Bun;

/**
 * Bun's loop reads `fd` (`Bun.connect({ fd })`, measured in docs/ffi.md). The
 * socket is half-open: a peer's end of stream is reported, never answered by
 * a shutdown of our side, and `terminate()` closes the descriptor without a
 * shutdown, so a duplicate the caller keeps is unaffected.
 */
function watchSocketInput(fd: number, sink: SocketSink): SocketInput {
  let socket: BunSocket | null = null;
  let closed = false;
  // What was asked before the socket opened (Bun opens an fd socket synchronously, but a
  // pending open is handled anyway): applied on open.
  let paused = false;
  let refed = true;
  const opened = (s: BunSocket) => {
    socket = s;
    if (closed) return s.terminate();
    if (paused) s.pause();
    if (!refed) s.unref();
  };
  bun.connect({
    fd,
    allowHalfOpen: true,
    socket: {
      // Plain Uint8Arrays, as our own reads return (not Buffers).
      binaryType: "uint8array",
      open: opened,
      data: (_s, bytes) => closed || sink.data(bytes),
      end: () => closed || sink.end(),
      error: (_s, error) => closed || sink.error(error),
      close: (_s, error) => closed || (error ? sink.error(error) : sink.end()),
    },
  }).then((s) => socket ?? opened(s), (error: BunSocketError) => closed || sink.error(error));
  return {
    pause() {
      paused = true;
      socket?.pause();
    },
    resume() {
      paused = false;
      socket?.resume();
    },
    ref() {
      refed = true;
      socket?.ref();
    },
    unref() {
      refed = false;
      socket?.unref();
    },
    close() {
      if (closed) return;
      closed = true;
      socket?.terminate();
    },
  };
}

const WIDE_INTS = new Set<NativeType>(["i64", "u64", "isize", "usize", "pointer"]);

/** Maps our type names to bun:ffi's. Pointers travel as u64 (bigint), never as JS numbers. */
function bunType(type: NativeType): string {
  switch (type) {
    case "pointer":
    case "callback":
    case "usize":
      return "u64";
    case "isize":
      return "i64";
    case "buffer":
      return "ptr";
    default:
      return type;
  }
}

/** Opens a table for synchronous calls. */
function openDirect(path: string, table: SymbolTable) {
  const defs: Record<string, unknown> = {};
  for (const [name, def] of Object.entries(table)) {
    defs[name] = { args: def.args.map(bunType), returns: bunType(def.returns) };
  }
  // bun:ffi has neither per-symbol `optional` nor aliases: open those one at a time.
  const direct = Object.fromEntries(
    Object.entries(defs).filter(([name]) => !table[name]?.optional && !table[name]?.symbol),
  );
  // bun:ffi refuses a table with no symbols.
  const raw: Record<string, unknown> = Object.keys(direct).length > 0
    ? { ...ffi.dlopen(path, direct).symbols }
    : {};
  for (const [name, def] of Object.entries(defs)) {
    const { optional, symbol } = table[name]!;
    if (!optional && !symbol) continue;
    const exported = symbol ?? name;
    try {
      raw[name] = ffi.dlopen(path, { [exported]: def }).symbols[exported];
    } catch (error) {
      if (!optional) throw error;
      raw[name] = undefined;
    }
  }
  const out: Record<string, ((...args: unknown[]) => unknown) | undefined> = {};
  for (const [name, def] of Object.entries(table)) {
    const fn = raw[name] as ((...args: unknown[]) => unknown) | undefined;
    out[name] = fn ? wrap(fn, def) : undefined;
  }
  return out;
}

/** Callbacks travel as their code address; a missing buffer is NULL. */
function wrap(
  fn: (...args: unknown[]) => unknown,
  def: SymbolDef,
): (...args: unknown[]) => unknown {
  const callbackSlots = def.args.flatMap((t, i) => (t === "callback" ? [i] : []));
  const bufferSlots = def.args.flatMap((t, i) => (t === "buffer" ? [i] : []));
  if (callbackSlots.length === 0 && bufferSlots.length === 0) return fn;
  return (...args: unknown[]) => {
    for (const i of callbackSlots) args[i] = (args[i] as Callback | null)?.pointer ?? 0n;
    for (const i of bufferSlots) args[i] ??= null;
    return fn(...args);
  };
}

// ---- Blocking calls --------------------------------------------------------
// Each blocking call takes an idle DedicatedThread (a worker with its own
// dlopen), so concurrent waits never queue behind each other.

const idle: DedicatedThread[] = [];
// Idle threads are cheap but not free (each runs a JS engine); keep a few.
const MAX_IDLE_THREADS = 4;
let inFlight = 0;

async function callBlocking(library: ThreadLibrary, name: string, args: unknown[]) {
  const thread = idle.pop() ?? new DedicatedThread();
  inFlight++;
  try {
    return await thread.call(library, name, ...args);
  } finally {
    inFlight--;
    if (idle.length < MAX_IDLE_THREADS) idle.push(thread);
    else thread.close();
  }
}

/**
 * Starts a pool thread ahead of the first blocking call. Starting a worker
 * costs milliseconds (a JS engine, its modules); begun when a library with
 * blocking symbols opens, that start overlaps with the caller's own work
 * instead of delaying its first wait. The thread is unref'd like any idle one.
 */
function warmPool(): void {
  if (idle.length === 0 && inFlight === 0) idle.push(new DedicatedThread());
}

export const bunBackend: Backend = {
  name: "bun",
  open(path, table) {
    const direct = openDirect(path, table);
    let blocking = false;
    for (const [name, def] of Object.entries(table)) {
      if (!def.blocking || !direct[name]) continue;
      if (def.args.some((t) => t === "buffer" || t === "callback")) {
        throw new TypeError(
          `Blocking symbol '${name}' cannot take buffer or callback arguments: pass native addresses`,
        );
      }
      const library = { path, table: { [name]: def } };
      direct[name] = (...args: unknown[]) => callBlocking(library, name, args);
      blocking = true;
    }
    // Only the main thread warms the pool: a worker that opens a table (the
    // message-loop thread) makes no blocking calls of its own.
    if (blocking && isMainThread) warmPool();
    return direct;
  },
  functionAt(address, def) {
    const fn = ffi.CFunction({
      ptr: Number(address),
      args: def.args.map(bunType),
      returns: bunType(def.returns),
    });
    return wrap(fn, def);
  },
  view(address, byteLength) {
    if (byteLength === 0) return new ArrayBuffer(0);
    return ffi.toArrayBuffer(Number(address), 0, byteLength);
  },
  callback(def: CallbackDef, fn, threadsafe) {
    const wideArgs = def.args.map((t) => WIDE_INTS.has(t));
    const wrapped = (...args: unknown[]) =>
      fn(...args.map((a, i) => (wideArgs[i] && typeof a !== "bigint" ? BigInt(a as number) : a)));
    const cb = new ffi.JSCallback(wrapped, {
      args: def.args.map(bunType),
      returns: bunType(def.returns),
      threadsafe,
    });
    return { pointer: BigInt(cb.ptr ?? 0), close: () => cb.close() };
  },
  blockingCallsInFlight: () => inFlight,
  // A signal reaches the JavaScript thread in one wake-up; a blocking call needs a worker's two.
  signalsWakeFast: true,
  watchSocketInput,
  collectGarbage: () => bun.gc(true),
  scriptCommand: (script, args) => [process.execPath, script, ...args],
};
