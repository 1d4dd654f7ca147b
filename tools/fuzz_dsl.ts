/**
 * The long DSL fuzz run: `npm run fuzz` (`bun tools/fuzz_dsl.ts 100000`).
 * Mutates the example corpus and checks that every case ends in rendered
 * diagnostics (never an exception) within a time limit. Prints JSON, then a
 * summary line; exits 1 on any failure. Replay a case with `--seed`.
 *
 * @module
 */

import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { mutate, prng, runCase } from "../test/dsl/_mutate.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const cases = Number(args.find((a) => /^\d+$/.test(a)) ?? 100_000);
const seedArg = args.indexOf("--seed");
const seed = seedArg === -1 ? Date.now() % 2 ** 31 : Number(args[seedArg + 1]);
const HANG_MS = 5_000;

const corpus = ["examples", "test/dsl/fixtures", "test/dsl/golden"].flatMap((dir) =>
  readdirSync(path.join(root, dir)).filter((f) => f.endsWith(".ipc")).sort().map((f) =>
    readFileSync(path.join(root, dir, f), "utf8")
  )
);

const rnd = prng(seed);
const byOp: Record<string, number> = {};
const failures: { case: number; op: string; error: string; input: string }[] = [];
let slowest = 0;
let total = 0;
const started = performance.now();
for (let i = 0; i < cases; i++) {
  const { text, op } = mutate(corpus[i % corpus.length] ?? "", rnd);
  byOp[op] = (byOp[op] ?? 0) + 1;
  const r = runCase(text);
  total += r.ms;
  slowest = Math.max(slowest, r.ms);
  if (!r.ok || r.ms > HANG_MS) {
    failures.push({ case: i, op, error: r.error ?? `took ${Math.round(r.ms)} ms`, input: text });
    if (failures.length >= 10) break;
  }
  if ((i + 1) % 10_000 === 0) process.stderr.write(`${i + 1} cases…\n`);
}
const report = {
  seed,
  cases,
  failures: failures.length,
  seconds: Math.round((performance.now() - started) / 100) / 10,
  meanMs: Math.round((total / cases) * 1000) / 1000,
  slowestMs: Math.round(slowest),
  byOp,
  firstFailures: failures.slice(0, 3),
};
console.log(JSON.stringify(report, null, 2));
console.log(
  `\n${cases} cases, seed ${seed}: ${failures.length} failures; mean ${report.meanMs} ms, slowest ${report.slowestMs} ms`,
);
process.exitCode = failures.length > 0 ? 1 : 0;
