import { expect, it } from "vitest";
import { ALL_CELLS, inCells, runScenario } from "./_driver.ts";

inCells(ALL_CELLS, (cell) => {
  const windows = cell.startsWith("windows");
  it("spawn() redirects stdin/stdout through pipes, passes argv/cwd/env exactly, inherits only listed ends, and kill() ends the descendants", async () => {
    const run = await runScenario(cell, "test/scenarios/spawn_basic.ts");
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.results).toMatchObject({
      duplex_output: "echo:HELLO, CHILD",
      duplex_exit: { code: 0 },
      create_pipe_output_length: 300_005,
      create_pipe_output_ok: true,
      argv_roundtrip: true,
      cwd_applied: true,
      env_applied: "value=with=equals",
      env_case: windows
        ? ["Ipckit_Case_Var=set"]
        : ["IPCKIT_CASE_VAR=inherited", "Ipckit_Case_Var=set"],
      exit_code: { code: 7 },
      listed_end: "listed works",
      // The unlisted value is not a handle (fd) in the child: ERROR_INVALID_HANDLE / EBADF.
      unlisted_end: cell.startsWith("windows") ? "failed:6" : "failed:9",
      grandchild_started: true,
      killed_status_has_signal: true,
      descendants_ended: "ended",
      disposed_killed: true,
      disposed_stdout_closed: "ClosedError",
      disposed_after_exit: "ok",
      missing_program: "NotFoundError",
      done: true,
    });
  });
});
