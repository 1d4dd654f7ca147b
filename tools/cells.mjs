// The four cells of the test matrix, shared by `npm run cell` and the vitest
// scenario driver. Windows cells run bun.exe / deno.exe under Wine 10 inside a
// Debian trixie chroot; every Windows process of a run shares one wineserver
// (same WINEPREFIX and the same chroot /tmp), so they can talk to each other.
// Each checkout gets a /tmp of its own inside the chroot, so two checkouts
// sharing one chroot (IPCKIT_WINE_CACHE) never share a wineserver: a server
// sees the project files of the checkout that started it.
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** @type {readonly string[]} */
export const CELLS = ["linux-bun", "linux-deno", "windows-bun", "windows-deno"];
export const PROJECT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const WINE_CACHE = process.env.IPCKIT_WINE_CACHE ?? join(PROJECT, ".cache", "wine");
const WINE_ROOT = join(WINE_CACHE, "root");
const BIN = join(PROJECT, "node_modules", ".bin");
/**
 * This checkout's /tmp in the chroot (the wineserver's socket lives there).
 * `npm test` runs cells in parallel shards, each with IPCKIT_WINE_SHARD set,
 * so each shard gets a /tmp and a wineserver of its own.
 */
function wineTmp(shard = process.env.IPCKIT_WINE_SHARD ?? "") {
  const key = PROJECT + (shard ? `#${shard}` : "");
  return join(WINE_CACHE, "tmp", createHash("sha256").update(key).digest("hex").slice(0, 12));
}

/** The prefix's %TEMP%: Wine takes TEMP and TMP from the registry, never from the environment. */
const WINDOWS_TEMP = "/opt/wineprefix/drive_c/users/root/AppData/Local/Temp";

/**
 * Shell commands (run in a private mount namespace) that give the chroot this checkout's /tmp,
 * and this shard its own %TEMP% (Windows process ids restart in each wineserver, and scenarios
 * name temporary files by pid).
 */
function privateTmp(shard) {
  const tmp = wineTmp(shard);
  const windowsTemp = join(tmp, ".windows-temp");
  mkdirSync(windowsTemp, { recursive: true });
  chmodSync(tmp, 0o1777);
  mkdirSync(WINE_ROOT + WINDOWS_TEMP, { recursive: true });
  return `mount --bind ${shellQuote(tmp)} ${shellQuote(WINE_ROOT + "/tmp")} && ` +
    `mount --bind ${shellQuote(windowsTemp)} ${shellQuote(WINE_ROOT + WINDOWS_TEMP)}`;
}

/**
 * Shell commands that show a shared chroot's Windows runtimes at
 * /src/.cache/wine/bin when this checkout uses another checkout's cache
 * (IPCKIT_WINE_CACHE), since Windows processes find them under /src.
 */
function sharedRuntimes() {
  const own = join(PROJECT, ".cache", "wine", "bin");
  if (resolve(WINE_CACHE, "bin") === own) return [];
  mkdirSync(own, { recursive: true });
  return [
    `mount --bind ${shellQuote(join(WINE_CACHE, "bin"))} ${
      shellQuote(WINE_ROOT + "/src/.cache/wine/bin")
    }`,
  ];
}

/**
 * Shell commands that show the host's X sockets in the chroot's /tmp when a
 * Windows process is given a local DISPLAY (`:N`, e.g. an Xvfb from
 * tools/x11.mjs): DDEML under Wine needs an X display.
 */
function x11Sockets(display) {
  if (!display || !/^:\d+(\.\d+)?$/.test(display)) return [];
  const inChroot = shellQuote(WINE_ROOT + "/tmp/.X11-unix");
  return [`mkdir -p ${inChroot}`, `mount --bind /tmp/.X11-unix ${inChroot}`];
}

/** Versions of the Linux runtimes; the Windows builds are pinned to the same. */
function versionOf(name) {
  return JSON.parse(readFileSync(join(PROJECT, "node_modules", name, "package.json"), "utf8"))
    .version;
}

/** Whether the Wine chroot and the Windows runtimes are in place. */
function wineProvisioned() {
  return existsSync(join(WINE_CACHE, ".provisioned")) &&
    existsSync(join(WINE_CACHE, "bin", "deno.exe"));
}

const provisionArgs = () => [
  join(PROJECT, "tools", "wine", "provision.sh"),
  WINE_CACHE,
  versionOf("bun"),
  versionOf("deno"),
];

