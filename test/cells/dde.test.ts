// DDE between Bun and Deno: the scenarios pair this cell's runtime (client)
// with a server of the other runtime, so the two cells of an OS cover both
// "Bun server, Deno client" and "Deno server, Bun client". In the Windows
// cells, also DDE with a program that is not ipckit (test/peers/dde_peer.c,
// DDEML). DDEML under Wine needs an X display: the file starts a private
// Xvfb (installed on first use, like Wine) and gives it to the Windows
// processes (tools/cells.mjs binds its socket into the chroot).
import { afterAll, beforeAll, expect, it } from "vitest";
import { WINE_NOISE } from "../../tools/cells.mjs";
import { buildWindowsPeers } from "../../tools/peers.mjs";
import { startXvfb, x11Problem } from "../../tools/x11.mjs";
import {
  ALL_CELLS,
  inCells,
  isSelected,
  LINUX_CELLS,
  runScenario,
  type ScenarioRun,
  WINDOWS_CELLS,
} from "./_driver.ts";
import {
  HOT_UPDATES,
  LEAK_TRANSACTIONS,
  type LeakKinds,
  TICKS,
  WARM_NOTICES,
  WINDOWS_LEAK_TRANSACTIONS,
  wineDdeBlocksKept,
} from "../scenarios/_dde_data.ts";
import type { WindowsResources } from "../scenarios/_dde_resources.ts";

/** Lines printed by one instance under `ipckit run` (after its `name |` prefix). */
function linesOf(run: ScenarioRun, instance: string): string[] {
  const prefix = new RegExp(`^${instance}\\s+\\| `);
  return run.stdout.split(/\r?\n/)
    .filter((line) => prefix.test(line) && !WINE_NOISE.some((noise) => noise.test(line)))
    .map((line) => line.replace(prefix, ""));
}

/**
 * Committed private memory a side of the Windows leak check may grow by
 * between its two counts, in MiB, by runtime. Bun's stays within a few MiB.
 * Deno's grows by ~2 KiB per transaction with its JavaScript heap flat
 * (23 MiB over 9,000), cause not found (docs/mechanisms.md, DDE): its bound
 * only catches large leaks; Bun's would catch a data handle per transaction.
 */
const COMMITTED_GROWTH_MIB = { bun: 16, deno: 64 } as const;

/** Lets Deno collect garbage on demand, so the leak check compares live heaps. */
const GC_ENV = { DENO_V8_FLAGS: "--expose-gc" };

let xvfb: { display: string; stop(): Promise<unknown> } | null = null;
beforeAll(async () => {
  if (process.platform !== "linux" || !WINDOWS_CELLS.some(isSelected)) return;
  if (x11Problem()) throw new Error(`No X display for DDE under Wine: ${x11Problem()}`);
  buildWindowsPeers();
  xvfb = await startXvfb();
});
afterAll(async () => {
  await xvfb?.stop();
});
/** What a Windows process needs for DDEML under Wine: an X display. */
const displayFor = (cell: string) => cell.startsWith("windows") ? { DISPLAY: xvfb!.display } : {};
/** CF_TEXT is the ANSI code page on Windows (1252 in the cells), which has no ✓; UTF-8 on Linux. */
const ansiOf = (cell: string, text: string) =>
  cell.startsWith("windows") ? text.replace("✓", "?") : text;

inCells(ALL_CELLS, (cell) => {
  it("DDE across runtimes: request/poke/execute round trips in CF_TEXT and CF_UNICODETEXT, 1 MiB of a registered format both ways, a hot loop of 500 updates in order, a warm loop, three clients, DdeConnectList, typed errors for bad input, idle CPU ~0, and a SIGKILLed server ending every loop and request with DdeDisconnectedError", async () => {
    const run = await runScenario(cell, "test/scenarios/dde_basic.ts", [], {
      timeoutMs: 120_000,
      env: displayFor(cell),
    });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.results).toMatchObject({
      round_trips: {
        request: "héllo ✓",
        ansi: ansiOf(cell, "héllo ✓"),
        unicode: "tëst-✓-𝄞",
        execute: "none",
      },
      binary: { requested: true, server_got: true, echoed: true },
      hot: { updates: HOT_UPDATES, in_order: true, active_after_break: false },
      handler_awaits_post: { execute: "none", updates: 3 },
      handler_waits_for_other_client: { answer: "opened", poked: true },
      warm: { notices: WARM_NOTICES, dataless: true, requests_rise: true, last_is_latest: true },
      three_clients: { here: TICKS, others: [TICKS, TICKS], server_saw_conversations: true },
      list: ["true:data", "true:other"],
      list_topic_filter: true,
      bad: {
        unknown_service: "NotFoundError",
        unknown_topic: "NotFoundError",
        empty_topic: "TypeError",
        empty_item: "TypeError",
        closed_request: "ClosedError",
        closed_advise: "ClosedError",
        close_idempotent: true,
        refused_request: "DdeRefusedError",
        refused_poke: "DdeRefusedError",
        refused_execute: "DdeRefusedError",
        refused_advise: "DdeRefusedError",
        refused_format: "DdeRefusedError",
        bad_format: "TypeError",
        nul_text: "TypeError",
        negative_timeout: "RangeError",
        aborted: "AbortError",
        timed_out: "TimeoutError",
        still_usable: "héllo ✓",
        name_taken: "NameTakenError",
        no_topics: "TypeError",
      },
      // Each loop had a 2 s deadline of its own after the kill: a TimeoutError here would
      // mean the server's death went unnoticed.
      killed: {
        hot: "DdeDisconnectedError",
        warm: "DdeDisconnectedError",
        idle_loop: "DdeDisconnectedError",
        pending_request: "DdeDisconnectedError",
        later_request: "DdeDisconnectedError",
        reconnect: "NotFoundError",
        listed: 0,
      },
      serve_after_kill: true,
      done: true,
    });
    expect(run.results.idle_cpu_percent).toBeLessThan(3);
  });

  it("dde_quotes.ipc under ipckit run: the Bun feed serves, the Deno follower follows 50 prices in a hot loop in order, and nothing is left", async () => {
    const run = await runScenario(cell, "cli/main.ts", ["run", "examples/dde_quotes.ipc"], {
      env: displayFor(cell),
    });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(linesOf(run, "feed")).toContain("posted 50 EURUSD prices, last 1.0850");
    expect(linesOf(run, "follower")).toContain(
      "opened at 1.0800, followed 50 changes in order, last 1.0850",
    );
    const left = await runScenario(cell, "test/scenarios/runtime/leftovers.ts", [
      "dde:ipckit.quotes",
    ]);
    expect(left.code, left.stderr).toBe(0);
    expect(left.results["gone.dde.ipckit.quotes"]).toBe(true);
  });
});

