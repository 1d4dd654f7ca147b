// Importing the library's entry point, before and after the split of mod.ts
// into entry points (mod.ts, ./attach, ./runtime, ./dsl): milliseconds to
// import in a fresh process of this runtime, and the modules in the import
// graph. "before" is mod.ts plus lib/runtime/mod.ts, which the old mod.ts
// re-exported (the supervisor, node:net, the spawn machinery).
// Prints one JSON object, then a table.   npm run cell -- linux-bun bench/import.ts [samples]
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { runtimeName, scriptCommand } from "../lib/ffi/mod.ts";

const SAMPLES = Number(process.argv[2] ?? 9);
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const PROBE = fileURLToPath(new URL("./_import_probe.ts", import.meta.url));
const directory = join(ROOT, ".cache", "bench");
mkdirSync(directory, { recursive: true });
const before = join(directory, "import_before_split.ts");
writeFileSync(
  before,
  [
    `export * from ${JSON.stringify(pathToFileURL(join(ROOT, "mod.ts")).href)};`,
    `export * from ${JSON.stringify(pathToFileURL(join(ROOT, "lib/runtime/mod.ts")).href)};`,
    "",
  ].join("\n"),
);
const entries = { before, after: join(ROOT, "mod.ts") };

/**
 * Modules in the run-time import graph of `file` (type-only imports are
 * erased): ours, and the others (files of npm packages, built-ins such as
 * node:net).
 */
function graphSize(file: string): { ours: number; others: number } {
  const seen = new Set<string>();
  const builtins = new Set<string>();
  const pattern =
    /(?:import|export)\s(?!type\s)[^'"]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;
  const visit = (path: string) => {
    if (seen.has(path)) return;
    seen.add(path);
    // Comment lines (JSDoc examples) import nothing.
    const code = readFileSync(path, "utf8").replace(/^\s*(\/\/|\*).*$/gm, "");
    for (const m of code.matchAll(pattern)) {
      const specifier = m[1] ?? m[2]!;
      if (specifier.startsWith("file:")) visit(fileURLToPath(specifier));
      else if (specifier.startsWith(".")) visit(resolve(dirname(path), specifier));
      else {
        const entry = npmEntry(specifier);
        if (entry) visit(entry);
        else builtins.add(specifier);
      }
    }
  };
  visit(file);
  const ours = [...seen].filter((p) => !p.includes("node_modules")).length;
  return { ours, others: seen.size - ours + builtins.size };
}

/** The ESM entry of an npm package in node_modules, or null (node: builtins, bun:ffi). */
function npmEntry(specifier: string): string | null {
  const name = specifier.replace(/^npm:/, "").replace(/@[^/]+$/, "");
  const dir = join(ROOT, "node_modules", name);
  if (!existsSync(join(dir, "package.json"))) return null;
  const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  const main = pkg.exports?.["."]?.import ?? pkg.module ?? pkg.main;
  return typeof main === "string" ? join(dir, main) : null;
}

function sample(file: string): number {
  const [command, ...args] = scriptCommand(PROBE, [pathToFileURL(file).href]);
  const run = spawnSync(command!, args, { encoding: "utf8" });
  if (run.status !== 0) throw new Error(`probe failed: ${run.stderr}`);
  return JSON.parse(run.stdout.trim().split("\n").at(-1)!).ms;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

const times: Record<string, number[]> = { before: [], after: [] };
for (let i = 0; i < SAMPLES; i++) {
  // Alternate, so that a change in the machine's load hits both alike.
  for (const key of ["before", "after"] as const) times[key]!.push(sample(entries[key]));
}
const rows = (["before", "after"] as const).map((key) => ({
  entry: key === "before"
    ? "mod.ts before the split (+ lib/runtime/mod.ts)"
    : "mod.ts after the split",
  medianMs: Number(median(times[key]!).toFixed(1)),
  minMs: Number(Math.min(...times[key]!).toFixed(1)),
  ...graphSize(entries[key]),
}));
const result = {
  bench: "import",
  runtime: runtimeName,
  platform: process.platform,
  samples: SAMPLES,
  rows,
};
console.log(JSON.stringify(result));
console.log(
  `\nimport of the library's entry point, ${runtimeName} on ${process.platform}, ${SAMPLES} fresh processes each`,
);
console.log(
  "entry                                            median ms   min ms   our modules   others",
);
for (const row of rows) {
  console.log(
    `${row.entry.padEnd(48)} ${String(row.medianMs).padStart(9)} ${String(row.minMs).padStart(8)} ${
      String(row.ours).padStart(13)
    } ${String(row.others).padStart(8)}`,
  );
}
