// One sample for bench/import.ts: the time to import the module given as a
// file URL, in this fresh process. Prints {"ms": …}.
import process from "node:process";

const started = performance.now();
await import(process.argv[2]!);
console.log(JSON.stringify({ ms: performance.now() - started }));
process.exit(0);
