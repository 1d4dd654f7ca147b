/**
 * Child processes on Windows: CreateProcessW with STARTUPINFOEXW and
 * PROC_THREAD_ATTRIBUTE_HANDLE_LIST, so the child inherits exactly the listed
 * handles (inheritable duplicates made for the call and closed after it);
 * started suspended, put in a job object that kills the whole tree on
 * `kill()` and when the job closes (JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE: no
 * child outlives this process), then resumed. Its exit is awaited by a
 * shared blocking WaitForMultipleObjects off the JavaScript thread that
 * watches up to 63 children at once (see ExitWatcher).
 *
 * @module
 */
import { existsSync, statSync } from "node:fs";
import { encodeWide, NativeMemory, struct } from "../ffi/mod.ts";
import { NotFoundError } from "../errors.ts";
import { INHERITED_ENV } from "../_anonymous_pipe.ts";
import { SOCKETS_ENV } from "../_socket_common.ts";
import type { ExitStatus, NativeChild, SpawnSettings } from "../_process_common.ts";
import { ERROR, lastWin32Error, Win32Error } from "./error.ts";
import { kernel32 } from "./kernel32.ts";
import { PROCESS_INFORMATION, SECURITY_ATTRIBUTES, STARTUPINFOW } from "./structs.ts";

// STARTUPINFOEXW: a STARTUPINFOW followed by the attribute list pointer.
const STARTUPINFOEXW = struct({ StartupInfo: STARTUPINFOW, lpAttributeList: "pointer" });

const STARTF_USESTDHANDLES = 0x100;
const CREATE_SUSPENDED = 0x4;
const CREATE_UNICODE_ENVIRONMENT = 0x400;
const EXTENDED_STARTUPINFO_PRESENT = 0x80000;
const PROC_THREAD_ATTRIBUTE_HANDLE_LIST = 0x20002n;
const DUPLICATE_SAME_ACCESS = 0x2;
const JOB_OBJECT_EXTENDED_LIMIT_INFORMATION_CLASS = 9;
const JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE = 0x2000;
const JOB_EXTENDED_LIMIT_SIZE = 144; // JOBOBJECT_EXTENDED_LIMIT_INFORMATION on x64; LimitFlags at 16
const STD_HANDLES = [0xfffffff6, 0xfffffff5, 0xfffffff4]; // STD_INPUT/OUTPUT/ERROR_HANDLE (-10, -11, -12)
const INFINITE = 0xffffffff;
const INVALID_HANDLE_VALUE = 0xffffffffffffffffn;
const GENERIC_RW = 0xc0000000;
const OPEN_EXISTING = 3;
const EXECUTABLE_EXTENSIONS = [".exe", ".com"];

/**
 * The key under which an environment variable name is unique. Windows environment names are case-insensitive: `Path` and `PATH` are one variable, with one key.
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
  return name.toUpperCase();
}

/**
 * Finds an executable: a name with a path separator is used as is (`.exe`
 * added when it has no extension and the bare name does not exist);
 * otherwise PATH is searched for `<name>`, `<name>.exe`, `<name>.com`.
 * Batch files are refused: they need `cmd.exe /c` and its own quoting.
 *
 * @param command The command (argv[0]).
 * @param env The child's environment (its PATH is searched).
 * @returns The path.
 * @example
 * ```ts
 * import { resolveCommand } from "./process.ts";
 * resolveCommand("cmd", { PATH: "C:\\Windows\\System32" }); // "C:\\Windows\\System32\\cmd.exe"
 * ```
 */
export function resolveCommand(command: string, env: Readonly<Record<string, string>>): string {
  const hasExtension = /\.[^\\/.]+$/.test(command);
  if (/\.(cmd|bat)$/i.test(command)) {
    throw new TypeError(
      `Cannot spawn '${command}' directly: batch files run through cmd.exe; spawn ["cmd.exe", "/d", "/c", ...] instead`,
    );
  }
  const candidates = (base: string) =>
    hasExtension ? [base] : [base, ...EXECUTABLE_EXTENSIONS.map((e) => base + e)];
  const isFile = (path: string) => existsSync(path) && statSync(path).isFile();
  if (/[\\/]/.test(command)) {
    const found = candidates(command).find(isFile);
    if (found) return found;
    throw new NotFoundError(`Cannot spawn '${command}': it does not exist`, command);
  }
  const path = Object.entries(env).find(([k]) => k.toUpperCase() === "PATH")?.[1] ?? "";
  for (const dir of path.split(";").filter((d) => d !== "")) {
    const found = candidates(`${dir.replace(/[\\/]$/, "")}\\${command}`).find(isFile);
    if (found) return found;
  }
  throw new NotFoundError(`Cannot spawn '${command}': it is not an executable on PATH`, command);
}

