// TCP loopback between two processes: throughput in 64 KiB chunks and
// 64-byte round trips, ipckit (client and server) vs the runtime's own
// node:net (client and server, respecting `drain`), in the same run. Each
// figure is the median of several interleaved trials after a warm-up of
// each. Prints one JSON object, then a table.
//   node tools/cell.mjs linux-bun bench/sockets.ts [MiB] [round trips] [trials]
import net from "node:net";
import process from "node:process";
import { platform, runtimeName, scriptCommand } from "../lib/ffi/mod.ts";
import { type ChildProcess, Socket, spawn } from "../mod.ts";

const MIB = Number(process.argv[2] ?? 256);
const ROUND_TRIPS = Number(process.argv[3] ?? 5000);
const TRIALS = Number(process.argv[4] ?? 5);
const CHUNK = new Uint8Array(64 * 1024).map((_, i) => i & 0xff);
const TOTAL = MIB * 1024 * 1024;
const SMALL = new Uint8Array(64).fill(7);
const THROUGHPUT = new Uint8Array([0x54]); // "T"
const ROUND_TRIP = new Uint8Array([0x52]); // "R"

async function startServer(kind: "ipckit" | "net"): Promise<{ port: number; child: ChildProcess }> {
  const peer = new URL("./_sockets_peer.ts", import.meta.url).pathname.replace(
    /^\/([A-Za-z]:)/,
    "$1",
  );
  const child = spawn(scriptCommand(peer, [kind]), {
    stdin: "null",
    stdout: "pipe",
    stderr: "inherit",
  });
  let text = "";
  for await (const chunk of child.stdout!) {
    text += new TextDecoder().decode(chunk);
    const match = /port=(\d+)/.exec(text);
    if (match) return { port: Number(match[1]), child };
  }
  throw new Error(`the ${kind} server exited before listening`);
}

async function ipckitThroughput(port: number): Promise<number> {
  await using conn = await Socket.connect({ port });
  const started = performance.now();
  await conn.write(THROUGHPUT);
  let inFlight: Promise<void>[] = [];
  for (let sent = 0; sent < TOTAL; sent += CHUNK.byteLength) {
    inFlight.push(conn.write(CHUNK));
    if (inFlight.length >= 4) {
      await Promise.all(inFlight);
      inFlight = [];
    }
  }
  await Promise.all(inFlight);
  await conn.end();
  const answer = new TextDecoder().decode((await conn.read())!);
  if (Number(answer) !== TOTAL) throw new Error(`the server counted ${answer} bytes`);
  return MIB / ((performance.now() - started) / 1000);
}

function netThroughput(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: "127.0.0.1", noDelay: true });
    let started = 0;
    let answer = "";
    socket.on("connect", () => {
      started = performance.now();
      socket.write(THROUGHPUT);
      let sent = 0;
      const pump = () => {
        while (sent < TOTAL) {
          sent += CHUNK.byteLength;
          if (!socket.write(CHUNK)) return void socket.once("drain", pump);
        }
        socket.end();
      };
      pump();
    });
    socket.on("data", (d) => (answer += d.toString()));
    socket.on("end", () => {
      if (Number(answer) !== TOTAL) return reject(new Error(`the server counted ${answer} bytes`));
      resolve(MIB / ((performance.now() - started) / 1000));
    });
    socket.on("error", reject);
  });
}

async function ipckitRoundTrips(port: number): Promise<number> {
  await using conn = await Socket.connect({ port });
  await conn.write(ROUND_TRIP);
  await conn.read(); // the job byte's echo
  const started = performance.now();
  for (let i = 0; i < ROUND_TRIPS; i++) {
    await conn.write(SMALL);
    let got = 0;
    while (got < SMALL.byteLength) got += (await conn.read())!.byteLength;
  }
  const perSecond = ROUND_TRIPS / ((performance.now() - started) / 1000);
  await conn.end();
  return perSecond;
}

function netRoundTrips(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: "127.0.0.1", noDelay: true });
    let started = 0;
    let done = 0;
    let got = -1; // the job byte's echo comes first
    socket.on("connect", () => socket.write(ROUND_TRIP));
    socket.on("data", (d: Uint8Array) => {
      got += d.byteLength;
      if (started === 0) {
        if (got < 0) return;
        started = performance.now();
        got = 0;
        socket.write(SMALL);
        return;
      }
      while (got >= SMALL.byteLength) {
        got -= SMALL.byteLength;
        if (++done === ROUND_TRIPS) {
          resolve(ROUND_TRIPS / ((performance.now() - started) / 1000));
          socket.end();
          return;
        }
        socket.write(SMALL);
      }
    });
    socket.on("error", reject);
  });
}

const round = (x: number) => Math.round(x * 10) / 10;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function interleaved(contenders: (() => Promise<number>)[]): Promise<number[]> {
  for (const run of contenders) await run();
  const results: number[][] = contenders.map(() => []);
  for (let t = 0; t < TRIALS; t++) {
    for (const [i, run] of contenders.entries()) results[i]!.push(await run());
  }
  return results.map(median);
}

const ipckitServer = await startServer("ipckit");
const netServer = await startServer("net");
const [tpIpckit, tpNet] = await interleaved([
  () => ipckitThroughput(ipckitServer.port),
  () => netThroughput(netServer.port),
]);
const [rtIpckit, rtNet] = await interleaved([
  () => ipckitRoundTrips(ipckitServer.port),
  () => netRoundTrips(netServer.port),
]);
ipckitServer.child.kill();
netServer.child.kill();
await Promise.all([ipckitServer.child.exited, netServer.child.exited]);

const result = {
  bench: "sockets",
  cell: `${platform}-${runtimeName}`,
  mib: MIB,
  round_trips: ROUND_TRIPS,
  trials: TRIALS,
  throughput_mib_s: {
    ipckit: round(tpIpckit!),
    node_net: round(tpNet!),
    ratio: Math.round((tpIpckit! / tpNet!) * 100) / 100,
  },
  round_trips_per_s: {
    ipckit: round(rtIpckit!),
    node_net: round(rtNet!),
    ratio: Math.round((rtIpckit! / rtNet!) * 100) / 100,
  },
};
console.log(JSON.stringify(result));
console.log(`
cell ${result.cell}  (two processes, TCP loopback)  ipckit    node:net   ratio
throughput 64 KiB (MiB/s)  ${String(result.throughput_mib_s.ipckit).padStart(14)}  ${
  String(result.throughput_mib_s.node_net).padStart(10)
}  ${result.throughput_mib_s.ratio}
round trip 64 B (1/s)      ${String(result.round_trips_per_s.ipckit).padStart(14)}  ${
  String(result.round_trips_per_s.node_net).padStart(10)
}  ${result.round_trips_per_s.ratio}`);
process.exit(0);
