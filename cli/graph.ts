/**
 * `ipckit graph FILE`: exports a checked topology as Graphviz DOT or Mermaid.
 *
 * @module
 */

import process from "node:process";
import { renderAll, toDot, toMermaid } from "../dsl/mod.ts";
import { checkFile, parseCheckCommand } from "./_common.ts";

/**
 * One line for `ipckit --help`.
 * @example Printing the summary
 * ```ts
 * import { summary } from "./graph.ts";
 * console.log(summary);
 * ```
 */
export const summary = "draw a topology as Graphviz DOT or Mermaid";

/**
 * The text of `ipckit graph --help`.
 * @example Printing the help
 * ```ts
 * import { help } from "./graph.ts";
 * console.log(help);
 * ```
 */
export const help = `Usage: ipckit graph FILE [--format dot|mermaid] [options]

Checks FILE, then prints its processes, endpoints and flows as a graph:
processes are boxes (replicas stacked, with their count), endpoints are shaped
by kind, and edges are labelled with each process's role. Stdio links are dashed.

Options:
  --format dot|mermaid      output format (default: dot)
  --platform windows|linux  the platform to draw (default: this machine's)
  --set NAME=VALUE          override a parameter; repeatable
  -h, --help                show this help

Example:
  ipckit graph examples/workers.ipc --format dot | dot -Tsvg > workers.svg`;

/**
 * Runs `ipckit graph`.
 *
 * @param argv Arguments after `graph`.
 * @returns 0 on success, 1 when the topology has errors, 2 on a usage error.
 * @example Drawing an example from code
 * ```ts
 * import { main } from "./graph.ts";
 * const code = await main(["examples/workers.ipc", "--format", "mermaid"]);
 * ```
 */
export function main(argv: string[]): Promise<number> {
  const parsed = parseCheckCommand(argv, help, ["dot", "mermaid"]);
  if ("exit" in parsed) return Promise.resolve(parsed.exit);
  const { file, text, platform, format, set } = parsed;
  const result = checkFile(file, text, platform, set);
  process.stderr.write(renderAll(result.diagnostics, result.files, file));
  if (!result.topology) return Promise.resolve(1);
  process.stdout.write(format === "dot" ? toDot(result.topology) : toMermaid(result.topology));
  return Promise.resolve(0);
}
