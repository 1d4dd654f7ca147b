/**
 * Child processes with redirected standard streams and an explicit list of
 * inherited pipe ends; `kill()` ends the whole tree (Windows: a job object;
 * Linux: the child's own process group).
 *
 * @example Duplex with a child through two pipes
 * ```ts
 * import { spawn } from "./process.ts";
 * const child = spawn(["bun", "child.ts"], { stdin: "pipe", stdout: "pipe" });
 * await child.stdin!.write("ping\n");
 * await child.stdin!.close();
 * for await (const chunk of child.stdout!) console.log(new TextDecoder().decode(chunk));
 * console.log(await child.exited);
 * ```
 *
 * @module
 */
import process from "node:process";
import { platform } from "./ffi/mod.ts";
import { endOf } from "./_anonymous_pipe.ts";
import { closeAll } from "./_cleanup.ts";
import { abortable, type WaitOptions, withDeadline } from "./_options.ts";
import type { AnonymousEnd } from "./_pipe_common.ts";
import type { ExitStatus, NativeChild, StdioTarget } from "./_process_common.ts";
import { createPipe, HeldPipe, type PipeReader, type PipeWriter } from "./pipe.ts";
import { DatagramSocket, HeldSocket, type SocketListener } from "./socket.ts";
import * as posix from "./posix/process.ts";
import * as win32 from "./win32/process.ts";

export type { ExitStatus } from "./_process_common.ts";

const os = platform === "windows" ? win32 : posix;

/**
 * Where a standard stream of the child goes: this process's own
 * (`"inherit"`), a new pipe readable/writable here (`"pipe"`), nowhere
 * (`"null"`), or an end from {@link createPipe} (the child then owns it).
 */
export type Stdio = "inherit" | "pipe" | "null" | PipeReader | PipeWriter;

/** Options of {@link spawn}. */
export interface SpawnOptions {
  /** Working directory of the child (default: this process's). */
  cwd?: string;
  /** Variables added to this process's environment (`undefined` removes one). */
  env?: Record<string, string | undefined>;
  /** Start from an empty environment instead of this process's (then only `env`). */
  clearEnv?: boolean;
  /** Default `"inherit"`. */
  stdin?: Stdio;
  /** Default `"inherit"`. */
  stdout?: Stdio;
  /** Default `"inherit"`. */
  stderr?: Stdio;
  /**
   * Extra pipe ends the child inherits, in order; the child opens them with
   * `PipeReader.fromInherited(i)` / `PipeWriter.fromInherited(i)`. No other
   * handle or fd of this process reaches the child.
   */
  inherit?: (PipeReader | PipeWriter)[];
  /**
   * Sockets the child gets the way systemd's socket activation hands them
   * over, each under a name: on Linux as fds 3, 4, … with `LISTEN_FDS`,
   * `LISTEN_PID` and `LISTEN_FDNAMES` (the command then starts through
   * `/bin/sh`, which sets `LISTEN_PID` to its own pid and execs it); on
   * Windows as inherited handles listed in `IPCKIT_SOCKETS`
   * (docs/env-contract.md). The child adopts them with `Socket.adopt()` or
   * any socket-activation library; this process keeps its own copies.
   */
  sockets?: { name: string; socket: HeldSocket | HeldPipe | SocketListener | DatagramSocket }[];
}

/**
 * A running child process.
 *
 * @example
 * ```ts
 * import { spawn } from "./process.ts";
 * const child = spawn(["sleep", "60"]);
 * child.kill();
 * console.log(await child.exited); // { code: null, signal: "SIGKILL" }
 * ```
 */
export class ChildProcess implements AsyncDisposable {
  readonly #native: NativeChild;
  #exitStatus: ExitStatus | null = null;
  #disposing: Promise<void> | null = null;

