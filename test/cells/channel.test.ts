import { expect, it } from "vitest";
import { ALL_CELLS, inCells, runScenario } from "./_driver.ts";

// Wine starts a process in ~3 s and runs the ring several times slower, so the
// Windows cells send fewer messages and kill fewer writers (docs/testing.md).
const COUNTS = {
  linux: { messages: 1_000_000, kills: 50, lanes: 5 },
  windows: { messages: 250_000, kills: 10, lanes: 2 },
};

inCells(ALL_CELLS, (cell) => {
  const windows = cell.startsWith("windows");
  const counts = windows ? COUNTS.windows : COUNTS.linux;

  it("Channel: zero-copy views detach on release; waitAny waits on a reader with an event; typed errors for bad input, timeouts, aborts and closed ends; idle reader ~0 CPU; a writer of the other runtime wakes a sleeping reader; 150 wakes raced against the spin-to-sleep step all arrive; a wake landing between a reader's announcement and its park does not cost it the next message; nothing left after close or after every holder is killed", async () => {
    const run = await runScenario(cell, "test/scenarios/channel_basic.ts");
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const r = run.results;
    expect(r.os_name).toMatch(windows ? /^Local\\ipckit-ch-\d+-basic$/ : /^\/ipckit-ch-\d+-basic$/);
    const named = (name: string, message: RegExp) => ({
      name,
      message: expect.stringMatching(message),
    });
    expect(r).toMatchObject({
      reservation_detached: 0,
      view_length: 60_000,
      view_content: true,
      view_intact: true,
      view_detached: 0,
      view_after_release: named("ClosedError", /^Cannot read a channel message: it was released$/),
      release_twice: named("ClosedError", /released already$/),
      empty_message: 0,
      into: "héllo ✓",
      into_empty: null,
      too_large: named(
        "MessageTooLargeError",
        /^Cannot send 65537 bytes to channel 'ipckit-ch-\d+-basic' \(writer\): its slots hold 65536$/,
      ),
      too_large_class: "MessageTooLargeError",
      too_large_is_range_error: true,
      bad_slots: named("RangeError", /it must be a power of two$/),
      bad_data: named("TypeError", /^Cannot send number to channel/),
      second_writer: named("NameTakenError", /as writer: it has a live writer \(process \d+\)$/),
      second_writer_class: true,
      name_taken: named(
        "NameTakenError",
        /^Cannot create channel 'ipckit-ch-\d+-basic': the name is taken/,
      ),
      not_found: named(
        "NotFoundError",
        /^Cannot open channel 'ipckit-ch-\d+-missing': it does not exist$/,
      ),
      receive_timeout: named("TimeoutError", /\(reader\): timed out after 50 ms$/),
      receive_abort: { name: "AbortError" },
      send_timeout: named("TimeoutError", /\(writer\): timed out after 50 ms$/),
      try_send_full: false,
      reader_still_works: "fill",
      idle_result: "TimeoutError",
      idle_waited_ms_at_least_1400: true,
      idle_ticks_at_least_50: true,
      wait_any_index: 1,
      wait_any_then_receive: "for waitAny",
      wait_any_event: 1,
      wait_any_abort: "AbortError",
      wait_any_ready_now: 0,
      wait_any_ready_then_receive: "ready now",
      own_writer_close_ends_stream: null,
      woken_by_other_runtime: [0, 1, 2],
      race_answered: 150,
      race_errors: [],
      late_wake: { in_order: true, error: "", peer: "" },
      peer_close_ends_stream: null,
      pending_at_close: named("ClosedError", /it was closed$/),
      closed_receive: named("ClosedError", /it is closed$/),
      closed_send: named("ClosedError", /it is closed$/),
      closed_classes: [true, "TimeoutError"],
      after_close_left: [],
      after_close_open: { name: "NotFoundError" },
      killed_holder_had_name: true,
      after_kill_open: "NotFoundError",
      after_kill_left: [],
      not_found_class: true,
    });
    // Linux: 30 to 150 rounds (until 30 late wakes landed before the reader parked); Windows: 30.
    const lateWake = r.late_wake as { late_wakes: number; received: number };
    expect(lateWake.late_wakes).toBeGreaterThanOrEqual(30);
    expect(lateWake.received).toBe(2 * lateWake.late_wakes);
    // "timeout" while waitAny reports a timeout as a value; TimeoutError once it rejects (docs/api.md).
    expect(r.wait_any_timeout).toMatch(/^(timeout|TimeoutError)$/);
    // A 1.5 s wait on an empty ring (with a 10 ms timer ticking) costs well under 1.5 s of CPU.
    expect(r.idle_cpu_ms).toBeLessThan(150);
  });

  it(`Channel queue: ${counts.messages.toLocaleString("en")} messages of 0..256 B to 2 readers (one per runtime), each delivered exactly once with its content checked`, async () => {
    const run = await runScenario(cell, "test/scenarios/channel_queue.ts", [
      String(counts.messages),
    ]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const r = run.results;
    expect(r).toMatchObject({
      writer_waited: true,
      reader_exits: [0, 0],
      messages: counts.messages,
      received_total: counts.messages,
      both_readers_got_some: true,
      bad: [0, 0],
      out_of_order: [0, 0],
      identified_twice: 0,
    });
    expect(r.identified_once).toBe(r.identified_expected);
    expect(r.short_received).toEqual(r.short_expected);
  });

  it("Channel broadcast: 3 readers (both runtimes) each get all 100,000 messages in order; a slow reader holds back a 'wait' writer and loses nothing; under 'overwrite' it gets the newest and is told how many it lost", async () => {
    const run = await runScenario(cell, "test/scenarios/channel_broadcast.ts");
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const r = run.results;
    const all = (received: number) => ({ code: 0, received, in_order: true, lost: 0 });
    expect(r.fanout).toEqual(
      [all(100_000), all(100_000), all(100_000)].map((x) => ({ ready: true, ...x })),
    );
    expect(r.wait_policy).toEqual([all(2000), all(2000)].map((x) => ({ ready: true, ...x })));
    expect(r).toMatchObject({
      wait_policy_writer_waited: true,
      overwrite_writer: { code: 0, refused: 0 },
      overwrite_total: 2000,
      overwrite_newest_in_order: true,
      overwrite_intact: true,
    });
    expect(r.overwrite_received).toBeGreaterThan(0);
    expect(r.overwrite_received).toBeLessThanOrEqual(16);
    expect(r.overwrite_lost).toBeGreaterThanOrEqual(2000 - 16);
  });

  it(`Channel crashes: ${counts.kills} writers SIGKILLed at random points deliver no torn message, every death reaches the reader as WriterGoneError and the next writer continues; a queue reader killed holding a message does not wedge the others`, async () => {
    const run = await runScenario(
      cell,
      "test/scenarios/channel_crash.ts",
      [String(counts.kills), String(counts.lanes)],
      { timeoutMs: 300_000 },
    );
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.results).toEqual({
      kills: counts.kills,
      deaths_seen: counts.kills,
      messages_at_least_50_per_writer: true,
      torn: 0,
      gaps: 0,
      other_errors: [],
      restarted_writers_continue: true,
      holder_holding: true,
      after_reader_death_send_error: null,
      after_reader_death_received: Array.from({ length: 20 }, (_, i) => `m${i}`).join(","),
    });
  });
});
