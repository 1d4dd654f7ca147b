// Channel, broadcast mode: three readers in other processes (two of this
// runtime, one of the other) each get every message, in order. A slow reader
// under policy "wait" holds the writer back and still gets everything; under
// "overwrite" the writer never waits, and a reader that fell behind gets the
// newest messages and is told how many it lost.
import process from "node:process";
import { Channel } from "../../mod.ts";
import { report, startPeer } from "./_peers.ts";
import { checkMessage, fillMessage, readSeq } from "./_channel_messages.ts";

const PEER = new URL("./channel_peer.ts", import.meta.url).pathname.replace(/^\/([A-Za-z]:)/, "$1");
const N = Number(process.argv[2] ?? 100_000);
const SLOW_N = Number(process.argv[3] ?? 2_000);
const tag = `ipckit-chb-${process.pid}`;

async function broadcast(name: string, count: number, readers: ReturnType<typeof startPeer>[]) {
  await Promise.all(readers.map((r) => r.line("ready")));
  using writer = Channel.open({ name, role: "writer" });
  const message = new Uint8Array(32);
  let waits = 0;
  for (let seq = 0; seq < count; seq++) {
    fillMessage(message, seq, 4 + (seq % 29));
    const bytes = message.subarray(0, 4 + (seq % 29));
    if (!writer.trySend(bytes)) {
      waits++;
      // No timeout: a lost wake-up must hang the scenario (the driver then fails it), not be
      // rescued by a timeout that makes the send succeed late, as one with 30 s did.
      await writer.send(bytes);
    }
  }
  writer.close();
  const results = await Promise.all(readers.map((r) => r.done));
  for (const r of results) if (r.code !== 0) report(`${name}_stderr`, r.stderr);
  return { waits, results: results.map((r) => ({ code: r.code, ...r.results })) };
}

{
  const name = `${tag}-all`;
  using _channel = Channel.create({ name, slotSize: 32, slots: 256, mode: "broadcast" });
  const readers = [false, false, true].map((other) =>
    startPeer(PEER, ["bcast-read", name, String(N)], other)
  );
  const { results } = await broadcast(name, N, readers);
  report("fanout", results);
}

{
  const name = `${tag}-wait`;
  using _channel = Channel.create({ name, slotSize: 32, slots: 16, mode: "broadcast" });
  const readers = [
    startPeer(PEER, ["bcast-read", name, String(SLOW_N)]),
    startPeer(PEER, ["bcast-read", name, String(SLOW_N), "50"], true), // pauses 1 ms every 50
  ];
  const { waits, results } = await broadcast(name, SLOW_N, readers);
  report("wait_policy", results);
  report("wait_policy_writer_waited", waits > 0);
}

{
  const name = `${tag}-overwrite`;
  using _channel = Channel.create({
    name,
    slotSize: 32,
    slots: 16,
    mode: "broadcast",
    policy: "overwrite",
  });
  using reader = Channel.open({ name });
  // The writer sends SLOW_N messages without ever waiting while this reader reads none.
  const writer = startPeer(PEER, ["write-burst", name, String(SLOW_N)]);
  const burst = await writer.done;
  report("overwrite_writer", { code: burst.code, ...burst.results });
  const seqs: number[] = [];
  let intact = true;
  for await (const message of reader) {
    const seq = readSeq(message);
    intact &&= checkMessage(message, seq, 16);
    seqs.push(seq);
  }
  report("overwrite_received", seqs.length);
  report("overwrite_lost", reader.lost);
  report("overwrite_total", seqs.length + reader.lost);
  report("overwrite_newest_in_order", seqs.every((s, i) => s === SLOW_N - seqs.length + i));
  report("overwrite_intact", intact);
}