  /** @internal Made by {@link spawn}. */
  constructor(
    native: NativeChild,
    /** The child's standard input, when spawned with `stdin: "pipe"`. */
    readonly stdin: PipeWriter | null,
    /** The child's standard output, when spawned with `stdout: "pipe"`. */
    readonly stdout: PipeReader | null,
    /** The child's standard error, when spawned with `stderr: "pipe"`. */
    readonly stderr: PipeReader | null,
  ) {
    this.#native = native;
    void native.exited.then((status) => (this.#exitStatus = status), () => {});
  }

  /** The process id. */
  get pid(): number {
    return this.#native.pid;
  }

  /** Resolves with the exit code (and the signal, if one ended it) once the child has exited; never rejects. */
  get exited(): Promise<ExitStatus> {
    return this.#native.exited;
  }

  /**
   * Waits for the child to exit. A timeout or an abort ends only this wait:
   * the child keeps running.
   *
   * @param options `timeout` (ms; then TimeoutError), `signal` (then its reason).
   * @returns The exit code (and the signal, if one ended it).
   * @example Giving a child ten seconds
   * ```ts
   * import { spawn } from "./process.ts";
   * await using child = spawn(["sleep", "1"]);
   * const status = await child.wait({ timeout: 10_000 });
   * ```
   */
  wait(options: WaitOptions = {}): Promise<ExitStatus> {
    return withDeadline(
      options,
      `wait for child process ${this.pid}`,
      (signal) => abortable(this.#native.exited, signal),
    );
  }

  /**
   * Ends the child and all its descendants. On Linux `signal` is sent to
   * the child's process group (default SIGKILL); on Windows the job is
   * terminated whatever the signal.
   *
   * @param signal "SIGKILL" (default), "SIGTERM", "SIGINT" or a signal number.
   * @example
   * ```ts
   * import { spawn } from "./process.ts";
   * const child = spawn(["sleep", "60"]);
   * child.kill("SIGTERM");
   * ```
   */
  kill(signal: "SIGKILL" | "SIGTERM" | "SIGINT" | number = "SIGKILL"): void {
    const number = typeof signal === "number"
      ? signal
      : { SIGKILL: 9, SIGTERM: 15, SIGINT: 2 }[signal];
    if (!Number.isInteger(number) || number === undefined || number <= 0 || number > 64) {
      throw new RangeError(
        `Cannot send signal ${String(signal)}: use SIGKILL, SIGTERM, SIGINT or 1–64`,
      );
    }
    this.#native.kill(number);
  }

  /**
   * Kills the child (and its descendants) unless it has exited, waits for
   * it, and closes the pipes to its standard streams made by `"pipe"`: all
   * of them even when one fails. Idempotent.
   *
   * @returns Resolves once the child has exited and the pipes are closed.
   * @throws AggregateError with every close that failed.
   * @example Disposed at the end of a scope
   * ```ts
   * import { spawn } from "./process.ts";
   * {
   *   await using child = spawn(["sleep", "60"]);
   * } // killed and reaped here
   * ```
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.#disposing ??= closeAll([
      async () => {
        if (this.#exitStatus === null) this.kill();
        await this.exited;
      },
      this.stdin,
      this.stdout,
      this.stderr,
    ], `child process ${this.pid}`);
  }
}

/**
 * Starts a child process. `argv[0]` is looked up on PATH (on Windows also
 * as `.exe`/`.com`); arguments are passed exactly (quoted for the MSVCRT
 * rules on Windows). Pipe ends given as stdio or in `inherit` belong to the
 * child afterwards: this process's copy is closed, so the reader sees the
 * end of the stream when the child's writer closes.
 *
 * @param argv The command and its arguments.
 * @param options Working directory, environment, stdio, extra inherited ends.
 * @returns The child.
 * @example
 * ```ts
 * import { spawn } from "./process.ts";
 * const child = spawn(["git", "status"], { stdout: "pipe", stderr: "inherit" });
 * const output = await new Response(child.stdout!.readable).text();
 * ```
 */
export function spawn(argv: readonly string[], options: SpawnOptions = {}): ChildProcess {
  if (!Array.isArray(argv) || argv.length === 0 || argv.some((a) => typeof a !== "string")) {
    throw new TypeError("Cannot spawn: argv must be a non-empty array of strings");
  }
  const env: Record<string, string> = {};
  // The spelling in `env` of each variable: a later setting replaces any spelling of the
  // same name (on Windows, names ignore case).
  const spellings = new Map<string, string>();
  const put = (name: string, value: string | undefined) => {
    const key = os.envNameKey(name);
    const previous = spellings.get(key);
    if (previous !== undefined) delete env[previous];
    if (value === undefined) {
      spellings.delete(key);
    } else {
      env[name] = value;
      spellings.set(key, name);
    }
  };
  if (!options.clearEnv) {
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined) put(k, v);
  }
  for (const [k, v] of Object.entries(options.env ?? {})) put(k, v);
  const file = os.resolveCommand(argv[0]!, env);

  const handedOver: AnonymousEnd[] = [];
  const created: AnonymousEnd[] = [];
  const ours: { stdin: PipeWriter | null; stdout: PipeReader | null; stderr: PipeReader | null } = {
    stdin: null,
    stdout: null,
    stderr: null,
  };
  const target = (stdio: Stdio | undefined, name: "stdin" | "stdout" | "stderr"): StdioTarget => {
    if (stdio === undefined || stdio === "inherit") return "inherit";
    if (stdio === "null") return "null";
    if (stdio === "pipe") {
      const { reader, writer } = createPipe();
      if (name === "stdin") {
        ours.stdin = writer;
        return created[created.push(take(reader, name)) - 1]!;
      }
      ours[name] = reader;
      return created[created.push(take(writer, name)) - 1]!;
    }
    return take(stdio, name);
  };
  const take = (end: unknown, what: string): AnonymousEnd => {
    const native = endOf(end);
    if (!native) {
      throw new TypeError(
        `Cannot use ${String(end)} as ${what}: use "inherit", "pipe", "null" or a pipe end`,
      );
    }
    if (native.used === "local") {
      throw new TypeError(
        `Cannot hand a pipe end to a child as ${what}: it is already in use in this process`,
      );
    }
    handedOver.push(native);
    return native;
  };
  let native: NativeChild;
  try {
    const stdio = [
      target(options.stdin, "stdin"),
      target(options.stdout, "stdout"),
      target(options.stderr, "stderr"),
    ] as const;
    const inherit = (options.inherit ?? []).map((end, i) => take(end, `inherit[${i}]`));
    const sockets = (options.sockets ?? []).map(({ name, socket }) => {
      if (!/^[A-Za-z0-9_.-]+$/.test(name)) {
        throw new TypeError(
          `Cannot hand over socket '${name}': a name is letters, digits, '_', '.' and '-'`,
        );
      }
      const type = socket instanceof HeldSocket || socket instanceof HeldPipe
        ? socket.type
        : socket instanceof DatagramSocket
        ? "datagram" as const
        : "stream" as const;
      return { name, handle: socket.rawHandle(), type };
    });
    native = os.spawnProcess({ file, argv, cwd: options.cwd, env, stdio, inherit, sockets });
  } catch (error) {
    // Pipes made for "pipe" streams are ours to drop; ends the caller passed stay theirs.
    for (const end of [ours.stdin, ours.stdout, ours.stderr]) void end?.close();
    for (const end of created) void end.close();
    throw error;
  }
  // The child has its copies now; ours would keep the pipes open (no end of stream).
  for (const end of handedOver) void end.close();
  return new ChildProcess(native, ours.stdin, ours.stdout, ours.stderr);
}
