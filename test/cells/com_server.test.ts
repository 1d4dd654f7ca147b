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
