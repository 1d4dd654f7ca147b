// Cross-process latency and throughput: ipckit against what a user already has,
// between two processes of the same runtime, all in one run (issue #15).
//   - 64 B round trips over an ipckit named pipe (byte and message mode) vs node:net on
//     the same OS path (Windows `\\.\pipe\…`, Linux a Unix socket): p50, p99, rate;
//   - 64 KiB throughput over the same pipes, node:net's backpressure (`drain`) respected;
//   - an Event ping-pong vs the runtime's own child-process IPC (fork + send);
//   - the wake-up of a wait that went idle: 64 B round trips whose peer holds each answer for
//     PAUSE_US (busy, so no timer blurs it), minus that pause, pipe (byte mode) vs node:net;
//   - start-up of 20 processes under `ipckit run` vs direct spawning (bench/runtime_startup.ts,
//     run as a child of the same runtime in the same run);
//   - an extra line: both pipe ends in one process (the figure bench/pipes.ts measures).
// Every contender keeps one peer process for the whole run; after a warm-up, trials run
// interleaved (ipckit, node:net, …, then again) so a change in machine load hits all alike.
// Rates are the median over trials; p50/p99 are over every timed round trip.
// Prints one JSON object, then a table.
//   npm run cell -- linux-bun bench/latency.ts [round trips per trial] [trials] [MiB per trial] [start-up rounds]
import { fork, spawn } from "node:child_process";
import net from "node:net";
import process from "node:process";
import { platform, runtimeName, scriptCommand } from "../lib/ffi/mod.ts";
import { Event, NamedPipe } from "../mod.ts";

const here = (file: string) =>
  new URL(file, import.meta.url).pathname.replace(/^\/([A-Za-z]:)/, "$1");
const PEER = here("./_latency_peer.ts");
const STARTUP = here("./runtime_startup.ts");
const windows = platform === "windows";
const ROUND_TRIPS = Number(process.argv[2] ?? (windows ? 1000 : 3000));
const TRIALS = Number(process.argv[3] ?? 5);
const MIB = Number(process.argv[4] ?? (windows ? 16 : 64));
const STARTUP_ROUNDS = Number(process.argv[5] ?? 3);
const WARM_UP = 200;
/** How long the peer holds each answer in the wake-up comparison: long past every spin (µs). */
const PAUSE_US = 3000;
/** Round trips per trial of the wake-up comparison, and before its first trial. */
const PAUSE_ROUNDS = Math.min(ROUND_TRIPS, windows ? 100 : 200);
const PAUSE_WARM_UP = 20;
const SMALL = new Uint8Array(64).fill(7);
const CHUNK = new Uint8Array(64 * 1024).map((_, i) => i & 0xff);
const SEGMENT = MIB * 1024 * 1024;
const tag = `ipckit-lat-${process.pid}`;

/** A peer process of this runtime; resolves its exit. */
function peer(args: string[]): Promise<unknown> {
  const [command, ...rest] = scriptCommand(PEER, args);
  const child = spawn(command!, rest, { stdio: ["ignore", "inherit", "inherit"] });
  return new Promise((resolve) => child.on("close", resolve));
}

/** One side of a comparison: a round trip (or a segment of bytes) at a time, then stop. */
interface Contender {
  /** One 64 B round trip, or (throughput) one segment of MIB MiB acknowledged by the peer. */
  once(): Promise<void>;
  stop(): Promise<void>;
}

async function pipeServer(mode: "byte" | "message", role: string[]) {
  const name = `${tag}-${role[0]}-${mode}`;
  const server = NamedPipe.serve({ name, mode });
  const accepted = server.accept();
  const exited = peer([role[0]!, name, ...role.slice(1)]);
  const conn = await accepted;
  const stop = async () => {
    await conn.close();
    await server.close();
    await exited;
  };
  return { conn, stop };
}

async function ipckitRoundTrip(mode: "byte" | "message", pauseUs = 0): Promise<Contender> {
  const { conn, stop } = await pipeServer(mode, ["pipe-echo", String(pauseUs)]);
  return {
    async once() {
      await conn.write(SMALL);
      let got = 0;
      while (got < SMALL.byteLength) got += (await conn.read())!.byteLength;
    },
    stop,
  };
}

