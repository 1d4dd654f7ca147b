/**
 * DSL benchmarks (`npm run bench:dsl`, runs under Bun):
 * - parse + check of generated topologies of 500 and 5,000 processes; the
 *   time ratio should stay near 10× (linear);
 * - `ipckit check` start-up on a small file, next to a bare `bun -e ''`.
 * Prints JSON, then a readable table. Nothing here is asserted.
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { checkSource } from "../dsl/mod.ts";
import { parse } from "../dsl/parse.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/**
 * Generates a topology with `processes` processes in groups of ten: a
 * dispatcher serving a pipe to eight workers, the workers logging to a
 * mailslot, and a shared buffer guarded by a mutex.
 *
 * @param processes A multiple of 10.
 * @returns The `.ipc` text.
 * @example Generating 500 processes
 * ```ts
 * import { generate } from "./dsl_parse.ts";
 * const text = generate(500);
 * ```
 */
export function generate(processes: number): string {
  const out = ["topology generated", "param workers_per_group = 8", ""];
  for (let g = 0; g < processes / 10; g++) {
    out.push(
      `pipe jobs_${g} { mode = message, instances = workers_per_group, server = dispatcher_${g} }`,
      `mailslot log_${g} { max_message = 424B }`,
      `shm buf_${g} { size = 64KiB * 4 }`,
      `mutex lock_${g}`,
      `process dispatcher_${g} { run = ["bun", "d.ts", "--group", "${g}"], ready = notify }`,
      `process logger_${g} { run = "bun logger.ts" }`,
    );
    const workers = Array.from({ length: 8 }, (_, w) => `worker_${g}_${w}`);
    for (const w of workers) {
      out.push(
        `process ${w} { run = ["bun", "w.ts"], restart = on-failure(max = 3, within = 10s) }`,
      );
    }
    out.push(
      `dispatcher_${g} -> jobs_${g} -> ${workers.join(", ")}`,
      `${workers.join(", ")} -> log_${g} -> logger_${g}`,
      `dispatcher_${g} -> buf_${g}, lock_${g} -> logger_${g}`,
      "",
    );
  }
  return out.join("\n");
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

function timeCheck(
  text: string,
  runs: number,
): { parseMs: number; totalMs: number; errors: number } {
  const parseTimes: number[] = [];
  const totals: number[] = [];
  let errors = 0;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    parse(text, 0);
    const t1 = performance.now();
    const r = checkSource("generated.ipc", text, { platform: "linux" });
    const t2 = performance.now();
    parseTimes.push(t1 - t0);
    totals.push(t2 - t1);
    errors = r.diagnostics.filter((d) => d.severity === "error").length;
  }
  return { parseMs: median(parseTimes), totalMs: median(totals), errors };
}

function timeSpawn(cmd: string, args: string[], runs: number): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const r = spawnSync(cmd, args, { cwd: root, stdio: "ignore" });
    times.push(performance.now() - t0);
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.status}`);
  }
  return median(times);
}

const small = generate(500);
const large = generate(5000);
timeCheck(small, 2); // warm up the JIT before measuring
const s = timeCheck(small, 5);
const l = timeCheck(large, 3);
const bun = process.execPath;
const runs = 10;
const startup = {
  // `bun -e ''` is the requested baseline; with an empty script Bun prints its
  // usage and exits, so `bun -e 0` (which starts the JS engine) is shown too.
  bareBunMs: timeSpawn(bun, ["-e", ""], runs),
  bunEvalZeroMs: timeSpawn(bun, ["-e", "0"], runs),
  bunCliMs: timeSpawn(
    bun,
    ["cli/main.ts", "check", "examples/hello.ipc", "--platform", "linux"],
    runs,
  ),
  npxLauncherMs: timeSpawn("node", [
    "bin/ipckit.mjs",
    "check",
    "examples/hello.ipc",
    "--platform",
    "linux",
  ], runs),
};
const report = {
  runtime: `bun ${process.versions["bun"] ?? "?"}`,
  sizes: {
    "500": { processes: 500, bytes: small.length, ...s },
    "5000": { processes: 5000, bytes: large.length, ...l },
  },
  ratio5000over500: Math.round((l.totalMs / s.totalMs) * 100) / 100,
  startup,
};
console.log(JSON.stringify(report));
const ms = (x: number) => `${x.toFixed(1)} ms`;
console.log(`
| measurement                                  | time       |
|----------------------------------------------|------------|
| parse only, 500 processes                    | ${ms(s.parseMs).padEnd(10)} |
| parse + check, 500 processes                 | ${ms(s.totalMs).padEnd(10)} |
| parse only, 5,000 processes                  | ${ms(l.parseMs).padEnd(10)} |
| parse + check, 5,000 processes               | ${ms(l.totalMs).padEnd(10)} |
| ratio 5,000 / 500 (linear = 10×)             | ${(report.ratio5000over500 + "×").padEnd(10)} |
| bun -e ''                                    | ${ms(startup.bareBunMs).padEnd(10)} |
| bun -e 0                                     | ${ms(startup.bunEvalZeroMs).padEnd(10)} |
| bun cli/main.ts check examples/hello.ipc     | ${ms(startup.bunCliMs).padEnd(10)} |
| node bin/ipckit.mjs check (what npx runs)    | ${ms(startup.npxLauncherMs).padEnd(10)} |`);
