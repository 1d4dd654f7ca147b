import { beforeAll, expect, it } from "vitest";
import { provisionLinux, WINE_NOISE } from "../../tools/cells.mjs";
import { ALL_CELLS, inCells, LINUX_CELLS, runScenario, type ScenarioRun } from "./_driver.ts";

const CLI = "cli/main.ts";

/** Lines printed by one instance of an `ipckit run` (after its `name |` prefix). */
function linesOf(run: ScenarioRun, instance: string): string[] {
  const prefix = new RegExp(`^${instance}\\s+\\| `);
  return run.stdout.split(/\r?\n/)
    .filter((l) => l !== "" && !WINE_NOISE.some((n) => n.test(l)))
    .filter((l) => prefix.test(l)).map((l) => l.replace(prefix, ""));
}

/** The port a run's client reported; afterwards nothing may listen there. */
async function expectPortClosed(cell: Parameters<typeof runScenario>[0], run: ScenarioRun) {
  const port = /^port (\d+)$/.exec(linesOf(run, "client").find((l) => l.startsWith("port ")) ?? "");
  expect(port, run.stdout).not.toBeNull();
  const check = await runScenario(cell, "test/scenarios/runtime/port_closed.ts", [port![1]!]);
  expect(check.results["port_closed"], check.stdout + check.stderr).toBe(true);
}

