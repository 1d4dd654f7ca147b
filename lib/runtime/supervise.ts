/**
 * Supervision: starts instances in dependency order once their dependencies
 * are ready, watches readiness, applies restart policies with exponential
 * backoff and a restart-intensity limit, and stops everything in reverse
 * order (stop request, grace period, kill of the whole tree).
 *
 * @module
 */
import type { PipeConnection } from "../pipe.ts";
import type { Plan, PlannedInstance } from "./plan.ts";
import type { Output } from "./output.ts";
import type { LaunchedChild, Launcher } from "./spawn.ts";
import type { Instantiated } from "./instantiate.ts";
import { formatDuration } from "./output.ts";

/** Restarts allowed for `restart = always` before the run gives up (within the window). */
export const ALWAYS_RESTART_LIMIT = { max: 10, withinMs: 60_000 };

/** How a run ended. */
export interface RunOutcome {
  /** 0: finished cleanly or stopped on request; 1: a process failed beyond its policy. */
  exitCode: number;
  /** Why it ended, in words. */
  reason: string;
}

interface InstanceState {
  planned: PlannedInstance;
  child: LaunchedChild | null;
  /** The control connection of the current run of this instance, once it said hello. */
  control: PipeConnection | null;
  readyOnce: Promise<void>;
  markReady: () => void;
  failStart: (error: Error) => void;
  /** Resolves when the current run reports ready (notify or log). */
  currentReady: { resolve: () => void; promise: Promise<void> } | null;
  failures: number[];
  done: boolean;
  started: boolean;
  everReady: boolean;
}

/**
 * Runs a planned topology to completion or until stopped.
 *
 * @example
 * ```ts
 * import { Supervisor } from "./supervise.ts";
 * // const supervisor = new Supervisor(plan, instantiated, launcher, output);
 * // process.on("SIGINT", () => supervisor.stop("SIGINT"));
 * // const { exitCode } = await supervisor.run();
 * ```
 */
export class Supervisor {
  readonly #states = new Map<string, InstanceState>();
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  #stopping: Promise<void> | null = null;
  #outcome: RunOutcome | null = null;
  #settle!: (outcome: RunOutcome) => void;
  readonly #finished = new Promise<RunOutcome>((resolve) => (this.#settle = resolve)).finally(
    () => {
      for (const timer of this.#timers) clearTimeout(timer);
      this.#timers.clear();
    },
  );

