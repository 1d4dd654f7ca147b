import { expect, it } from "vitest";
import { ALL_CELLS, inCells, LINUX_CELLS, runScenario, WINDOWS_CELLS } from "./_driver.ts";

inCells(WINDOWS_CELLS, (cell) => {
  it("smoke: pid, an Event awaited while timers tick, Win32Error 6 with FormatMessage text", async () => {
    const run = await runScenario(cell, "test/scenarios/smoke_windows.ts");
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.results).toMatchObject({
      runtime: cell.endsWith("bun") ? "bun" : "deno",
      pid_matches: true,
      in_flight_during_wait: true,
      wait_result: 0,
      waited_ms_at_least_250: true,
      ticks_during_wait_at_least_10: true,
      error_class: true,
      error_code: 6,
      wide_name_roundtrip: true,
      native_memory: true,
    });
    expect(run.results.error_message).toMatch(/^CloseHandle failed: .*handle.* \(code 6\)$/i);
  });
});

inCells(LINUX_CELLS, (cell) => {
  it("smoke: getpid, poll on a pipe awaited while timers tick, ErrnoError EBADF", async () => {
    const run = await runScenario(cell, "test/scenarios/smoke_linux.ts");
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.results).toMatchObject({
      runtime: cell.endsWith("bun") ? "bun" : "deno",
      pid_matches: true,
      in_flight_during_wait: true,
      poll_result: 1,
      revents_pollin: true,
      waited_ms_at_least_250: true,
      ticks_during_wait_at_least_10: true,
      read_value: 42,
      error_class: true,
      error_errno: 9,
      error_message: "close failed: bad file descriptor (errno 9)",
      reactor_wake_between_read_and_park: true,
      reactor_parked_wait_woken: true,
      pipe_reads_after_a_wait: "abcd",
      round_trips_echoed: 20,
      descriptor_duplicates_for_40_reads: 2,
      writer_waits_for_a_stopped_reader: true,
      stopped_reader_gets_every_byte_in_order: true,
    });
  });
});

inCells(ALL_CELLS, (cell) => {
  it("smoke: two processes of the cell exchange a value through a named event and shared memory", async () => {
    const run = await runScenario(cell, "test/scenarios/smoke_cross_process.ts");
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.results).toEqual({
      peer_signalled: true,
      peer_exit_code: 0,
      value_from_peer: "peer <pid> was here",
      peer_pid_differs: true,
    });
  });
});