async function ipckitThroughput(): Promise<Contender> {
  const { conn, stop } = await pipeServer("byte", ["pipe-sink", String(SEGMENT)]);
  return {
    async once() {
      let inFlight: Promise<void>[] = [];
      for (let sent = 0; sent < SEGMENT; sent += CHUNK.byteLength) {
        inFlight.push(conn.write(CHUNK));
        if (inFlight.length >= 4) {
          await Promise.all(inFlight);
          inFlight = [];
        }
      }
      await Promise.all(inFlight);
      await conn.read(); // the peer's 1-byte acknowledgement of the whole segment
    },
    stop,
  };
}

/** node:net on the path an ipckit pipe of that name would use. */
async function netServer(role: string[]) {
  const path = NamedPipe.path(`${tag}-net-${role[0]}`);
  let take!: (socket: net.Socket) => void;
  const accepted = new Promise<net.Socket>((resolve) => (take = resolve));
  const server = net.createServer((socket) => take(socket));
  await new Promise<void>((resolve) => server.listen(path, resolve));
  const exited = peer([role[0]!, path, ...role.slice(1)]);
  const socket = await accepted;
  socket.setNoDelay?.(true);
  let got = 0;
  let want = 0;
  let arrived: (() => void) | null = null;
  socket.on("data", (chunk: Uint8Array) => {
    got += chunk.byteLength;
    if (got >= want && arrived) {
      const resolve = arrived;
      arrived = null;
      resolve();
    }
  });
  /** Resolves once `bytes` more bytes have arrived. */
  const receive = (bytes: number) =>
    new Promise<void>((resolve) => {
      got -= want;
      want = bytes;
      if (got >= want) resolve();
      else arrived = resolve;
    });
  const stop = async () => {
    socket.destroy();
    await new Promise((resolve) => server.close(resolve));
    await exited;
  };
  return { socket, receive, stop };
}

async function netRoundTrip(pauseUs = 0): Promise<Contender> {
  const { socket, receive, stop } = await netServer(["net-echo", String(pauseUs)]);
  return {
    once() {
      const reply = receive(SMALL.byteLength);
      socket.write(SMALL);
      return reply;
    },
    stop,
  };
}

async function netThroughput(): Promise<Contender> {
  const { socket, receive, stop } = await netServer(["net-sink", String(SEGMENT)]);
  return {
    async once() {
      const ack = receive(1);
      let sent = 0;
      await new Promise<void>((resolve) => {
        const pump = () => {
          while (sent < SEGMENT) {
            sent += CHUNK.byteLength;
            if (!socket.write(CHUNK)) return void socket.once("drain", pump);
          }
          resolve();
        };
        pump();
      });
      await ack;
    },
    stop,
  };
}

async function eventPingPong(): Promise<Contender> {
  const ping = Event.create({ name: `${tag}-ping` });
  const pong = Event.create({ name: `${tag}-pong` });
  const rounds = WARM_UP + TRIALS * ROUND_TRIPS;
  const exited = peer(["event", `${tag}-ping`, `${tag}-pong`, String(rounds)]);
  await pong.wait({ timeout: 60_000 }); // the peer is ready
  return {
    async once() {
      ping.set();
      await pong.wait();
    },
    async stop() {
      await exited;
      ping.close();
      pong.close();
    },
  };
}

async function runtimeIpc(): Promise<Contender> {
  const argv = scriptCommand(PEER, ["ipc"]);
  // fork() runs a module with the current runtime; the runtime's own flags go in execArgv.
  const child = fork(PEER, ["ipc"], {
    execPath: argv[0]!,
    execArgv: argv.slice(1, argv.indexOf(PEER)),
  });
  const payload = "x".repeat(64);
  const once = () =>
    new Promise<void>((resolve) => {
      child.once("message", () => resolve());
      child.send(payload);
    });
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    once(),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error("no reply in 60 s")), 60_000);
    }),
  ]).finally(() => clearTimeout(timer));
  return {
    once,
    async stop() {
      const exited = new Promise((resolve) => child.on("exit", resolve));
      child.send("done");
      await exited;
    },
  };
}

interface Figures {
  /** Median over trials of round trips (or MiB) per second. */
  rate: number;
  p50_us?: number;
  p99_us?: number;
}