  /**
   * @param plan The plan.
   * @param endpoints The instantiated endpoints and control channel.
   * @param launcher Starts one instance.
   * @param output Where lines and lifecycle events go.
   */
  constructor(
    readonly plan: Plan,
    readonly endpoints: Instantiated,
    readonly launcher: Launcher,
    readonly output: Output,
  ) {
    for (const planned of plan.instances) {
      let markReady!: () => void;
      let failStart!: (error: Error) => void;
      const readyOnce = new Promise<void>((resolve, reject) => {
        markReady = resolve;
        failStart = reject;
      });
      readyOnce.catch(() => {});
      this.#states.set(planned.id, {
        planned,
        child: null,
        control: null,
        readyOnce,
        markReady,
        failStart,
        currentReady: null,
        failures: [],
        done: false,
        started: false,
        everReady: false,
      });
    }
    endpoints.control.onMessage = (instance, message, connection) =>
      this.#onControl(instance, message, connection);
  }

  /**
   * Starts every instance and resolves when the run is over.
   *
   * @returns The outcome; its exit code is the CLI's.
   */
  run(): Promise<RunOutcome> {
    for (const state of this.#states.values()) void this.#lifecycle(state);
    // A topology without processes is finished as soon as it starts.
    if (this.#states.size === 0) this.#checkAllDone();
    return this.#finished;
  }

  /**
   * Stops the run in reverse start order. Idempotent.
   *
   * @param reason Why (shown in the output).
   * @param exitCode The run's exit code (0 for a stop on request).
   * @returns Resolves when everything has stopped.
   */
  stop(reason: string, exitCode = 0): Promise<void> {
    if (this.#stopping) return this.#stopping;
    this.#outcome ??= { exitCode, reason };
    this.output.note(`stopping: ${reason}`, exitCode === 0 ? "info" : "error");
    this.#stopping = (async () => {
      for (const id of this.plan.stopOrder) await this.#stopInstance(this.#states.get(id)!);
      this.#settle(this.#outcome!);
    })();
    return this.#stopping;
  }

  /** Whether a stop has begun. */
  get stopping(): boolean {
    return this.#stopping !== null;
  }

  /** Number of instances that have reported ready at least once. */
  get readyCount(): number {
    return [...this.#states.values()].filter((s) => s.everReady || s.done).length;
  }

  async #lifecycle(state: InstanceState): Promise<void> {
    const { planned } = state;
    const deps = planned.dependsOn.map((id) => this.#states.get(id)!.readyOnce);
    try {
      await Promise.all(deps);
    } catch {
      return; // A dependency never became ready; the run is already stopping.
    }
    let attempt = 0;
    let consecutive = 0;
    while (!this.#stopping) {
      const startedAt = performance.now();
      const ran = await this.#runOnce(state);
      if (this.#stopping) return;
      if (ran.kind === "unstartable") {
        state.failStart(new Error(ran.reason));
        void this.stop(`${planned.id} cannot start: ${ran.reason}`, 1);
        return;
      }
      const failed = ran.kind === "not-ready" || ran.code !== 0;
      const policy = planned.process.restart;
      const restart = policy.policy === "always" || (policy.policy === "on-failure" && failed);
      if (!restart) {
        state.done = true;
        if (failed) {
          const why = ran.kind === "not-ready" ? ran.reason : exitText(ran);
          state.failStart(new Error(why));
          void this.stop(
            `${planned.id} failed (${why}) and its restart policy is '${policy.policy}'`,
            1,
          );
        } else {
          state.markReady(); // an exit 0 before readiness must not hold dependents forever
          this.#checkAllDone();
        }
        return;
      }
      // Restart-intensity limit: too many restarts within the window stops the run.
      const limit = policy.policy === "on-failure" ? policy : ALWAYS_RESTART_LIMIT;
      const now = performance.now();
      state.failures = state.failures.filter((t) => now - t <= limit.withinMs);
      state.failures.push(now);
      if (state.failures.length > limit.max) {
        state.done = true;
        state.failStart(new Error("restart limit"));
        void this.stop(
          `${planned.id} exited ${state.failures.length} times within ${
            formatDuration(limit.withinMs)
          } ` +
            `(restart limit: ${limit.max}); last: ${
              ran.kind === "not-ready" ? ran.reason : exitText(ran)
            }`,
          1,
        );
        return;
      }
      // Exponential backoff, reset once a run outlived the maximum delay.
      const { initialMs, maxMs } = planned.process.backoff;
      consecutive = now - startedAt > maxMs ? 0 : consecutive;
      const delay = Math.min(maxMs, initialMs * 2 ** consecutive);
      consecutive++;
      attempt++;
      this.output.lifecycle(planned.id, { event: "restarting", inMs: delay, attempt });
      await this.#sleep(delay);
    }
  }

  async #runOnce(state: InstanceState): Promise<
    | { kind: "exited"; code: number | null; signal: string | null }
    | { kind: "not-ready"; reason: string }
    | { kind: "unstartable"; reason: string }
  > {
    const { planned } = state;
    let resolveReady!: () => void;
    const readyPromise = new Promise<void>((resolve) => (resolveReady = resolve));
    state.currentReady = { resolve: resolveReady, promise: readyPromise };
    state.control = null;
    const readiness = planned.process.ready;
    const pattern = readiness.kind === "log" ? new RegExp(readiness.pattern) : null;
    let child: LaunchedChild;
    try {
      child = this.launcher(planned, this.endpoints, (stream, line) => {
        this.output.line(planned.id, stream, line);
        if (pattern && state.currentReady && pattern.test(line)) state.currentReady.resolve();
      });
    } catch (error) {
      state.currentReady = null;
      return { kind: "unstartable", reason: (error as Error).message };
    }
    state.child = child;
    state.started = true;
    this.output.lifecycle(planned.id, { event: "started", pid: child.pid });
    if (readiness.kind === "none") resolveReady();
    const timeoutMs = readiness.kind === "none" ? 0 : readiness.timeoutMs;
    const outcome = await Promise.race([
      readyPromise.then(() => "ready" as const),
      child.exited.then(() => "exited" as const),
      ...(timeoutMs > 0 ? [this.#sleep(timeoutMs).then(() => "timeout" as const)] : []),
    ]);
    if (outcome === "ready") {
      state.currentReady = null;
      if (readiness.kind !== "none") this.output.lifecycle(planned.id, { event: "ready" });
      state.everReady = true;
      state.markReady();
    } else if (outcome === "timeout" && !this.#stopping) {
      const reason = `not ready within ${formatDuration(timeoutMs)} (ready = ${readiness.kind})`;
      this.output.lifecycle(planned.id, { event: "failed", reason });
      await child.terminate(0);
      await child.exited;
      state.child = null;
      state.currentReady = null;
      return { kind: "not-ready", reason };
    }
    const exit = await child.exited;
    state.child = null;
    state.currentReady = null;
    this.output.lifecycle(planned.id, { event: "exited", code: exit.code, signal: exit.signal });
    return { kind: "exited", ...exit };
  }

  async #stopInstance(state: InstanceState): Promise<void> {
    state.done = true;
    const child = state.child;
    if (!child) return;
    const grace = state.planned.process.graceMs;
    this.output.lifecycle(state.planned.id, { event: "stopping", reason: "stop requested" });
    if (state.control) {
      // An attached process hears the stop on its control channel.
      await state.control.write(JSON.stringify({ type: "stop" })).catch(() => {});
    } else {
      child.signal(state.planned.process.stopSignal);
    }
    const exited = await Promise.race([
      child.exited.then(() => true),
      this.#sleep(grace).then(() => false),
    ]);
    if (!exited) {
      await child.terminate(0);
      this.output.lifecycle(state.planned.id, { event: "killed", afterMs: grace });
    }
    await child.exited;
  }

  #onControl(instance: string, message: { type?: string }, connection: PipeConnection): void {
    const state = this.#states.get(instance);
    if (!state) return;
    if (message.type === "hello") {
      state.control = connection;
      // A process that attaches after a stop began is asked to stop at once.
      if (this.#stopping) void connection.write(JSON.stringify({ type: "stop" })).catch(() => {});
    } else if (message.type === "ready") {
      state.currentReady?.resolve();
    }
  }

  #checkAllDone(): void {
    if ([...this.#states.values()].every((s) => s.done) && !this.#stopping) {
      // Nothing is left running: finish without a stop round.
      const reason = this.#states.size === 0
        ? "the topology has no processes"
        : "every process exited with code 0";
      this.#outcome = { exitCode: 0, reason };
      this.#stopping = Promise.resolve();
      this.#settle(this.#outcome);
    }
  }

  /** A delay that the end of the run cancels, so no timer outlives it. */
  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        resolve();
      }, ms);
      this.#timers.add(timer);
    });
  }
}

function exitText(exit: { code: number | null; signal: string | null }): string {
  return exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`;
}
