/**
 * `ipckit gen proto FILE` and `ipckit gen ts FILE`: code for the RPC
 * services a topology declares (docs/rpc.md).
 *
 * @module
 */

import { writeFileSync } from "node:fs";
import process from "node:process";
import { renderAll, toProto, toTypeScript } from "../dsl/mod.ts";
import { checkFile, hostPlatform, parseFileCommand, usageError } from "./_common.ts";

/**
 * One line for `ipckit --help`.
 * @example Printing the summary
 * ```ts
 * import { summary } from "./gen.ts";
 * console.log(summary);
 * ```
 */
export const summary = "write the .proto or TypeScript code of a file's RPC services";

/**
 * The text of `ipckit gen --help`.
 * @example Printing the help
 * ```ts
 * import { help } from "./gen.ts";
 * console.log(help);
 * ```
 */
export const help = `Usage: ipckit gen proto|ts FILE [options]

Checks FILE, then writes code for its records, enums and services:
  proto  the equivalent proto3 file, for protoc, grpcio-tools, buf and others
  ts     TypeScript types and a ServiceDefinition per service, for rpc.serve
         and rpc.connect

Options:
  --out PATH       write to PATH instead of standard output
  --import SPEC    (ts) the module to import ipckit's types from (default: ipckit)
  -h, --help       show this help

Example:
  ipckit gen proto examples/rpc_calc.ipc > calc.proto`;

/**
 * Runs `ipckit gen`.
 *
 * @param argv Arguments after `gen`.
 * @returns 0 on success, 1 when the topology has errors, 2 on a usage error.
 * @example Writing the .proto of an example
 * ```ts
 * import { main } from "./gen.ts";
 * const code = await main(["proto", "examples/rpc_calc.ipc"]);
 * ```
 */
export function main(argv: string[]): Promise<number> {
  const [target, ...rest] = argv;
  if (target === "--help" || target === "-h") {
    process.stdout.write(help + "\n");
    return Promise.resolve(0);
  }
  if (target !== "proto" && target !== "ts") {
    return Promise.resolve(
      usageError(
        target === undefined ? "missing proto or ts" : `unknown target '${target}'`,
        help,
      ),
    );
  }
  const parsed = parseFileCommand(rest, { out: "string", import: "string" }, help);
  if ("exit" in parsed) return Promise.resolve(parsed.exit);
  const { file, text, args } = parsed;
  const result = checkFile(file, text, hostPlatform(), []);
  process.stderr.write(renderAll(result.diagnostics, result.files, file));
  if (!result.topology) return Promise.resolve(1);
  const code = target === "proto"
    ? toProto(result.topology.schema, file)
    : toTypeScript(result.topology.schema, file, args.strings.get("import") ?? "ipckit");
  const out = args.strings.get("out");
  if (out === undefined) process.stdout.write(code);
  else writeFileSync(out, code);
  return Promise.resolve(0);
}
