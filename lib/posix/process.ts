/**
 * Child processes on Linux: posix_spawn with file actions that place exactly
 * the listed fds (stdio as 0–2, extra ends at their own numbers) and close
 * everything else, a process group of its own (so `kill` reaches its
 * descendants), default signal dispositions and an empty signal mask. Its
 * exit is awaited through a pidfd on the process's one poll waiter.
 *
 * @module
 */
import { accessSync, constants, readdirSync, readFileSync, statSync } from "node:fs";
import { encodeC, NativeMemory } from "../ffi/mod.ts";
import { NotFoundError } from "../errors.ts";
import { INHERITED_ENV } from "../_anonymous_pipe.ts";
import type { ExitStatus, NativeChild, SpawnSettings } from "../_process_common.ts";
import { currentErrno, ERRNO, ErrnoError } from "./error.ts";
import { libc } from "./libc.ts";
import { POLL, waitReady } from "./reactor.ts";

const POSIX_SPAWN_SETPGROUP = 0x2;
const POSIX_SPAWN_SETSIGDEF = 0x4;
const POSIX_SPAWN_SETSIGMASK = 0x8;
const O_RDWR = 2;
const F_DUPFD_CLOEXEC = 1030;
/**
 * Socket activation variables: set only for the sockets handed to this child,
 * never passed through (the supervisor's own would describe its fds, not the child's).
 */
const ACTIVATION_ENV = new Set(["LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES"]);
const SYS_pidfd_open = 434;
const SIGNAL_NAMES: Record<number, string> = {
  1: "SIGHUP",
  2: "SIGINT",
  3: "SIGQUIT",
  4: "SIGILL",
  6: "SIGABRT",
  8: "SIGFPE",
  9: "SIGKILL",
  11: "SIGSEGV",
  13: "SIGPIPE",
  14: "SIGALRM",
  15: "SIGTERM",
};

/**
 * The key under which an environment variable name is unique. POSIX environment names are case-sensitive: the key is the name itself.
 *
 * @param name A variable name.
 * @returns Its key: two names denote the same variable when their keys are equal.
 * @example
 * ```ts
 * import { envNameKey } from "./process.ts";
 * envNameKey("PATH") === envNameKey("PATH"); // true
 * ```
 */
export function envNameKey(name: string): string {
  return name;
}

/**
 * Finds an executable: a name with a `/` is used as is; otherwise the first
 * executable file of that name on PATH.
 *
 * @param command The command (argv[0]).
 * @param env The child's environment (its PATH is searched).
 * @returns The path.
 * @example
 * ```ts
 * import { resolveCommand } from "./process.ts";
 * resolveCommand("sh", { PATH: "/usr/bin:/bin" }); // "/usr/bin/sh"
 * ```
 */
export function resolveCommand(command: string, env: Readonly<Record<string, string>>): string {
  if (command.includes("/")) return command;
  for (const dir of (env.PATH ?? "/usr/local/bin:/usr/bin:/bin").split(":")) {
    const candidate = `${dir || "."}/${command}`;
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch { /* not here */ }
  }
  throw new NotFoundError(`Cannot spawn '${command}': it is not an executable on PATH`, command);
}

const FILE_ACTIONS_SIZE = 512; // posix_spawn_file_actions_t (80 bytes in glibc)
const ATTRIBUTES_SIZE = 512; // posix_spawnattr_t (336 bytes)
const utf8 = new TextEncoder();
const DEV_NULL = encodeC("/dev/null");
/** Signals 1–64 back to their defaults (the runtime ignores SIGPIPE). */
const ALL_SIGNALS = new Uint8Array(128).fill(0xff, 0, 8);
/** Nothing blocked in the child. */
const NO_SIGNALS = new Uint8Array(128);

/**
 * Everything one posix_spawn call reads, in one native allocation: the file
 * actions and attributes, then argv and envp as NULL-terminated pointer
 * tables, then their strings. The strings are encoded with one encoder call
 * (a spawn passes the whole environment, often a hundred strings).
 */
class SpawnBlock implements Disposable {
  readonly #memory: NativeMemory;

