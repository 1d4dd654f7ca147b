// Channel basics in one process and with a peer: the zero-copy round trip,
// typed errors for bad input, timeouts and aborts, idle CPU while a reader
// waits, and nothing left behind after close or after every holder died.
import process from "node:process";
import { readdirSync } from "node:fs";
import {
  Channel,
  ClosedError,
  Event,
  MessageTooLargeError,
  NameTakenError,
  NotFoundError,
  TimeoutError,
  waitAny,
} from "../../mod.ts";
import { platform } from "../../lib/ffi/mod.ts";
import { report, startPeer } from "./_peers.ts";
import { raceDelayUs, spinFor } from "./_channel_messages.ts";

const PEER = new URL("./channel_peer.ts", import.meta.url).pathname.replace(/^\/([A-Za-z]:)/, "$1");
const tag = `ipckit-ch-${process.pid}`;
const ours = () =>
  platform === "linux" ? readdirSync("/dev/shm").filter((f) => f.includes(tag)) : [];
const text = (
  bytes: Uint8Array | null,
) => (bytes === null ? null : new TextDecoder().decode(bytes));

async function errorOf(run: () => unknown): Promise<{ name: string; message: string } | null> {
  try {
    await run();
    return null;
  } catch (error) {
    return { name: (error as Error).name, message: (error as Error).message };
  }
}

{
  const name = `${tag}-basic`;
  using channel = Channel.create({ name, slotSize: 1 << 16, slots: 4 });
  report("os_name", channel.osName);
  using writer = Channel.open({ name, role: "writer" });
  using reader = Channel.open({ name });

  // Zero-copy: written in place, read in place, views detached once done.
  const slot = await writer.reserve({ timeout: 1000 });
  const written = slot.bytes;
  written.fill(0xab, 0, 60_000);
  slot.commit(60_000);
  report("reservation_detached", written.length);
  const message = (await reader.receiveView({ timeout: 1000 }))!;
  const view = message.bytes;
  report("view_length", view.length);
  report("view_content", view.every((b) => b === 0xab));
  report("view_intact", message.release());
  report("view_detached", view.length);
  report("view_after_release", await errorOf(() => message.bytes));
  report("release_twice", await errorOf(() => message.release()));

  // Copies, strings, zero-length messages and tryReceiveInto.
  writer.trySend("");
  writer.trySend("héllo ✓");
  report("empty_message", (await reader.receive({ timeout: 1000 }))?.length);
  const into = new Uint8Array(channel.slotSize);
  const length = reader.tryReceiveInto(into);
  report("into", text(into.subarray(0, length!)));
  report("into_empty", reader.tryReceiveInto(into));

  // Bad input.
  report("too_large", await errorOf(() => writer.trySend(new Uint8Array((1 << 16) + 1))));
  report(
    "too_large_class",
    await errorOf(() => writer.send(new Uint8Array(1 << 17))).then((e) => e?.name),
  );
  report(
    "too_large_is_range_error",
    (() => {
      try {
        writer.trySend(new Uint8Array(1 << 17));
      } catch (error) {
        return error instanceof MessageTooLargeError && error instanceof RangeError;
      }
    })(),
  );
  report(
    "bad_slots",
    await errorOf(() => Channel.create({ name: `${tag}-x`, slotSize: 8, slots: 3 })),
  );
  report("bad_data", await errorOf(() => writer.trySend(42 as unknown as string)));
  report("second_writer", await errorOf(() => Channel.open({ name, role: "writer" })));
  report(
    "second_writer_class",
    (() => {
      try {
        Channel.open({ name, role: "writer" });
      } catch (error) {
        return error instanceof NameTakenError;
      }
    })(),
  );
  report("name_taken", await errorOf(() => Channel.create({ name, slotSize: 8, slots: 2 })));
  report("not_found", await errorOf(() => Channel.open({ name: `${tag}-missing` })));
  report("receive_timeout", await errorOf(() => reader.receive({ timeout: 50 })));
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 50);
  report("receive_abort", await errorOf(() => reader.receive({ signal: controller.signal })));
  for (let i = 0; i < 4; i++) writer.trySend("fill");
  report("send_timeout", await errorOf(() => writer.send("more", { timeout: 50 })));
  report("try_send_full", writer.trySend("more"));
  report("reader_still_works", text(reader.tryReceive()));

  // Idle: a reader waiting 1.5 s on an empty ring, with a 10 ms timer ticking.
  while (reader.tryReceive() !== null);
  let ticks = 0;
  const interval = setInterval(() => ticks++, 10);
  const cpu0 = process.cpuUsage();
  const t0 = Date.now();
  const idle = await errorOf(() => reader.receive({ timeout: 1500 }));
  const cpu = process.cpuUsage(cpu0);
  clearInterval(interval);
  report("idle_result", idle?.name);
  report("idle_waited_ms_at_least_1400", Date.now() - t0 >= 1400);
  report("idle_ticks_at_least_50", ticks >= 50);
  report("idle_cpu_ms", Math.round((cpu.user + cpu.system) / 1000));

  // waitAny over a channel reader and an event: ready when a message is there; waiting takes nothing.
  {
    using ev = Event.create({ name: `${tag}-ev` });
    const waiting = waitAny([ev, reader], { timeout: 10_000 });
    setTimeout(() => writer.trySend("for waitAny"), 50);
    report("wait_any_index", await waiting);
    report("wait_any_then_receive", text(reader.tryReceive()));
    ev.set();
    report("wait_any_event", await waitAny([reader, ev], { timeout: 1000 }));
    const outcome = (wait: Promise<unknown>) => wait.then(String, (error) => (error as Error).name);
    report("wait_any_timeout", await outcome(waitAny([reader], { timeout: 50 })));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    report("wait_any_abort", await outcome(waitAny([reader], { signal: controller.signal })));
    writer.trySend("ready now");
    report("wait_any_ready_now", await waitAny([reader], { timeout: 0 }));
    report("wait_any_ready_then_receive", text(reader.tryReceive()));
  }

  // A writer's close ends the stream once read; a new writer in another runtime wakes the sleeping reader.
  writer.close();
  report("own_writer_close_ends_stream", await reader.receive({ timeout: 1000 }));
  const wake = reader.receive({ timeout: 10_000 });
  const peer = startPeer(PEER, ["write-burst", name, "3"], true);
  const seqs = [
    await wake,
    await reader.receive({ timeout: 10_000 }),
    await reader.receive({ timeout: 10_000 }),
  ];
  report("woken_by_other_runtime", seqs.map((m) => m?.[0]));
  await peer.done;
  report("peer_close_ends_stream", await reader.receive({ timeout: 10_000 }));

  // Closed ends.
  const pending = reader.receive();
  reader.close();
  reader.close();
  report("pending_at_close", await errorOf(() => pending));
  report("closed_receive", await errorOf(() => reader.receive()));
  report("closed_send", await errorOf(() => writer.trySend("x")));
  report("closed_classes", [
    await errorOf(() => reader.tryReceive()).then((e) => e?.name === new ClosedError("").name),
    TimeoutError.name,
  ]);
}
report("after_close_left", ours());
report("after_close_open", await errorOf(() => Channel.open({ name: `${tag}-basic` })));

