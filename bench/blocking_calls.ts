// How ipckit turns blocking native waits into promises, measured per cell.
// On Bun it compares the two candidate mechanisms (docs/ffi.md):
//   worker   — the blocking call runs on a pooled worker thread (chosen);
//   regwait  — RegisterWaitForSingleObject + a threadsafe JSCallback (Windows only).
// On Deno it measures `nonblocking` FFI calls, for reference.
// Prints one JSON object, then a table.   node tools/cell.mjs windows-bun bench/blocking_calls.ts
import process from "node:process";
import {
  blockingCallsInFlight,
  callback,
  NativeMemory,
  platform,
  runtimeName,
} from "../lib/ffi/mod.ts";
import { kernel32 } from "../lib/win32/kernel32.ts";
import { libc } from "../lib/posix/libc.ts";

const ROUNDS = Number(process.argv[2] ?? 300);
const CONCURRENT = 64;

interface Row {
  mechanism: string;
  wake_latency_us_median: number;
  wake_latency_us_p99: number;
  signalled_calls_per_s: number;
  concurrent_waits: number;
  concurrent_all_woke_ms_cold: number;
  concurrent_all_woke_ms_warm: number;
  idle_cpu_percent_1s: number;
}

const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p99 = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length * 0.99)]!;
const nowUs = () => performance.now() * 1000;
const tick = () => new Promise((r) => setTimeout(r, 0));

/** A waitable thing for the current OS: wait(), wake(), reset(), close(). */
interface Waitable {
  wait(): Promise<unknown>;
  wake(): void;
  reset(): void;
  close(): void;
}

function windowsEvent(manual: boolean): Waitable & { handle: bigint } {
  const k = kernel32.symbols;
  const handle = k.CreateEventW(0n, manual ? 1 : 0, 0, null);
  return {
    handle,
    wait: () => k.WaitForSingleObjectAsync(handle, 0xffffffff),
    wake: () => void k.SetEvent(handle),
    reset: () => void k.ResetEvent(handle),
    close: () => void k.CloseHandle(handle),
  };
}

function linuxPipe(): Waitable {
  const c = libc.symbols;
  const fds = new Int32Array(2);
  c.pipe2(fds, 0o2000000);
  const pollfd = NativeMemory.alloc(8);
  pollfd.view.setInt32(0, fds[0]!, true);
  pollfd.view.setInt16(4, 1, true);
  const byte = new Uint8Array(1);
  return {
    wait: () => c.pollAsync(pollfd.address, 1n, -1),
    wake: () => void c.write(fds[1]!, byte, 1n),
    reset: () => void c.read(fds[0]!, byte, 1n),
    close: () => {
      c.close(fds[0]!);
      c.close(fds[1]!);
      pollfd.free();
    },
  };
}

/** RegisterWaitForSingleObject + threadsafe JSCallback: a one-shot wait as a promise. */
function registeredWait(handle: bigint): Promise<void> {
  const k = kernel32.symbols;
  const WT_EXECUTEONLYONCE = 0x8;
  return new Promise((resolve, reject) => {
    const out = new BigUint64Array(1);
    const cb = callback({ args: ["pointer", "u8"], returns: "void" }, () => {
      k.UnregisterWaitEx(out[0]!, 0n);
      // Closing a trampoline from inside its own call is unsafe: defer.
      setTimeout(() => cb.close(), 0);
      resolve();
    }, { threadsafe: true });
    if (
      !k.RegisterWaitForSingleObject(
        new Uint8Array(out.buffer),
        handle,
        cb,
        0n,
        0xffffffff,
        WT_EXECUTEONLYONCE,
      )
    ) {
      cb.close();
      reject(new Error("RegisterWaitForSingleObject failed"));
    }
  });
}

