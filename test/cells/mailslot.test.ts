import { expect, it } from "vitest";
import { ALL_CELLS, inCells, runScenario } from "./_driver.ts";

inCells(ALL_CELLS, (cell) => {
  it("Mailslot: 4 writer processes × 500 messages reach the one reader whole, counted and in order; oversize is refused at the writer", async () => {
    const run = await runScenario(cell, "test/scenarios/mailslot_basic.ts", ["4", "500"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.results).toMatchObject({
      writers_exit_codes: [0, 0, 0, 0],
      received: 2000,
      whole: true,
      each_writer_in_order: true,
      largest_at_most_max: true,
      writer_knows_max: 424,
      oversize: "MessageTooLargeError 425>424",
      info: { maxMessageSize: 424, nextSize: 0, count: 2 },
      zero_length: 0,
      after_zero: "second",
      info_empty: null,
      read_timeout: "TimeoutError",
      second_reader: "NameTakenError",
      create_read_timeout: "TimeoutError",
      write_after_writer_close: "ClosedError",
      extra_message: "extra",
      close_same_promise: true,
      close_awaited: "closed",
      read_after_close: "ClosedError",
      iteration_after_close: 0,
      missing: "NotFoundError",
      done: true,
    });
  });
});