// The race of a wake with a sleep: each side answers after a delay swept across the spin window
// (0 to 3 ms), so wakes land while the other side spins, announces its sleep, or has parked.
{
  const ping = `${tag}-race-ping`;
  const pong = `${tag}-race-pong`;
  using _ping = Channel.create({ name: ping, slotSize: 16, slots: 4 });
  using _pong = Channel.create({ name: pong, slotSize: 16, slots: 4 });
  using writer = Channel.open({ name: ping, role: "writer" });
  using reader = Channel.open({ name: pong });
  const rounds = 150;
  const peer = startPeer(PEER, ["race-echo", ping, pong, String(rounds)]);
  let answered = 0;
  const errors: string[] = [];
  for (let i = 0; i < rounds; i++) {
    spinFor(raceDelayUs(i, rounds));
    await writer.send(`race ${i}`, { timeout: 10_000 });
    const answer = await errorOf(async () => {
      if (text(await reader.receive({ timeout: 10_000 })) !== `race ${i}`) throw new Error("wrong");
    });
    if (answer) errors.push(`${i}: ${answer.name}`);
    else answered++;
  }
  const exit = await peer.done;
  report("race_answered", answered);
  report("race_errors", [...errors, ...(exit.code === 0 ? [] : [`peer exit ${exit.code}`])]);
}

// A wake that arrives while the reader is between announcing its sleep and parking, for a message
// it has taken already (channel_peer.ts's late-wake writer): the next message must still wake it.
{
  const name = `${tag}-late-wake`;
  using _channel = Channel.create({ name, slotSize: 16, slots: 4, maxReaders: 1 });
  using reader = Channel.open({ name });
  const rounds = 30;
  const peer = startPeer(PEER, ["late-wake", name, String(rounds)]);
  let received = 0;
  let inOrder = true;
  let error = "";
  try {
    // No timeout (it would end a lost sleep and hide it): a peer that sees the reader stuck exits.
    for (let message; (message = await reader.receive()) !== null;) {
      if (
        message.length !== 4 ||
        new DataView(message.buffer, message.byteOffset).getInt32(0, true) !== received
      ) {
        inOrder = false;
      }
      received++;
    }
  } catch (caught) {
    error = (caught as Error).name;
  }
  const exit = await peer.done;
  report("late_wake", {
    received,
    in_order: inOrder,
    error,
    late_wakes: exit.results.late_wakes,
    peer: exit.code === 0 ? "" : exit.stderr.split("\n").find((line) => line.includes("Error")),
  });
}

// Every holder killed: the channel goes with them.
{
  const name = `${tag}-killed`;
  const holder = startPeer(PEER, ["hold-all", name]);
  await holder.line("ready");
  report("killed_holder_had_name", ours().length > 0 || platform === "windows");
  holder.child.kill("SIGKILL");
  await holder.done;
  report("after_kill_open", await errorOf(() => Channel.open({ name })).then((e) => e?.name));
  report("after_kill_left", ours());
  report(
    "not_found_class",
    await errorOf(() => Channel.open({ name })).then((e) => e?.name === NotFoundError.name),
  );
}
