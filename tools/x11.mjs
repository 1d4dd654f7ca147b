// An X display for tests: provisions Xvfb (and xclip, a peer that is not
// ipckit) with apt on first use, and starts a private Xvfb on a display
// number the server picks itself (-displayfd), so parallel runs never
// collide. Used by the clipboard scenarios; anything else that needs a
// display (e.g. DDE under Wine, which needs the socket in the chroot's
// /tmp/.X11-unix) starts one the same way.
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

/** The Debian packages the X11 tests need, and a binary that shows each is there. */
const PACKAGES = { xvfb: "/usr/bin/Xvfb", xclip: "/usr/bin/xclip" };

/** Why no X display can be provided here, or null when it can. */
export function x11Problem() {
  if (process.platform !== "linux") return "Xvfb runs on Linux hosts";
  const missing = Object.values(PACKAGES).filter((bin) => !existsSync(bin));
  if (missing.length === 0) return null;
  if (process.getuid?.() !== 0) {
    return `${missing.join(" and ")} missing, and installing them needs root (apt-get install ${
      Object.keys(PACKAGES).join(" ")
    })`;
  }
  if (!existsSync("/usr/bin/apt-get")) return "Xvfb is missing and there is no apt-get";
  return null;
}

/** Installs Xvfb and xclip with apt when they are missing (idempotent, serialised by apt's lock). */
export function provisionX11() {
  const missing = Object.entries(PACKAGES).filter(([, bin]) => !existsSync(bin)).map(([p]) => p);
  if (missing.length === 0) return;
  const problem = x11Problem();
  if (problem) throw new Error(`Cannot provision an X display: ${problem}`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const install = () =>
    spawnSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...missing], {
      env,
      stdio: ["ignore", "ignore", "pipe"],
      encoding: "utf8",
    });
  let result = install();
  if (result.status !== 0) {
    // A fresh machine has no package lists yet.
    spawnSync("apt-get", ["update", "-qq"], { env, stdio: "ignore" });
    result = install();
  }
  if (result.status !== 0) {
    throw new Error(
      `Cannot provision an X display: apt-get install ${
        missing.join(" ")
      } exited with ${result.status}: ${result.stderr.trim().split("\n").slice(-3).join(" / ")}`,
    );
  }
}

/**
 * Starts a private Xvfb. Resolves once it accepts connections.
 *
 * @returns `{ display: ":N", socket: "/tmp/.X11-unix/XN", pid, stop() }`; `stop()` ends it and
 *   resolves when it has exited.
 */
export function startXvfb() {
  provisionX11();
  return new Promise((resolve, reject) => {
    // fd 3 is the pipe Xvfb writes its display number to once it listens.
    const child = spawn(
      PACKAGES.xvfb,
      ["-displayfd", "3", "-nolisten", "tcp", "-screen", "0", "320x240x24"],
      { stdio: ["ignore", "ignore", "pipe", "pipe"] },
    );
    let stderr = "";
    let number = "";
    child.stderr.setEncoding("utf8").on("data", (chunk) => (stderr += chunk));
    const exited = new Promise((done) => child.once("exit", done));
    child.once("error", reject);
    child.stdio[3].setEncoding("utf8").on("data", (chunk) => {
      number += chunk;
      if (!number.includes("\n")) return;
      const n = number.trim();
      resolve({
        display: `:${n}`,
        socket: `/tmp/.X11-unix/X${n}`,
        pid: child.pid,
        stop() {
          if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
          return exited;
        },
      });
    });
    child.once("exit", (code, signal) => {
      if (!number.includes("\n")) {
        reject(new Error(`Xvfb exited (${code ?? signal}) before it listened: ${stderr.trim()}`));
      }
    });
  });
}
