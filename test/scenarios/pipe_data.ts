// Shared by the pipe and mailslot scenarios: deterministic test data, a hash
// that covers message boundaries, and starting a peer script of the same
// runtime. Not a scenario itself.
import { createHash, type Hash } from "node:crypto";
import { fileURLToPath } from "node:url";
import { scriptCommand } from "../../lib/ffi/mod.ts";
import { spawn } from "../../mod.ts";

/** A small seeded PRNG (xorshift32), so both ends derive the same sizes. */
export function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

const POOL = (() => {
  const next = prng(0x5eed);
  const pool = new Uint8Array(1 << 20);
  const words = new Uint32Array(pool.buffer);
  for (let i = 0; i < words.length; i++) words[i] = next();
  return pool;
})();

/** Message `index` of a seeded sequence: size 0..maxSize, content from a random pool, index in the first bytes. */
export function message(index: number, size: number, offset: number): Uint8Array {
  const start = offset % (POOL.byteLength - size);
  const bytes = POOL.slice(start, start + size);
  if (size >= 4) new DataView(bytes.buffer).setUint32(0, index, true);
  return bytes;
}

/** A chunk of a byte stream: `size` bytes starting at stream position `position`. */
export function streamChunk(position: number, size: number): Uint8Array {
  const start = position % (POOL.byteLength - size);
  return POOL.subarray(start, start + size);
}

/** Hashes messages with their lengths, so a split or merged message changes the hash. */
export class MessageHash {
  readonly #hash: Hash = createHash("sha256");
  count = 0;
  bytes = 0;
  add(message: Uint8Array): void {
    const length = new Uint8Array(4);
    new DataView(length.buffer).setUint32(0, message.byteLength, true);
    this.#hash.update(length);
    this.#hash.update(message);
    this.count++;
    this.bytes += message.byteLength;
  }
  digest(): string {
    return this.#hash.digest("hex");
  }
}

/** Hashes a byte stream (boundaries do not count). */
export class StreamHash {
  readonly #hash: Hash = createHash("sha256");
  bytes = 0;
  add(chunk: Uint8Array): void {
    this.#hash.update(chunk);
    this.bytes += chunk.byteLength;
  }
  digest(): string {
    return this.#hash.digest("hex");
  }
}

/** Runs a peer script of the same runtime; resolves with its exit code and `key=value` results. */
export function runPeer(
  script: string,
  args: string[],
): {
  done: Promise<{ code: number | null; results: Record<string, unknown>; stderr: string }>;
  pid: number;
} {
  // ipckit's own spawn: Deno's node:child_process stdio pipes on Windows can panic inside Deno (tokio-rs/mio#1819).
  const child = spawn(scriptCommand(fileURLToPath(new URL(script, import.meta.url)), args), {
    stdin: "null",
    stdout: "pipe",
    stderr: "pipe",
  });
  const collect = async (stream: AsyncIterable<Uint8Array>) => {
    const decoder = new TextDecoder();
    let text = "";
    for await (const chunk of stream) text += decoder.decode(chunk, { stream: true });
    return text;
  };
  const output = Promise.all([collect(child.stdout!), collect(child.stderr!)]);
  const done = child.exited.then(async (exit) => {
    const [stdout, stderr] = await output;
    const results: Record<string, unknown> = {};
    for (const line of stdout.split(/\r?\n/)) {
      const match = /^([a-z0-9_.-]+)=(.*)$/.exec(line);
      if (match) results[match[1]!] = JSON.parse(match[2]!);
    }
    return { code: exit.code, results, stderr };
  });
  return { done, pid: child.pid };
}

/** Prints a result line. */
export const report = (key: string, value: unknown): void =>
  console.log(`${key}=${JSON.stringify(value)}`);
