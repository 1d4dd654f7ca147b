/**
 * Helpers shared by the `check`, `fmt` and `graph` subcommands: reading files,
 * choosing the platform, and loading a program from disk.
 *
 * @module
 */

import { readFileSync } from "node:fs";
import process from "node:process";
import {
  type CheckResult,
  checkSource,
  type Platform,
  PLATFORMS,
  type SourceFiles,
} from "../dsl/mod.ts";

/**
 * The platform to check for when `--platform` is not given: the host's.
 *
 * @returns `windows` on Windows, else `linux`.
 * @example Reading the default platform
 * ```ts
 * import { hostPlatform } from "./_common.ts";
 * console.log(hostPlatform());
 * ```
 */
export function hostPlatform(): Platform {
  return process.platform === "win32" ? "windows" : "linux";
}

/**
 * Validates a `--platform` value.
 *
 * @param value The value given, or undefined for the host platform.
 * @returns The platform, or an error message.
 * @example Parsing a platform
 * ```ts
 * import { parsePlatform } from "./_common.ts";
 * parsePlatform("windows"); // { platform: "windows" }
 * ```
 */
export function parsePlatform(
  value: string | undefined,
): { platform: Platform } | { error: string } {
  if (value === undefined) return { platform: hostPlatform() };
  if ((PLATFORMS as readonly string[]).includes(value)) return { platform: value as Platform };
  return { error: `unknown platform '${value}'; expected one of: ${PLATFORMS.join(", ")}` };
}

/**
 * Reads a file as UTF-8, describing failures in one line.
 *
 * @param path The file path.
 * @returns The text, or a message such as "Cannot read 'x.ipc': no such file".
 * @example Reading a file
 * ```ts
 * import { readText } from "./_common.ts";
 * const r = readText("examples/hello.ipc");
 * ```
 */
export function readText(path: string): { text: string } | { error: string } {
  try {
    return { text: readFileSync(path, "utf8") };
  } catch (e) {
    const code = (e as { code?: string }).code;
    const why = code === "ENOENT"
      ? "no such file"
      : code === "EISDIR"
      ? "it is a directory"
      : code === "EACCES"
      ? "permission denied"
      : e instanceof Error
      ? e.message
      : String(e);
    return { error: `cannot read '${path}': ${why}` };
  }
}

/**
 * Loads and checks a file from disk, reading its imports from disk too.
 *
 * @param path The root `.ipc` file.
 * @param text Its contents.
 * @param platform The target platform.
 * @param set `--set` overrides.
 * @returns The check result with its file registry.
 * @example Checking an example
 * ```ts
 * import { checkFile } from "./_common.ts";
 * import { readFileSync } from "node:fs";
 * const r = checkFile("examples/hello.ipc", readFileSync("examples/hello.ipc", "utf8"), "linux", []);
 * ```
 */
export function checkFile(
  path: string,
  text: string,
  platform: Platform,
  set: readonly string[],
): CheckResult & { files: SourceFiles } {
  return checkSource(path, text, { platform, set, readFile: (p) => readFileSync(p, "utf8") });
}

/** A subcommand module, as registered in cli/main.ts. */
export interface Command {
  /** One line for `ipckit --help`. */
  summary: string;
  /** The full `ipckit <cmd> --help` text. */
  help: string;
  /** Runs the command; resolves to the exit code. */
  main(argv: string[]): Promise<number>;
}
