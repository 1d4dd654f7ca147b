/**
 * `ipckit run FILE`: checks a topology, creates its endpoints, starts its
 * processes in order, supervises them and tears everything down.
 *
 * @module
 */
import process from "node:process";
import { renderAll } from "../dsl/mod.ts";
import { describePlan, planTopology, runTopology } from "../lib/runtime/mod.ts";
import { checkFile, hostPlatform, parseFileCommand } from "./_common.ts";

/** One-line summary for `ipckit --help`. */
export const summary = "run a topology: create its endpoints, start and supervise its processes";

/** Full help text. */
export const help = `Usage: ipckit run FILE [options]

Checks FILE, creates every endpoint, starts the processes in dependency
order (each once the ones it depends on are ready), supervises them with
their restart policies and, when they have all exited or on Ctrl+C / SIGTERM,
stops them in reverse order and removes everything the run created.

Exit status: 0 when every process exited with code 0 or the run was stopped
on request; 1 when a process failed beyond its restart policy or the
topology has errors (nothing is started then); 2 for bad arguments.

Options:
  --set NAME=VALUE   override a parameter; repeatable
  --json             one JSON object per line instead of text
  --dry-run          print the plan (endpoints, start waves, stop order) and exit
  --no-color         no colours (also when NO_COLOR is set or output is not a terminal)
  -h, --help         show this help

Examples:
  ipckit run examples/hello.ipc
  ipckit run examples/workers.ipc --set workers=8
  ipckit run examples/hello.ipc --dry-run`;

/**
 * Runs the command.
 *
 * @param argv Arguments after `run`.
 * @returns The exit code.
 * @example
 * ```ts
 * import { main } from "./run.ts";
 * const code = await main(["examples/hello.ipc", "--dry-run"]);
 * ```
 */
export async function main(argv: string[]): Promise<number> {
  const parsed = parseFileCommand(
    argv,
    { set: "list", json: "bool", "dry-run": "bool", "no-color": "bool" },
    help,
  );
  if ("exit" in parsed) return parsed.exit;
  const { file, text, args } = parsed;
  const checked = checkFile(file, text, hostPlatform(), args.lists.get("set") ?? []);
  if (checked.diagnostics.length > 0) {
    process.stderr.write(renderAll(checked.diagnostics, checked.files, file));
  }
  if (!checked.topology) {
    process.stderr.write(`error: '${file}' has errors; nothing was started\n`);
    return 1;
  }
  const plan = planTopology(checked.topology);
  if (args.bools.has("dry-run")) {
    process.stdout.write(describePlan(plan) + "\n");
    return 0;
  }
  const color = !args.bools.has("no-color") && !process.env["NO_COLOR"] &&
    process.stdout.isTTY === true;
  const outcome = await runTopology(plan, {
    json: args.bools.has("json"),
    color,
    write: (text) => process.stdout.write(text),
    onStopSignal: (stop) => {
      for (const signal of ["SIGINT", "SIGTERM"] as const) {
        process.on(signal, () => stop(`${signal} received`));
      }
    },
  });
  return outcome.exitCode;
}
