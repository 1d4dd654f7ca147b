/**
 * `ipckit check FILE`: checks a topology and prints rustc-style diagnostics.
 *
 * @module
 */

import process from "node:process";
import { renderAll, toJson } from "../dsl/mod.ts";
import { checkFile, parseCheckCommand } from "./_common.ts";

/**
 * One line for `ipckit --help`.
 * @example Printing the summary
 * ```ts
 * import { summary } from "./check.ts";
 * console.log(summary);
 * ```
 */
export const summary = "check a topology file and report errors and warnings";

/**
 * The text of `ipckit check --help`.
 * @example Printing the help
 * ```ts
 * import { help } from "./check.ts";
 * console.log(help);
 * ```
 */
export const help = `Usage: ipckit check FILE [options]

Checks FILE and the files it imports. Prints every error and warning found;
exits 0 when there are no errors (warnings are printed), 1 when there are.

Options:
  --platform windows|linux  the platform to check for (default: this machine's)
  --set NAME=VALUE          override a parameter; repeatable (imported: ns.name=value)
  --format text|json        text (default) prints to stderr; json prints to stdout
  -h, --help                show this help

Examples:
  ipckit check examples/hello.ipc
  ipckit check examples/workers.ipc --platform windows --set workers=8
  ipckit check examples/hello.ipc --format json`;

/**
 * Runs `ipckit check`.
 *
 * @param argv Arguments after `check`.
 * @returns 0 without errors, 1 with errors, 2 on a usage error.
 * @example Checking an example from code
 * ```ts
 * import { main } from "./check.ts";
 * const code = await main(["examples/hello.ipc", "--platform", "linux"]);
 * ```
 */
export function main(argv: string[]): Promise<number> {
  const parsed = parseCheckCommand(argv, help, ["text", "json"]);
  if ("exit" in parsed) return Promise.resolve(parsed.exit);
  const { file, text, platform, format, set } = parsed;
  const result = checkFile(file, text, platform, set);
  const errors = result.diagnostics.filter((d) => d.severity === "error").length;
  const warnings = result.diagnostics.length - errors;
  if (format === "json") {
    const out = {
      file,
      platform,
      ok: errors === 0,
      errors,
      warnings,
      diagnostics: toJson(result.diagnostics, result.files),
    };
    process.stdout.write(JSON.stringify(out, null, 2) + "\n");
  } else {
    process.stderr.write(renderAll(result.diagnostics, result.files, file));
    const t = result.topology;
    if (t) {
      const n = (k: number, one: string, many: string) => `${k} ${k === 1 ? one : many}`;
      const counts = [
        n(t.endpoints.length, "endpoint", "endpoints"),
        n(t.processes.length, "process", "processes"),
        n(t.flows.length + t.stdioLinks.length, "flow", "flows"),
      ];
      process.stdout.write(
        `ok: ${file} (topology ${t.name}, ${t.platform}): ${counts.join(", ")}\n`,
      );
    }
  }
  return Promise.resolve(errors > 0 ? 1 : 0);
}
