// Windows test peers that are not ipckit: small C programs in test/peers/,
// built with Debian's gcc-mingw-w64-x86-64 into .cache/peers/. The compiler
// is installed with apt when missing (root, like the Wine chroot in
// tools/wine/provision.sh), so a clean checkout builds them by itself.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { PROJECT } from "./cells.mjs";

const COMPILER = "x86_64-w64-mingw32-gcc";
const PACKAGE = "gcc-mingw-w64-x86-64-win32";
const SOURCES = join(PROJECT, "test", "peers");
const OUTPUT = join(PROJECT, ".cache", "peers");

function hasCompiler() {
  return spawnSync(COMPILER, ["--version"], { stdio: "ignore" }).status === 0;
}

function installCompiler() {
  const run = (args) => spawnSync("apt-get", args, { stdio: ["ignore", "ignore", "inherit"] });
  let result = run(["install", "-y", "--no-install-recommends", PACKAGE]);
  if (result.status !== 0) {
    run(["update"]);
    result = run(["install", "-y", "--no-install-recommends", PACKAGE]);
  }
  if (result.status !== 0 || !hasCompiler()) {
    throw new Error(
      `Cannot build the Windows test peers: ${COMPILER} is missing and 'apt-get install ${PACKAGE}' failed` +
        " (it needs root and the Debian mirror; see docs/testing.md)",
    );
  }
}

/**
 * Builds every test/peers/<name>.c that is newer than its .exe.
 *
 * @returns The host paths of the built programs, by name.
 */
export function buildWindowsPeers() {
  mkdirSync(OUTPUT, { recursive: true });
  const built = {};
  for (const file of readdirSync(SOURCES).filter((f) => f.endsWith(".c"))) {
    const name = file.replace(/\.c$/, "");
    const source = join(SOURCES, file);
    const exe = join(OUTPUT, `${name}.exe`);
    built[name] = exe;
    if (existsSync(exe) && statSync(exe).mtimeMs >= statSync(source).mtimeMs) continue;
    if (!hasCompiler()) installCompiler();
    const result = spawnSync(COMPILER, ["-O2", "-o", exe, source, "-luser32"], {
      stdio: ["ignore", "inherit", "inherit"],
    });
    if (result.status !== 0) {
      throw new Error(`Cannot build ${file}: ${COMPILER} exited with ${result.status}`);
    }
  }
  return built;
}
