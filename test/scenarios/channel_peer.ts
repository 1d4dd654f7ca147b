// Peer of the channel_*.ts scenarios. Roles:
//   queue-read <name> <count> <slot> <bitmap>  queue reader: checks every message, marks its
//                                              sequence number in a bitmap file, until the writer closes
//   bcast-read <name> <count> [pauseEvery]     broadcast reader: expects 0..count-1 in order
//   write-forever <name>                       writer filling slots in place until killed
//   write-burst <name> <count>                 writer: count messages without waiting, then close
//   hold-view <name>                           queue reader holding one message in place until killed
//   hold-all <name>                            creates a channel with a writer and a reader, until killed
//   race-echo <ping> <pong> <rounds>           echoes each message after channel_basic.ts's swept delay
import process from "node:process";
import { writeFileSync } from "node:fs";
import { Channel } from "../../lib/channel.ts";
import { report } from "./_peers.ts";
import {
  checkMessage,
  fillMessage,
  lengthOf,
  raceDelayUs,
  readSeq,
  spinFor,
} from "./_channel_messages.ts";

const [role, name = "", a = "0", b = "0", c = ""] = process.argv.slice(2);
const stay = () => setInterval(() => {}, 2 ** 31 - 1);

if (role === "queue-read") {
  const count = Number(a);
  const slot = Number(b);
  using reader = Channel.open({ name });
  report("ready", true);
  const seen = new Uint8Array(count);
  let received = 0;
  let bad = 0;
  let lastSeq = -1;
  let outOfOrder = 0;
  const shortByLength = [0, 0, 0, 0];
  const buffer = new Uint8Array(slot);
  const take = (message: Uint8Array) => {
    received++;
    if (message.length < 4) {
      shortByLength[message.length]!++;
      return;
    }
    const seq = readSeq(message);
    if (seq >= count || !checkMessage(message, seq, lengthOf(seq, slot))) bad++;
    else seen[seq] = 1;
    if (seq <= lastSeq) outOfOrder++;
    lastSeq = seq;
  };
  // Drain without allocating while messages are there; wait (and copy) only when the ring is empty.
  for (;;) {
    const length = reader.tryReceiveInto(buffer);
    if (length !== null) {
      take(buffer.subarray(0, length));
      continue;
    }
    const message = await reader.receive();
    if (message === null) break;
    take(message);
  }
  writeFileSync(c, seen);
  report("received", received);
  report("bad", bad);
  report("out_of_order", outOfOrder);
  report("short_by_length", shortByLength);
} else if (role === "bcast-read") {
  const count = Number(a);
  const pauseEvery = Number(b);
  using reader = Channel.open({ name });
  report("ready", true);
  let expected = 0;
  let inOrder = true;
  let received = 0;
  for await (const message of reader) {
    const seq = readSeq(message);
    if (seq !== expected || !checkMessage(message, seq, message.length)) inOrder = false;
    expected = seq + 1;
    received++;
    if (pauseEvery > 0 && received % pauseEvery === 0) {
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }
  report("received", received);
  report("in_order", inOrder && expected === count);
  report("lost", reader.lost);
} else if (role === "write-forever") {
  const writer = Channel.open({ name, role: "writer" });
  report("writer_position", writer.position);
  let seq = 0;
  for (;;) {
    const slot = await writer.reserve();
    // At least 8 bytes, so every message has bytes a torn write would leave wrong.
    const length = 8 + lengthOf(seq, slot.bytes.length - 8);
    fillMessage(slot.bytes, seq, length);
    slot.commit(length);
    if (++seq === 50) report("running", true);
  }
} else if (role === "write-burst") {
  using writer = Channel.open({ name, role: "writer" });
  const count = Number(a);
  const message = new Uint8Array(16);
  let refused = 0;
  for (let seq = 0; seq < count; seq++) {
    fillMessage(message, seq, message.length);
    if (!writer.trySend(message)) refused++;
  }
  report("refused", refused);
} else if (role === "hold-view") {
  const reader = Channel.open({ name });
  const message = await reader.receiveView({ timeout: 10_000 });
  report("holding", message !== null);
  stay();
} else if (role === "hold-all") {
  Channel.create({ name, slotSize: 64, slots: 16 });
  const writer = Channel.open({ name, role: "writer" });
  Channel.open({ name });
  writer.trySend("kept until killed");
  report("ready", true);
  stay();
} else if (role === "race-echo") {
  using reader = Channel.open({ name });
  using writer = Channel.open({ name: a, role: "writer" });
  const rounds = Number(b);
  for (let i = 0; i < rounds; i++) {
    const message = await reader.receive({ timeout: 10_000 });
    spinFor(raceDelayUs(i, rounds));
    await writer.send(message!, { timeout: 10_000 });
  }
} else {
  throw new Error(`unknown role '${role}'`);
}
