/**
 * Spawning an instance with the environment contract, the stdio links of
 * the topology, and line-by-line capture of its output. Each child gets its
 * own process group on Linux, so a stop reaches its whole tree.
 *
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import type { Readable, Writable } from "node:stream";
import process from "node:process";
import { platform } from "../ffi/mod.ts";
import { CONTRACT_VERSION, type ContractEndpoint, contractEnvironment } from "./contract.ts";
import type { Instantiated } from "./instantiate.ts";
import type { Plan, PlannedInstance } from "./plan.ts";

/** A started instance, as the supervisor drives it. */
export interface LaunchedChild {
  pid: number;
  /** Resolves with the exit code, or the signal that ended it. */
  exited: Promise<{ code: number | null; signal: string | null }>;
  /** Sends a stop signal to the process (Linux); a no-op on Windows, which has no signals. */
  signal(signal: "SIGTERM" | "SIGINT" | "SIGKILL"): void;
  /** Kills the whole process tree. */
  terminate(exitCode: number): Promise<void>;
}

/** Starts one instance; `onLine` receives each line it prints. */
export type Launcher = (
  instance: PlannedInstance,
  endpoints: Instantiated,
  onLine: (stream: "stdout" | "stderr", line: string) => void,
) => Promise<LaunchedChild>;

/**
 * The `a.stdout -> b.stdin` links of a plan: the supervisor connects the
 * writer's output stream to the reader's input stream and closes the
 * reader's input when the writer's output ends.
 */
export class StdioLinks {
  /** Reader instance → writer instance and stream. */
  readonly #sources = new Map<string, { instance: string; stream: "stdout" | "stderr" }>();
  /** Writer instance.stream → reader instance. */
  readonly #targets = new Map<string, string>();
  readonly #stdin = new Map<string, Writable>();
  readonly #pending = new Map<string, Readable>();

  private constructor() {}

  /**
   * The links of a plan, paired by replica index for replicated ends.
   *
   * @param plan The plan.
   * @returns The links.
   */
  static create(plan: Plan): StdioLinks {
    const links = new StdioLinks();
    const idsOf = (name: string) =>
      plan.instances.filter((i) => i.process.name === name).map((i) => i.id);
    for (const link of plan.stdioLinks) {
      const writers = idsOf(link.from.process);
      const readers = idsOf(link.to.process);
      for (let i = 0; i < Math.max(writers.length, readers.length); i++) {
        const writer = writers[i % writers.length]!;
        const reader = readers[i % readers.length]!;
        links.#sources.set(reader, { instance: writer, stream: link.from.stream });
        links.#targets.set(`${writer}.${link.from.stream}`, reader);
      }
    }
    return links;
  }

  /** Whether an instance's stdin is fed by a link. */
  feedsStdin(instance: string): boolean {
    return this.#sources.has(instance);
  }

  /** Whether an instance's stream feeds another's stdin. */
  isLinked(instance: string, stream: "stdout" | "stderr"): boolean {
    return this.#targets.has(`${instance}.${stream}`);
  }

  /**
   * Registers a started reader's stdin, connecting any output already waiting for it.
   *
   * @param instance The reader instance.
   * @param stdin Its input stream.
   */
  attachReader(instance: string, stdin: Writable): void {
    this.#stdin.set(instance, stdin);
    const source = this.#sources.get(instance)!;
    const waiting = this.#pending.get(`${source.instance}.${source.stream}`);
    if (waiting) waiting.pipe(stdin);
  }

  /**
   * Registers a started writer's output; it flows once its reader has started.
   *
   * @param instance The writer instance.
   * @param stream Which stream.
   * @param output The stream.
   */
  attachWriter(instance: string, stream: "stdout" | "stderr", output: Readable): void {
    const reader = this.#targets.get(`${instance}.${stream}`)!;
    const stdin = this.#stdin.get(reader);
    if (stdin) output.pipe(stdin);
    else this.#pending.set(`${instance}.${stream}`, output);
  }

