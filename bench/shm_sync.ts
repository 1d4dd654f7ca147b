// Shared memory and synchronization, measured per cell:
//   - 1 MiB block copies into a mapped view vs into a plain ArrayBuffer (goal >= 0.8x);
//   - cross-process Event ping-pong round trip;
//   - uncontended Mutex lock/unlock rate (await lock() + release, and tryLock() + release);
//   - the runtime's own IPC round trip (node:child_process fork + send, which Bun
//     implements on Bun.spawn's ipc channel), measured in the same run.
// Prints one JSON object, then a table.   node tools/cell.mjs linux-bun bench/shm_sync.ts
import { fork, spawn } from "node:child_process";
import process from "node:process";
import { Event, Mutex, SharedMemory } from "../mod.ts";
import { platform, runtimeName, scriptCommand } from "../lib/ffi/mod.ts";

const PEER = new URL("./_shm_sync_peer.ts", import.meta.url).pathname.replace(
  /^\/([A-Za-z]:)/,
  "$1",
);
const MiB = 1 << 20;
const COPIES = Number(process.argv[2] ?? 2000);
const ROUNDS = Number(process.argv[3] ?? 2000);
const LOCKS = Number(process.argv[4] ?? 100_000);
const tag = `ipckit-bench-${process.pid}`;

function copyRate(target: Uint8Array, source: Uint8Array): number {
  for (let i = 0; i < 50; i++) target.set(source); // warm up
  const t0 = performance.now();
  for (let i = 0; i < COPIES; i++) {
    source[0] = i;
    target.set(source);
  }
  const seconds = (performance.now() - t0) / 1000;
  return (COPIES * MiB) / seconds / 1e9; // GB/s
}

const source = new Uint8Array(MiB).map((_, i) => i & 0xff);
const shm = SharedMemory.create({ name: `${tag}-copy`, size: MiB });
const plain = new Uint8Array(new ArrayBuffer(MiB));
// Alternate, so neither side gets all the warm caches.
const mappedRuns: number[] = [];
const plainRuns: number[] = [];
for (let r = 0; r < 3; r++) {
  mappedRuns.push(copyRate(shm.bytes, source));
  plainRuns.push(copyRate(plain, source));
}
shm.close();
const best = (xs: number[]) => Math.max(...xs);
const mappedGBs = best(mappedRuns);
const plainGBs = best(plainRuns);

// Event ping-pong with a peer process of the same runtime.
async function pingPong(): Promise<number> {
  using ping = Event.create({ name: `${tag}-ping` });
  using pong = Event.create({ name: `${tag}-pong` });
  const argv = scriptCommand(PEER, ["pingpong", `${tag}-ping`, `${tag}-pong`, String(ROUNDS)]);
  const child = spawn(argv[0]!, argv.slice(1), { stdio: "inherit" });
  const exited = new Promise((resolve) => child.on("close", resolve));
  await pong.wait({ timeout: 30_000 }); // TimeoutError when the ping-pong peer did not start
  const t0 = performance.now();
  for (let i = 0; i < ROUNDS; i++) {
    ping.set();
    await pong.wait();
  }
  const us = ((performance.now() - t0) * 1000) / ROUNDS;
  await exited;
  return us;
}
const eventRoundTripUs = await pingPong();

// Uncontended mutex.
let lockAwaitPerS = 0;
let tryLockPerS = 0;
{
  using m = Mutex.create({ name: `${tag}-lock` });
  for (let i = 0; i < 1000; i++) (await m.lock()).release();
  let t0 = performance.now();
  for (let i = 0; i < LOCKS; i++) (await m.lock()).release();
  lockAwaitPerS = LOCKS / ((performance.now() - t0) / 1000);
  t0 = performance.now();
  for (let i = 0; i < LOCKS; i++) m.tryLock()!.release();
  tryLockPerS = LOCKS / ((performance.now() - t0) / 1000);
}

// The runtime's own IPC round trip.
async function runtimeIpc(): Promise<number | string> {
  try {
    const argv = scriptCommand(PEER, ["ipc"]);
    // fork() runs a module with the current runtime; pass the runtime's own flags through execArgv.
    const child = fork(PEER, ["ipc"], {
      execPath: argv[0]!,
      execArgv: argv.slice(1, argv.indexOf(PEER)),
    });
    const rounds = Math.min(ROUNDS, 2000);
    const echo = (n: number) =>
      new Promise<void>((resolve) => {
        child.once("message", () => resolve());
        child.send(n);
      });
    for (let i = 0; i < 20; i++) await echo(i);
    const t0 = performance.now();
    for (let i = 0; i < rounds; i++) await echo(i);
    const us = ((performance.now() - t0) * 1000) / rounds;
    child.send("done");
    return us;
  } catch (error) {
    return `unavailable: ${(error as Error).message}`;
  }
}
const ipcRoundTripUs = await Promise.race([
  runtimeIpc(),
  new Promise<string>((resolve) =>
    setTimeout(() => resolve("unavailable: no reply in 30 s"), 30_000).unref()
  ),
]);

const round = (x: number, digits = 2) => Number(x.toFixed(digits));
const result = {
  cell: `${platform}-${runtimeName}`,
  copy_1mib_mapped_gb_s: round(mappedGBs),
  copy_1mib_plain_gb_s: round(plainGBs),
  copy_mapped_vs_plain: round(mappedGBs / plainGBs),
  event_ping_pong_round_trip_us: round(eventRoundTripUs, 1),
  mutex_lock_release_per_s: Math.round(lockAwaitPerS),
  mutex_trylock_release_per_s: Math.round(tryLockPerS),
  runtime_ipc_round_trip_us: typeof ipcRoundTripUs === "number"
    ? round(ipcRoundTripUs, 1)
    : ipcRoundTripUs,
};
console.log(JSON.stringify(result));
console.log("");
console.log(`| ${result.cell} | value |`);
console.log("|---|---|");
for (const [key, value] of Object.entries(result)) {
  if (key !== "cell") console.log(`| ${key} | ${value} |`);
}
process.exit(0);
