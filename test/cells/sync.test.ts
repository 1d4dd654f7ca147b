import { expect, it } from "vitest";
import { ALL_CELLS, inCells, runScenario } from "./_driver.ts";

inCells(ALL_CELLS, (cell) => {
  it("Mutex: 4 processes (both runtimes) x 10,000 locked increments end exact; a holder killed with SIGKILL yields AbandonedMutexError holding the lock", async () => {
    const run = await runScenario(cell, "test/scenarios/sync_mutex.ts", ["10000"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.results).toMatchObject({
      peer_exits: [0, 0, 0, 0],
      counter: 40_000,
      expected: 40_000,
      lock_after: true,
      busy_while_held: true,
      abandoned_error: "AbandonedMutexError",
      guard_held: true,
      loop_ran_while_waiting: true,
      held_after_abandon: "still ours",
      peer_locks_after_release: true,
      second_abandon: true,
      relock: true,
      gone_after_close: true,
      dev_shm_after: [],
    });
    expect(run.results.abandoned_message).toMatch(/^Mutex 'ipckit-mx-\d+-abandon' was abandoned: /);
  });

  it("Event auto/manual reset across processes, Semaphore counts and max, waitAny/waitAll with timeouts, AbortSignal, close and 70 objects, idle CPU ~0", async () => {
    const run = await runScenario(cell, "test/scenarios/sync_wait.ts");
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const r = run.results;
    expect(r).toMatchObject({
      auto_signaled: 1,
      auto_still_set: false,
      auto_manual_flag: false,
      manual_signaled: 2,
      manual_still_set: true,
      manual_manual_flag: true,
      sem_count_max: [2, 4],
      sem_try: [true, true, false],
      sem_timeout: "TimeoutError",
      sem_release_prev: 0,
      sem_over_max: "RangeError",
      sem_count_after: 3,
      sem_peer_acquired: true,
      sem_count_after_peer: 2,
      sem_open_max: 4,
      any_timeout: "TimeoutError",
      timeout_message: "Cannot wait on 2 objects: timed out after 0 ms",
      try_wait: [false, true, false],
      any_sem: 1,
      any_ready_first: 0,
      any_abort: "AbortError",
      wait_abort_already: "AbortError",
      idle_wait: "TimeoutError",
      idle_waited_ms_at_least_1400: true,
      idle_ticks_at_least_50: true,
      all_timeout: "TimeoutError",
      all_timeout_took_nothing: true,
      all_ok: true,
      all_took_both: [false, false],
      all_abort: "AbortError",
      any_70: 66,
      all_70: true,
      all_70_took: 0,
      close_during_wait: "ClosedError",
      closed_set: "ClosedError",
      double_close: null,
      closed_is_closed_error: true,
      open_after_close: "NotFoundError",
      not_found_class: true,
      dev_shm_after: [],
    });
    // A 1.5 s idle wait (with a 10 ms timer ticking) costs well under 1.5 s of CPU: no polling.
    expect(r.idle_cpu_ms).toBeLessThan(150);
  });

  it("a wake landing around the end of a wait's spin is never lost: 200 (Windows 80) event/semaphore ping-pongs and message-pipe echoes, answers delayed across the spin window", async () => {
    const run = await runScenario(cell, "test/scenarios/sync_spin_race.ts");
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const rounds = cell.startsWith("windows") ? 80 : 200;
    expect(run.results).toEqual({
      event_rounds: rounds,
      ping_left_set: false,
      pong_count_left: 0,
      pipe_rounds_in_order: rounds,
      peer: { code: 0, answered: rounds },
    });
  });

  it("110 waits in flight at once (40 events, 40 on one semaphore, 20 on a manual-reset event, 10 aborted) each get what they should while a pipe and a timer keep going", async () => {
    const run = await runScenario(cell, "test/scenarios/sync_many_waits.ts");
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.results).toEqual({
      pipe_while_waiting: true,
      ticks_while_waiting_at_least_10: true,
      aborted: 10,
      count_after_abort: 0,
      event_waits_true: 40,
      events_consumed: 40,
      sem_after_15: [15, 0],
      sem_waits_true: 40,
      sem_count_left: 3,
      gate_waits_true: 20,
      gate_still_set: true,
      shared_single: true,
      shared_any_took_one: true,
      shared_left_one: true,
      timeouts_false: 30,
      count_after_timeouts: 0,
    });
  });

  it("bad sizes, names, counts and timeouts are typed errors; one name space across kinds; closed objects throw ClosedError and stale views are empty", async () => {
    const run = await runScenario(cell, "test/scenarios/sync_errors.ts");
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const r = run.results;
    expect(r).toEqual({
      size_0: "RangeError",
      size_negative: "RangeError",
      size_fraction: "RangeError",
      size_nan: "RangeError",
      size_string: "RangeError",
      size_unsafe: "RangeError",
      size_huge: "RangeError",
      name_empty: "TypeError",
      name_slash: "TypeError",
      name_number: "TypeError",
      open_missing: "NotFoundError",
      open_missing_mutex: "NotFoundError",
      sem_initial_over_max: "RangeError",
      sem_max_0: "RangeError",
      map_missing_file: "NotFoundError",
      map_negative_offset: "RangeError",
      shm_on_event: "NameTakenError:shared memory<-event",
      mutex_on_event: "NameTakenError:mutex<-event",
      sem_on_event: "NameTakenError:semaphore<-event",
      open_shm_on_event: "NameTakenError:shared memory<-event",
      event_twice: "NameTakenError:event<-event",
      event_open_existing: "ok",
      event_message: expect.stringMatching(
        /^Cannot create shared memory 'ipckit-err-\d+-shared': the name is taken by an event$/,
      ),
      event_on_shm: "NameTakenError:event<-shared memory",
      shm_twice: "NameTakenError:shared memory<-shared memory",
      shm_open_too_big: "RangeError",
      stale_view_length: 0,
      stale_view_read: "undefined",
      closed_bytes: "ClosedError",
      closed_write: "ClosedError",
      double_close: "ok",
      dispose_after_close: "ok",
      out_of_range_write: "RangeError",
      live_view_length: 4096,
      bad_timeout: "RangeError",
      double_release: "ClosedError",
      wait_any_mutex: "TypeError",
      wait_all_same_twice: "TypeError",
      wait_all_same_name: "TypeError",
      wait_all_after_refusal: true,
      wait_any_empty: "TypeError",
    });
  });
});
