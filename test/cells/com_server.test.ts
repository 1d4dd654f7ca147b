import { expect, it } from "vitest";
import { ALL_CELLS, inCells, runScenario } from "./_driver.ts";

inCells(ALL_CELLS, (cell) => {
  const windows = cell.startsWith("windows");
  const other = cell.endsWith("bun") ? "Deno" : "Bun";
  it(
    windows
      ? `a JavaScript object served through COM: a ${other} process calls its methods and properties (case-insensitively), passes every VARIANT type, gets thrown errors as ComError, receives 1,000 events in order and none after unsubscribing; cscript's CreateObject calls it; close() is idempotent`
      : "serving a COM object throws UnsupportedPlatformError naming the platform",
    async () => {
      const run = await runScenario(cell, "test/scenarios/com_server.ts", [], {
        timeoutMs: 120_000,
      });
      expect(run.stderr).toBe("");
      expect(run.code).toBe(0);
      if (!windows) {
        expect(Object.keys(run.results).sort()).toEqual(["serve", "serve_message"]);
        expect(run.results.serve).toBe("UnsupportedPlatformError");
        expect(run.results.serve_message).toMatch(
          /^Cannot serve COM object 'Ipckit\.Test\d+' on linux: COM exists only on Windows$/,
        );
        return;
      }
      expect(run.results).toMatchObject({
        clsid_is_guid: true,
        peer_code: 0,
        peer_add: 5,
        peer_title: "ipckit",
        peer_title_set: "from peer",
        peer_indexed: "v",
        peer_slow: 42,
        peer_child: 21,
        peer_echoed: {
          empty: "undefined",
          null: null,
          true: true,
          int: -123456,
          double: 3.25,
          big: "9007199254740993n",
          string: "tëst-✓-𝄞",
          date: "2026-12-01T10:30:15.000Z",
          bytes: [0, 1, 254, 255],
          array: [1, "two", [3, 4]],
          currency: "12345.6789",
          decimal: "-79228162514264337593543950.335",
        },
        peer_fail_error: {
          name: "ComError",
          code: "0x80040201",
          hresult: 0x80040201,
          description: "bad fail",
        },
        peer_faillater_error: {
          name: "ComError",
          code: "E_FAIL",
          hresult: 0x80004005,
          description: "bad failLater",
        },
        peer_unknown_error: "DISP_E_UNKNOWNNAME",
        peer_done_arg: 1000,
        peer_ticks: 1000,
        peer_ticks_in_order: true,
        peer_reached_after_unsubscribe: 0,
        peer_ticks_after_unsubscribe: 1000,
        title_after_peer: "from peer",
        subscribers_after_peer: 0,
        vbs_code: 0,
        title_after_vbs: "from vbs",
        closed_twice: true,
      });
      expect(run.results.peer_fail_error).toMatchObject({
        source: expect.stringMatching(/^Ipckit\.Test\d+$/),
      });
      const vbs = run.results.vbs as string[];
      expect(vbs.slice(0, 4)).toEqual(["add=42", "title=from peer", "double=42", "child=15"]);
      expect(vbs[4]).toMatch(/^error=80040201\|boom\|Ipckit\.Test\d+$/);
    },
  );
});

/** Lines a process printed under `ipckit run` (prefixed `name | `). */
function linesOf(stdout: string, instance: string): string[] {
  const prefix = new RegExp(`^${instance.replace(/[[\]]/g, "\\$&")}\\s*\\| `);
  return stdout.split(/\r?\n/).filter((line) => prefix.test(line)).map((line) =>
    line.replace(prefix, "")
  );
}

inCells(ALL_CELLS, (cell) => {
  if (cell.startsWith("windows")) {
    it("examples/com_automation.ipc under ipckit run: a Deno client and a cscript VBScript call the Bun-served counter by ProgID, the client receives its Changed events", async () => {
      const run = await runScenario(cell, "cli/main.ts", ["run", "examples/com_automation.ipc"], {
        timeoutMs: 120_000,
      });
      expect(run.code, run.stdout + run.stderr).toBe(0);
      expect(linesOf(run.stdout, "vbs")).toContain("vbs: Add(100) returned at least 100: True");
      expect(linesOf(run.stdout, "client")).toContain(
        "client: 5 additions, Changed events received",
      );
      expect(linesOf(run.stdout, "server")).toContain("total 115");
      expect(linesOf(run.stdout, "ipckit")).toContain("done: every process exited with code 0");
    });
  } else {
    it("examples/com_automation.ipc checked for linux: E040 at the com endpoint's declaration", async () => {
      const run = await runScenario(cell, "cli/main.ts", [
        "check",
        "--platform",
        "linux",
        "examples/com_automation.ipc",
      ]);
      expect(run.code).toBe(1);
      expect(run.stdout + run.stderr).toContain(
        "error[E040]: endpoint kind 'com' is not available on linux\n --> examples/com_automation.ipc:7:1",
      );
    });
  }
});
