import { expect, it } from "vitest";
import { ALL_CELLS, inCells, runScenario } from "./_driver.ts";

inCells(ALL_CELLS, (cell) => {
  const windows = cell.startsWith("windows");

  it("NamedPipe echoes whole messages (0 B to 200 kB) and byte streams; a second serve() is NameTakenError; a missing pipe times out", async () => {
    const run = await runScenario(cell, "test/scenarios/pipe_basic.ts");
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.results).toMatchObject({
      message_client_mode: "message",
      message_client_peer_pid: true,
      message_server_peer_pid: true,
      message_replies: [0, 1, 5, 65536, 65537, 200000, 0],
      message_second_serve: "NameTakenError",
      byte_client_mode: "byte",
      byte_replies: [1, 5, 100000],
      byte_second_serve: "NameTakenError",
      missing: "NotFoundError",
      eof_after_peer_close: null,
      read_after_close: true,
      reads_after_a_wait: "abcC",
      read_closed_before_it_started: true,
      concurrent_reads: ["one", "two", "three"],
      stream_and_iterator: ["five", "four"],
      accept_aborted: "AbortError",
      accept_timed_out: "TimeoutError",
      read_aborted: "AbortError",
      read_timed_out: "TimeoutError",
      read_after_abort: "after abort",
      connect_aborted_reason: true,
      connect_aborted: "AbortError",
      connect_bad_timeout: "RangeError",
      done: true,
    });
  });

  it("10,000 messages of 0–256 KiB arrive whole and in order, a 1 GiB stream hashes equal, and write-then-close loses nothing", async () => {
    const run = await runScenario(cell, "test/scenarios/pipe_stream.ts", [
      "10000",
      "262144",
      "1073741824",
    ], {
      timeoutMs: 180_000,
    });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.results).toMatchObject({
      messages_peer_code: 0,
      messages_count: 10000,
      messages_in_order: true,
      messages_hash_equal: true,
      stream_peer_code: 0,
      stream_bytes: 1073741824,
      stream_hash_equal: true,
      client_write_close_message_bytes: 2_000_000,
      client_write_close_message_hash_equal: true,
      server_write_close_message_bytes: 2_000_000,
      server_write_close_message_hash_equal: true,
      client_write_close_byte_bytes: 2_000_000,
      server_write_close_byte_bytes: 2_000_000,
      server_write_close_byte_hash_equal: true,
      done: true,
    });
  });

  it("100 concurrent clients each get their own conversation; round trips whose replies land in every phase of a wait are all answered; a busy server serves the next client once an instance frees; idle CPU stays under 2% with an accept and two reads waiting", async () => {
    const raceRounds = windows ? 50 : 5000;
    const run = await runScenario(cell, "test/scenarios/pipe_many.ts", [
      "100",
      "3",
      String(raceRounds),
    ]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.results).toMatchObject({
      many_accepted: 100,
      many_clients_correct: 100,
      race_round_trips_answered: raceRounds,
      many_peer_pid_is_peer: true,
      done: true,
    });
    const events = run.results.busy_events as string[];
    // The third client is served only after an instance was released.
    expect(events.indexOf("releasing")).toBeLessThan(events.indexOf("third accepted"));
    expect(events.at(-1)).toBe("third got echo ping");
    // Windows: connect() itself waits (WaitNamedPipeW). Linux: the kernel queues the
    // connection at once and the server accepts it when an instance frees (docs/mechanisms.md).
    if (windows) expect(events[0]).toBe("releasing");
    else expect(events[0]).toBe("third connected");
    expect(run.results.idle_cpu_percent).toBeLessThan(2);
  });

  it("byte mode interoperates with node:net both ways (server and client)", async () => {
    const run = await runScenario(cell, "test/scenarios/pipe_interop.ts");
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.results).toMatchObject({
      ipckit_server_net_client: true,
      net_server_ipckit_client: true,
      net_server_ipckit_client_mode: "byte",
      done: true,
    });
  });

  it("a name squatted by another process is NameTakenError; default protection admits the current user only", async () => {
    const run = await runScenario(cell, "test/scenarios/pipe_security.ts");
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.results).toMatchObject({
      squatted_serve: "NameTakenError",
      squatted_message_says_taken: true,
      default_reject_remote: true,
      done: true,
    });
    if (windows) {
      expect(run.results).toMatchObject({
        default_dacl_protected: true,
        default_dacl_aces: 1,
        default_dacl_user_only: true,
        everyone_dacl_has_world: true,
        sddl_dacl: "D:P(A;;GA;;;WD)",
      });
    } else {
      expect(run.results).toMatchObject({
        default_socket_mode: "600",
        socket_directory_mode: "700",
        everyone_socket_mode: "666",
        sddl_on_linux: "UnsupportedPlatformError",
        stale_file_left: true,
        stale_reclaimed: true,
        socket_file_removed_on_close: true,
        long_name: "RangeError",
      });
    }
  });
});
