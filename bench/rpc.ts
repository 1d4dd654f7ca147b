// Unary RPC calls of 64 bytes between two processes, in one run:
// - ipckit RPC over a named pipe, Bun server + Bun client and Deno server + Deno client;
// - ipckit over Connect/HTTP/1.1 on loopback TCP (application/proto POSTs with fetch);
// - ipckit's gRPC server (Bun and Deno) on a Unix socket, called by the grpc-js
//   client on Node (Linux only);
// - the baseline a user would reach for: @grpc/grpc-js client and server on
//   Node over a Unix socket, with the same proto3 codec (Linux only: Node is
//   not in the Windows cells).
// Each case reports calls/s and p50/p99 latency at concurrency 1 (one call at a
// time) and 32 (32 calls in flight on one connection). Prints one JSON object,
// then a table.
//   node tools/cell.mjs linux-bun bench/rpc.ts [calls] [trials]
import process from "node:process";
import { rmSync } from "node:fs";
import { platform } from "../lib/ffi/mod.ts";
import { spawn } from "../mod.ts";

const CALLS = Number(process.argv[2] ?? 20_000);
const TRIALS = Number(process.argv[3] ?? 3);
const CONCURRENCY = [1, 32];
const tag = `${process.pid}-${Date.now() % 100000}`;
let runs = 0;

const BUN = process.env.IPCKIT_BUN ?? "bun";
const DENO = process.env.IPCKIT_DENO ?? "deno";
const runtimes = {
  bun: (script: string, args: string[]) => [BUN, script, ...args],
  deno: (script: string, args: string[]) => [DENO, "run", "-A", "--quiet", script, ...args],
  node: (script: string, args: string[]) => ["node", script, ...args],
};

interface Figures {
  callsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

async function lines(stream: AsyncIterable<Uint8Array>, onLine: (line: string) => void) {
  const decoder = new TextDecoder();
  let pending = "";
  for await (const chunk of stream) {
    pending += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = pending.indexOf("\n")) >= 0) {
      onLine(pending.slice(0, nl).trim());
      pending = pending.slice(nl + 1);
    }
  }
}

/** Starts a server process, waits for its "ready", runs a client process, returns its figures. */
async function pair(
  server: string[],
  client: (ready: string) => string[],
): Promise<Figures> {
  const serving = spawn(server, { stdin: "pipe", stdout: "pipe", stderr: "inherit" });
  let ready = (_: string) => {};
  const isReady = new Promise<string>((resolve) => (ready = resolve));
  const serverOut = lines(serving.stdout!, (line) => line.startsWith("ready") && ready(line));
  const readyLine = await Promise.race([
    isReady,
    serving.exited.then(() => Promise.reject(new Error(`server ${server.join(" ")} exited`))),
  ]);
  const argv = client(readyLine.slice("ready".length).trim());
  const calling = spawn(argv, { stdin: "null", stdout: "pipe", stderr: "inherit" });
  let figures: Figures | null = null;
  await lines(calling.stdout!, (line) => {
    if (line.startsWith("{")) figures = JSON.parse(line);
  });
  await calling.exited;
  await serving.stdin!.close(); // the grpc-js server ends on EOF; ipckit's when its client has gone
  await serverOut;
  await serving.exited;
  if (!figures) throw new Error(`client ${argv.join(" ")} printed no figures`);
  return figures;
}

type Case = { name: string; run: (concurrency: number) => Promise<Figures> };

const cases: Case[] = [];
for (const runtime of ["bun", "deno"] as const) {
  cases.push({
    name: `ipckit pipe (${runtime})`,
    run: (concurrency) => {
      const name = `ipckit-bench-rpc-${tag}-${++runs}`;
      const command = runtimes[runtime];
      return pair(
        command("bench/_rpc_peer.ts", ["serve-pipe", name]),
        () =>
          command("bench/_rpc_peer.ts", ["client-pipe", name, String(concurrency), String(CALLS)]),
      );
    },
  });
}
for (const runtime of ["bun", "deno"] as const) {
  cases.push({
    name: `ipckit connect http (${runtime})`,
    run: (concurrency) => {
      const command = runtimes[runtime];
      return pair(
        command("bench/_rpc_peer.ts", ["serve-http"]),
        (url) =>
          command("bench/_rpc_peer.ts", ["client-http", url, String(concurrency), String(CALLS)]),
      );
    },
  });
}
if (platform === "linux") {
  for (const runtime of ["bun", "deno"] as const) {
    cases.push({
      name: `ipckit grpc unix (${runtime})`,
      run: async (concurrency) => {
        const path = `/tmp/ipckit-bench-grpc-${tag}-${++runs}.sock`;
        try {
          return await pair(
            runtimes[runtime]("bench/_rpc_peer.ts", ["serve-grpc", path]),
            () =>
              runtimes.node("bench/_grpc_peer.mjs", [
                "client",
                path,
                String(concurrency),
                String(CALLS),
              ]),
          );
        } finally {
          rmSync(path, { force: true });
        }
      },
    });
  }
  cases.push({
    name: "grpc-js unix socket (node)",
    run: (concurrency) => {
      const path = `/tmp/ipckit-bench-grpc-${tag}-${++runs}.sock`;
      return pair(
        runtimes.node("bench/_grpc_peer.mjs", ["serve", path]),
        () =>
          runtimes.node("bench/_grpc_peer.mjs", [
            "client",
            path,
            String(concurrency),
            String(CALLS),
          ]),
      );
    },
  });
}

// Trials interleave the cases, so a change in machine load hits all of them alike.
const results: Record<string, Record<number, Figures[]>> = {};
for (let trial = 0; trial < TRIALS; trial++) {
  for (const c of cases) {
    for (const concurrency of CONCURRENCY) {
      ((results[c.name] ??= {})[concurrency] ??= []).push(await c.run(concurrency));
    }
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const summary: Record<string, Record<string, Figures>> = {};
for (const [name, byConcurrency] of Object.entries(results)) {
  for (const [concurrency, figures] of Object.entries(byConcurrency)) {
    (summary[name] ??= {})[`c${concurrency}`] = {
      callsPerSecond: median(figures.map((f) => f.callsPerSecond)),
      p50Ms: median(figures.map((f) => f.p50Ms)),
      p99Ms: median(figures.map((f) => f.p99Ms)),
    };
  }
}
const baseline = summary["grpc-js unix socket (node)"];
console.log(JSON.stringify({ bench: "rpc", platform, calls: CALLS, trials: TRIALS, summary }));
console.log();
console.log("case                          conc   calls/s   p50 ms   p99 ms   vs grpc-js");
for (const [name, byConcurrency] of Object.entries(summary)) {
  for (const [conc, f] of Object.entries(byConcurrency)) {
    const ratio = baseline?.[conc]
      ? (f.callsPerSecond / baseline[conc]!.callsPerSecond).toFixed(2) + "x"
      : "-";
    console.log(
      `${name.padEnd(29)} ${conc.slice(1).padStart(4)} ${String(f.callsPerSecond).padStart(9)} ${
        f.p50Ms.toFixed(3).padStart(8)
      } ${f.p99Ms.toFixed(3).padStart(8)} ${ratio.padStart(12)}`,
    );
  }
}
