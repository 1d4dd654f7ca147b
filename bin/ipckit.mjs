#!/usr/bin/env node
// Launches the ipckit CLI (cli/main.ts) under Bun, passing argv, stdio,
// signals and the exit code through. Bun is an optional peer dependency (a
// Deno or Bun project that uses only the library downloads no runtime), so
// the binary is the `bun` package's when installed, else `bun` on PATH; set
// IPCKIT_BUN to use another one.
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

function findBun() {
  if (process.env.IPCKIT_BUN) return process.env.IPCKIT_BUN;
  try {
    // Works whether `bun` sits in our own node_modules or was hoisted above it.
    const require = createRequire(path.join(root, "package.json"));
    const pkgPath = require.resolve("bun/package.json");
    const pkg = JSON.parse(readFileSync(pkgPath, "utf8"));
    const rel = typeof pkg.bin === "string" ? pkg.bin : pkg.bin?.bun;
    if (rel) {
      const bin = path.join(path.dirname(pkgPath), rel);
      if (existsSync(bin)) return bin;
    }
  } catch {
    // fall through to the .bin shim
  }
  const shim = path.join(
    root,
    "node_modules",
    ".bin",
    process.platform === "win32" ? "bun.exe" : "bun",
  );
  return existsSync(shim) ? shim : "bun";
}

const bun = findBun();

const child = spawn(bun, [path.join(root, "cli", "main.ts"), ...process.argv.slice(2)], {
  stdio: "inherit",
});

// Forward termination requests. (A Ctrl-C in a terminal reaches the child
// directly as well, since both share the foreground process group.)
const forward = (signal) => {
  if (child.exitCode === null && child.signalCode === null) child.kill(signal);
};
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, forward);

child.on("error", (err) => {
  const hint = err.code === "ENOENT"
    ? " (the ipckit CLI runs on Bun: `npm install bun`, put bun on PATH, or set IPCKIT_BUN)"
    : "";
  process.stderr.write(`error: cannot start '${bun}': ${err.message}${hint}\n`);
  process.exit(1);
});
child.on("exit", (code, signal) => {
  if (signal) {
    // Die of the same signal, so callers see what the child saw.
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
    return;
  }
  process.exit(code ?? 1);
});
