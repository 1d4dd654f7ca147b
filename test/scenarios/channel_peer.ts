// Peer of the channel_*.ts scenarios. Roles:
//   queue-read <name> <count> <slot> <bitmap>  queue reader: checks every message, marks its
//                                              sequence number in a bitmap file, until the writer closes
//   bcast-read <name> <count> [pauseEvery]     broadcast reader: expects 0..count-1 in order
//   write-forever <name>                       writer filling slots in place until killed
//   write-burst <name> <count>                 writer: count messages without waiting, then close
//   hold-view <name>                           queue reader holding one message in place until killed
//   hold-all <name>                            creates a channel with a writer and a reader, until killed
//   race-echo <ping> <pong> <rounds>           echoes each message after channel_basic.ts's swept delay
//   late-wake <name> <rounds> [guardMs]        writer by hand, every other wake sent late (below)
import process from "node:process";
import { writeFileSync } from "node:fs";
import { Channel } from "../../lib/channel.ts";
import { detachBuffer, nativeBuffer, platform } from "../../lib/ffi/mod.ts";
import * as posixShm from "../../lib/posix/shared_memory.ts";
import * as win32Shm from "../../lib/win32/shared_memory.ts";
import { wake, WAKE_ALL } from "../../lib/posix/sync.ts";
import { createEvent } from "../../lib/win32/sync.ts";
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
} else if (role === "late-wake") {
  // The writer's steps by hand, from the documented layout (docs/mechanisms.md), with the wake
  // check of every other message held back until reader 0 has taken that message and announced its
  // next sleep: a writer preempted between storing the head and reading `wakeReaders`. That wake
  // then lands while the reader is between announcing and parking, having seen the head already;
  // the next message's commit finds no announcement left and does not wake. The reader must
  // still get it.
  const rounds = Number(a);
  const guardMs = Number(b) || 10_000;
  using _writer = Channel.open({ name, role: "writer" }); // the role; its own sends are not used
  const mapping = (platform === "windows" ? win32Shm : posixShm).openSharedMemory(
    name,
    false,
    undefined,
  );
  const buffer = nativeBuffer(mapping.address, mapping.length);
  const i32 = new Int32Array(buffer);
  const [HEAD, TAIL, WAKE_READERS] = [64 >> 2, 128 >> 2, 192 >> 2];
  const [slots, stride, slotsOffset] = [i32[20 >> 2]!, i32[28 >> 2]!, i32[36 >> 2]!];
  const event = platform === "windows"
    ? createEvent(`${name}.wake-reader0`, false, false, true)
    : null;
  const until = (ready: () => boolean, what: string) => {
    // A guard against a hang (a reader that missed a wake never takes or announces again): this
    // process then fails, and its death wakes the reader.
    const deadline = performance.now() + guardMs;
    while (!ready()) if (performance.now() > deadline) throw new Error(`no ${what}`);
  };
  /** -1 when no sleep was announced; else how many parked sleepers the wake reached (Windows: 1). */
  const wakeCheck = () => {
    if (Atomics.exchange(i32, WAKE_READERS, 0) === 0) return -1;
    if (!event) return wake(mapping.address + 64n, WAKE_ALL);
    event.set();
    return 1;
  };
  let pos = Atomics.load(i32, HEAD);
  const commit = () => {
    const stamp = (slotsOffset + stride * (pos & (slots - 1))) >> 2;
    until(() => Atomics.load(i32, stamp) === pos, "free slot");
    i32[stamp + 1] = 4;
    i32[stamp + 2] = pos;
    pos = (pos + 1) | 0;
    Atomics.store(i32, stamp, pos);
    Atomics.store(i32, HEAD, pos);
  };
  // On Linux, until `rounds` late wakes reached no parked sleeper, i.e. landed between the announcement
  // and the park (at most 5x as many rounds). Windows events keep a set until the wait takes it.
  let late = 0;
  let beforePark = 0;
  for (let i = 0; (event ? late : beforePark) < rounds && late < 5 * rounds; i++) {
    commit();
    // Held back. A reader that announced before this message was there is woken at once.
    until(() => {
      if (Atomics.load(i32, WAKE_READERS) === 0) return false;
      if (Atomics.load(i32, TAIL) === pos) return true;
      wakeCheck();
      return false;
    }, "sleep announced after the take");
    if (wakeCheck() === 0) beforePark++;
    late++;
    // The next message after the sweep's delay (0 to 3 ms): the reader has parked by then, or not.
    spinFor(raceDelayUs(i % rounds, rounds));
    commit();
    wakeCheck();
  }
  report("late_wakes", late);
  detachBuffer(buffer);
  mapping.close();
  event?.close();
} else {
  throw new Error(`unknown role '${role}'`);
}
