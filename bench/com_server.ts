// COM calls per second between two processes: this process serves a
// JavaScript object (ComServer), a process of the other runtime calls it
// through ComObject (in windows-bun: Deno calling a Bun-served object). The
// baseline of the same run is the caller's in-process Scripting.Dictionary
// Item read through the same late-bound Invoke. Trials interleave after one
// warm-up; each figure is the median. Prints one JSON object, then a table.
//   node tools/cell.mjs windows-bun bench/com_server.ts [calls] [trials]
import process from "node:process";
import { fileURLToPath } from "node:url";
import { platform, runtimeName } from "../lib/ffi/mod.ts";
import { ComServer, spawn } from "../mod.ts";

const CALLS = Number(process.argv[2] ?? 2000);
const TRIALS = Number(process.argv[3] ?? 3);

if (platform !== "windows") {
  console.log(
    JSON.stringify({ runtime: runtimeName, platform, skipped: "COM exists only on Windows" }),
  );
  process.exit(0);
}

const caller = runtimeName === "bun" ? "deno" : "bun";
const target = {
  title: "bench",
  add: (a: number, b: number) => a + b,
  echo: (value: unknown) => value,
};
await using _server = await ComServer.serve(target, { name: `Ipckit.Bench${process.pid}` });
const script = fileURLToPath(new URL("./_com_server_peer.ts", import.meta.url));
const args = [`Ipckit.Bench${process.pid}`, String(CALLS), String(TRIALS)];
const argv = caller === "deno"
  ? [process.env.IPCKIT_DENO ?? "deno", "run", "-A", "--quiet", script, ...args]
  : [process.env.IPCKIT_BUN ?? "bun", script, ...args];
const peer = spawn(argv, { stdin: "null", stdout: "pipe", stderr: "inherit" });
let output = "";
for await (const chunk of peer.stdout!) output += new TextDecoder().decode(chunk);
const exit = await peer.exited;
if (exit.code !== 0) throw new Error(`The calling process failed with exit code ${exit.code}`);
const result = {
  server: runtimeName,
  caller,
  calls: CALLS,
  trials: TRIALS,
  calls_per_second: JSON.parse(output.trim().split("\n").at(-1)!) as Record<string, number>,
};
console.log(JSON.stringify(result));
console.log(`| measure (${caller} calling a ${runtimeName}-served object) | calls/s (median) |`);
console.log("|---|---|");
for (const [name, value] of Object.entries(result.calls_per_second)) {
  console.log(`| ${name} | ${value.toLocaleString("en-US")} |`);
}