inCells(ALL_CELLS, (cell) => {
  const linux = cell.startsWith("linux");

  it("TCP between two processes: a 256 MiB echo hashes equal, unawaited writes of mixed sizes arrive in order, and 200 concurrent clients each get their own answer", async () => {
    const run = await runScenario(cell, "test/scenarios/socket_stream.ts", [
      String(256 * 1024 * 1024),
      "200",
    ], { timeoutMs: 180_000 });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.results).toMatchObject({
      echo_bytes: 256 * 1024 * 1024,
      echo_hash_equal: true,
      unawaited_bytes: true,
      unawaited_hash_equal: true,
      concurrent_correct: 200,
      peer_code: 0,
      peer_served: 202,
      done: true,
    });
  });

  it("UDP datagrams of 0 to 65507 bytes echo whole, half-close, IPv6 loopback, Unix sockets, node:net both ways, typed errors for bad input, idle uses no CPU", async () => {
    const run = await runScenario(cell, "test/scenarios/socket_basic.ts", [], {
      timeoutMs: 120_000,
    });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.results).toMatchObject({
      udp_matched: run.results.udp_sizes,
      udp_smallest_largest: [0, 65507],
      udp_peer: { code: 0, echoed: run.results.udp_sizes },
      udp_too_big: "MessageTooLargeError",
      udp_too_big_is_range_error: true,
      udp_ipv6_max: 65527,
      udp_receive_timeout: "TimeoutError",
      udp_receive_abort: "stop waiting",
      udp_after_abort: "after",
      udp_closed: "ClosedError",
      half_close_reply: "got 100000 bytes",
      half_close_write_after_end: "ClosedError",
      ipv6_server_family: "ipv6",
      ipv6_read: "over six",
      ipv6_remote: "::1",
      ipv6_only_v4_client: "NotFoundError",
      net_client: true,
      net_server: true,
      port_in_use: "NameTakenError",
      port_in_use_names_port: true,
      port_in_use_class: true,
      unresolvable: "NotFoundError",
      unresolvable_names_host: true,
      accept_after_close: "ClosedError",
      refused: "NotFoundError",
      refused_class: true,
      write_after_close: "ClosedError",
      read_after_close: "ClosedError",
      read_after_close_class: true,
      peer_sees_end: null,
      accept_timeout: "TimeoutError",
      accept_timeout_class: true,
      bad_port: "RangeError",
      bad_host: "TypeError",
      listen_pid_mismatch: "NotFoundError",
      nothing_handed_over: "NotFoundError",
      done: true,
    });
    expect(run.results.udp_sizes).toBeGreaterThan(100);
    expect(run.results.idle_cpu_percent).toBeLessThan(2);
    if (linux) {
      expect(run.results).toMatchObject({
        unix: "pid true",
        unix_second_listen: "NameTakenError",
        unix_available: true,
      });
      expect(run.results.listen_pid_mismatch_message).toMatch(
        /^Cannot adopt sockets: LISTEN_FDS=1 was meant for process \d+, not this process \(\d+\)$/,
      );
    } else if (run.results.unix_available) {
      expect(run.results).toMatchObject({ unix: "pid true", unix_second_listen: "NameTakenError" });
    } else {
      // Wine 10's Winsock has no AF_UNIX: the typed error says so and what to use instead.
      expect(run.results.unix_unsupported).toBe("UnsupportedPlatformError");
      expect(run.results.unix_unsupported_message).toMatch(
        /Winsock has no AF_UNIX here .*listen on a loopback TCP port instead$/,
      );
    }
  });

  it("ipckit run: 1,000 TCP and 1,000 named-pipe connections (and 200 on a unix socket, Linux) while each server is killed hard every 400 (80) answers and restarted: 0 refused, 0 not found, all answered, nothing left behind", async () => {
    const run = await runScenario(cell, CLI, ["run", "test/scenarios/runtime/socket_restart.ipc"], {
      timeoutMs: 300_000,
    });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(linesOf(run, "client").slice(1)).toEqual([
      "refused 0",
      "answered 1000/1000",
      "unanswered []",
    ]);
    expect(linesOf(run, "server").filter((l) => l.startsWith("answered 400;"))).toHaveLength(2);
    // The supervisor holds the pipe's name too: Linux a listening socket, Windows a busy instance.
    expect(linesOf(run, "pipe_client")).toEqual([
      "not found 0",
      "answered 1000/1000",
      "unanswered []",
    ]);
    expect(linesOf(run, "pipe_server").filter((l) => l.startsWith("answered 400;")))
      .toHaveLength(2);
    const restarts = linesOf(run, "ipckit");
    expect(restarts.filter((l) => /^server restarting in/.test(l))).toHaveLength(2);
    expect(restarts.filter((l) => /^pipe_server restarting in/.test(l))).toHaveLength(2);
    await expectPortClosed(cell, run);
    const leftovers = ["pipe:rt_sockets.jobs"];
    const gone = ["gone.pipe.rt_sockets.jobs"];
    if (linux) {
      // A unix endpoint, held by the supervisor like tcp (Wine's Winsock has no AF_UNIX).
      const unixClient = linesOf(run, "unix_client");
      expect(unixClient.slice(1)).toEqual(["refused 0", "answered 200/200", "unanswered []"]);
      expect(unixClient[0]).toMatch(/^path \/.*\/rt_sockets\.local\.sock$/);
      expect(linesOf(run, "unix_server").filter((l) => l.startsWith("answered 80;")))
        .toHaveLength(2);
      expect(restarts.filter((l) => /^unix_server restarting in/.test(l))).toHaveLength(2);
      leftovers.push(`unix:${unixClient[0]!.slice("path ".length)}`);
      gone.push("gone.unix.rt_sockets.local.sock");
    }
    const check = await runScenario(cell, "test/scenarios/runtime/leftovers.ts", leftovers);
    for (const key of gone) expect(check.results[key], check.stdout + check.stderr).toBe(true);
  });
});

inCells(LINUX_CELLS, (cell) => {
  beforeAll(() => provisionLinux());

  it("a server started by systemd-socket-activate adopts the socket it was handed (LISTEN_FDS/LISTEN_FDNAMES) and answers on it", async () => {
    const run = await runScenario(cell, "test/scenarios/socket_activation.ts", [], {
      timeoutMs: 60_000,
    });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.results).toMatchObject({
      answers: ["first answered by <pid>", "second answered by <pid>"],
      server_pid_is_child: true,
      server_inherited: [{ name: "web", kind: "listener" }],
      server_answered: 2,
      server_code: 0,
      done: true,
    });
  });

  it("ipckit run: a Python server that knows only systemd socket activation accepts on its LISTEN_FDS socket", async () => {
    const run = await runScenario(cell, CLI, ["run", "test/scenarios/runtime/socket_python.ipc"], {
      timeoutMs: 60_000,
    });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(linesOf(run, "server")[0]).toMatch(/^python adopted web on port [1-9]\d*$/);
    expect(linesOf(run, "client").slice(1)).toEqual(["refused 0", "answered 3/3", "unanswered []"]);
    await expectPortClosed(cell, run);
  });
});
