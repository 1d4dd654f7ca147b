#!/usr/bin/env node
// `npm test`: type checks, lint and format checks, unit tests, then every
// scenario in every cell (two shards of cells at once), with a summary line
// per cell. Exit 0 only if all passed. With CI=true, a cell that cannot run is a failure, not a skip.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { stripVTControlCharacters } from "node:util";
import {
  CELLS,
  PROJECT,
  provisionLinux,
  provisionWineAsync,
  stopWineserver,
  windowsCellProblem,
} from "./cells.mjs";
import { buildWindowsPeers } from "./peers.mjs";
import { provisionX11, x11Problem } from "./x11.mjs";

const BIN = join(PROJECT, "node_modules", ".bin");
const ci = process.env.CI === "true";
const steps = [];

function step(name, argv, options = {}) {
  const started = Date.now();
  console.log(`\n== ${name}: ${argv.join(" ")}`);
  const result = spawnSync(argv[0], argv.slice(1), { stdio: "inherit", cwd: PROJECT, ...options });
  const ok = result.status === 0;
  steps.push({ name, ok, seconds: (Date.now() - started) / 1000 });
  return ok;
}

// Windows cells: provisioned while the checks and unit tests run (no apt use among those, so
// provision.sh's apt never races another's), awaited before the scenarios.
const windowsProblem = windowsCellProblem();
const wineStarted = Date.now();
const wineProvisioning = windowsProblem ? null : provisionWineAsync().then(
  () => ({ ok: true, seconds: (Date.now() - wineStarted) / 1000 }),
  (error) => {
    console.error(String(error));
    return { ok: false, seconds: (Date.now() - wineStarted) / 1000 };
  },
);

step("typecheck (tsc)", [join(BIN, "tsc"), "-p", "tsconfig.json"]);
// --doc also type-checks every JSDoc example of the library, the DSL and the CLI.
const sources = spawnSync("git", ["ls-files", "lib/**.ts", "dsl/**.ts", "cli/**.ts"], {
  cwd: PROJECT,
  encoding: "utf8",
})
  .stdout.split("\n").filter((f) => f.endsWith(".ts") && !f.endsWith("ohm-recipe.ts"));
step("typecheck (deno check --doc)", [
  join(BIN, "deno"),
  "check",
  "--doc",
  "--quiet",
  "mod.ts",
  ...sources,
]);
step("lint (deno lint)", [join(BIN, "deno"), "lint", "--quiet"]);
// JSR: the package as it would be published, with no slow types in its public API.
step("JSR package (deno publish --dry-run)", [
  join(BIN, "deno"),
  "publish",
  "--dry-run",
  "--allow-dirty",
  "--quiet",
]);
step("format (deno fmt --check)", [join(BIN, "deno"), "fmt", "--check", "--quiet"]);
mkdirSync(join(PROJECT, ".cache"), { recursive: true });
const unitReport = join(PROJECT, ".cache", "vitest-unit.json");
rmSync(unitReport, { force: true });
step("unit tests", [
  join(BIN, "vitest"),
  "run",
  "--project",
  "unit",
  "--reporter=default",
  "--reporter=json",
  `--outputFile.json=${unitReport}`,
]);

if (windowsProblem) {
  console.log(
    `\n!! The Windows cells cannot run here: ${windowsProblem}` +
      (ci ? " (CI: failure)" : " (skipped)"),
  );
  if (ci) steps.push({ name: "windows cells available", ok: false, seconds: 0 });
} else {
  // Awaited before anything else uses apt; its time overlapped the steps above.
  steps.push({ name: "provision Wine (beside the checks)", ...(await wineProvisioning) });
}

// Linux cells: system tools the scenarios start (systemd-socket-activate).
{
  const started = Date.now();
  try {
    provisionLinux();
    steps.push({ name: "provision Linux", ok: true, seconds: (Date.now() - started) / 1000 });
  } catch (error) {
    console.error(String(error));
    steps.push({ name: "provision Linux", ok: false, seconds: (Date.now() - started) / 1000 });
  }
}

