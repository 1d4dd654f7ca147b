// Channel, queue mode: N messages of random sizes (0 B to the slot size) from
// this process to two readers in other processes (one per runtime). Every
// message arrives exactly once with its content intact: each reader checks
// the bytes and marks the sequence numbers it got in a bitmap file; this
// process checks that the bitmaps split the messages between them.
import process from "node:process";
import { readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Channel } from "../../mod.ts";
import { report, startPeer } from "./_peers.ts";
import { fillMessage, lengthOf } from "./_channel_messages.ts";

const PEER = new URL("./channel_peer.ts", import.meta.url).pathname.replace(/^\/([A-Za-z]:)/, "$1");
const N = Number(process.argv[2] ?? 1_000_000);
const SLOT = 256;
const name = `ipckit-chq-${process.pid}`;
const bitmaps = [0, 1].map((i) => join(tmpdir(), `${name}-${i}.bin`));

using _channel = Channel.create({ name, slotSize: SLOT, slots: 1024 });
const readers = bitmaps.map((bitmap, i) =>
  startPeer(PEER, ["queue-read", name, String(N), String(SLOT), bitmap], i === 1)
);
await Promise.all(readers.map((r) => r.line("ready")));
{
  using writer = Channel.open({ name, role: "writer" });
  const message = new Uint8Array(SLOT);
  let waits = 0;
  for (let seq = 0; seq < N; seq++) {
    const length = lengthOf(seq, SLOT);
    fillMessage(message, seq, length);
    const bytes = message.subarray(0, length);
    if (!writer.trySend(bytes)) {
      waits++;
      await writer.send(bytes, { timeout: 30_000 });
    }
  }
  report("writer_waited", waits > 0);
}
const results = await Promise.all(readers.map((r) => r.done));
report("reader_exits", results.map((r) => r.code));
for (const r of results) if (r.code !== 0) report("reader_stderr", r.stderr);
const seen = bitmaps.map((path) => readFileSync(path));
let once = 0;
let twice = 0;
const expectedShort = [0, 0, 0, 0];
for (let seq = 0; seq < N; seq++) {
  const length = lengthOf(seq, SLOT);
  if (length < 4) {
    expectedShort[length]!++;
    continue;
  }
  const count = seen[0]![seq]! + seen[1]![seq]!;
  if (count === 1) once++;
  else if (count > 1) twice++;
}
for (const path of bitmaps) rmSync(path, { force: true });
const short = results.map((r) => r.results.short_by_length as number[]);
report("messages", N);
report("received_total", results.reduce((sum, r) => sum + (r.results.received as number), 0));
report("both_readers_got_some", results.every((r) => (r.results.received as number) > 0));
report("bad", results.map((r) => r.results.bad));
report("out_of_order", results.map((r) => r.results.out_of_order));
report("identified_once", once);
report("identified_twice", twice);
report("identified_expected", N - expectedShort.reduce((a, b) => a + b, 0));
report("short_received", [0, 1, 2, 3].map((l) => short[0]![l]! + short[1]![l]!));
report("short_expected", expectedShort);
