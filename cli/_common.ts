/**
 * Helpers shared by the `check`, `fmt` and `graph` subcommands: reading files,
 * choosing the platform, and loading a program from disk.
 *
 * @module
 */

import { readFileSync } from "node:fs";
import { type Args, type OptionKinds, parseArgs } from "./_args.ts";
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
/**
 * Parses the arguments of a command that takes one topology FILE: handles
 * `--help`, usage errors (printed with the help, exit 2), a missing or
 * extra FILE, the command's own option checks, and then an unreadable file
 * (exit 1), in that order.
 *
 * @param argv The arguments after the subcommand.
 * @param kinds The command's options.
 * @param help The command's help text.
 * @param validate The command's option checks: a usage error message, or undefined.
 * @returns The file, its text and the parsed options, or the exit code to return.
 * @example
 * ```ts
 * import { parseFileCommand } from "./_common.ts";
 * const parsed = parseFileCommand(["examples/hello.ipc"], { json: "bool" }, "Usage: …");
 * if ("exit" in parsed) console.log(parsed.exit);
 * ```
 */
export function parseFileCommand(
  argv: string[],
  kinds: OptionKinds,
  help: string,
  validate: (args: Args) => string | undefined = () => undefined,
): { file: string; text: string; args: Args } | { exit: number } {
  const parsed = parseArgs(argv, kinds);
  if ("error" in parsed) return { exit: usageError(parsed.error, help) };
  const { args } = parsed;
  if (args.bools.has("help")) {
    process.stdout.write(help + "\n");
    return { exit: 0 };
  }
  const [file, ...extra] = args.positionals;
  if (file === undefined) return { exit: usageError("missing FILE", help) };
  if (extra.length > 0) return { exit: usageError(`unexpected argument '${extra[0]}'`, help) };
  const invalid = validate(args);
  if (invalid !== undefined) return { exit: usageError(invalid, help) };
  const read = readText(file);
  if ("error" in read) {
    process.stderr.write(`error: ${read.error}\n`);
    return { exit: 1 };
  }
  return { file, text: read.text, args };
}

/**
 * Parses a command that checks FILE for a platform and prints it in one of
 * several formats (`check`, `graph`): `--platform`, `--set` and `--format`,
 * validated before the file is read.
 *
 * @param argv The arguments after the subcommand.
 * @param help The command's help text.
 * @param formats The accepted formats; the first is the default.
 * @returns The file, its text, the platform, the format and the `--set` values, or the exit code.
 * @example
 * ```ts
 * import { parseCheckCommand } from "./_common.ts";
 * const parsed = parseCheckCommand(["examples/hello.ipc"], "Usage: …", ["dot", "mermaid"]);
 * if (!("exit" in parsed)) console.log(parsed.platform, parsed.format);
 * ```
 */
export function parseCheckCommand(
  argv: string[],
  help: string,
  formats: readonly [string, ...string[]],
): { file: string; text: string; platform: Platform; format: string; set: string[] } | {
  exit: number;
} {
  let platform: Platform = hostPlatform();
  let format = formats[0];
  const parsed = parseFileCommand(
    argv,
    { platform: "string", set: "list", format: "string" },
    help,
    (args) => {
      format = args.strings.get("format") ?? formats[0];
      if (!formats.includes(format)) {
        return `unknown format '${format}'; expected ${formats.join(" or ")}`;
      }
      const chosen = parsePlatform(args.strings.get("platform"));
      if ("error" in chosen) return chosen.error;
      platform = chosen.platform;
      return undefined;
    },
  );
  if ("exit" in parsed) return parsed;
  return {
    file: parsed.file,
    text: parsed.text,
    platform,
    format,
    set: parsed.args.lists.get("set") ?? [],
  };
}

/**
 * Prints a usage error followed by the command's help.
 *
 * @param message What is wrong with the arguments.
 * @param help The command's help text.
 * @returns 2, the exit code for usage errors.
 * @example
 * ```ts
 * import { usageError } from "./_common.ts";
 * const code = usageError("missing FILE", "Usage: ipckit check FILE");
 * ```
 */
export function usageError(message: string, help: string): number {
  process.stderr.write(`error: ${message}\n\n${help}\n`);
  return 2;
}

export interface Command {
  /** One line for `ipckit --help`. */
  summary: string;
  /** The full `ipckit <cmd> --help` text. */
  help: string;
  /** Runs the command; resolves to the exit code. */
  main(argv: string[]): Promise<number>;
}
