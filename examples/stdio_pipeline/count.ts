// stdio_pipeline.ipc, counter: reads numbers from stdin (the generator's stdout)
// and prints how many lines came and their sum.
import process from "node:process";

let lines = 0;
let sum = 0;
let pending = "";
for await (const chunk of process.stdin) {
  pending += String(chunk);
  const parts = pending.split("\n");
  pending = parts.pop()!;
  for (const line of parts) {
    lines++;
    sum += Number(line);
  }
}
if (pending !== "") {
  lines++;
  sum += Number(pending);
}
const result = { lines, sum };
console.log(
  process.env["COUNT_FORMAT"] === "json" ? JSON.stringify(result) : `${lines} lines, sum ${sum}`,
);