async function idleCpuPercent(make: () => Waitable, waitOn: (w: Waitable) => Promise<unknown>) {
  const idle = make();
  const parked = waitOn(idle);
  await new Promise((r) => setTimeout(r, 100));
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  await new Promise((r) => setTimeout(r, 1000));
  const cpu = process.cpuUsage(cpu0);
  const wall = performance.now() - wall0;
  idle.wake();
  await parked;
  idle.close();
  return Math.round(((cpu.user + cpu.system) / 1000 / wall) * 1000) / 10;
}

async function concurrentWakeMs(make: () => Waitable, waitOn: (w: Waitable) => Promise<unknown>) {
  const many = Array.from({ length: CONCURRENT }, make);
  const pendings = many.map(waitOn);
  await new Promise((r) => setTimeout(r, 500));
  const t0 = performance.now();
  for (const m of many) m.wake();
  await Promise.all(pendings);
  const ms = performance.now() - t0;
  for (const m of many) m.close();
  return Math.round(ms * 10) / 10;
}

async function measure(
  mechanism: string,
  make: () => Waitable,
  waitOn: (w: Waitable) => Promise<unknown>,
): Promise<Row> {
  const idleCpu = await idleCpuPercent(make, waitOn);
  // Wake latency: a wait is parked, then woken from the JS thread.
  const latencies: number[] = [];
  const w = make();
  for (let i = 0; i < ROUNDS; i++) {
    const pending = waitOn(w);
    await tick();
    await tick();
    const t0 = nowUs();
    w.wake();
    await pending;
    latencies.push(nowUs() - t0);
    w.reset();
  }
  // Calls per second on a signalled object (pure dispatch overhead).
  const calls = ROUNDS * 4;
  const t1 = performance.now();
  for (let i = 0; i < calls; i++) {
    w.wake();
    await waitOn(w);
    w.reset();
  }
  const callsPerS = calls / ((performance.now() - t1) / 1000);
  w.close();
  const cold = await concurrentWakeMs(make, waitOn);
  const warm = await concurrentWakeMs(make, waitOn);
  return {
    mechanism,
    wake_latency_us_median: Math.round(median(latencies)),
    wake_latency_us_p99: Math.round(p99(latencies)),
    signalled_calls_per_s: Math.round(callsPerS),
    concurrent_waits: CONCURRENT,
    concurrent_all_woke_ms_cold: cold,
    concurrent_all_woke_ms_warm: warm,
    idle_cpu_percent_1s: idleCpu,
  };
}

const rows: Row[] = [];
const make = platform === "windows" ? () => windowsEvent(false) : linuxPipe;
const name = runtimeName === "deno" ? "deno-nonblocking" : "worker-thread";
rows.push(await measure(name, make, (w) => w.wait()));
if (platform === "windows" && runtimeName === "bun") {
  rows.push(
    await measure(
      "regwait-threadsafe-jscallback",
      () => windowsEvent(false),
      (w) => registeredWait((w as ReturnType<typeof windowsEvent>).handle),
    ),
  );
}

const result = {
  bench: "blocking_calls",
  runtime: runtimeName,
  platform,
  rounds: ROUNDS,
  in_flight_after: blockingCallsInFlight(),
  rows,
};
console.log(JSON.stringify(result));
console.log();
console.log(`${runtimeName} on ${platform}`);
console.log(
  "mechanism                      | wake p50 µs | wake p99 µs | calls/s | 64 woke ms cold/warm | idle CPU %",
);
for (const r of rows) {
  console.log(
    `${r.mechanism.padEnd(30)} | ${String(r.wake_latency_us_median).padStart(11)} | ${
      String(r.wake_latency_us_p99).padStart(11)
    } | ${String(r.signalled_calls_per_s).padStart(7)} | ${
      `${r.concurrent_all_woke_ms_cold}/${r.concurrent_all_woke_ms_warm}`.padStart(20)
    } | ${String(r.idle_cpu_percent_1s).padStart(10)}`,
  );
}
process.exit(0);
