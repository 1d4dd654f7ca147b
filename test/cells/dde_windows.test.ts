// DDE on Windows with a program that is not ipckit (test/peers/dde_peer.c,
// DDEML): ipckit's client against the program's server and the program's
// client against ipckit's server. DDEML under Wine needs an X display: the
// test starts a private Xvfb (installed on first use, like Wine) and gives
// it to the Windows processes (tools/cells.mjs binds its socket into the
// chroot).
import { afterAll, beforeAll, expect, it } from "vitest";
import { buildWindowsPeers } from "../../tools/peers.mjs";
import { startXvfb, x11Problem } from "../../tools/x11.mjs";
import { inCells, runScenario, WINDOWS_CELLS } from "./_driver.ts";

let xvfb: { display: string; stop(): Promise<unknown> } | null = null;
beforeAll(async () => {
  if (process.platform !== "linux") return;
  if (x11Problem()) throw new Error(`No X display for DDE under Wine: ${x11Problem()}`);
  buildWindowsPeers();
  xvfb = await startXvfb();
});
afterAll(async () => {
  await xvfb?.stop();
});

inCells(WINDOWS_CELLS, (cell) => {
  it("DDE with a C DDEML program: ipckit's client requests, pokes (UTF-16 text, CF_TEXT in the ANSI code page) and executes against the program's server and sees it go away; the program's client requests, pokes, executes and follows a hot loop on ipckit's server", async () => {
    const run = await runScenario(cell, "test/scenarios/dde_windows.ts", [], {
      timeoutMs: 120_000,
      env: { DISPLAY: xvfb!.display },
    });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.results).toMatchObject({
      to_program: {
        before: "EURUSD=",
        after: "EURUSD=1.0842 ✓",
        again: "EURUSD=1.0842 ✓",
        // CF_TEXT is the ANSI code page (1252 here), which has no ✓.
        ansi: "EURUSD=1.0842 ?",
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
