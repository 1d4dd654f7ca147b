#!/usr/bin/env node
// Runs one script in one cell of the test matrix and passes stdio and the
// exit code through:   npm run cell -- <cell> <script.ts> [args...]
import { CELLS, runInCell } from "./cells.mjs";

const [cell, script, ...args] = process.argv.slice(2);
if (!cell || !script || !CELLS.includes(cell)) {
  console.error(`usage: npm run cell -- <${CELLS.join("|")}> <script.ts> [args...]`);
  process.exit(2);
}
// A DISPLAY set here reaches Windows processes too (DDE under Wine needs one).
const display = process.env.DISPLAY ? { env: { DISPLAY: process.env.DISPLAY } } : {};
const child = runInCell(cell, script, args, { stdio: "inherit", ...display });
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => {
  process.exitCode = code ?? (signal === "SIGINT" ? 130 : 143);
});
