// `ipckit run` end to end in every cell: each example to its expected output,
// restarts, the restart-intensity limit, orderly stop on SIGINT, readiness
// order, bad input — and nothing of a topology left behind afterwards.
import { describe, expect, it } from "vitest";
import { WINE_NOISE } from "../../tools/cells.mjs";
import { ALL_CELLS, type Cell, inCells, runScenario, type ScenarioRun } from "./_driver.ts";

const CLI = "cli/main.ts";

/** The run's output lines, without Wine's own noise. */
function lines(run: ScenarioRun): string[] {
  return run.stdout.split(/\r?\n/).filter((l) => l !== "" && !WINE_NOISE.some((n) => n.test(l)));
}

/** Lines printed by one instance (after its `name |` prefix). */
function linesOf(run: ScenarioRun, instance: string): string[] {
  const prefix = new RegExp(`^${instance.replace(/[[\]]/g, "\\$&")}\\s+\\| `);
  return lines(run).filter((l) => prefix.test(l)).map((l) => l.replace(prefix, ""));
}

const supervisor = (run: ScenarioRun) => linesOf(run, "ipckit");

async function expectNothingLeft(cell: Cell, objects: string[]): Promise<void> {
  const check = await runScenario(cell, "test/scenarios/runtime/leftovers.ts", objects);
  expect(check.code, check.stderr).toBe(0);
  for (const object of objects) {
    const [kind, name] = object.split(":");
    expect(check.results[`gone.${kind}.${name}`], object).toBe(true);
  }
  if (cell.startsWith("linux")) expect(check.results["dev_shm_ipckit_entries"]).toEqual([]);
}

