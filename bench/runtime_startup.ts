// Start-up of a 20-process topology to all-ready under `ipckit run`, against
// spawning the same 20 commands directly, in the same run.
// Prints one JSON object, then a table.   node tools/cell.mjs linux-bun bench/runtime_startup.ts
//
// The direct side is measured twice. "direct" spawns from this (long-lived,
// warmed-up) bench process. "direct, fresh process" runs the same code once in
// a new process of the same runtime, timed from its first spawn like the
// supervisor's clock is timed from its run phase: `ipckit run` is always a
// fresh process, so this pairs cold code with cold code.
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { platform, runtimeName, scriptCommand } from "../lib/ffi/mod.ts";

const PROCESSES = 20;
const DIRECT_ONCE = "--direct-once";
const ROUNDS = Number(process.argv[2] ?? 5);
const CHILD = ["bun", "-e", "console.log('up'); setInterval(() => {}, 1000)"];

// An absolute path: Bun under Wine fails to open some relative paths for writing.
const directory = fileURLToPath(new URL("../.cache/bench/", import.meta.url));
mkdirSync(directory, { recursive: true });
const topologyFile = `${directory}startup20.ipc`;
writeFileSync(
  topologyFile,
  [
    "topology startup20",
    ...Array.from(
      { length: PROCESSES },
      (_, i) => `process p${i} { run = ${JSON.stringify(CHILD)}\n  ready = log("^up$") }`,
    ),
    "",
  ].join("\n"),
);

/**
 * Milliseconds from spawning `ipckit run` until its JSON output reports every
 * process ready (`endToEnd`), and the same measured by the supervisor's own
 * clock from the start of the run phase (`supervisor`: after the CLI started
 * and checked the file, so it compares the start-up machinery itself).
 */
function timeTopology(): Promise<{ endToEnd: number; supervisor: number }> {
  return new Promise((resolve, reject) => {
    const [command, ...args] = scriptCommand("cli/main.ts", ["run", "--json", topologyFile]);
    const started = performance.now();
    // The checker's warnings (no flows) are shown only if the run fails.
    const child = spawn(command!, args, { stdio: ["ignore", "pipe", "pipe"] });
    let errors = "";
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (errors += chunk));
    let ready = 0;
    let buffered = "";
    let elapsed = 0;
    let supervisorMs = 0;
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split("\n");
      buffered = lines.pop()!;
      for (const line of lines) {
        if (!line.startsWith("{")) continue;
        const event = JSON.parse(line) as { event?: string; t: number };
        if (event.event === "ready" && ++ready === PROCESSES) {
          elapsed = performance.now() - started;
          supervisorMs = event.t;
          child.kill("SIGINT");
        }
      }
    });
    child.on(
      "exit",
      (code) =>
        elapsed > 0
          ? resolve({ endToEnd: elapsed, supervisor: supervisorMs })
          : reject(new Error(`ipckit run exited ${code} early:\n${errors}`)),
    );
  });
}

/** Milliseconds from spawning the 20 commands until each printed its ready line. */
async function timeDirect(): Promise<number> {
  const started = performance.now();
  const children = Array.from(
    { length: PROCESSES },
    () => spawn(CHILD[0]!, CHILD.slice(1), { stdio: ["ignore", "pipe", "inherit"] }),
  );
  await Promise.all(children.map((child) =>
    new Promise<void>((resolve) => {
      let out = "";
      child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
        out += chunk;
        if (/^up$/m.test(out)) resolve();
      });
    })
  ));
  const elapsed = performance.now() - started;
  await Promise.all(children.map((child) => {
    child.kill();
    return new Promise((resolve) => child.once("exit", resolve));
  }));
  return elapsed;
}

/** {@link timeDirect} once, in a fresh process of this runtime. */
function timeDirectInFreshProcess(): Promise<number> {
  return new Promise((resolve, reject) => {
    const [command, ...args] = scriptCommand(fileURLToPath(import.meta.url), [DIRECT_ONCE]);
    const child = spawn(command!, args, { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
    // "close", not "exit": all of its output has arrived by then.
    child.on("close", (code) => {
      const ms = Number(out.trim());
      if (code === 0 && ms > 0) resolve(ms);
      else reject(new Error(`the fresh direct spawner exited ${code}: ${out}`));
    });
  });
}

if (process.argv[2] === DIRECT_ONCE) {
  // The figure for timeDirectInFreshProcess(); the process then ends by itself, its output flushed.
  console.log(await timeDirect());
} else {
  await main();
}

/** The rounds, the JSON object and the table. */
async function main(): Promise<void> {
  const endToEnd: number[] = [];
  const supervisor: number[] = [];
  const direct: number[] = [];
  const directFresh: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    direct.push(await timeDirect());
    directFresh.push(await timeDirectInFreshProcess());
    const timing = await timeTopology();
    endToEnd.push(timing.endToEnd);
    supervisor.push(timing.supervisor);
  }
  const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const result = {
    bench: "runtime_startup",
    runtime: runtimeName,
    platform,
    processes: PROCESSES,
    rounds: ROUNDS,
    direct_ms_median: Math.round(median(direct)),
    direct_fresh_process_ms_median: Math.round(median(directFresh)),
    supervisor_ms_median: Math.round(median(supervisor)),
    end_to_end_ms_median: Math.round(median(endToEnd)),
    ratio_supervisor: Math.round((median(supervisor) / median(direct)) * 100) / 100,
    ratio_end_to_end: Math.round((median(endToEnd) / median(direct)) * 100) / 100,
    ratio_supervisor_vs_fresh_direct: Math.round((median(supervisor) / median(directFresh)) * 100) /
      100,
    goal_ratio_at_most: 1.3,
  };
  console.log(JSON.stringify(result));
  console.log();
  console.log(
    `${runtimeName} on ${platform}: ${PROCESSES} processes to all-ready (median of ${ROUNDS})`,
  );
  console.log(`direct spawn   ${String(result.direct_ms_median).padStart(6)} ms   (this process)`);
  console.log(
    `direct spawn   ${
      String(result.direct_fresh_process_ms_median).padStart(6)
    } ms   (a fresh process, from its first spawn)`,
  );
  console.log(
    `ipckit run     ${
      String(result.supervisor_ms_median).padStart(6)
    } ms   (${result.ratio_supervisor}x, goal <= 1.3x; run phase, supervisor clock)`,
  );
  console.log(
    `ipckit run     ${
      String(result.end_to_end_ms_median).padStart(6)
    } ms   (${result.ratio_end_to_end}x; end to end, incl. CLI start and check)`,
  );
  console.log(
    `               ${
      " ".repeat(6)
    }      (${result.ratio_supervisor_vs_fresh_direct}x of the fresh-process direct spawn)`,
  );
  process.exit(0);
}
