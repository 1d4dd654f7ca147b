#!/usr/bin/env node
// Runs one script in one cell of the test matrix and passes stdio and the
// exit code through:   npm run cell -- <cell> <script.ts> [args...]
import { CELLS, runInCell } from "./cells.mjs";

const [cell, script, ...args] = process.argv.slice(2);
if (!cell || !script || !CELLS.includes(cell)) {
  console.error(`usage: npm run cell -- <${CELLS.join("|")}> <script.ts> [args...]`);
  process.exit(2);
}
const child = runInCell(cell, script, args, { stdio: "inherit" });
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => {
  process.exitCode = code ?? (signal === "SIGINT" ? 130 : 143);
});
