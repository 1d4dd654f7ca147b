// What the DDE scenarios and their vitest file share.
import { readdirSync } from "node:fs";
import process from "node:process";

/** The registered format binary data travels in. */
export const BLOB_FORMAT = "application/x-ipckit-blob";
/** 1 MiB, through request and poke. */
export const BLOB_SIZE = 1024 * 1024;
/** Consecutive updates the hot loop must see, in order. */
export const HOT_UPDATES = 500;
/** Updates each of the three clients follows. */
export const TICKS = 100;
/** Notices of the warm loop. */
export const WARM_NOTICES = 20;

/** Prints one result line (as _peers.ts does; the peers skip its imports to start faster). */
export const report = (key: string, value: unknown): void =>
  console.log(`${key}=${JSON.stringify(value)}`);

/** FNV-1a of bytes. */
export function fnv1a(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h;
}

/**
 * What a process holds: open fds (Linux; null elsewhere), and, after a full
 * garbage collection where the runtime offers one (Bun.gc; Deno with
 * DENO_V8_FLAGS=--expose-gc), its JavaScript heap and resident memory in bytes.
 */
export function resources(): { fds: number | null; heap: number; rss: number } {
  const runtime = globalThis as { gc?: () => void; Bun?: { gc(force: boolean): void } };
  if (runtime.gc) runtime.gc();
  else runtime.Bun?.gc(true);
  const memory = process.memoryUsage();
  return {
    fds: process.platform === "linux" ? readdirSync("/proc/self/fd").length : null,
    heap: memory.heapUsed,
    rss: memory.rss,
  };
}

/** Transactions of the leak check. */
export const LEAK_TRANSACTIONS = 100_000;