/** Starts every contender, warms each up, then runs `TRIALS` interleaved trials of each. */
async function compare(
  starters: Record<string, () => Promise<Contender>>,
  perTrial: number,
  unit: number,
  warmUp = WARM_UP,
): Promise<Record<string, Figures | string>> {
  const running: [string, Contender][] = [];
  const out: Record<string, Figures | string> = {};
  for (const [name, start] of Object.entries(starters)) {
    try {
      running.push([name, await start()]);
    } catch (error) {
      out[name] = `unavailable: ${(error as Error).message}`;
    }
  }
  const samples = new Map<string, number[]>(running.map(([name]) => [name, []]));
  const rates = new Map<string, number[]>(running.map(([name]) => [name, []]));
  for (const [, contender] of running) {
    for (let i = 0; i < (perTrial === 1 ? 1 : warmUp); i++) await contender.once();
  }
  for (let t = 0; t < TRIALS; t++) {
    for (const [name, contender] of running) {
      const times = samples.get(name)!;
      const t0 = performance.now();
      for (let i = 0; i < perTrial; i++) {
        const s = performance.now();
        await contender.once();
        times.push(performance.now() - s);
      }
      rates.get(name)!.push((perTrial * unit) / ((performance.now() - t0) / 1000));
    }
  }
  for (const [name, contender] of running) {
    await contender.stop();
    const sorted = samples.get(name)!.sort((a, b) => a - b);
    const at = (q: number) =>
      round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! * 1000, 1);
    out[name] = perTrial === 1
      ? { rate: round(median(rates.get(name)!), 1) }
      : { rate: Math.round(median(rates.get(name)!)), p50_us: at(0.5), p99_us: at(0.99) };
  }
  return out;
}

/** Both pipe ends in this process (bench/pipes.ts's setting), ipckit byte mode and node:net. */
async function inProcess(): Promise<{ ipckit: number; node_net: number }> {
  const n = ROUND_TRIPS;
  const name = `${tag}-inproc`;
  const server = NamedPipe.serve({ name });
  const accepted = server.accept();
  const client = await NamedPipe.connect({ name });
  const conn = await accepted;
  const echo = (async () => {
    for await (const chunk of conn) await conn.write(chunk);
  })();
  const trip = async () => {
    await client.write(SMALL);
    let got = 0;
    while (got < SMALL.byteLength) got += (await client.read())!.byteLength;
  };
  for (let i = 0; i < WARM_UP; i++) await trip();
  let t0 = performance.now();
  for (let i = 0; i < n; i++) await trip();
  const ipckit = n / ((performance.now() - t0) / 1000);
  await client.close();
  await echo.catch(() => {});
  await conn.close();
  await server.close();

  const path = NamedPipe.path(`${tag}-inproc-net`);
  const netServer = net.createServer((socket) => socket.on("data", (d) => socket.write(d)));
  await new Promise<void>((resolve) => netServer.listen(path, resolve));
  const socket = net.connect(path);
  await new Promise<void>((resolve) => socket.on("connect", resolve));
  let got = 0;
  let arrived: (() => void) | null = null;
  socket.on("data", (d: Uint8Array) => {
    got += d.byteLength;
    if (got >= SMALL.byteLength) arrived?.();
  });
  const netTrip = () =>
    new Promise<void>((resolve) => {
      got = 0;
      arrived = resolve;
      socket.write(SMALL);
    });
  for (let i = 0; i < WARM_UP; i++) await netTrip();
  t0 = performance.now();
  for (let i = 0; i < n; i++) await netTrip();
  const nodeNet = n / ((performance.now() - t0) / 1000);
  socket.destroy();
  await new Promise((resolve) => netServer.close(resolve));
  return { ipckit: Math.round(ipckit), node_net: Math.round(nodeNet) };
}

