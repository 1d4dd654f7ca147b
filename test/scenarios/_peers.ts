// Helpers for multi-process scenarios: start a peer script with this
// runtime or with the other one (IPCKIT_BUN / IPCKIT_DENO), and collect its
// `key=<json>` lines. Peers start through ipckit's own spawn: Deno's
// node:child_process stdio pipes on Windows hit a panic inside Deno
// (mio named_pipe.rs "unreachable", tokio-rs/mio#1819).
import process from "node:process";
import { type ChildProcess, spawn } from "../../mod.ts";
import { runtimeName, scriptCommand } from "../../lib/ffi/mod.ts";

/** Prints one result line. */
export const report = (key: string, value: unknown): void =>
  console.log(`${key}=${JSON.stringify(value)}`);

/** argv running `script` with the runtime that is not this one. */
export function otherRuntimeCommand(script: string, args: readonly string[]): string[] {
  if (runtimeName === "bun") {
    return [process.env.IPCKIT_DENO ?? "deno", "run", "-A", "--quiet", script, ...args];
  }
  return [process.env.IPCKIT_BUN ?? "bun", script, ...args];
}

/** A running peer: its process and a promise of its results when it exits. */
export interface Peer {
  child: ChildProcess;
  /** Resolves with the first result line named `key`. */
  line(key: string): Promise<unknown>;
  /** Resolves with all results and the exit code once the peer exits. */
  done: Promise<{ code: number | null; results: Record<string, unknown>; stderr: string }>;
}

/** Starts a peer; `other` picks the other runtime. */
export function startPeer(script: string, args: readonly string[], other = false): Peer {
  const argv = other ? otherRuntimeCommand(script, args) : scriptCommand(script, args);
  const child = spawn(argv, { stdin: "null", stdout: "pipe", stderr: "pipe" });
  const results: Record<string, unknown> = {};
  const waiters = new Map<string, (v: unknown) => void>();
  let stderr = "";
  let pending = "";
  const pump = async (stream: AsyncIterable<Uint8Array>, onText: (text: string) => void) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) onText(decoder.decode(chunk, { stream: true }));
  };
  const stdoutDone = pump(child.stdout!, (chunk) => {
    pending += chunk;
    let nl: number;
    while ((nl = pending.indexOf("\n")) >= 0) {
      const line = pending.slice(0, nl).replace(/\r$/, "");
      pending = pending.slice(nl + 1);
      const match = /^([a-z0-9_.-]+)=(.*)$/.exec(line);
      if (!match) continue;
      const value = JSON.parse(match[2]!);
      results[match[1]!] = value;
      waiters.get(match[1]!)?.(value);
    }
  });
  const stderrDone = pump(child.stderr!, (chunk) => (stderr += chunk));
  const done = child.exited.then(async (exit) => {
    await Promise.all([stdoutDone, stderrDone]);
    return { code: exit.code, results, stderr };
  });
  return {
    child,
    line: (key) =>
      key in results ? Promise.resolve(results[key]) : Promise.race([
        new Promise((resolve) => waiters.set(key, resolve)),
        done.then(() => {
          throw new Error(`peer exited before printing '${key}': ${stderr}`);
        }),
      ]),
    done,
  };
}

/** A simple checksum of bytes (FNV-1a). */
export function fnv1a(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h;
}

/** What an error is: its class name and message. */
export function describeError(fn: () => unknown): { name: string; message: string } | null {
  try {
    fn();
    return null;
  } catch (error) {
    return { name: (error as Error).name, message: (error as Error).message };
  }
}

/**
 * Busy-waits the `round`th delay of a sweep from 0 to `maxUs` microseconds
 * (41 steps, in a scrambled order): the answers of a race scenario land
 * before, inside and after a wait's spin window.
 */
export function raceDelay(round: number, maxUs: number): void {
  const until = performance.now() + (((round * 37) % 41) / 40) * maxUs / 1000;
  while (performance.now() < until) { /* a delay shorter than any timer */ }
}
