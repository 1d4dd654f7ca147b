// Where a parked wait's time goes, in one process (the pieces behind bench/latency.ts,
// written up in docs/ffi.md): per piece the median and p99 in microseconds.
//   syscall    one nonblocking readiness check on the JavaScript thread
//              (Linux poll() of a ready pipe; Windows WaitForSingleObject(event, 0));
//   parked     a blocking call on an object that is already ready, from the call to the
//              settled promise: the hop to the thread that runs it and back to JavaScript
//              (a worker postMessage each way on Bun, Deno's `nonblocking` pool);
//   macrotask  one setImmediate round: the floor of one spin round;
//   promise    settling an already-resolved promise chain of three awaits.
// Prints one JSON object, then a table.   npm run cell -- linux-bun bench/wake_profile.ts
import process from "node:process";
import { setImmediate } from "node:timers";
import { NativeMemory, platform, runtimeName } from "../lib/ffi/mod.ts";
import { libc } from "../lib/posix/libc.ts";
import { kernel32 } from "../lib/win32/kernel32.ts";

const ROUNDS = Number(process.argv[2] ?? 2000);

async function timed(run: () => unknown): Promise<{ p50: number; p99: number }> {
  for (let i = 0; i < 100; i++) await run();
  const samples: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = performance.now();
    await run();
    samples.push((performance.now() - t0) * 1000);
  }
  samples.sort((a, b) => a - b);
  const at = (q: number) => Number(samples[Math.floor(q * samples.length)]!.toFixed(1));
  return { p50: at(0.5), p99: at(0.99) };
}

let check: () => unknown;
let parked: () => Promise<unknown>;
let cleanup: () => void;
if (platform === "windows") {
  const k = kernel32.symbols;
  const event = k.CreateEventW(0n, 1, 1, null); // manual reset, set: every wait returns at once
  check = () => k.WaitForSingleObject(event, 0);
  parked = () => k.WaitForSingleObjectAsync(event, 0xffffffff);
  cleanup = () => k.CloseHandle(event);
} else {
  const fds = new Int32Array(2);
  libc.symbols.pipe2(fds, 0o2000000 | 0o4000);
  libc.symbols.write(fds[1]!, new Uint8Array(1), 1n); // readable from now on
  const set = NativeMemory.alloc(8);
  set.view.setInt32(0, fds[0]!, true);
  set.view.setInt16(4, 1, true); // POLLIN
  const sweep = new Uint8Array(8);
  new DataView(sweep.buffer).setInt32(0, fds[0]!, true);
  new DataView(sweep.buffer).setInt16(4, 1, true);
  check = () => libc.symbols.poll(sweep, 1n, 0);
  parked = () => libc.symbols.pollAsync(set.address, 1n, -1);
  cleanup = () => {
    set.free();
    libc.symbols.close(fds[0]!);
    libc.symbols.close(fds[1]!);
  };
}

const result = {
  bench: "wake_profile",
  cell: `${platform}-${runtimeName}`,
  rounds: ROUNDS,
  syscall_us: await timed(check),
  parked_us: await timed(parked),
  macrotask_us: await timed(() => new Promise((resolve) => setImmediate(resolve))),
  promise_us: await timed(async () => {
    await Promise.resolve();
    await Promise.resolve();
    await Promise.resolve();
  }),
};
cleanup();
console.log(JSON.stringify(result));
console.log(`\n${result.cell}        p50 µs   p99 µs`);
for (const key of ["syscall_us", "parked_us", "macrotask_us", "promise_us"] as const) {
  console.log(
    `${key.padEnd(14)}${String(result[key].p50).padStart(8)}${String(result[key].p99).padStart(9)}`,
  );
}
process.exit(0);