  constructor(argv: readonly string[], env: readonly string[]) {
    const strings = [...argv, ...env];
    const bad = strings.find((text) => text.includes("\0"));
    if (bad !== undefined) {
      throw new TypeError(`Cannot pass '${bad}' to C: it contains a NUL character`);
    }
    const text = utf8.encode(strings.join("\0") + "\0");
    const tables = FILE_ACTIONS_SIZE + ATTRIBUTES_SIZE + (argv.length + env.length + 2) * 8;
    this.#memory = NativeMemory.alloc(tables + text.byteLength);
    const { view, bytes } = this.#memory;
    bytes.set(text, tables);
    const base = this.#memory.address + BigInt(tables);
    let slot = FILE_ACTIONS_SIZE + ATTRIBUTES_SIZE;
    let at = 0;
    strings.forEach((_, i) => {
      view.setBigUint64(slot, base + BigInt(at), true);
      slot += 8;
      // argv's NULL terminator sits between the two tables (the memory is zeroed).
      if (i === argv.length - 1) slot += 8;
      at = text.indexOf(0, at) + 1;
    });
  }

  get actions(): bigint {
    return this.#memory.address;
  }

  get attributes(): bigint {
    return this.#memory.address + BigInt(FILE_ACTIONS_SIZE);
  }

  get argv(): bigint {
    return this.#memory.address + BigInt(FILE_ACTIONS_SIZE + ATTRIBUTES_SIZE);
  }

  envp(argc: number): bigint {
    return this.argv + BigInt((argc + 1) * 8);
  }

  [Symbol.dispose](): void {
    this.#memory.free();
  }
}

/**
 * Starts a child process.
 *
 * @param settings What to run, with which stdio, environment and extra fds.
 * @returns The child.
 * @example
 * ```ts
 * import { resolveCommand, spawnProcess } from "./process.ts";
 * const env = { PATH: "/usr/bin:/bin" };
 * const child = spawnProcess({
 *   file: resolveCommand("true", env), argv: ["true"], cwd: undefined, env,
 *   stdio: ["inherit", "inherit", "inherit"], inherit: [], sockets: [],
 * });
 * console.log(await child.exited);
 * ```
 */
export function spawnProcess(settings: SpawnSettings): NativeChild {
  const c = libc.symbols;
  const extraFds = settings.inherit.map((end) => Number(end.forChild()));
  const envStrings: string[] = [];
  for (const name of Object.keys(settings.env)) {
    if (name !== INHERITED_ENV && !ACTIVATION_ENV.has(name)) {
      envStrings.push(`${name}=${settings.env[name]}`);
    }
  }
  envStrings.push(`${INHERITED_ENV}=${extraFds.join(",")}`);
  // Socket activation: the sockets become fds 3, 4, … (LISTEN_FDS_START). They are
  // duplicated above that range first, so no dup2 below overwrites one not yet placed.
  const sockets = settings.sockets;
  const socketFds = sockets.map((_, i) => 3 + i);
  const clash = extraFds.find((fd) => socketFds.includes(fd));
  if (clash !== undefined) {
    throw new RangeError(
      `Cannot hand sockets to a child as fds 3-${
        2 + sockets.length
      }: inherited pipe end ${clash} is in that range`,
    );
  }
  const staged = sockets.map(({ name, handle }) => {
    const fd = c.fcntl(Number(handle), F_DUPFD_CLOEXEC, BigInt(3 + sockets.length));
    if (fd < 0) throw new ErrnoError(currentErrno(), `fcntl(F_DUPFD_CLOEXEC) of socket '${name}'`);
    return fd;
  });
  using _staged = { [Symbol.dispose]: () => staged.forEach((fd) => c.close(fd)) };
  let argv = settings.argv;
  let file = settings.file;
  if (sockets.length > 0) {
    envStrings.push(`LISTEN_FDS=${sockets.length}`);
    envStrings.push(`LISTEN_FDNAMES=${sockets.map((s) => s.name).join(":")}`);
    // LISTEN_PID must be the pid of the program itself, known only once it runs: a shell
    // sets it to its own pid and execs the program, which keeps that pid.
    argv = ["sh", "-c", 'LISTEN_PID=$$; export LISTEN_PID; exec "$0" "$@"', file, ...argv.slice(1)];
    file = "/bin/sh";
  }
  using block = new SpawnBlock(argv, envStrings);
  const actions = block.actions;
  const attributes = block.attributes;
  c.posix_spawn_file_actions_init(actions);
  c.posix_spawnattr_init(attributes);
  try {
    settings.stdio.forEach((target, fd) => {
      if (target === "inherit") return;
      if (target === "null") {
        c.posix_spawn_file_actions_addopen(actions, fd, DEV_NULL, O_RDWR, 0);
        return;
      }
      c.posix_spawn_file_actions_adddup2(actions, Number(target.forChild()), fd);
    });
    // Same number in the child; dup2 onto itself clears FD_CLOEXEC there.
    for (const fd of extraFds) c.posix_spawn_file_actions_adddup2(actions, fd, fd);
    staged.forEach((fd, i) => c.posix_spawn_file_actions_adddup2(actions, fd, socketFds[i]!));
    // Only the listed fds survive: close the rest below the highest listed one, and
    // everything above it (ours are close-on-exec anyway; this covers any that are not).
    const kept = [...extraFds, ...socketFds];
    const highest = Math.max(2, ...kept);
    for (let fd = 3; fd < highest; fd++) {
      if (!kept.includes(fd)) c.posix_spawn_file_actions_addclose(actions, fd);
    }
    c.posix_spawn_file_actions_addclosefrom_np?.(actions, highest + 1);
    if (settings.cwd !== undefined) {
      c.posix_spawn_file_actions_addchdir_np(actions, encodeC(settings.cwd));
    }
    c.posix_spawnattr_setflags(
      attributes,
      POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK,
    );
    c.posix_spawnattr_setpgroup(attributes, 0); // a group of its own, led by the child
    c.posix_spawnattr_setsigdefault(attributes, ALL_SIGNALS);
    c.posix_spawnattr_setsigmask(attributes, NO_SIGNALS);
    const pid = new Int32Array(1);
    const errno = c.posix_spawn(
      pid,
      encodeC(file),
      actions,
      attributes,
      block.argv,
      block.envp(argv.length),
    );
    if (errno !== 0) {
      const cause = new ErrnoError(errno, "posix_spawn");
      if (errno === ERRNO.ENOENT) {
        throw new NotFoundError(
          `Cannot spawn '${settings.file}': it${
            settings.cwd ? ` or the directory '${settings.cwd}'` : ""
          } does not exist`,
          settings.file,
          { cause },
        );
      }
      throw cause;
    }
    return new LinuxChild(pid[0]!);
  } finally {
    c.posix_spawn_file_actions_destroy(actions);
    c.posix_spawnattr_destroy(attributes);
  }
}