inCells(LINUX_CELLS, (cell) => {
  it("DDE leaves nothing behind over 100,000 transactions: fds and heap flat after garbage collection, client and server", async () => {
    const run = await runScenario(cell, "test/scenarios/dde_leaks.ts", [], {
      timeoutMs: 180_000,
      env: { ...GC_ENV, ...displayFor(cell) },
    });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.results.transactions).toBeGreaterThanOrEqual(LEAK_TRANSACTIONS);
    for (const side of ["client", "server"]) {
      const [warm, end] = run.results[`${side}_fds`] as [number, number];
      // A leak per transaction would show thousands; the runtime itself may open a couple of
      // fds lazily between the two counts (linux-bun: 25 then 27 in one CI run).
      expect(end - warm).toBeLessThanOrEqual(4);
      expect(run.results[`${side}_heap_growth_kib`]).toBeLessThan(2048);
    }
    expect(run.results.done).toBe(true);
  });
});

// Windows: 10,000 transactions, not 100,000 (under Wine 100,000 cannot pass, and DDE there is
// slow: docs/mechanisms.md, DDE, "Who frees what").
inCells(WINDOWS_CELLS, (cell) => {
  it("DDE leaves nothing behind over 10,000 transactions on Windows: handles, committed memory and heap flat, client and server, and no global atom of the run's names left", async () => {
    const run = await runScenario(
      cell,
      "test/scenarios/dde_leaks.ts",
      [String(WINDOWS_LEAK_TRANSACTIONS)],
      { timeoutMs: 180_000, env: { ...GC_ENV, ...displayFor(cell) } },
    );
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.results.transactions).toBeGreaterThanOrEqual(WINDOWS_LEAK_TRANSACTIONS);
    for (const side of ["client", "server"] as const) {
      const [warm, end] = run.results[`${side}_windows`] as WindowsResources[];
      // One handle, window or data handle per transaction would show thousands.
      expect(warm!.handles).toBeGreaterThan(0);
      expect(end!.handles - warm!.handles).toBeLessThanOrEqual(4);
      for (const kind of ["gdi", "user"] as const) {
        // null: Wine does not implement GetGuiResources.
        if (warm![kind] !== null) expect(end![kind]! - warm![kind]!).toBeLessThanOrEqual(4);
      }
      // The client runs in this cell's runtime, the server in the other one.
      const runtime = (side === "client") === (cell === "windows-bun") ? "bun" : "deno";
      expect((end!.committed - warm!.committed) / 2 ** 20).toBeLessThan(
        COMMITTED_GROWTH_MIB[runtime],
      );
      expect(run.results[`${side}_heap_growth_kib`]).toBeLessThan(2048);
      // Movable global blocks (DDEML data handles are such blocks): none of ipckit's kept.
      // Wine's DDE code keeps some of its own, counted per kind; the snapshots' own
      // requests move either count by one or two.
      const kept = run.results.wine
        ? wineDdeBlocksKept(run.results.measured_kinds as LeakKinds)[side]
        : 0;
      expect(Math.abs(warm!.movableFree - end!.movableFree - kept)).toBeLessThanOrEqual(4);
    }
    // DDEML string handles are global atoms: a reference left behind keeps the name alive.
    expect(run.results.atoms_left).toEqual([]);
    expect(run.results.done).toBe(true);
  });
});

inCells(WINDOWS_CELLS, (cell) => {
  it("DDE with a C DDEML program: ipckit's client requests, pokes (UTF-16 text, CF_TEXT in the ANSI code page) and executes against the program's server and sees it go away; the program's client requests, pokes, executes and follows a hot loop on ipckit's server", async () => {
    const run = await runScenario(cell, "test/scenarios/dde_windows.ts", [], {
      timeoutMs: 120_000,
      env: displayFor(cell),
    });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.results).toMatchObject({
      to_program: {
        before: "EURUSD=",
        after: "EURUSD=1.0842 ✓",
        again: "EURUSD=1.0842 ✓",
        ansi: ansiOf(cell, "EURUSD=1.0842 ✓"),
      },
      program_server: { code: 0, executed: ["execute=[reset]", "execute=[quit]"] },
      from_program: {
        code: 0,
        lines: ["request=x:first", "poke=ok", "request=x:zwëi", "execute=ok"],
        executed: ["[go]"],
        poked: "zwëi",
      },
      program_advise: ["advise=started", "advise=x:p1", "advise=x:p2", "advise=x:p3"],
      done: true,
    });
    expect(String(run.results.after_program_exit)).toMatch(/^DdeDisconnectedError: /);
  });
});