inCells(ALL_CELLS, (cell) => {
  describe("examples", () => {
    it("hello.ipc: the client's greeting reaches the server and the answer comes back; exit 0", async () => {
      const run = await runScenario(cell, CLI, ["run", "examples/hello.ipc"]);
      expect(run.code, run.stdout + run.stderr).toBe(0);
      expect(linesOf(run, "server")).toContain("received: hello from client");
      expect(linesOf(run, "client")).toContain("answer: hello, client! this is the server");
      await expectNothingLeft(cell, ["pipe:hello.greeting"]);
    });

    it("workers.ipc: three replicated workers share 30 jobs over a message-mode pipe", async () => {
      const run = await runScenario(cell, CLI, ["run", "examples/workers.ipc"]);
      expect(run.code, run.stdout + run.stderr).toBe(0);
      expect(linesOf(run, "dispatcher")).toContain("sum of squares 1..30 = 9455");
      for (const i of [0, 1, 2]) {
        expect(linesOf(run, `worker[${i}]`)).toContain(`worker[${i}] handled 10 jobs`);
      }
      await expectNothingLeft(cell, ["pipe:workers.jobs"]);
    });

    it("shm_pipeline.ipc: a Bun producer and a Deno consumer agree on 8 frames through shm + mutex + event", async () => {
      const run = await runScenario(cell, CLI, ["run", "examples/shm_pipeline.ipc"]);
      expect(run.code, run.stdout + run.stderr).toBe(0);
      const produced = linesOf(run, "producer").find((l) =>
        l.startsWith("producer wrote 8 frames")
      );
      const consumed = linesOf(run, "consumer").find((l) => l.startsWith("consumer read 8 frames"));
      expect(produced).toBeDefined();
      expect(consumed?.split("checksum ")[1]).toBe(produced?.split("checksum ")[1]);
      await expectNothingLeft(cell, [
        "shm:shm_pipeline.frames_buf",
        "mutex:shm_pipeline.frames_lock",
        "event:shm_pipeline.frame_ready",
      ]);
    });

    it("channel_fanout.ipc: two Bun replicas and a Deno reader each get all 1000 ticks in order from one producer over a broadcast channel", async () => {
      const run = await runScenario(cell, CLI, ["run", "examples/channel_fanout.ipc"]);
      expect(run.code, run.stdout + run.stderr).toBe(0);
      expect(linesOf(run, "producer")).toContain("producer published 1000 ticks");
      for (const reader of ["reader[0]", "reader[1]", "audit"]) {
        expect(linesOf(run, reader)).toContain(`${reader} got 1000 ticks in order, sum 499500`);
      }
      // The channel is shared memory: the same check finds it by name.
      await expectNothingLeft(cell, ["shm:channel_fanout.ticks"]);
    });

    it("mailslot_log.ipc: Bun and Deno writers (and Python on Linux) reach the one collector, every line counted", async () => {
      const run = await runScenario(cell, CLI, ["run", "examples/mailslot_log.ipc"]);
      expect(run.code, run.stdout + run.stderr).toBe(0);
      const expected = cell.startsWith("linux")
        ? "collected 12 lines from 4 writers: app[0]=3 app[1]=3 audit=3 pylog=3"
        : "collected 9 lines from 3 writers: app[0]=3 app[1]=3 audit=3";
      expect(linesOf(run, "collector")).toContain(expected);
      await expectNothingLeft(cell, ["mailslot:mailslot_log.log"]);
    });

    it("copydata.ipc: two Deno senders get the Bun receiver's answers, jobs counted on both sides", async () => {
      const run = await runScenario(cell, CLI, ["run", "examples/copydata.ipc"]);
      expect(run.code, run.stdout + run.stderr).toBe(0);
      expect(linesOf(run, "receiver")).toContain("took 16 jobs and refused 4 from 2 senders");
      for (const i of [0, 1]) {
        expect(linesOf(run, `sender[${i}]`)).toContain(`sender[${i}]: 8 of 10 jobs accepted`);
      }
      await expectNothingLeft(cell, ["copydata:copydata.jobs"]);
    });

    it("stdio_pipeline.ipc: the generator's stdout feeds the counter's stdin", async () => {
      const run = await runScenario(cell, CLI, ["run", "examples/stdio_pipeline.ipc"]);
      expect(run.code, run.stdout + run.stderr).toBe(0);
      expect(linesOf(run, "count")).toContain('{"lines":1000,"sum":500500}');
    });

    it("tcp_echo.ipc: the client's lines come back from the echo server on the port the supervisor chose", async () => {
      const run = await runScenario(cell, CLI, ["run", "examples/tcp_echo.ipc"]);
      expect(run.code, run.stdout + run.stderr).toBe(0);
      expect(linesOf(run, "client")).toContain("3/3 echoes matched");
      expect(linesOf(run, "server")[0]).toMatch(/^echo server on 127\.0\.0\.1:[1-9]\d*$/);
    });
  });

  describe("supervision", () => {
    it("a client starts only after its server reported ready (JSON timestamps)", async () => {
      const run = await runScenario(cell, CLI, ["run", "--json", "examples/hello.ipc"]);
      expect(run.code, run.stdout + run.stderr).toBe(0);
      const events = lines(run).map((l) =>
        JSON.parse(l) as { t: number; type: string; instance?: string; event?: string }
      );
      const ready = events.find((e) => e.instance === "server" && e.event === "ready");
      const clientStarted = events.find((e) => e.instance === "client" && e.event === "started");
      expect(ready).toBeDefined();
      expect(clientStarted).toBeDefined();
      expect(events.indexOf(ready!)).toBeLessThan(events.indexOf(clientStarted!));
      expect(ready!.t).toBeLessThanOrEqual(clientStarted!.t);
    });

    it("sixteen processes alive at once all report ready and exit 0", async () => {
      const run = await runScenario(cell, CLI, ["run", "test/scenarios/runtime/many.ipc"]);
      expect(run.code, run.stdout + run.stderr).toBe(0);
      const log = supervisor(run);
      for (let i = 0; i < 16; i++) {
        expect(log).toContain(`p${i} ready`);
        expect(log).toContain(`p${i} exited with code 0`);
      }
    });

    it("a worker killed hard is restarted by its policy and finds the shared memory intact", async () => {
      const run = await runScenario(cell, CLI, ["run", "test/scenarios/runtime/restart.ipc"]);
      expect(run.code, run.stdout + run.stderr).toBe(0);
      expect(linesOf(run, "victim")).toEqual([
        "run 1: marker written; killing myself",
        "run 2: marker intact: survived-the-kill",
      ]);
      expect(supervisor(run).some((l) => /^victim restarting in 100 ms \(restart 1\)$/.test(l)))
        .toBe(true);
      await expectNothingLeft(cell, ["shm:rt_restart.state"]);
    });

    it("a process that keeps crashing trips the restart limit; the run exits 1 naming it", async () => {
      const run = await runScenario(cell, CLI, ["run", "test/scenarios/runtime/crashloop.ipc"]);
      expect(run.code).toBe(1);
      expect(linesOf(run, "crasher").filter((l) => l === "crashing")).toHaveLength(3);
      expect(supervisor(run).at(-1)).toBe(
        "failed: crasher exited 3 times within 30 s (restart limit: 2); last: exit code 3",
      );
    });

    it("SIGINT stops in reverse order: the attached process exits cleanly, the stubborn one is ended; exit 0", async () => {
      let sent = false;
      const run = await runScenario(cell, CLI, ["run", "test/scenarios/runtime/stop.ipc"], {
        onLine: (line, child) => {
          if (!sent && /stubborn ready$/.test(line)) {
            sent = true;
            child.kill("SIGINT");
          }
        },
      });
      expect(sent).toBe(true);
      expect(run.code, run.stdout + run.stderr).toBe(0);
      const log = supervisor(run);
      const at = (pattern: RegExp) => log.findIndex((l) => pattern.test(l));
      expect(at(/^stopping: SIGINT received$/)).toBeGreaterThan(-1);
      // Reverse start order: stubborn (started second) stops first.
      expect(at(/^stubborn stopping/)).toBeLessThan(at(/^polite stopping/));
      expect(linesOf(run, "polite")).toContain("stop requested; exiting cleanly");
      expect(at(/^polite exited with code 0$/)).toBeGreaterThan(-1);
      if (cell.startsWith("linux")) {
        // It traps SIGTERM, so only the kill after its grace period ends it.
        expect(linesOf(run, "stubborn")).toContain("ignoring SIGTERM");
        expect(at(/^stubborn killed after its 500 ms grace period$/)).toBeGreaterThan(-1);
      }
      expect(log.at(-1)).toBe("done: SIGINT received");
      await expectNothingLeft(cell, ["event:rt_stop.tick"]);
    });

    it("a pipe server and mailslot reader killed hard leave nothing behind after the run", async () => {
      const run = await runScenario(cell, CLI, [
        "run",
        "test/scenarios/runtime/crashed_server.ipc",
      ]);
      expect(run.code).toBe(1);
      expect(supervisor(run).at(-1)).toMatch(
        /^failed: server failed \((killed by SIGKILL|exit code \d+)\)/,
      );
      expect(linesOf(run, "client")).toEqual([]);
      await expectNothingLeft(cell, ["pipe:rt_crashed.requests", "mailslot:rt_crashed.events"]);
    });

    it("a topology with errors starts nothing and prints its diagnostics", async () => {
      const run = await runScenario(cell, CLI, ["run", "test/scenarios/runtime/broken.ipc"]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain("error[E026]");
      expect(run.stderr).toContain("error[E010]: unknown endpoint or process 'jbos'");
      expect(run.stderr).toContain("nothing was started");
      expect(run.stdout).not.toContain("started");
      expect(run.stdout).not.toContain("must not run");
    });

    it("a command that does not exist is reported with the process name", async () => {
      const run = await runScenario(cell, CLI, [
        "run",
        "test/scenarios/runtime/missing_command.ipc",
      ]);
      expect(run.code).toBe(1);
      expect(supervisor(run).at(-1)).toBe(
        "failed: ghost cannot start: command 'ipckit-no-such-command-xyz' not found",
      );
    });
  });
});