class LinuxChild implements NativeChild {
  readonly exited: Promise<ExitStatus>;
  /** Set once waitpid collected the child: its pid may then belong to another process. */
  #reaped = false;

  constructor(readonly pid: number) {
    this.exited = this.#wait();
  }

  async #wait(): Promise<ExitStatus> {
    const c = libc.symbols;
    const pidfd = Number(c.syscall(BigInt(SYS_pidfd_open), BigInt(this.pid), 0n, 0n, 0n, 0n, 0n));
    if (pidfd < 0) throw new ErrnoError(currentErrno(), "pidfd_open");
    try {
      // A pidfd turns readable when the child exits: no thread parked per child.
      await waitReady(pidfd, POLL.IN);
    } finally {
      c.close(pidfd);
    }
    const status = new Int32Array(1);
    if (c.waitpid(this.pid, status, 0) < 0) throw new ErrnoError(currentErrno(), "waitpid");
    this.#reaped = true;
    const raw = status[0]!;
    const signal = raw & 0x7f;
    if (signal === 0) return { code: (raw >> 8) & 0xff };
    return { code: null, signal: SIGNAL_NAMES[signal] ?? `SIG${signal}` };
  }

  kill(signal: number): void {
    // The child leads its own process group, but descendants may have groups of their own
    // (a grandchild started by ipckit gets one too): find the whole tree first, while the
    // parent links still hold, then signal every member and every group among them.
    // Once the child is collected only its process group is signalled: the group id stays
    // reserved while any member (an orphaned descendant) is left, the bare pid does not.
    const targets = this.#reaped
      ? [-this.pid]
      : [this.pid, ...descendantsOf(this.pid)].flatMap((pid) => [-pid, pid]);
    for (const target of targets) {
      if (libc.symbols.kill(target, signal) < 0) {
        const errno = currentErrno();
        if (errno !== ERRNO.ESRCH && errno !== ERRNO.EPERM) throw new ErrnoError(errno, "kill");
      }
    }
  }
}

/** The pids below `root` in the process tree, from /proc (parent pid is field 4 of /proc/<pid>/stat). */
function descendantsOf(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "latin1");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch { /* it exited meanwhile */ }
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}
