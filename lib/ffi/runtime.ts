/**
 * Which runtime and OS we are on, decided once. This file and the backends
 * are the only places in ipckit that tell Deno from Bun.
 *
 * @module
 */
import type { Backend } from "./_backend.ts";
import type { SocketInput, SocketSink } from "./types.ts";

/** The operating systems ipckit supports. */
export type Platform = "windows" | "linux";

const g = globalThis as {
  Bun?: unknown;
  Deno?: { dlopen?: unknown };
  process?: { platform?: string };
};

/** The current OS, as ipckit names it (`"other"` where ipckit has no OS backend). */
export const platform: Platform | "other" = g.process?.platform === "win32"
  ? "windows"
  : g.process?.platform === "linux"
  ? "linux"
  : "other";

/** The JavaScript runtime: `"bun"`, `"deno"`, or `"other"` (no FFI; e.g. Node running the tests). */
export const runtimeName: "bun" | "deno" | "other" = g.Bun !== undefined
  ? "bun"
  : typeof g.Deno?.dlopen === "function"
  ? "deno"
  : "other";

const unsupported: Backend = {
  name: "bun",
  open() {
    throw new Error(
      "ipckit's native bindings need Bun or Deno: run this with `bun` or `deno run -A`",
    );
  },
  functionAt() {
    return this.open("", {}) as never;
  },
  view() {
    return this.open("", {}) as never;
  },
  callback() {
    return this.open("", {}) as never;
  },
  blockingCallsInFlight: () => 0,
  signalsWakeFast: false,
  collectGarbage: () => {},
  scriptCommand: (script, args) => ["bun", script, ...args],
};

/** The backend for this runtime (loaded only on Bun or Deno). */
export const backend: Backend = runtimeName === "bun"
  ? (await import("./_bun_backend.ts")).bunBackend
  : runtimeName === "deno"
  ? (await import("./_deno_backend.ts")).denoBackend
  : unsupported;

/**
 * The argv that runs `script` with the current runtime and full permissions.
 *
 * @param script Path of a TypeScript or JavaScript file.
 * @param args Arguments passed to the script.
 * @returns `[execPath, ...]`, e.g. `["/usr/bin/deno", "run", "-A", "--quiet", script]`.
 * @example Spawning a peer of the same runtime
 * ```ts
 * import { scriptCommand } from "./runtime.ts";
 * const argv = scriptCommand("peer.ts", ["--role", "client"]);
 * ```
 */
export function scriptCommand(script: string, args: readonly string[] = []): string[] {
  return backend.scriptCommand(script, args);
}

/**
 * How many blocking native calls are parked off the JavaScript thread right now.
 *
 * @returns The count (each is a thread of Deno's FFI pool or a Bun worker).
 * @example
 * ```ts
 * import { blockingCallsInFlight } from "./runtime.ts";
 * console.log(blockingCallsInFlight());
 * ```
 */
export function blockingCallsInFlight(): number {
  return backend.blockingCallsInFlight();
}

/**
 * Runs a full garbage collection of the calling thread's heap. For threads
 * that never return to their event loop (the message-loop worker blocks in
 * GetMessageW): the engine schedules its own collection work as tasks of
 * that loop, so without this their garbage is collected only when their heap
 * reaches its limit (docs/ffi.md, "Message-loop thread").
 *
 * @example
 * ```ts
 * import { collectGarbage } from "./runtime.ts";
 * collectGarbage();
 * ```
 */
export function collectGarbage(): void {
  backend.collectGarbage();
}

/**
 * Whether a process signal listener wakes the JavaScript thread sooner than a
 * parked blocking call returns to it: true on Bun, false on Deno (docs/ffi.md).
 *
 * @returns Whether waits may park by signal.
 * @example
 * ```ts
 * import { signalsWakeFast } from "./runtime.ts";
 * console.log(signalsWakeFast());
 * ```
 */
export function signalsWakeFast(): boolean {
  return backend.signalsWakeFast;
}

/**
 * Has the runtime's own event loop read a connected socket, where that
 * wakes the JavaScript thread sooner than our own waits (Bun: the loop
 * watches `fd` as it watches its own sockets, docs/ffi.md). `fd` then belongs
 * to the input, which closes it: pass a duplicate to keep using the socket.
 *
 * @param fd A connected, nonblocking stream or seqpacket socket.
 * @param sink Receives the data, the end of stream and errors.
 * @returns The input, or null where the runtime offers no such path (Deno; the
 *   caller keeps `fd` and waits for input itself).
 * @example
 * ```ts
 * import { watchSocketInput } from "./runtime.ts";
 * declare const fd: number;
 * const input = watchSocketInput(fd, {
 *   data: (bytes) => console.log(bytes),
 *   end: () => input?.close(),
 *   error: (error) => console.error(error),
 * });
 * ```
 */
export function watchSocketInput(fd: number, sink: SocketSink): SocketInput | null {
  return backend.watchSocketInput?.(fd, sink) ?? null;
}
