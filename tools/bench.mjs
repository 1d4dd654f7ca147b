#!/usr/bin/env node
// `npm run bench [-- <bench-name>...] [-- --cells linux-bun,windows-deno]`:
// runs the benchmarks in bench/ in every cell (each prints JSON, then a
// table), one at a time, and writes the JSON lines to .cache/bench/results.jsonl.
import { spawnSync } from "node:child_process";
import { appendFileSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { CELLS, PROJECT, runInCell } from "./cells.mjs";

const args = process.argv.slice(2);
const cellsFlag = args.indexOf("--cells");
const cells = cellsFlag >= 0 ? args.splice(cellsFlag, 2)[1].split(",") : [...CELLS];
const wanted = new Set(args);
const benches = readdirSync(join(PROJECT, "bench"))
  .filter((f) => f.endsWith(".ts") && !f.startsWith("_"))
  .filter((f) => wanted.size === 0 || wanted.has(f.replace(/\.ts$/, "")));
// The DSL benchmark is runtime-neutral: one cell is enough.
const cellsFor = (bench) => (bench === "dsl_parse.ts" ? cells.slice(0, 1) : cells);

/**
 * Bun, Deno and Wine processes left running (a probe, a hung peer, another cell's shard) take
 * CPU from every figure on a 2-core machine, and once distorted a whole session's A/B runs
 * unnoticed: name them before anything is measured.
 */
function warnAboutStrays() {
  const ps = spawnSync("ps", ["-eo", "pid=,pcpu=,args="], { encoding: "utf8" });
  if (ps.status !== 0) return;
  const strays = ps.stdout.split("\n").filter((line) =>
    /(^|[/\s])(bun|deno|wineserver|wine64?)(\.exe)?(\s|$)/.test(line)
  );
  if (strays.length === 0) return;
  console.log("!! Already running, and taking CPU from every figure below (pid, %cpu, command):");
  for (const line of strays) console.log(`!!   ${line.trim().slice(0, 160)}`);
}

if (process.platform === "linux") warnAboutStrays();
console.log(`load average (1 min): ${loadavg()[0].toFixed(2)}`);

const results = join(PROJECT, ".cache", "bench", "results.jsonl");
mkdirSync(join(PROJECT, ".cache", "bench"), { recursive: true });
rmSync(results, { force: true });
let failures = 0;
for (const bench of benches) {
  for (const cell of cellsFor(bench)) {
    console.log(`\n== ${bench} in ${cell}`);
    const code = await new Promise((resolve) => {
      const child = runInCell(cell, join("bench", bench), [], {
        stdio: ["ignore", "pipe", "inherit"],
      });
      let pending = "";
      child.stdout.setEncoding("utf8").on("data", (chunk) => {
        process.stdout.write(chunk);
        pending += chunk;
        const lines = pending.split("\n");
        pending = lines.pop();
        for (const line of lines) {
          if (!line.startsWith("{")) continue;
          let figures;
          try {
            figures = JSON.parse(line);
          } catch {
            console.log(
              `!! ${bench}: a line that starts with "{" is not one JSON object; not recorded`,
            );
            continue;
          }
          const load_1m = Number(loadavg()[0].toFixed(2));
          appendFileSync(results, JSON.stringify({ cell, load_1m, ...figures }) + "\n");
        }
      });
      child.on("exit", (exitCode) => resolve(exitCode));
    });
    if (code !== 0) failures++;
  }
}
console.log(`\nJSON results: ${results}`);
process.exit(failures === 0 ? 0 : 1);
