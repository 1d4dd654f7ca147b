// COM automation calls per second, in process: Scripting.Dictionary.Item read
// (an int32 and a 100-character string) and written, through ComObject's
// late-bound Invoke. A baseline in the same run: a plain FFI call into
// oleaut32 (SysStringLen), the floor under any COM call. Trials interleave the
// measures after one warm-up; each figure is the median. The cross-process line
// (Deno calling a Bun-served object) belongs to the COM server's bench.
// Prints one JSON object, then a table.
//   node tools/cell.mjs windows-deno bench/com.ts [calls] [trials]
import process from "node:process";
import { platform, runtimeName } from "../lib/ffi/mod.ts";
import { oleaut32 } from "../lib/win32/com/oleaut32.ts";
import { ComObject } from "../mod.ts";

const CALLS = Number(process.argv[2] ?? 20_000);
const TRIALS = Number(process.argv[3] ?? 3);

if (platform !== "windows") {
  console.log(
    JSON.stringify({ runtime: runtimeName, platform, skipped: "COM exists only on Windows" }),
  );
  process.exit(0);
}

using dict = ComObject.create({ name: "Scripting.Dictionary", context: "inproc" });
const text = "y".repeat(100);
dict.call("Add", "n", 7);
dict.call("Add", "s", text);

function rate(fn: (i: number) => unknown, count = CALLS): number {
  const started = performance.now();
  for (let i = 0; i < count; i++) fn(i);
  return Math.round(count / ((performance.now() - started) / 1000));
}

const measures: Record<string, (i: number) => unknown> = {
  ffi_baseline: () => oleaut32.symbols.SysStringLen(0n),
  item_get_int: () => dict.get("Item", "n"),
  item_get_string: () => dict.get("Item", "s"),
  item_put_int: (i) => dict.set("Item", "n", i),
};
for (const fn of Object.values(measures)) rate(fn, Math.min(CALLS, 2000));
const samples: Record<string, number[]> = Object.fromEntries(
  Object.keys(measures).map((k) => [k, []]),
);
for (let t = 0; t < TRIALS; t++) {
  for (const [name, fn] of Object.entries(measures)) samples[name]!.push(rate(fn));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const result = {
  runtime: runtimeName,
  calls: CALLS,
  trials: TRIALS,
  calls_per_second: Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)])),
};
console.log(JSON.stringify(result));
console.log("| measure | calls/s (median) |");
console.log("|---|---|");
for (const [name, value] of Object.entries(result.calls_per_second)) {
  console.log(`| ${name} | ${value.toLocaleString("en-US")} |`);
}