/** bench/runtime_startup.ts's JSON, run as a child of this runtime. */
function startup(): Promise<Record<string, number> | string> {
  return new Promise((resolve) => {
    const [command, ...args] = scriptCommand(STARTUP, [String(STARTUP_ROUNDS)]);
    const child = spawn(command!, args, { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
    child.on("close", (code) => {
      const line = out.split("\n").find((l) => l.startsWith("{"));
      resolve(code === 0 && line ? JSON.parse(line) : `failed: exit ${code}`);
    });
  });
}

const round = (x: number, digits = 2) => Number(x.toFixed(digits));
const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ratio = (a: Figures | string | undefined, b: Figures | string | undefined, inverse = false) =>
  typeof a === "object" && typeof b === "object"
    ? round(inverse ? b.rate / a.rate : a.rate / b.rate)
    : null;

const trips = await compare(
  {
    pipe_byte: () => ipckitRoundTrip("byte"),
    pipe_message: () => ipckitRoundTrip("message"),
    node_net: netRoundTrip,
    event: eventPingPong,
    runtime_ipc: runtimeIpc,
  },
  ROUND_TRIPS,
  1,
);
const paused = await compare(
  { pipe: () => ipckitRoundTrip("byte", PAUSE_US), node_net: () => netRoundTrip(PAUSE_US) },
  PAUSE_ROUNDS,
  1,
  PAUSE_WARM_UP,
);
/** The wake-up after an idle wait: the round trip's p50/p99 less the peer's pause. */
const wake = Object.fromEntries(
  Object.entries(paused).map(([name, f]) => [
    name,
    typeof f === "string" ? f : {
      p50_us: round(f.p50_us! - PAUSE_US, 1),
      p99_us: round(f.p99_us! - PAUSE_US, 1),
    },
  ]),
);
const throughput = await compare({ pipe: ipckitThroughput, node_net: netThroughput }, 1, MIB);
const local = await inProcess();
const start = STARTUP_ROUNDS > 0 ? await startup() : "skipped";

const result = {
  bench: "latency",
  cell: `${platform}-${runtimeName}`,
  round_trips_per_trial: ROUND_TRIPS,
  trials: TRIALS,
  mib_per_trial: MIB,
  round_trip_64b: trips,
  pipe_byte_vs_node_net: ratio(trips.pipe_byte, trips.node_net),
  pipe_message_vs_node_net: ratio(trips.pipe_message, trips.node_net),
  // Round-trip time ratio (goal <= 2 on Linux): runtime IPC rate / event rate.
  event_vs_runtime_ipc_time: ratio(trips.event, trips.runtime_ipc, true),
  // p50/p99 µs from the peer's answer to this process having it, after a wait that went idle.
  wake_after_pause_us: wake,
  throughput_64kib_mib_s: throughput,
  throughput_pipe_vs_node_net: ratio(throughput.pipe, throughput.node_net),
  startup_20: typeof start === "string" ? start : {
    direct_ms: start.direct_ms_median,
    ipckit_run_ms: start.supervisor_ms_median,
    ratio: start.ratio_supervisor,
  },
  in_process_round_trips_per_s: local,
};
console.log(JSON.stringify(result));
const row = (label: string, f: Figures | string | undefined) =>
  typeof f === "object"
    ? `${label.padEnd(34)}${String(f.rate).padStart(10)}${String(f.p50_us ?? "").padStart(9)}${
      String(f.p99_us ?? "").padStart(9)
    }`
    : `${label.padEnd(34)}${f}`;
const wakeRow = (label: string, f: { p50_us: number; p99_us: number } | string | undefined) =>
  typeof f === "object"
    ? `${label.padEnd(34)}${"-".padStart(10)}${String(f.p50_us).padStart(9)}${
      String(f.p99_us).padStart(9)
    }`
    : `${label.padEnd(34)}${f}`;
console.log(`
${result.cell}: between two processes          rate   p50 µs   p99 µs
${row("pipe 64 B round trips/s, byte", trips.pipe_byte)}
${row("pipe 64 B round trips/s, message", trips.pipe_message)}
${row("node:net 64 B round trips/s", trips.node_net)}
${row("event ping-pong round trips/s", trips.event)}
${row("runtime IPC round trips/s", trips.runtime_ipc)}
${wakeRow(`pipe wake after ${PAUSE_US / 1000} ms idle`, wake.pipe)}
${wakeRow(`node:net wake after ${PAUSE_US / 1000} ms idle`, wake.node_net)}
${row("pipe 64 KiB MiB/s", throughput.pipe)}
${row("node:net 64 KiB MiB/s", throughput.node_net)}
ratios: pipe byte ${result.pipe_byte_vs_node_net}x, message ${result.pipe_message_vs_node_net}x node:net (goal >= 1);\
 throughput ${result.throughput_pipe_vs_node_net}x (goal >= 1);\
 event time ${result.event_vs_runtime_ipc_time}x runtime IPC (goal <= 2 on Linux)
start-up of 20: ${JSON.stringify(result.startup_20)} (goal <= 1.3 on Linux)
in one process (extra line): ipckit ${local.ipckit}/s, node:net ${local.node_net}/s`);
process.exit(0);
