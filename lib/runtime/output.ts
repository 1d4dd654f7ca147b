/**
 * The supervisor's output: each process's lines under a `name[replica] |`
 * prefix (coloured on a terminal unless NO_COLOR is set), lifecycle lines,
 * and `--json` with one object per line.
 *
 * @module
 */

/** Where output goes and how it looks. */
export interface OutputOptions {
  /** One JSON object per line instead of text. */
  json: boolean;
  /** ANSI colours for the prefixes. */
  color: boolean;
  /** Write a line (newline included). */
  write: (text: string) => void;
  /** Milliseconds since the run started (for JSON `t`). */
  clock: () => number;
}

/** A lifecycle event of one instance or of the whole run. */
export type LifecycleEvent =
  | { event: "started"; pid: number }
  | { event: "ready" }
  | { event: "exited"; code: number | null; signal: string | null }
  | { event: "restarting"; inMs: number; attempt: number }
  | { event: "stopping"; reason: string }
  | { event: "killed"; afterMs: number }
  | { event: "failed"; reason: string };

// Bright, readable ANSI colours, assigned to processes in order.
const COLORS = [36, 33, 35, 32, 34, 91, 96, 93, 95, 92, 94];
const SUPERVISOR = "ipckit";

/**
 * Formats and writes the run's output.
 *
 * @example
 * ```ts
 * import { Output } from "./output.ts";
 * const out = new Output({ json: false, color: false, write: (s) => console.log(s.trimEnd()), clock: () => 0 }, ["server"]);
 * out.line("server", "stdout", "listening"); // "server | listening"
 * ```
 */
export class Output {
  readonly #width: number;
  readonly #colorOf = new Map<string, number>();

  /**
   * @param options Formatting and sink.
   * @param instances Every instance id, to align prefixes.
   */
  constructor(readonly options: OutputOptions, instances: readonly string[]) {
    this.#width = Math.max(SUPERVISOR.length, ...instances.map((id) => id.length));
    instances.forEach((id, i) => this.#colorOf.set(id, COLORS[i % COLORS.length]!));
  }

  /**
   * One line a process printed.
   *
   * @param instance The instance id.
   * @param stream Which stream it came from.
   * @param text The line, without its newline.
   */
  line(instance: string, stream: "stdout" | "stderr", text: string): void {
    if (this.options.json) {
      this.#json({ type: "output", instance, stream, line: text });
    } else {
      this.options.write(`${this.#prefix(instance)} ${text}\n`);
    }
  }

  /**
   * A lifecycle event of an instance.
   *
   * @param instance The instance id.
   * @param event What happened.
   */
  lifecycle(instance: string, event: LifecycleEvent): void {
    if (this.options.json) {
      this.#json({ type: "lifecycle", instance, ...event });
      return;
    }
    this.options.write(`${this.#prefix(SUPERVISOR)} ${instance} ${describe(event)}\n`);
  }

  /**
   * A message from the supervisor about the whole run.
   *
   * @param message The text.
   * @param level `info` or `error`.
   */
  note(message: string, level: "info" | "error" = "info"): void {
    if (this.options.json) {
      this.#json({ type: "supervisor", level, message });
    } else {
      const text = level === "error" && this.options.color
        ? `\x1b[1;31m${message}\x1b[0m`
        : message;
      this.options.write(`${this.#prefix(SUPERVISOR)} ${text}\n`);
    }
  }

  #prefix(name: string): string {
    const padded = `${name.padEnd(this.#width)} |`;
    if (!this.options.color) return padded;
    const color = name === SUPERVISOR ? 90 : this.#colorOf.get(name) ?? 37;
    return `\x1b[${color}m${padded}\x1b[0m`;
  }

  #json(object: Record<string, unknown>): void {
    this.options.write(JSON.stringify({ t: Math.round(this.options.clock()), ...object }) + "\n");
  }
}

function describe(event: LifecycleEvent): string {
  switch (event.event) {
    case "started":
      return `started (pid ${event.pid})`;
    case "ready":
      return "ready";
    case "exited":
      return event.signal ? `exited on ${event.signal}` : `exited with code ${event.code}`;
    case "restarting":
      return `restarting in ${formatDuration(event.inMs)} (restart ${event.attempt})`;
    case "stopping":
      return `stopping (${event.reason})`;
    case "killed":
      return `killed after its ${formatDuration(event.afterMs)} grace period`;
    case "failed":
      return `failed: ${event.reason}`;
  }
}

/**
 * A duration as people write it: `250 ms`, `2 s`, `1.5 s`.
 *
 * @param ms Milliseconds.
 * @returns The text.
 * @example
 * ```ts
 * import { formatDuration } from "./output.ts";
 * formatDuration(2000); // "2 s"
 * ```
 */
export function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${Number((ms / 1000).toFixed(1))} s`;
}