/**
 * Quotes one argument the way the MSVCRT (and CommandLineToArgvW) splits a
 * command line: quotes around arguments with spaces or quotes, `\"` for a
 * quote, and backslashes doubled only where they precede a quote.
 *
 * @param arg The argument.
 * @returns The quoted text.
 * @example
 * ```ts
 * import { quoteArgument } from "./process.ts";
 * quoteArgument('say "hi"'); // "\"say \\\"hi\\\"\""
 * ```
 */
export function quoteArgument(arg: string): string {
  if (arg !== "" && !/[\s"]/.test(arg)) return arg;
  let out = '"';
  let backslashes = 0;
  for (const ch of arg) {
    if (ch === "\\") {
      backslashes++;
      continue;
    }
    out += ch === '"' ? "\\".repeat(backslashes * 2 + 1) + '"' : "\\".repeat(backslashes) + ch;
    backslashes = 0;
  }
  return out + "\\".repeat(backslashes * 2) + '"';
}

/** A UTF-16 environment block: `NAME=value\0` entries, sorted case-insensitively, then `\0`. */
function environmentBlock(env: Readonly<Record<string, string>>): Uint8Array {
  const entries = Object.entries(env).sort((
    [a],
    [b],
  ) => (a.toUpperCase() < b.toUpperCase() ? -1 : 1));
  return encodeWide(entries.map(([k, v]) => `${k}=${v}\0`).join(""));
}

/**
 * Starts a child process.
 *
 * @param settings What to run, with which stdio, environment and extra handles.
 * @returns The child.
 * @example
 * ```ts
 * import { resolveCommand, spawnProcess } from "./process.ts";
 * const env = { PATH: "C:\\Windows\\System32" };
 * const child = spawnProcess({
 *   file: resolveCommand("cmd", env), argv: ["cmd", "/c", "exit 3"], cwd: undefined, env,
 *   stdio: ["inherit", "inherit", "inherit"], inherit: [], sockets: [],
 * });
 * console.log(await child.exited); // { code: 3 }
 * ```
 */
export function spawnProcess(settings: SpawnSettings): NativeChild {
  const k = kernel32.symbols;
  const self = k.GetCurrentProcess();
  const temporary: bigint[] = []; // inheritable duplicates, closed once the child has its copies
  const inheritable = (handle: bigint): bigint => {
    const out = new BigUint64Array(1);
    if (!k.DuplicateHandle(self, handle, self, out, 0, 1, DUPLICATE_SAME_ACCESS)) {
      throw lastWin32Error("DuplicateHandle");
    }
    temporary.push(out[0]!);
    return out[0]!;
  };
  let job = 0n;
  try {
    const std = settings.stdio.map((target, i) => {
      if (target === "inherit") {
        const handle = k.GetStdHandle(STD_HANDLES[i]!);
        return handle === 0n || handle === INVALID_HANDLE_VALUE ? 0n : inheritable(handle);
      }
      if (target === "null") return openNul(temporary);
      return inheritable(target.forChild());
    });
    const extras = settings.inherit.map((end) => inheritable(end.forChild()));
    // Socket activation: inheritable duplicates of the sockets, named in IPCKIT_SOCKETS. A held
    // pipe is joined by name (win32/pipe.ts holdPipe): nothing to inherit.
    const socketHandles = settings.sockets.map(({ handle, type }) =>
      type === "pipe" ? 0n : inheritable(handle)
    );
    const listed = [...new Set([...std, ...extras, ...socketHandles].filter((h) => h !== 0n))];
    const env: Record<string, string> = { ...settings.env, [INHERITED_ENV]: extras.join(",") };
    delete env[SOCKETS_ENV];
    if (socketHandles.length > 0) {
      env[SOCKETS_ENV] = settings.sockets
        .map(({ name, type }, i) =>
          `${name}=${type}:${type === "pipe" ? "held" : socketHandles[i]}`
        )
        .join(",");
    }

    // The attribute list: inherit exactly `listed`.
    const size = new BigUint64Array(1);
    k.InitializeProcThreadAttributeList(0n, 1, 0, size);
    using attributeList = NativeMemory.alloc(Number(size[0]!));
    if (!k.InitializeProcThreadAttributeList(attributeList.address, 1, 0, size)) {
      throw lastWin32Error("InitializeProcThreadAttributeList");
    }
    using handleArray = NativeMemory.alloc(Math.max(1, listed.length) * 8);
    listed.forEach((h, i) => handleArray.view.setBigUint64(i * 8, h, true));
    try {
      if (
        listed.length > 0 &&
        !k.UpdateProcThreadAttribute(
          attributeList.address,
          0,
          PROC_THREAD_ATTRIBUTE_HANDLE_LIST,
          handleArray.address,
          BigInt(listed.length * 8),
          0n,
          0n,
        )
      ) {
        throw lastWin32Error("UpdateProcThreadAttribute");
      }
      const startup = new Uint8Array(STARTUPINFOEXW.size);
      const view = new DataView(startup.buffer);
      // The embedded STARTUPINFOW starts at offset 0; its cb is the size of the whole EX struct.
      STARTUPINFOW.set(view, "cb", STARTUPINFOEXW.size);
      STARTUPINFOW.set(view, "dwFlags", STARTF_USESTDHANDLES);
      STARTUPINFOW.set(view, "hStdInput", std[0]!);
      STARTUPINFOW.set(view, "hStdOutput", std[1]!);
      STARTUPINFOW.set(view, "hStdError", std[2]!);
      STARTUPINFOEXW.set(view, "lpAttributeList", attributeList.address);
      const info = new Uint8Array(PROCESS_INFORMATION.size);
      const commandLine = encodeWide(settings.argv.map(quoteArgument).join(" "));
      const ok = k.CreateProcessW(
        encodeWide(settings.file),
        commandLine,
        0n,
        0n,
        listed.length > 0 ? 1 : 0,
        CREATE_SUSPENDED | CREATE_UNICODE_ENVIRONMENT | EXTENDED_STARTUPINFO_PRESENT,
        environmentBlock(env),
        settings.cwd === undefined ? null : encodeWide(settings.cwd),
        startup,
        info,
      );
      if (!ok) {
        const error = lastWin32Error("CreateProcessW");
        if (
          error.code === ERROR.FILE_NOT_FOUND || error.code === 3 /* ERROR_PATH_NOT_FOUND */ ||
          error.code === 267
        ) {
          throw new NotFoundError(
            `Cannot spawn '${settings.file}': it${
              settings.cwd ? ` or the directory '${settings.cwd}'` : ""
            } does not exist`,
            settings.file,
            { cause: error },
          );
        }
        throw error;
      }
      const infoView = new DataView(info.buffer);
      const process = PROCESS_INFORMATION.get(infoView, "hProcess");
      const thread = PROCESS_INFORMATION.get(infoView, "hThread");
      const pid = PROCESS_INFORMATION.get(infoView, "dwProcessId");
      try {
        job = killOnCloseJob();
        if (!k.AssignProcessToJobObject(job, process)) {
          throw lastWin32Error("AssignProcessToJobObject");
        }
      } catch (error) {
        k.TerminateProcess(process, 1);
        k.CloseHandle(thread);
        k.CloseHandle(process);
        throw error;
      }
      k.ResumeThread(thread);
      k.CloseHandle(thread);
      const child = new WindowsChild(pid, process, job);
      job = 0n;
      return child;
    } finally {
      k.DeleteProcThreadAttributeList(attributeList.address);
    }
  } finally {
    for (const h of temporary) k.CloseHandle(h);
    if (job !== 0n) k.CloseHandle(job);
  }
}

function openNul(temporary: bigint[]): bigint {
  const attributes = new Uint8Array(SECURITY_ATTRIBUTES.size);
  const view = new DataView(attributes.buffer);
  SECURITY_ATTRIBUTES.set(view, "nLength", SECURITY_ATTRIBUTES.size);
  SECURITY_ATTRIBUTES.set(view, "bInheritHandle", 1);
  using memory = NativeMemory.alloc(SECURITY_ATTRIBUTES.size);
  memory.bytes.set(attributes);
  const handle = kernel32.symbols.CreateFileW(
    encodeWide("NUL"),
    GENERIC_RW,
    3,
    memory.address,
    OPEN_EXISTING,
    0,
    0n,
  );
  if (handle === INVALID_HANDLE_VALUE) throw lastWin32Error("CreateFileW");
  temporary.push(handle);
  return handle;
}

function killOnCloseJob(): bigint {
  const job = kernel32.symbols.CreateJobObjectW(0n, null);
  if (job === 0n) throw lastWin32Error("CreateJobObjectW");
  const limits = new Uint8Array(JOB_EXTENDED_LIMIT_SIZE);
  new DataView(limits.buffer).setUint32(16, JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE, true);
  if (
    !kernel32.symbols.SetInformationJobObject(
      job,
      JOB_OBJECT_EXTENDED_LIMIT_INFORMATION_CLASS,
      limits,
      limits.byteLength,
    )
  ) {
    const error = lastWin32Error("SetInformationJobObject");
    kernel32.symbols.CloseHandle(job);
    throw error;
  }
  return job;
}

/**
 * Waits for the exit of many children with one parked call per 63 of them:
 * a WaitForMultipleObjects over [wake event, ...process handles]. A
 * per-child parked wait would hold one thread each, and Deno runs its
 * `nonblocking` calls on a small pool: a dozen children would exhaust it and
 * stall every other wait (the I/O completion waiter included).
 */
class ExitWatcher {
  static readonly CAPACITY = 63; // MAXIMUM_WAIT_OBJECTS minus the wake event
  static readonly #watchers: ExitWatcher[] = [];

  readonly #waiting = new Map<bigint, { resolve(): void; reject(error: Error): void }>();
  readonly #wake: bigint;
  readonly #handles = NativeMemory.alloc(8 * (ExitWatcher.CAPACITY + 1));
  #running = false;

  private constructor() {
    this.#wake = kernel32.symbols.CreateEventW(0n, 0, 0, null);
    if (this.#wake === 0n) throw lastWin32Error("CreateEventW");
  }

  /**
   * Resolves when the process handle is signalled (the process exited).
   *
   * @param process A process handle.
   * @returns A promise for the exit.
   */
  static watch(process: bigint): Promise<void> {
    let watcher = ExitWatcher.#watchers.find((w) => w.#waiting.size < ExitWatcher.CAPACITY);
    if (!watcher) ExitWatcher.#watchers.push(watcher = new ExitWatcher());
    return watcher.#add(process);
  }

  #add(process: bigint): Promise<void> {
    const exited = new Promise<void>((resolve, reject) =>
      this.#waiting.set(process, { resolve, reject })
    );
    // A parked wait sees only the handles it started with: wake it to re-arm.
    if (this.#running) kernel32.symbols.SetEvent(this.#wake);
    else void this.#loop();
    return exited;
  }

  async #loop(): Promise<void> {
    this.#running = true;
    const k = kernel32.symbols;
    while (this.#waiting.size > 0) {
      // The array is written only while no wait is in flight.
      const handles = [this.#wake, ...this.#waiting.keys()];
      handles.forEach((h, i) => this.#handles.view.setBigUint64(i * 8, h, true));
      const result = await k.WaitForMultipleObjectsAsync(
        handles.length,
        this.#handles.address,
        0,
        INFINITE,
      );
      const index = result - WAIT_OBJECT_0;
      if (index >= 1 && index < handles.length) {
        const process = handles[index]!;
        this.#waiting.get(process)?.resolve();
        this.#waiting.delete(process);
      } else if (index !== 0) {
        // WAIT_FAILED (a handle closed under the wait): fail every waiter rather than spin.
        const error = new Win32Error(ERROR.INVALID_HANDLE, "WaitForMultipleObjects");
        for (const waiter of this.#waiting.values()) waiter.reject(error);
        this.#waiting.clear();
      }
    }
    this.#running = false;
  }
}

const WAIT_OBJECT_0 = 0;

class WindowsChild implements NativeChild {
  readonly exited: Promise<ExitStatus>;
  #process: bigint;
  #job: bigint;
  #killed = false;

  constructor(readonly pid: number, process: bigint, job: bigint) {
    this.#process = process;
    this.#job = job;
    this.exited = this.#wait();
  }

  async #wait(): Promise<ExitStatus> {
    const k = kernel32.symbols;
    await ExitWatcher.watch(this.#process);
    const code = new Uint32Array(1);
    k.GetExitCodeProcess(this.#process, code);
    k.CloseHandle(this.#process);
    this.#process = 0n;
    // Closing the job ends whatever the child left running (KILL_ON_JOB_CLOSE).
    k.CloseHandle(this.#job);
    this.#job = 0n;
    return this.#killed ? { code: code[0]!, signal: "SIGKILL" } : { code: code[0]! };
  }

  kill(): void {
    if (this.#job === 0n) return;
    this.#killed = true;
    if (!kernel32.symbols.TerminateJobObject(this.#job, 1)) {
      throw lastWin32Error("TerminateJobObject");
    }
  }
}