// The Linux cells' X display (the clipboard tests start their own Xvfb): installed up front too.
const x11Missing = x11Problem();
if (x11Missing) {
  console.log(
    `\n!! No X display for the Linux clipboard tests: ${x11Missing}` +
      (ci ? " (CI: failure)" : " (skipped)"),
  );
  if (ci) steps.push({ name: "provision Xvfb", ok: false, seconds: 0 });
} else {
  const started = Date.now();
  try {
    provisionX11();
    steps.push({ name: "provision Xvfb", ok: true, seconds: (Date.now() - started) / 1000 });
  } catch (error) {
    console.error(String(error));
    steps.push({ name: "provision Xvfb", ok: false, seconds: (Date.now() - started) / 1000 });
  }
}

// Windows test peers (C programs) are built once here, not by parallel shards racing apt and gcc.
if (!windowsProblem) {
  const started = Date.now();
  try {
    buildWindowsPeers();
    steps.push({ name: "build Windows peers", ok: true, seconds: (Date.now() - started) / 1000 });
  } catch (error) {
    console.error(String(error));
    steps.push({ name: "build Windows peers", ok: false, seconds: (Date.now() - started) / 1000 });
  }
}

// The scenarios run in shards, two lanes at once, never more than two shards running: linux-bun
// then windows-bun in one lane, windows-deno then linux-deno in the other, so each lane has one
// Windows cell (the long ones: by the CI runs of 2026-12-01, the Linux cells took 299-436 s
// together, windows-bun 425-550 s and windows-deno 521-696 s). The Linux cells never run at the same
// time (`after`), because their scenarios use host-wide names and check /dev/shm. Each Windows shard
// has its own wineserver, kept warm from its first scenario to its last
// (test/cells/_wineserver.ts), and its own /tmp and %TEMP% in the chroot (tools/cells.mjs). Three
// shards at once, on a machine already at load 15-20, failed four example topologies of
// runtime.test.ts on their 10 s timeouts. Within a shard, files run one at a time (vitest.config.ts).
const SHARDS = [
  { tag: "a", cells: ["linux-bun"], lane: 0 },
  { tag: "b", cells: ["windows-bun"], lane: 0 },
  { tag: "c", cells: ["windows-deno"], lane: 1 },
  { tag: "d", cells: ["linux-deno"], lane: 1, after: "a" },
];
/** Each shard's wall time, in the order they finished. */
const shardTimes = [];
const reports = SHARDS.map(({ tag }) => join(PROJECT, ".cache", `vitest-scenarios-${tag}.json`));
/** Failing tests' diffs, one JSON line each (tools/failure-diffs.mjs). */
const diffsFile = join(PROJECT, ".cache", "failure-diffs.jsonl");
rmSync(diffsFile, { force: true });
{
  const started = Date.now();
  console.log(
    `\n== scenarios (every cell, shards ${SHARDS.map((s) => s.cells.join("+")).join(" | ")})`,
  );
  const lanes = [...new Set(SHARDS.map((shard) => shard.lane))];
  /** Each shard's run, by tag, so a shard can wait for another (`after`). */
  const runs = new Map();
  const runShard = async (shard) => {
    const i = SHARDS.indexOf(shard);
    if (shard.after) await runs.get(shard.after);
    rmSync(reports[i], { force: true });
    const code = await runPrefixed(`[${shard.tag}] `, [
      join(BIN, "vitest"),
      "run",
      "--project",
      "scenarios",
      "--reporter=default",
      "--reporter=json",
      "--reporter=./tools/failure-diffs.mjs",
      `--outputFile.json=${reports[i]}`,
    ], {
      IPCKIT_CELLS: shard.cells.join(","),
      IPCKIT_WINE_SHARD: shard.tag,
      IPCKIT_FAILURE_DIFFS: diffsFile,
    });
    shardTimes.push(`${shard.cells.join("+")} ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return code;
  };
  // A lane runs its shards one after another; the lanes run at once.
  const laneCodes = await Promise.all(lanes.map(async (lane) => {
    const codes = [];
    for (const shard of SHARDS.filter((s) => s.lane === lane)) {
      const run = runShard(shard);
      runs.set(shard.tag, run);
      codes.push(await run);
    }
    return codes;
  }));
  const codes = laneCodes.flat();
  steps.push({
    name: "scenarios (every cell)",
    ok: codes.every((code) => code === 0),
    seconds: (Date.now() - started) / 1000,
  });
  // Normally stopped by each run's global teardown already; also when a run crashed.
  if (!windowsProblem) { for (const { tag } of SHARDS) stopWineserver(tag); }
}

/** Runs a command with extra env, prefixing each output line; resolves to its exit code. */
function runPrefixed(prefix, argv, env) {
  return new Promise((resolvePromise) => {
    const child = spawn(argv[0], argv.slice(1), {
      cwd: PROJECT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    for (const [stream, out] of [[child.stdout, process.stdout], [child.stderr, process.stderr]]) {
      createInterface({ input: stream, crlfDelay: Infinity })
        .on("line", (line) => out.write(prefix + line + "\n"));
    }
    child.on("close", (code) => resolvePromise(code ?? 1));
  });
}

// Per-cell summary from the scenario report: describe blocks are named "[cell]".
const perCell = Object.fromEntries(
  CELLS.map((cell) => [cell, { passed: 0, failed: 0, skipped: 0 }]),
);
let passed = 0, failed = 0, skipped = 0;
// The failing tests, named again at the end: shards interleave their output, and CI logs are cut.
const failures = [];
for (const path of [unitReport, ...reports]) {
  if (!existsSync(path)) continue;
  const data = JSON.parse(readFileSync(path, "utf8"));
  for (const file of data.testResults ?? []) {
    for (const test of file.assertionResults ?? []) {
      // A shard declares the other shards' cells as skipped blocks (test/cells/_driver.ts).
      if ((test.ancestorTitles?.[0] ?? "").endsWith("(run by another shard)")) continue;
      const cell = /^\[([a-z-]+)\]/.exec(test.ancestorTitles?.[0] ?? "")?.[1];
      const bucket = cell && perCell[cell];
      const status = test.status === "passed"
        ? "passed"
        : test.status === "failed"
        ? "failed"
        : "skipped";
      if (bucket) bucket[status]++;
      if (status === "passed") passed++;
      else if (status === "failed") {
        failed++;
        const message = (test.failureMessages?.[0] ?? "").split("\n").slice(0, 6).join(" | ");
        const changed = changedLines(file.name, test.ancestorTitles?.[0] ?? "", test.title);
        failures.push(
          `${file.name.replace(PROJECT + "/", "")} ${
            test.ancestorTitles?.[0] ?? ""
          } ${test.title}` +
            (changed ? `\n${changed}` : `\n       ${message.slice(0, 1500)}`),
        );
      } else skipped++;
    }
    // A file that failed to load counts as a failure.
    if ((file.assertionResults ?? []).length === 0 && file.status === "failed") {
      failed++;
      failures.push(`${file.name.replace(PROJECT + "/", "")} did not load: ${file.message ?? ""}`);
    }
  }
}

/** A failing test's diff (expected -, received +, with the keys around them), at most 60 lines. */
function changedLines(file, suite, title) {
  if (!existsSync(diffsFile)) return "";
  const lines = readFileSync(diffsFile, "utf8").split("\n").filter(Boolean).map((line) =>
    JSON.parse(line)
  ).filter((d) => d.file === file && d.suite === suite && d.title === title)
    .flatMap((d) => d.diff.split("\n"))
    .map((line) => stripVTControlCharacters(line))
    .filter((line) => line.trim() !== "" && !/^[-+] (Expected|Received)$/.test(line));
  return lines.slice(0, 60).map((line) => `       ${line.slice(0, 300)}`).join("\n");
}

console.log("\n== summary");
for (const s of steps) {
  console.log(`${s.ok ? "ok  " : "FAIL"} ${s.name} (${s.seconds.toFixed(1)} s)`);
}
const cellText = CELLS.map((cell) => {
  const c = perCell[cell];
  const total = c.passed + c.failed + c.skipped;
  return `${cell} ${c.passed}/${total}${c.skipped ? ` (${c.skipped} skipped)` : ""}`;
}).join(", ");
console.log(`cells: ${cellText}`);
if (shardTimes.length > 0) console.log(`scenario shards: ${shardTimes.join(", ")}`);
for (const failure of failures) console.log(`FAILED ${failure}`);
// Steps that are not vitest runs (type checks, lint) count as one failure each.
const stepFailures = steps.filter((s) => !s.ok && !/tests|scenarios/.test(s.name)).length;
const total = { passed, failed: failed + stepFailures, skipped };
console.log(
  `${total.passed} passed, ${total.failed} failed${
    total.skipped ? `, ${total.skipped} skipped` : ""
  }`,
);
process.exit(steps.every((s) => s.ok) && failed === 0 && (!ci || skipped === 0) ? 0 : 1);
