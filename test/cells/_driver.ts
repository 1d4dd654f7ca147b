// Drives scenario scripts (test/scenarios/) in the cells of the matrix and
// parses what they print. Scenario output lines of the form `key=<json>` are
// results; everything else is kept as text for failure messages.
import { describe } from "vitest";
import { CELLS, runInCell, windowsCellProblem, WINE_NOISE } from "../../tools/cells.mjs";

/** A cell name. */
export type Cell = "linux-bun" | "linux-deno" | "windows-bun" | "windows-deno";
export const ALL_CELLS = CELLS as readonly Cell[];
export const LINUX_CELLS: readonly Cell[] = ["linux-bun", "linux-deno"];
export const WINDOWS_CELLS: readonly Cell[] = ["windows-bun", "windows-deno"];

/** What a scenario run produced. */
export interface ScenarioRun {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  /** `key=<json>` lines, parsed. */
  results: Record<string, unknown>;
}

/**
 * Runs a scenario script in a cell and collects its output.
 *
 * @param cell The cell.
 * @param script Path relative to the project root.
 * @param args Script arguments.
 * @param options `timeoutMs` (the run is killed after it), extra `env`.
 * @returns The run.
 */
export function runScenario(
  cell: Cell,
  script: string,
  args: readonly string[] = [],
  options: {
    timeoutMs?: number;
    env?: Record<string, string>;
    /** Called for each stdout line as it arrives, e.g. to signal the process at a given point. */
    onLine?: (line: string, child: { kill(signal: NodeJS.Signals): void }) => void;
  } = {},
): Promise<ScenarioRun> {
  return new Promise((resolve, reject) => {
    const child = runInCell(cell, script, args, {
      stdio: ["ignore", "pipe", "pipe"],
      ...(options.env ? { env: options.env } : {}),
    });
    let stdout = "";
    let stderr = "";
    let partial = "";
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      if (!options.onLine) return;
      partial += chunk;
      const lines = partial.split("\n");
      partial = lines.pop()!;
      for (const line of lines) options.onLine(line.replace(/\r$/, ""), child);
    });
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const timeoutMs = options.timeoutMs ?? 120_000;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const results: Record<string, unknown> = {};
      for (const line of stdout.split(/\r?\n/)) {
        const match = /^([a-z0-9_.-]+)=(.*)$/.exec(line);
        if (!match) continue;
        try {
          results[match[1]!] = JSON.parse(match[2]!);
        } catch {
          results[match[1]!] = match[2];
        }
      }
      let cleanStderr = stderr
        .split(/\r?\n/)
        .filter((line) => !WINE_NOISE.some((noise) => noise.test(line)))
        .join("\n");
      // A run that failed without a word (killed, crashed, timed out) would otherwise
      // only fail on its exit code; say what happened where the first assertion looks.
      if ((code !== 0 || timedOut) && cleanStderr.trim() === "") {
        const tail = stdout.trimEnd().split(/\r?\n/).slice(-8).join("\n");
        cleanStderr = `[driver] ${script} in ${cell} ended with code ${code}, signal ${signal}` +
          `${timedOut ? ` (killed after ${timeoutMs} ms)` : ""}; last output:\n${tail}`;
      }
      resolve({ code, signal, stdout, stderr: cleanStderr, results });
    });
  });
}

/** The cells this run covers: `IPCKIT_CELLS` (comma-separated) narrows the matrix, as `npm test`'s parallel shards do. */
const SELECTED_CELLS = process.env.IPCKIT_CELLS?.split(",").map((c) => c.trim()).filter(Boolean);

/** The title suffix of a cell's block when another shard runs it (see `inCells`). */
export const OTHER_SHARD = "(run by another shard)";

/** Whether this run covers `cell` (see `IPCKIT_CELLS`). */
export function isSelected(cell: Cell): boolean {
  return !SELECTED_CELLS || SELECTED_CELLS.includes(cell);
}

/** Why `cell` cannot run on this machine, or null. */
export function cellProblem(cell: Cell): string | null {
  return cell.startsWith("windows") ? windowsCellProblem() : null;
}

/**
 * Declares one `describe` block per cell, named `[cell]`, so the summary can
 * count results per cell. A cell that cannot run here fails under CI=true
 * and is skipped (visibly, with the reason) otherwise.
 *
 * @param cells The cells where the mechanism exists.
 * @param body Declares the tests for one cell.
 */
export function inCells(cells: readonly Cell[], body: (cell: Cell) => void): void {
  for (const cell of cells) {
    const problem = cellProblem(cell);
    if (!isSelected(cell)) {
      // Another shard runs this cell. Declared (skipped) all the same, so that no file is empty
      // in a shard; `npm test`'s summary leaves these out (OTHER_SHARD).
      describe.skip(`[${cell}] ${OTHER_SHARD}`, () => body(cell));
    } else if (problem && process.env.CI !== "true") {
      describe.skip(`[${cell}] (cannot run here: ${problem})`, () => body(cell));
    } else {
      describe(`[${cell}]`, () => body(cell));
    }
  }
}
