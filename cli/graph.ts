/**
 * `ipckit graph FILE`: exports a checked topology as Graphviz DOT or Mermaid.
 *
 * @module
 */

import process from "node:process";
import { renderAll, toDot, toMermaid } from "../dsl/mod.ts";
import { parseArgs } from "./_args.ts";
import { checkFile, parsePlatform, readText } from "./_common.ts";

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
  const parsed = parseArgs(argv, { format: "string", platform: "string", set: "list" });
  if ("error" in parsed) return usage(parsed.error);
  const { args } = parsed;
  if (args.bools.has("help")) {
    process.stdout.write(help + "\n");
    return Promise.resolve(0);
  }
  const [file, ...extra] = args.positionals;
  if (file === undefined) return usage("missing FILE");
  if (extra.length > 0) return usage(`unexpected argument '${extra[0]}'`);
  const format = args.strings.get("format") ?? "dot";
  if (format !== "dot" && format !== "mermaid") {
    return usage(`unknown format '${format}'; expected dot or mermaid`);
  }
  const platform = parsePlatform(args.strings.get("platform"));
  if ("error" in platform) return usage(platform.error);
  const read = readText(file);
  if ("error" in read) {
    process.stderr.write(`error: ${read.error}\n`);
    return Promise.resolve(1);
  }
  const result = checkFile(file, read.text, platform.platform, args.lists.get("set") ?? []);
  process.stderr.write(renderAll(result.diagnostics, result.files, file));
  if (!result.topology) return Promise.resolve(1);
  process.stdout.write(format === "dot" ? toDot(result.topology) : toMermaid(result.topology));
  return Promise.resolve(0);
}

function usage(message: string): Promise<number> {
  process.stderr.write(`error: ${message}\n\n${help}\n`);
  return Promise.resolve(2);
}
