// Data copy between two processes: 64 B round trips per second and 1 MiB
// throughput, against a message-mode named pipe in the same run. Both are
// request/answer: a CopyData send waits for the receiver's answer, so each
// pipe message waits for a 1-byte answer too. Trials are interleaved
// (CopyData, pipe, CopyData, …) after one warm-up of each; each figure is
// the median. Prints one JSON object, then a table.
//   node tools/cell.mjs windows-bun bench/copydata.ts [round trips] [MiB] [trials]
import process from "node:process";
import { fileURLToPath } from "node:url";
import { platform, runtimeName, scriptCommand } from "../lib/ffi/mod.ts";
import { CopyData, NamedPipe, spawn } from "../mod.ts";

const ROUND_TRIPS = Number(process.argv[2] ?? 2000);
const MIB = Number(process.argv[3] ?? 64);
const TRIALS = Number(process.argv[4] ?? 3);
const SMALL = new Uint8Array(64).fill(7);
const LARGE = new Uint8Array(1024 * 1024).map((_, i) => i & 0xff);
const tag = `${process.pid}-${Date.now() % 100000}`;
const copyDataName = `ipckit-bench-cd-${tag}`;
const pipeName = `ipckit-bench-cdpipe-${tag}`;

const peer = spawn(
  scriptCommand(fileURLToPath(new URL("./_copydata_peer.ts", import.meta.url)), [
    copyDataName,
    pipeName,
  ]),
  { stdin: "null", stdout: "pipe", stderr: "inherit" },
);
// Wait for the peer's "ready" line.
const decoder = new TextDecoder();
let output = "";
for await (const chunk of peer.stdout!) {
  output += decoder.decode(chunk);
  if (output.includes("ready")) break;
}

const sender = await CopyData.connect({ name: copyDataName, timeout: 10_000 });
const pipe = await NamedPipe.connect(pipeName, { timeout: 10_000 });

async function copyDataRoundTrips(count: number): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < count; i++) await sender.send(SMALL, { tag: 1n });
  return count / ((performance.now() - started) / 1000);
}

async function copyDataThroughput(mib: number): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < mib; i++) await sender.send(LARGE, { tag: 2n });
  return mib / ((performance.now() - started) / 1000);
}

async function pipeRequest(message: Uint8Array): Promise<void> {
  await pipe.write(message);
  await pipe.read();
}

async function pipeRoundTrips(count: number): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < count; i++) await pipeRequest(SMALL);
  return count / ((performance.now() - started) / 1000);
}

async function pipeThroughput(mib: number): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < mib; i++) await pipeRequest(LARGE);
  return mib / ((performance.now() - started) / 1000);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;

// Warm-up of each.
await copyDataRoundTrips(Math.min(500, ROUND_TRIPS));
await pipeRoundTrips(Math.min(500, ROUND_TRIPS));
await copyDataThroughput(16);
await pipeThroughput(16);

const trials = {
  cdRt: [] as number[],
  pipeRt: [] as number[],
  cdTp: [] as number[],
  pipeTp: [] as number[],
};
for (let t = 0; t < TRIALS; t++) {
  trials.cdRt.push(await copyDataRoundTrips(ROUND_TRIPS));
  trials.pipeRt.push(await pipeRoundTrips(ROUND_TRIPS));
  trials.cdTp.push(await copyDataThroughput(MIB));
  trials.pipeTp.push(await pipeThroughput(MIB));
}

await sender.send("", { tag: 0xdeadn });
await sender.close();
await pipe.close();
await peer.exited;

const result = {
  bench: "copydata",
  cell: `${platform}-${runtimeName}`,
  processes: 2,
  trials: TRIALS,
  round_trips: ROUND_TRIPS,
  round_trip_bytes: SMALL.byteLength,
  copydata_round_trips_per_s: Math.round(median(trials.cdRt)),
  pipe_round_trips_per_s: Math.round(median(trials.pipeRt)),
  throughput_mib: MIB,
  message_bytes: LARGE.byteLength,
  copydata_mib_per_s: Math.round(median(trials.cdTp) * 10) / 10,
  pipe_mib_per_s: Math.round(median(trials.pipeTp) * 10) / 10,
};
console.log(JSON.stringify(result));
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
console.log(`
cell ${result.cell} (two processes, request/answer, median of ${TRIALS})
| measure                     | CopyData | message-mode pipe | ratio |
| --------------------------- | -------- | ----------------- | ----- |
| 64 B round trips per second | ${result.copydata_round_trips_per_s} | ${result.pipe_round_trips_per_s} | ${
  ratio(result.copydata_round_trips_per_s, result.pipe_round_trips_per_s)
} |
| 1 MiB messages, MiB/s       | ${result.copydata_mib_per_s} | ${result.pipe_mib_per_s} | ${
  ratio(result.copydata_mib_per_s, result.pipe_mib_per_s)
} |`);
