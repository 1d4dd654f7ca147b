// The calling side of bench/com_server.ts, run with the other runtime: late-
// bound calls to the served object, and, as the baseline of the same run, the
// same calls to an in-process Scripting.Dictionary. Prints one JSON line.
import process from "node:process";
import { ComObject } from "../mod.ts";

const [progId, callsText, trialsText] = process.argv.slice(2);
const CALLS = Number(callsText);
const TRIALS = Number(trialsText);
using served = ComObject.create({ name: progId!, context: "local" });
using dict = ComObject.create({ name: "Scripting.Dictionary", context: "inproc" });
dict.call("Add", "n", 7);
const text = "x".repeat(100);

function rate(fn: (i: number) => unknown, count = CALLS): number {
  const started = performance.now();
  for (let i = 0; i < count; i++) fn(i);
  return Math.round(count / ((performance.now() - started) / 1000));
}
const measures: Record<string, (i: number) => unknown> = {
  served_add_int: (i) => served.call("add", i, 1),
  served_echo_string: () => served.call("echo", text),
  served_property_get: () => served.get("title"),
  inproc_dictionary_item: () => dict.get("Item", "n"),
};
for (const fn of Object.values(measures)) rate(fn, Math.min(CALLS, 200));
const samples: Record<string, number[]> = Object.fromEntries(
  Object.keys(measures).map((k) => [k, []]),
);
for (let t = 0; t < TRIALS; t++) {
  for (const [name, fn] of Object.entries(measures)) samples[name]!.push(rate(fn));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(
  JSON.stringify(Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]))),
);