  /** Ends every reader's input. */
  close(): void {
    for (const stdin of this.#stdin.values()) stdin.end();
    this.#stdin.clear();
    this.#pending.clear();
  }
}

/**
 * The launcher for a plan: builds each instance's environment from the
 * contract and starts it.
 *
 * @param plan The plan.
 * @param links The stdio links.
 * @returns The launcher.
 * @example
 * ```ts
 * import { makeLauncher, StdioLinks } from "./spawn.ts";
 * // const launch = makeLauncher(plan, StdioLinks.create(plan));
 * ```
 */
export function makeLauncher(plan: Plan, links: StdioLinks): Launcher {
  return async (instance, endpoints, onLine) => {
    const document = {
      version: CONTRACT_VERSION,
      topology: plan.topology.name,
      platform: plan.topology.platform,
      process: instance.process.name,
      instance: instance.id,
      replica: instance.replica,
      endpoints: Object.fromEntries(
        instance.uses.map(({ endpoint, role }): [string, ContractEndpoint] => [endpoint.name, {
          kind: endpoint.kind,
          name: endpoint.libName,
          osName: endpoints.osNames.get(endpoint.name) ?? endpoint.libName,
          role,
          options: endpoints.options.get(endpoint.name) ?? endpoint.options,
        }]),
      ),
      control: { name: endpoints.control.name, osName: endpoints.control.osName },
    };
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(process.env)) {
      if (value !== undefined) env[key] = value;
    }
    Object.assign(env, instance.process.env, contractEnvironment(document));
    const [command, ...args] = instance.process.argv;
    const child = spawn(command!, args, {
      env,
      ...(instance.process.cwd !== undefined ? { cwd: instance.process.cwd } : {}),
      stdio: [links.feedsStdin(instance.id) ? "pipe" : "ignore", "pipe", "pipe"],
      // Its own process group on Linux, so a stop or kill reaches the whole tree.
      detached: platform === "linux",
      windowsHide: true,
    });
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      child.once("exit", (code, signal) => resolve({ code, signal }))
    );
    await new Promise<void>((resolve, reject) => {
      child.once("spawn", resolve);
      child.once("error", (error: NodeJS.ErrnoException) => {
        reject(
          new Error(
            error.code === "ENOENT"
              ? `command '${command}' not found`
              : `cannot start '${command}': ${error.message}`,
            { cause: error },
          ),
        );
      });
    });
    if (child.stdin) links.attachReader(instance.id, child.stdin);
    const pumps = (["stdout", "stderr"] as const).map((stream) => {
      const output = child[stream]!;
      if (links.isLinked(instance.id, stream)) {
        links.attachWriter(instance.id, stream, output);
        return new Promise<void>((resolve) => output.once("close", resolve));
      }
      return pumpLines(output, (line) => onLine(stream, line));
    });
    return {
      pid: child.pid!,
      // Report the exit once its last output lines are printed.
      exited: exited.then(async (exit) => {
        await Promise.all(pumps);
        return exit;
      }),
      signal: (signal) => signalTree(child, signal),
      terminate: async () => {
        signalTree(child, "SIGKILL");
        await exited;
      },
    };
  };
}

/** Signals the child's whole process group on Linux; on Windows only the child itself can be ended. */
function signalTree(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.exitCode !== null || child.signalCode !== null) return;
  try {
    if (platform === "linux") process.kill(-child.pid!, signal);
    else child.kill(signal);
  } catch {
    // Already gone.
  }
}

/** Splits a stream into lines as data arrives; resolves when it closes. */
function pumpLines(stream: Readable, onLine: (line: string) => void): Promise<void> {
  const decoder = new TextDecoder();
  let pending = "";
  return new Promise((resolve) => {
    stream.on("data", (chunk: Uint8Array) => {
      pending += decoder.decode(chunk, { stream: true });
      let newline: number;
      while ((newline = pending.indexOf("\n")) >= 0) {
        onLine(pending.slice(0, newline).replace(/\r$/, ""));
        pending = pending.slice(newline + 1);
      }
    });
    // "close" also follows an error: whatever arrived was printed.
    stream.on("error", () => {});
    stream.once("close", () => {
      pending += decoder.decode();
      if (pending !== "") onLine(pending.replace(/\r$/, ""));
      resolve();
    });
  });
}
