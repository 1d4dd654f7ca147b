import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ALL_CELLS,
  type Cell,
  inCells,
  LINUX_CELLS,
  runScenario,
  WINDOWS_CELLS,
} from "./_driver.ts";
import { startXvfb, x11Problem } from "../../tools/x11.mjs";

// The Linux cells get a private Xvfb (installed on first use, like Wine); the Windows cells
// need no display: Wine's clipboard works without one.
let xvfb: { display: string; stop(): Promise<unknown> } | null = null;
beforeAll(async () => {
  if (process.platform === "linux" && !x11Problem()) xvfb = await startXvfb();
});
afterAll(async () => {
  await xvfb?.stop();
});

function env(cell: Cell): { env?: Record<string, string> } {
  if (!cell.startsWith("linux")) return {};
  if (!xvfb) throw new Error(`No X display for ${cell}: ${x11Problem()}`);
  return { env: { DISPLAY: xvfb.display, WAYLAND_DISPLAY: "" } };
}

const TEXT = "tëst-✓-𝄞";

/** Like inCells, but a Linux cell with no way to get an X display is skipped (CI: fails). */
function inClipboardCells(cells: readonly Cell[], body: (cell: Cell) => void): void {
  const problem = process.platform === "linux" ? x11Problem() : "not a Linux host";
  const [linux, others] = [
    cells.filter((c) => c.startsWith("linux")),
    cells.filter((c) => !c.startsWith("linux")),
  ];
  inCells(others, body);
  if (problem && process.env.CI !== "true") {
    for (const cell of linux) {
      describe.skip(`[${cell}] (cannot run here: ${problem})`, () => body(cell));
    }
  } else inCells(linux, body);
}

inClipboardCells(ALL_CELLS, (cell) => {
  it("Clipboard: text, HTML, PNG, DIB and a custom format written together are read back by another process; its change listener sees each write; its text and an empty string come back; bad input and closed watches throw typed errors; idle CPU ~0", async () => {
    const run = await runScenario(cell, "test/scenarios/clipboard_basic.ts", [], env(cell));
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const expected = run.results.expected as Record<string, string>;
    expect(run.results).toMatchObject({
      own_text: TEXT,
      sequence_advanced: true,
      peer_text: "from the peer ✓",
      empty_here: "",
      peer_code: 0,
      peer_stderr: [],
      peer: {
        ready: true,
        change_seen: true,
        text: TEXT,
        html: "<p>tëst <b>✓</b> 𝄞</p>",
        png: expected.png,
        dib: expected.dib,
        custom: expected.custom,
        missing_format: null,
        peer_wrote: true,
        after: "",
        done: true,
      },
      bad: {
        unknown_format: "TypeError",
        no_format: "TypeError",
        text_not_string: "TypeError",
        text_with_nul: "TypeError",
        lone_surrogate: "TypeError",
        png_not_png: "TypeError",
        dib_not_dib: "TypeError",
        custom_empty_name: "TypeError",
        custom_standard_name: "TypeError",
        custom_not_bytes: "TypeError",
        read_not_string: "TypeError",
        read_empty_name: "TypeError",
        negative_timeout: "RangeError",
        aborted: "AbortError",
        watch_bad_signal: "TypeError",
      },
      watch_pending_at_close: "ClosedError",
      watch_after_close: "ClosedError",
      watch_close_twice: true,
      closed_error_class: true,
      watch_aborted: "stop watching",
      watch_after_break: "ClosedError",
      cleared_text: null,
      cleared_formats: [],
      done: true,
    });
    // Windows adds the formats it synthesises (CF_LOCALE); the five written are there on both.
    const formats = (run.results.peer as { formats: string[] }).formats;
    expect(formats.slice(0, 4)).toEqual(["text", "html", "png", "dib"]);
    expect(formats).toContain("application/x-ipckit-tëst");
    expect(typeof expected.png).toBe("string");
    // Owning the clipboard with a watch open costs no CPU: nothing polls.
    expect(run.results.idle_cpu_percent).toBeLessThan(3);
  });
});

inCells(WINDOWS_CELLS, (cell) => {
  it("Clipboard: a process holding the clipboard open 300 ms delays a writer without failing it; holding it past the retry budget gives ClipboardBusyError (a TimeoutError); an abort ends the retries", async () => {
    const run = await runScenario(cell, "test/scenarios/clipboard_contention.ts");
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.results).toMatchObject({
      short_hold: { written: "after a short hold", after_release: true },
      long_hold: {
        name: "ClipboardBusyError",
        is_timeout_error: true,
        attempts_at_least_5: true,
        message:
          "Cannot write to the clipboard: another process kept the clipboard open for 1500 ms (N attempts to open it)",
      },
      aborted_wait: "gave up waiting",
      holder_code: 0,
      after_long_hold: "after the long hold",
      done: true,
    });
  });
});

inClipboardCells(LINUX_CELLS, (cell) => {
  it("Clipboard (X11): typed errors without DISPLAY and on Wayland only; xclip reads ipckit's text, HTML, custom format and TARGETS, and ipckit reads xclip's; a 20 MiB image crosses by INCR to xclip, to ipckit and from xclip; the data goes with its writer", async () => {
    const run = await runScenario(cell, "test/scenarios/clipboard_x11.ts", [], env(cell));
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const noDisplay = {
      name: "DisplayUnavailableError",
      reason: "no-display",
      message:
        "Cannot use the clipboard: DISPLAY is not set; ipckit's Linux clipboard needs an X server: " +
        "set DISPLAY (e.g. DISPLAY=:0), or start one with `Xvfb :99 &` and set DISPLAY=:99",
    };
    expect(run.results).toMatchObject({
      no_display: { read: noDisplay, write: noDisplay, sequence: noDisplay, watch: noDisplay },
      wayland_only: { name: "DisplayUnavailableError", reason: "wayland-only" },
      xclip_reads: {
        text: TEXT,
        html: "<p>tëst <b>✓</b> 𝄞</p>",
        custom: run.results.custom_expected,
        targets: [
          "TARGETS",
          "TEXT",
          "UTF8_STRING",
          "application/x-ipckit-tëst",
          "text/html",
          "text/plain;charset=utf-8",
        ],
      },
      ipckit_reads_xclip: { text: "from xclip ✓ 𝄞", formats: ["text"], html: null },
      xclip_exits_when_replaced: { code: 0 },
      incr_to_xclip: true,
      incr_to_ipckit: { code: 0, size: 20 << 20, same: true },
      incr_from_xclip: { size: 20 << 20, same: true },
      xclip_png_exit: { code: 0 },
      writer_exit: 0,
      after_writer_exit: { text: null, formats: [] },
      done: true,
    });
    expect((run.results.wayland_only as { message: string }).message).toContain(
      "WAYLAND_DISPLAY is set, DISPLAY is not",
    );
  });
});
