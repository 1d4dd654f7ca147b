/**
 * The `ipckit` command line: dispatches to a subcommand module. Run it with
 * `npx ipckit <command>` (bin/ipckit.mjs starts this file under Bun), or
 * directly with `bun cli/main.ts` or `deno run -A cli/main.ts`.
 *
 * @module
 */

import process from "node:process";
import type { Command } from "./_common.ts";
import * as check from "./check.ts";
import * as fmt from "./fmt.ts";
import * as gen from "./gen.ts";
import * as graph from "./graph.ts";
import * as runCommand from "./run.ts";

/**
 * The subcommands. To add one (e.g. `run`), write `cli/run.ts` exporting
 * `summary`, `help` and `main(argv)`, import it above and add it here.
 *
 * @example Listing subcommands
 * ```ts
 * import { COMMANDS } from "./main.ts";
 * console.log(Object.keys(COMMANDS)); // ["check", "fmt", "graph"]
 * ```
 */
export const COMMANDS: Record<string, Command> = {
  run: runCommand,
  check,
  fmt,
  graph,
  gen,
};

function overview(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) =>
    `  ${name.padEnd(width)}  ${c.summary}`
  );
  return `Usage: ipckit <command> [options]

Commands:
${lines.join("\n")}

Run 'ipckit <command> --help' for a command's options.`;
}

/**
 * Runs the CLI.
 *
 * @param argv Arguments after the program name.
 * @returns The exit code.
 * @example Running `ipckit check` from code
 * ```ts
 * import { run } from "./main.ts";
 * const code = await run(["check", "examples/hello.ipc"]);
 * ```
 */
export async function run(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    const topic = name === "help" ? rest[0] : undefined;
    const cmd = topic === undefined ? undefined : COMMANDS[topic];
    process.stdout.write((cmd ? cmd.help : overview()) + "\n");
    return name === undefined ? 2 : 0;
  }
  const cmd = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!cmd) {
    const near = Object.keys(COMMANDS).find((c) =>
      c[0] === name[0] && Math.abs(c.length - name.length) <= 1
    );
    const hint = near ? ` (did you mean '${near}'?)` : "";
    process.stderr.write(`error: unknown command '${name}'${hint}\n\n${overview()}\n`);
    return 2;
  }
  try {
    return await cmd.main(rest);
  } catch (e) {
    // A bug must still end in one readable line, not a stack trace.
    const message = e instanceof Error ? e.message : String(e);
    process.stderr.write(`error: internal error in 'ipckit ${name}': ${message}\n`);
    if (process.env["IPCKIT_DEBUG"]) process.stderr.write(`${(e as Error).stack ?? ""}\n`);
    return 70;
  }
}

const meta = import.meta as ImportMeta & { main?: boolean };
if (meta.main) {
  process.exitCode = await run(process.argv.slice(2));
}
