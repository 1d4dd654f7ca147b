/**
 * Spawning an instance through the library's own `spawn`: on Windows every
 * child sits in a kill-on-close job object, so none can outlive the
 * supervisor; on Linux it gets its own process group, so a stop reaches its
 * whole tree. Adds the environment contract and the topology's stdio links,
 * and captures output line by line.
 *
 * @module
 */
import { closeAll } from "../_cleanup.ts";
import process from "node:process";
import { NotFoundError } from "../errors.ts";
import { createPipe, type PipeReader, type PipeWriter } from "../pipe.ts";
import { type ChildProcess, spawn } from "../process.ts";
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
) => LaunchedChild;

/**
 * The anonymous pipes of `a.stdout -> b.stdin` links, created before any
 * process starts. Each end goes to its process at its first start and then
 * belongs to it (the supervisor keeps no copy, so the reader sees the end of
 * the stream when the writer exits). A restarted process gets no link end:
 * the other side's end is gone with its first run.
 */
export class StdioLinks {
  readonly #ends = new Map<string, PipeReader | PipeWriter>();

  private constructor() {}

  /**
   * Creates the pipes of a plan's stdio links, pairing replicated ends by replica index.
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
        const { reader, writer } = createPipe();
        links.#ends.set(`${writers[i % writers.length]}.${link.from.stream}`, writer);
        links.#ends.set(`${readers[i % readers.length]}.stdin`, reader);
      }
    }
    return links;
  }

  /**
   * Takes the pipe end for an instance's stream, once.
   *
   * @param instance The instance id.
   * @param stream The stream.
   * @returns The end, or undefined.
   */
  take(
    instance: string,
    stream: "stdin" | "stdout" | "stderr",
  ): PipeReader | PipeWriter | undefined {
    const key = `${instance}.${stream}`;
    const end = this.#ends.get(key);
    this.#ends.delete(key);
    return end;
  }

  /** Closes the ends no process took (e.g. a run stopped before both sides started). */
  async close(): Promise<void> {
    const ends = [...this.#ends.values()];
    this.#ends.clear();
    await closeAll(ends, "the unused stdio link ends");
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
  // The supervisor's environment, read once per run rather than once per child.
  const inherited: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined) inherited[name] = value;
  }
  return (instance, endpoints, onLine) => {
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
    // The sockets the supervisor holds for this instance's endpoints: it serves TCP or a pipe,
    // reads UDP.
    const sockets = instance.uses.flatMap(({ endpoint, role }) => {
      const socket = endpoints.sockets.get(endpoint.name);
      const serves =
        ((endpoint.kind === "tcp" || endpoint.kind === "unix" || endpoint.kind === "pipe") &&
          role === "server") ||
        (endpoint.kind === "udp" && role === "reader");
      // A pipe is handed over under its library name, which NamedPipe.adopt() looks for.
      const handedName = endpoint.kind === "pipe" ? endpoint.libName : endpoint.name;
      return socket && serves ? [{ name: handedName, socket }] : [];
    });
    const stdin = links.take(instance.id, "stdin");
    const stdout = links.take(instance.id, "stdout");
    const stderr = links.take(instance.id, "stderr");
    let child: ChildProcess;
    try {
      child = spawn(instance.process.argv, {
        env: { ...inherited, ...instance.process.env, ...contractEnvironment(document) },
        clearEnv: true,
        ...(instance.process.cwd !== undefined ? { cwd: instance.process.cwd } : {}),
        stdin: stdin ?? "null",
        stdout: stdout ?? "pipe",
        stderr: stderr ?? "pipe",
        sockets,
      });
    } catch (error) {
      const command = instance.process.argv[0];
      throw new Error(
        error instanceof NotFoundError
          ? `command '${command}' not found`
          : (error as Error).message,
        { cause: error },
      );
    }
    const pumps = [
      child.stdout ? pumpLines(child.stdout, (line) => onLine("stdout", line)) : Promise.resolve(),
      child.stderr ? pumpLines(child.stderr, (line) => onLine("stderr", line)) : Promise.resolve(),
    ];
    return {
      pid: child.pid,
      // Report the exit once its last output lines are printed.
      exited: child.exited.then(async (exit) => {
        await Promise.all(pumps);
        return { code: exit.code, signal: exit.signal ?? null };
      }),
      // On Windows there are no signals: the library's kill() ends the job whatever the signal.
      signal: (signal) => child.kill(signal),
      terminate: async () => {
        child.kill("SIGKILL");
        await child.exited;
      },
    };
  };
}

/** Splits a pipe's bytes into lines as they arrive; resolves at the end of the stream. */
async function pumpLines(
  stream: PipeReader,
  onLine: (line: string) => void,
): Promise<void> {
  const decoder = new TextDecoder();
  let pending = "";
  try {
    // Plain reads rather than `for await`: no async generator per stream and per chunk.
    for (let chunk; (chunk = await stream.read()) !== null;) {
      pending += decoder.decode(chunk, { stream: true });
      let newline: number;
      while ((newline = pending.indexOf("\n")) >= 0) {
        onLine(pending.slice(0, newline).replace(/\r$/, ""));
        pending = pending.slice(newline + 1);
      }
    }
  } catch {
    // The pipe broke with the process; whatever arrived was printed.
  }
  pending += decoder.decode();
  if (pending !== "") onLine(pending.replace(/\r$/, ""));
}
