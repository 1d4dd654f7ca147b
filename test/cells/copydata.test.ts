import { createHash } from "node:crypto";
import { beforeAll, expect, it } from "vitest";
import { buildWindowsPeers } from "../../tools/peers.mjs";
import { ALL_CELLS, inCells, runScenario } from "./_driver.ts";
import { pattern } from "../scenarios/_copydata_pattern.ts";

const SIZES = [0, 1, 1024 * 1024, 64 * 1024 * 1024];
const expectedSizes = SIZES.map((size, seed) => ({
  size,
  sha: createHash("sha256").update(pattern(size, seed)).digest("hex"),
}));
const TAGS = ["18446744073709551615", "0", "9223372036854775808", "12345"];

/** FNV-1a, as the C program computes it. */
function fnv1aHex(bytes: Uint8Array): string {
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h.toString(16).padStart(8, "0");
}
const programPayload = Uint8Array.from({ length: 200_000 }, (_, i) => (i * 7 + 3) & 0xff);

inCells(ALL_CELLS, (cell) => {
  // The Windows cells also talk to a C program that is not ipckit.
  if (cell.startsWith("windows")) beforeAll(() => void buildWindowsPeers());

  it("CopyData between Bun and Deno both ways (and, on Windows, with a C program that is not ipckit): 0 B-64 MiB byte for byte, tags to 2^64-1, the handler's answer reaches the sender, a never-answering receiver gives TimeoutError, 4 senders x 250 messages none lost and in order, raw HWND send, NotFoundError, NameTakenError, typed bad-input errors, idle CPU ~0", async () => {
    const run = await runScenario(cell, "test/scenarios/copydata_basic.ts", [], {
      timeoutMs: 180_000,
    });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const windows = cell.startsWith("windows");
    // Both directions: this runtime sends the full suite to the other's receiver (peer_got_),
    // and the other runtime sends the light one (0 B and 1 MiB, tags, hang) back (got_).
    for (const side of ["sent", "peer_sent"]) {
      expect(run.results).toMatchObject({
        [`${side}_tag_answers`]: [false, true, true, false],
        [`${side}_hang`]: "TimeoutError",
        [`${side}_hang_waited_at_least_timeout`]: true,
      });
    }
    expect(run.results).toMatchObject({
      sent_size_answers: [true, true, true, true],
      sent_burst_answers_true: 1000,
      peer_got_sizes: expectedSizes,
      peer_got_burst: 1000,
      peer_got_burst_in_order: true,
      peer_got_burst_intact: true,
      peer_sent_size_answers: [true, true],
      got_sizes: [expectedSizes[0], expectedSizes[2]],
      got_burst: 0,
    });
    expect(run.results.got_tags).toEqual(TAGS);
    // The peer also got the raw-HWND send (tag 2) on Windows.
    expect(run.results.peer_got_tags).toEqual(windows ? [...TAGS, "2"] : TAGS);
    expect(run.results).toMatchObject({
      raw_hwnd: windows ? true : "UnsupportedPlatformError",
      peer_code: 0,
      iterated: { answers: [true, true], got: ["1:one", "2:two"] },
      second_listen: "NameTakenError",
      send_after_receiver_closed: "ClosedError",
      old_sender_after_relisten: "ClosedError",
      allow_lower_integrity_answer: true,
      missing: "NotFoundError",
      missing_after_wait: "NotFoundError",
      bad: {
        oversize_tag: "RangeError",
        negative_tag: "RangeError",
        string_tag: "TypeError",
        number_data: "TypeError",
        negative_timeout: "RangeError",
        bad_signal: "TypeError",
        aborted: "AbortError",
        no_options: "TypeError",
        bad_name: "TypeError",
        number_name: "TypeError",
        bad_handler: "TypeError",
        bad_hwnd: windows ? "TypeError" : "UnsupportedPlatformError",
      },
      send_after_close: "ClosedError",
      close_idempotent: true,
      done: true,
    });
    expect(run.results.idle_cpu_percent).toBeLessThan(3);
    if (windows) {
      // A raw-HWND send gets the C program's own answers (TRUE for even tags), and the program's
      // SendMessageTimeoutW reaches an ipckit receiver byte for byte.
      expect(run.results).toMatchObject({
        to_program_answers: [true, false],
        program_receiver_code: 0,
        program_sender_code: 0,
        program_sent: `sent=1:1:${fnv1aHex(programPayload)}`,
      });
      expect(run.results.program_got).toEqual(run.results.program_expected);
      expect(run.results.received_from_program).toEqual(run.results.expected_from_program);
    }
  });
});
