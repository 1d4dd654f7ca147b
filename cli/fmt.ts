/**
 * `ipckit fmt FILE...`: prints, checks or rewrites files in canonical form.
 *
 * @module
 */

import { writeFileSync } from "node:fs";
import process from "node:process";
import { format, renderAll, SourceFiles } from "../dsl/mod.ts";
import { parseArgs } from "./_args.ts";
import { readText } from "./_common.ts";

/**
 * One line for `ipckit --help`.
 * @example Printing the summary
 * ```ts
 * import { summary } from "./fmt.ts";
 * console.log(summary);
 * ```
 */
export const summary = "format topology files canonically (comments kept)";

/**
 * The text of `ipckit fmt --help`.
 * @example Printing the help
 * ```ts
 * import { help } from "./fmt.ts";
 * console.log(help);
 * ```
 */
export const help = `Usage: ipckit fmt FILE... [--check | --write]

Formats each FILE canonically. Comments are kept, and formatting twice gives
the same text as formatting once.

Options:
  --check      print nothing; exit 1 if any file is not formatted
  --write      rewrite files that are not formatted
  -h, --help   show this help

Without --check or --write the formatted text goes to stdout.`;

/**
 * Runs `ipckit fmt`.
 *
 * @param argv Arguments after `fmt`.
 * @returns 0 on success, 1 on a syntax error or (with --check) an unformatted file, 2 on a usage error.
 * @example Checking formatting from code
 * ```ts
 * import { main } from "./fmt.ts";
 * const code = await main(["examples/hello.ipc", "--check"]);
 * ```
 */
export function main(argv: string[]): Promise<number> {
  const parsed = parseArgs(argv, { check: "bool", write: "bool" });
  if ("error" in parsed) return usage(parsed.error);
  const { args } = parsed;
  if (args.bools.has("help")) {
    process.stdout.write(help + "\n");
    return Promise.resolve(0);
  }
  const check = args.bools.has("check");
  const write = args.bools.has("write");
  if (check && write) return usage("use either --check or --write, not both");
  if (args.positionals.length === 0) return usage("missing FILE");
  let code = 0;
  for (const file of args.positionals) {
    const read = readText(file);
    if ("error" in read) {
      process.stderr.write(`error: ${read.error}\n`);
      code = 1;
      continue;
    }
    const files = new SourceFiles();
    const id = files.add(file, read.text);
    const result = format(read.text, id);
    if (result.text === null) {
      process.stderr.write(renderAll(result.diagnostics, files, file));
      code = 1;
      continue;
    }
    if (check) {
      if (result.text !== read.text) {
        process.stderr.write(`would reformat ${file}\n`);
        code = 1;
      }
    } else if (write) {
      if (result.text !== read.text) {
        writeFileSync(file, result.text);
        process.stderr.write(`formatted ${file}\n`);
      }
    } else {
      process.stdout.write(result.text);
    }
  }
  return Promise.resolve(code);
}

function usage(message: string): Promise<number> {
  process.stderr.write(`error: ${message}\n\n${help}\n`);
  return Promise.resolve(2);
}
