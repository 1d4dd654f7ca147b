// DDE between two processes: request round trips per second, and hot
// advise updates per second from the server process to this one, each
// against a message-mode named pipe doing the same in the same run (a
// 64-byte request answered with 64 bytes; 64-byte messages pushed by the
// server). Trials are interleaved (DDE, pipe, DDE, …) after one warm-up of
// each; each figure is the median. Prints one JSON object, then a table.
//   node tools/cell.mjs linux-deno bench/dde.ts [round trips] [updates] [trials]
import process from "node:process";
import { fileURLToPath } from "node:url";
import { platform, runtimeName, scriptCommand } from "../lib/ffi/mod.ts";
import { DdeClient } from "../lib/dde.ts";
import { NamedPipe } from "../lib/pipe.ts";
import { spawn } from "../lib/process.ts";

const ROUND_TRIPS = Number(process.argv[2] ?? 2000);
const UPDATES = Number(process.argv[3] ?? 20_000);
const TRIALS = Number(process.argv[4] ?? 3);
const FORMAT = "application/x-ipckit-bench";
const REQUEST = new Uint8Array(64).fill(7);
const tag = `${process.pid}-${Date.now() % 100000}`;
const service = `ipckit-bench-dde-${tag}`;
const pipeName = `ipckit-bench-ddepipe-${tag}`;

const peer = spawn(
  scriptCommand(fileURLToPath(new URL("./_dde_peer.ts", import.meta.url)), [service, pipeName]),
  { stdin: "null", stdout: "pipe", stderr: "inherit" },
);
const decoder = new TextDecoder();
let output = "";
for await (const chunk of peer.stdout!) {
  output += decoder.decode(chunk);
  if (output.includes("ready")) break;
}

const client = await DdeClient.connect({ service, topic: "bench", timeout: 10_000 });
const echo = await NamedPipe.connect({ name: pipeName, timeout: 10_000 });
const push = await NamedPipe.connect({ name: pipeName, timeout: 10_000 });
await push.write(new TextEncoder().encode("push 0"));
const loop = client.advise("x", { format: FORMAT });
await loop.started;
const updates = loop[Symbol.asyncIterator]();

const perSecond = (count: number, started: number) =>
  count / ((performance.now() - started) / 1000);

async function ddeRoundTrips(count: number): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < count; i++) await client.request("x", { format: FORMAT });
  return perSecond(count, started);
}

async function pipeRoundTrips(count: number): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    await echo.write(REQUEST);
    await echo.read();
  }
  return perSecond(count, started);
}

async function ddeUpdates(count: number): Promise<number> {
  const started = performance.now();
  await client.execute(`[advise ${count}]`);
  for (let i = 0; i < count; i++) await updates.next();
  return perSecond(count, started);
}

async function pipeUpdates(count: number): Promise<number> {
  const started = performance.now();
  await push.write(new TextEncoder().encode(`push ${count}`));
  for (let i = 0; i < count; i++) await push.read();
  return perSecond(count, started);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;

await ddeRoundTrips(Math.min(500, ROUND_TRIPS));
await pipeRoundTrips(Math.min(500, ROUND_TRIPS));
await ddeUpdates(Math.min(2000, UPDATES));
await pipeUpdates(Math.min(2000, UPDATES));

const trials = {
  ddeRt: [] as number[],
  pipeRt: [] as number[],
  ddeUp: [] as number[],
  pipeUp: [] as number[],
};
for (let t = 0; t < TRIALS; t++) {
  trials.ddeRt.push(await ddeRoundTrips(ROUND_TRIPS));
  trials.pipeRt.push(await pipeRoundTrips(ROUND_TRIPS));
  trials.ddeUp.push(await ddeUpdates(UPDATES));
  trials.pipeUp.push(await pipeUpdates(UPDATES));
}

await loop.stop();
await client.execute("[quit]");
await client.close();
await echo.close();
await push.close();
await peer.exited;

const result = {
  bench: "dde",
  cell: `${platform}-${runtimeName}`,
  processes: 2,
  trials: TRIALS,
  bytes: REQUEST.byteLength,
  round_trips: ROUND_TRIPS,
  dde_request_round_trips_per_s: Math.round(median(trials.ddeRt)),
  pipe_round_trips_per_s: Math.round(median(trials.pipeRt)),
  updates: UPDATES,
  dde_hot_updates_per_s: Math.round(median(trials.ddeUp)),
  pipe_messages_per_s: Math.round(median(trials.pipeUp)),
};
console.log(JSON.stringify(result));
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
console.log(`
cell ${result.cell} (two processes, 64 B, median of ${TRIALS})
| measure                                   | DDE | message-mode pipe | ratio |
| ----------------------------------------- | --- | ----------------- | ----- |
| request round trips per second            | ${result.dde_request_round_trips_per_s} | ${result.pipe_round_trips_per_s} | ${
  ratio(result.dde_request_round_trips_per_s, result.pipe_round_trips_per_s)
} |
| server-to-client updates per second (hot) | ${result.dde_hot_updates_per_s} | ${result.pipe_messages_per_s} | ${
  ratio(result.dde_hot_updates_per_s, result.pipe_messages_per_s)
} |`);
