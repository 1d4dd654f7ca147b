// Named pipe throughput (64 KiB chunks) and round trips (64-byte messages):
// ipckit vs the runtime's own node:net over the same kind of pipe (Windows
// `\\.\pipe\…`, Linux a Unix socket), in the same run. Server and client are
// in one process for both, so the comparison is like for like.
// Each figure is the median of several trials, run interleaved (ipckit, node:net,
// ipckit, …) after one warm-up of each, so a change in machine load hits both
// sides alike. Prints one JSON object, then a table.
//   node tools/cell.mjs windows-bun bench/pipes.ts [MiB] [round trips] [trials]
import net from "node:net";
import process from "node:process";
import { platform, runtimeName } from "../lib/ffi/mod.ts";
import { NamedPipe } from "../mod.ts";

const MIB = Number(process.argv[2] ?? 256);
const ROUND_TRIPS = Number(process.argv[3] ?? 5000);
const TRIALS = Number(process.argv[4] ?? 5);
const CHUNK = new Uint8Array(64 * 1024).map((_, i) => i & 0xff);
const SMALL = new Uint8Array(64).fill(7);
const TOTAL = MIB * 1024 * 1024;
const tag = `${process.pid}-${Date.now() % 100000}`;
let runs = 0; // every run gets fresh names

async function ipckitThroughput(): Promise<number> {
  const name = `ipckit-bench-tp-${tag}-${++runs}`;
  await using server = NamedPipe.serve({ name });
  const accepted = server.accept();
  const client = await NamedPipe.connect({ name });
  const conn = await accepted;
  const started = performance.now();
  const reading = (async () => {
    let got = 0;
    for await (const chunk of conn) {
      got += chunk.byteLength;
      if (got >= TOTAL) break;
    }
  })();
  let inFlight: Promise<void>[] = [];
  for (let sent = 0; sent < TOTAL; sent += CHUNK.byteLength) {
    inFlight.push(client.write(CHUNK));
    if (inFlight.length >= 4) {
      await Promise.all(inFlight);
      inFlight = [];
    }
  }
  await Promise.all(inFlight);
  await reading;
  const seconds = (performance.now() - started) / 1000;
  await client.close();
  await conn.close();
  return MIB / seconds;
}

async function ipckitRoundTrips(mode: "byte" | "message"): Promise<number> {
  const name = `ipckit-bench-rt-${mode}-${tag}-${++runs}`;
  await using server = NamedPipe.serve({ name, mode });
  const accepted = server.accept();
  const client = await NamedPipe.connect({ name });
  const conn = await accepted;
  const echo = (async () => {
    let pending = 0;
    for await (const chunk of conn) {
      pending += chunk.byteLength;
      while (pending >= SMALL.byteLength) {
        pending -= SMALL.byteLength;
        await conn.write(SMALL);
      }
    }
  })();
  const started = performance.now();
  for (let i = 0; i < ROUND_TRIPS; i++) {
    await client.write(SMALL);
    let got = 0;
    while (got < SMALL.byteLength) got += (await client.read())!.byteLength;
  }
  const seconds = (performance.now() - started) / 1000;
  await client.close();
  await echo.catch(() => {});
  await conn.close();
  return ROUND_TRIPS / seconds;
}

function netPath(name: string): string {
  return NamedPipe.path(name);
}

async function netThroughput(): Promise<number> {
  const path = netPath(`ipckit-bench-net-tp-${tag}-${++runs}`);
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const server = net.createServer((socket) => {
    let got = 0;
    socket.on("data", (d: Uint8Array) => {
      got += d.byteLength;
      if (got >= TOTAL) done();
    });
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  const client = net.connect(path);
  await new Promise<void>((resolve) => client.on("connect", resolve));
  const started = performance.now();
  let sent = 0;
  await new Promise<void>((resolve) => {
    const pump = () => {
      while (sent < TOTAL) {
        sent += CHUNK.byteLength;
        if (!client.write(CHUNK)) return void client.once("drain", pump);
      }
      resolve();
    };
    pump();
  });
  await finished;
  const seconds = (performance.now() - started) / 1000;
  client.destroy();
  await new Promise((resolve) => server.close(resolve));
  return MIB / seconds;
}

async function netRoundTrips(): Promise<number> {
  const path = netPath(`ipckit-bench-net-rt-${tag}-${++runs}`);
  const server = net.createServer((socket) => {
    let pending = 0;
    socket.on("data", (d: Uint8Array) => {
      pending += d.byteLength;
      while (pending >= SMALL.byteLength) {
        pending -= SMALL.byteLength;
        socket.write(SMALL);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  const client = net.connect(path);
  await new Promise<void>((resolve) => client.on("connect", resolve));
  let got = 0;
  let waiting: (() => void) | null = null;
  client.on("data", (d: Uint8Array) => {
    got += d.byteLength;
    if (got >= SMALL.byteLength && waiting) {
      const w = waiting;
      waiting = null;
      w();
    }
  });
  const started = performance.now();
  for (let i = 0; i < ROUND_TRIPS; i++) {
    got = 0;
    const reply = new Promise<void>((resolve) => (waiting = resolve));
    client.write(SMALL);
    await reply;
  }
  const seconds = (performance.now() - started) / 1000;
  client.destroy();
  await new Promise((resolve) => server.close(resolve));
  return ROUND_TRIPS / seconds;
}

const round = (x: number) => Math.round(x * 10) / 10;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Runs every contender once to warm up, then `TRIALS` interleaved rounds; medians. */
async function interleaved<T extends (() => Promise<number>)[]>(
  contenders: [...T],
): Promise<{ [K in keyof T]: number }> {
  for (const run of contenders) await run();
  const results: number[][] = contenders.map(() => []);
  for (let t = 0; t < TRIALS; t++) {
    for (const [i, run] of contenders.entries()) results[i]!.push(await run());
  }
  return results.map(median) as { [K in keyof T]: number };
}

const [tpIpckit, tpNet] = await interleaved([ipckitThroughput, netThroughput]);
const [rtIpckit, rtIpckitMessage, rtNet] = await interleaved([
  () => ipckitRoundTrips("byte"),
  () => ipckitRoundTrips("message"),
  netRoundTrips,
]);
const result = {
  bench: "pipes",
  cell: `${platform}-${runtimeName}`,
  mib: MIB,
  round_trips: ROUND_TRIPS,
  trials: TRIALS,
  throughput_mib_s: {
    ipckit: round(tpIpckit),
    node_net: round(tpNet),
    ratio: Math.round((tpIpckit / tpNet) * 100) / 100,
  },
  round_trips_per_s: {
    ipckit_byte: round(rtIpckit),
    ipckit_message: round(rtIpckitMessage),
    node_net: round(rtNet),
    ratio: Math.round((rtIpckit / rtNet) * 100) / 100,
  },
};
console.log(JSON.stringify(result));
console.log(`
cell ${result.cell}              ipckit        node:net     ratio
throughput 64 KiB (MiB/s)  ${String(round(tpIpckit)).padStart(10)}  ${
  String(round(tpNet)).padStart(10)
}  ${result.throughput_mib_s.ratio}
round trip 64 B (1/s)      ${String(round(rtIpckit)).padStart(10)}  ${
  String(round(rtNet)).padStart(10)
}  ${result.round_trips_per_s.ratio}
round trip 64 B, message   ${String(round(rtIpckitMessage)).padStart(10)}`);
process.exit(0);
