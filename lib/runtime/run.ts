/**
 * One run of a topology, start to finish: instantiate, supervise, tear down.
 *
 * @module
 */
import { closeAll } from "../_cleanup.ts";
import { instantiate } from "./instantiate.ts";
import { Output } from "./output.ts";
import type { Plan } from "./plan.ts";
import { makeLauncher, StdioLinks } from "./spawn.ts";
import { type RunOutcome, Supervisor } from "./supervise.ts";

/** How `runTopology` reports and what stops it. */
export interface RunOptions {
  /** One JSON object per line. */
  json: boolean;
  /** Coloured prefixes. */
  color: boolean;
  /** Where output goes. */
  write: (text: string) => void;
  /** Called once with a function that stops the run (wire SIGINT/SIGTERM to it). */
  onStopSignal?: (stop: (reason: string) => void) => void;
}

/** A startup progress line is printed each second while a topology takes this long or longer to start. */
const PROGRESS_AFTER_MS = 1000;

/**
 * Runs a planned topology until every process has exited (and will not be
 * restarted) or the run is stopped; then stops what is left in reverse order
 * and releases every endpoint. Nothing of the topology remains afterwards.
 *
 * @param plan The plan.
 * @param options Output and stop wiring.
 * @returns The outcome with the exit code.
 * @example
 * ```ts
 * import { runTopology } from "./run.ts";
 * // const { exitCode } = await runTopology(plan, { json: false, color: false, write: (s) => process.stdout.write(s) });
 * ```
 */
export async function runTopology(plan: Plan, options: RunOptions): Promise<RunOutcome> {
  const startedAt = performance.now();
  const output = new Output(
    {
      json: options.json,
      color: options.color,
      write: options.write,
      clock: () => performance.now() - startedAt,
    },
    plan.instances.map((i) => i.id),
  );
  let held;
  try {
    held = await instantiate(plan);
  } catch (error) {
    const reason = `cannot create the endpoints of '${plan.topology.name}': ${
      (error as Error).message
    }`;
    output.note(reason, "error");
    return { exitCode: 1, reason };
  }
  const links = StdioLinks.create(plan);
  const supervisor = new Supervisor(plan, held, makeLauncher(plan, links), output);
  options.onStopSignal?.((reason) => void supervisor.stop(reason, 0));
  const total = plan.instances.length;
  const progress = setInterval(() => {
    const ready = supervisor.readyCount;
    if (ready >= total || supervisor.stopping) clearInterval(progress);
    else output.note(`starting: ${ready}/${total} ready`);
  }, PROGRESS_AFTER_MS);
  try {
    const outcome = await supervisor.run();
    output.note(
      `${outcome.exitCode === 0 ? "done" : "failed"}: ${outcome.reason}`,
      outcome.exitCode === 0 ? "info" : "error",
    );
    return outcome;
  } finally {
    clearInterval(progress);
    await closeAll([() => links.close(), () => held.close()], `the run of '${plan.topology.name}'`);
  }
}