function provisionFailure(code) {
  return new Error(
    `Cannot provision the Windows cells: tools/wine/provision.sh exited with ${code}` +
      " (it needs root, apt and the Debian mirror; see docs/testing.md)",
  );
}

/** Provisions the Wine chroot and Windows runtimes once (idempotent). */
export function provisionWine() {
  if (wineProvisioned()) return;
  const result = spawnSync("bash", provisionArgs(), { stdio: ["ignore", "inherit", "inherit"] });
  if (result.status !== 0) throw provisionFailure(result.status);
}

/**
 * {@link provisionWine} without blocking: `npm test` provisions while the type checks and unit
 * tests run (a clean clone spends most of a minute and a half on it, mostly downloading).
 *
 * @returns {Promise<void>} Resolves once provisioned.
 */
export function provisionWineAsync() {
  if (wineProvisioned()) return Promise.resolve();
  return new Promise((resolvePromise, reject) => {
    const child = spawn("bash", provisionArgs(), { stdio: ["ignore", "inherit", "inherit"] });
    child.on("error", reject);
    child.on("close", (code) => code === 0 ? resolvePromise() : reject(provisionFailure(code)));
  });
}

/** Installs what the Linux cells need from the system (systemd-socket-activate); idempotent. */
export function provisionLinux() {
  const result = spawnSync("bash", [join(PROJECT, "tools", "linux", "provision.sh")], {
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (result.status !== 0) {
    throw new Error(
      `Cannot provision the Linux cells: tools/linux/provision.sh exited with ${result.status}` +
        " (it installs Debian's systemd package for systemd-socket-activate; see docs/testing.md)",
    );
  }
}

/** Why a Windows cell cannot run here, or null when it can. */
export function windowsCellProblem() {
  if (process.platform !== "linux") return `the Windows cells run under Wine on Linux hosts`;
  if (process.getuid?.() !== 0) return "the Windows cells need root (chroot and mount namespaces)";
  if (!existsSync("/usr/bin/unshare")) return "unshare (util-linux) is missing";
  return null;
}

/** The path a Windows process sees for a project file (the project is mounted at /src). */
export function windowsPathOf(hostPath) {
  const rel = relative(PROJECT, resolve(hostPath));
  return rel.startsWith("..") ? resolve(hostPath) : "/src/" + rel.split("\\").join("/");
}

const shellQuote = (s) => `'${String(s).replaceAll("'", `'\\''`)}'`;

/**
 * Starts `script` in `cell`. Returns the ChildProcess; options are passed to
 * node's spawn (stdio, env additions under `env`).
 */
export function runInCell(cell, script, args = [], options = {}) {
  const env = {
    ...process.env,
    ...options.env,
    IPCKIT_CELL: cell,
    PATH: `${BIN}:${process.env.PATH ?? ""}`,
  };
  const [os, runtime] = cell.split("-");
  if (os === "linux") {
    env.IPCKIT_BUN = join(BIN, "bun");
    env.IPCKIT_DENO = join(BIN, "deno");
    const argv = runtime === "bun"
      ? [join(BIN, "bun"), script, ...args]
      : [join(BIN, "deno"), "run", "-A", "--quiet", script, ...args];
    return spawn(argv[0], argv.slice(1), { ...options, env, cwd: options.cwd ?? PROJECT });
  }
  const problem = windowsCellProblem();
  if (problem) throw new Error(`Cannot run cell ${cell}: ${problem}`);
  provisionWine();
  const exe = runtime === "bun" ? "/src/.cache/wine/bin/bun.exe" : "/src/.cache/wine/bin/deno.exe";
  const winArgs = runtime === "bun"
    ? [exe, windowsPathOf(script), ...args]
    : [exe, "run", "-A", "--quiet", windowsPathOf(script), ...args];
  const cwd = windowsPathOf(options.cwd ?? PROJECT);
  // Variables handed to the Windows process: ours, plus the cell's runtimes.
  const passed = Object.entries({ ...options.env, IPCKIT_CELL: cell })
    .map(([k, v]) => `${k}=${shellQuote(v)}`).join(" ");
  const inner = [
    `mount -t proc proc ${shellQuote(WINE_ROOT + "/proc")}`,
    `mount --rbind /dev ${shellQuote(WINE_ROOT + "/dev")}`,
    `mount --bind ${shellQuote(PROJECT)} ${shellQuote(WINE_ROOT + "/src")}`,
    ...sharedRuntimes(),
    privateTmp(),
    ...x11Sockets(options.env?.DISPLAY),
    `exec chroot ${shellQuote(WINE_ROOT)} /usr/bin/env -i ` +
    `PATH=/usr/bin:/bin HOME=/root WINEDEBUG=-all WINEPREFIX=/opt/wineprefix ` +
    `WINEPATH='Z:\\src\\.cache\\wine\\bin' NO_COLOR=1 ` +
    `IPCKIT_BUN=/src/.cache/wine/bin/bun.exe IPCKIT_DENO=/src/.cache/wine/bin/deno.exe ` +
    `${passed} sh -c ${
      shellQuote(`cd ${shellQuote(cwd)} && exec /usr/lib/wine/wine64 "$@"`)
    } wine ` +
    winArgs.map(shellQuote).join(" "),
  ].join(" && ");
  return spawn("unshare", ["-m", "--propagation", "private", "sh", "-c", inner], {
    ...options,
    env: process.env,
    cwd: PROJECT,
  });
}

/**
 * Starts this checkout's wineserver (of `shard`) and keeps it running until
 * {@link stopWineserver}. Debian's `wineserver` wrapper passes `-p0`: a server
 * started by a Windows process exits as soon as its last process does, and the
 * next process pays a cold start (wineserver, then wineboot, services.exe,
 * winedevice.exe, plugplay.exe, explorer.exe: seconds per process under load).
 * `npm test` starts one per Windows shard, so each scenario process finds it warm.
 * The server opens files for its clients, so it runs with the same mounts they see.
 *
 * @param {string} [shard] The IPCKIT_WINE_SHARD whose wineserver to start; default: this process's.
 * @returns {Promise<void>} Resolves once the server and Wine's system processes run.
 */
export function startWineserver(shard) {
  provisionWine();
  const chroot = `chroot ${shellQuote(WINE_ROOT)} /usr/bin/env -i PATH=/usr/bin:/bin HOME=/root ` +
    `WINEDEBUG=-all WINEPREFIX=/opt/wineprefix`;
  // `-p` (after the wrapper's `-p0`): persistent. If this shard's server runs already, this one
  // exits at once. Then one Windows process (wineboot) starts Wine's system processes.
  const script = [
    `mount -t proc proc ${shellQuote(WINE_ROOT + "/proc")}`,
    `mount --rbind /dev ${shellQuote(WINE_ROOT + "/dev")}`,
    `mount --bind ${shellQuote(PROJECT)} ${shellQuote(WINE_ROOT + "/src")}`,
    ...sharedRuntimes(),
    privateTmp(shard),
    `{ ${chroot} /usr/lib/wine/wineserver -p || true; }`,
    `exec ${chroot} /usr/lib/wine/wine64 wineboot.exe`,
  ].join(" && ");
  return new Promise((resolvePromise, reject) => {
    const child = spawn("unshare", ["-m", "--propagation", "private", "sh", "-c", script], {
      stdio: "ignore",
    });
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolvePromise() : reject(
        new Error(`Cannot start the wineserver of shard '${shard ?? ""}': exit code ${code}`),
      ));
  });
}

/** Noise Wine and Bun print on stderr that is not ours (see docs/testing.md). */
export const WINE_NOISE = [
  /XDG_RUNTIME_DIR is invalid/,
  /Internal error: directory mismatch/,
  // A thread of a Windows process being terminated (a test's kill()) whose server socket is gone
  // (EBADF) or whose descriptor number another thread has reused meanwhile (ENOTSOCK).
  /^wine client error:[0-9a-f]+: sendmsg: (Bad file descriptor|Socket operation on non-socket)$/,
  // glibc's loader aborting a Wine process on its Unix side (docs/testing.md); what that process
  // was doing still shows in the scenario's exit code and results, which the tests check.
  /^Inconsistency detected by ld\.so: dl-open\.c: \d+: dl_open_worker_begin: Assertion `new->l_relocated' failed!$/,
];

/**
 * Stops the wineserver of this checkout (end of a test run).
 *
 * @param {string} [shard] The IPCKIT_WINE_SHARD whose wineserver to stop; default: this process's.
 */
export function stopWineserver(shard) {
  if (!existsSync(join(WINE_ROOT, "usr/lib/wine/wineserver"))) return;
  spawnSync("unshare", [
    "-m",
    "--propagation",
    "private",
    "sh",
    "-c",
    `mount -t proc proc ${shellQuote(WINE_ROOT + "/proc")} && ${privateTmp(shard)} && exec chroot ${
      shellQuote(WINE_ROOT)
    } ` +
    `/usr/bin/env WINEPREFIX=/opt/wineprefix /usr/lib/wine/wineserver -k`,
  ], { stdio: "ignore" });
}
