import { expect, it } from "vitest";
import { inCells, runScenario, WINDOWS_CELLS } from "./_driver.ts";

inCells(WINDOWS_CELLS, (cell) => {
  it("message loop: sent messages get answers computed in JS (sync, async, concurrent), a never-answering handler is cut off while timers tick, posted messages arrive in order, native callbacks made on the loop thread are answered in JS, handlers run native calls on the loop thread (and nested hand-offs) while their message is held, close() while a handler holds a message or call answers 0 at once, idle ~0 % CPU, the last close leaves no thread, window or class and the process exits by itself", async () => {
    const run = await runScenario(cell, "test/scenarios/message_loop.ts");
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.results).toMatchObject({
      running_before: false,
      running: true,
      found_by_title: true,
      loop_thread_is_other: true,
      sync_answer: "41",
      async_answer: "1007",
      concurrent_answers: ["3", "5", "7", "9", "11"],
      hung_answer: { ok: true, result: "0" },
      ticked_while_waiting: true,
      after_hung: "3",
      handler_error: "handler failed",
      throwing_answer: "0",
      unhandled_goes_to_defwindowproc: true,
      posted_in_order: ["1", "2", "3"],
      same_thread: true,
      first_still_answers: "9",
      window_runs_calls_while_held: true,
      callback_answer: "17",
      callback_runs_calls_while_held: "1042",
      window_made_while_held: true,
      callback_reads_and_answers_bytes: true,
      batch_result_operand: true,
      callback_closed_by_itself: "7",
      callback_error: "callback failed",
      callback_thrown: "0",
      callback_closed_while_held: { result: "0", early: true },
      window_closed_while_held: { ok: true, result: "0", early: true },
      callback_f64: "TypeError",
      loop_call_after_close: "ClosedError",
      first_answers_after_callbacks: "11",
      empty_class: "TypeError",
      bad_timeout: "RangeError",
      close_idempotent: true,
      post_after_close: "ClosedError",
      call_after_close: "ClosedError",
      running_after_close: false,
      window_gone: true,
      class_gone: true,
      restarted_answer: "42",
      done: true,
    });
    expect(run.results.idle_cpu_percent).toBeLessThan(3);
  });
});
