// Channel crash safety. Writers (alternating runtimes) fill 4 KiB slots in
// place and are killed with SIGKILL at random points, KILLS times: this
// process's reader never gets a torn or out-of-sequence message, sees every
// death as WriterGoneError, and the next writer reattaches and continues.
// Then a queue reader killed while holding a message does not wedge the
// writer or the other reader.
import process from "node:process";
import { Channel, WriterGoneError } from "../../mod.ts";
import { report, startPeer } from "./_peers.ts";
import { checkMessage, readSeq } from "./_channel_messages.ts";

const PEER = new URL("./channel_peer.ts", import.meta.url).pathname.replace(/^\/([A-Za-z]:)/, "$1");
const KILLS = Number(process.argv[2] ?? 50);
const LANES = Number(process.argv[3] ?? 5);
const tag = `ipckit-chc-${process.pid}`;

// LANES channels at once, each through KILLS / LANES writer deaths: the deaths are what is
// tested, and spawning runtimes one after another would take most of the time.
async function lane(lane: number, kills: number) {
  const name = `${tag}-writers${lane}`;
  using _channel = Channel.create({ name, slotSize: 4096, slots: 8 });
  using reader = Channel.open({ name });
  const outcome = {
    messages: 0,
    torn: 0,
    gaps: 0,
    deaths: 0,
    errors: [] as string[],
    continued: true,
  };
  let lastPosition = -1;
  const consume = async () => {
    let expected = 0;
    for (;;) {
      let message: Uint8Array | null;
      try {
        message = await reader.receive({ timeout: 60_000 });
      } catch (error) {
        if (error instanceof WriterGoneError) return outcome.deaths++;
        outcome.errors.push(String(error));
        return;
      }
      if (message === null) return outcome.errors.push("writer closed");
      const seq = readSeq(message);
      if (message.length < 8 || !checkMessage(message, seq, message.length)) outcome.torn++;
      if (seq !== expected) outcome.gaps++;
      expected = seq + 1;
      outcome.messages++;
    }
  };
  for (let k = 0; k < kills; k++) {
    const consumer = consume();
    const writer = startPeer(PEER, ["write-forever", name], (k + lane) % 2 === 1);
    try {
      // A consumer that stops early (an error) would leave the writer blocked: fail, not hang.
      const stopped = consumer.then(() => {
        throw new Error(`lane ${lane}: the reader stopped before writer ${k} ran`);
      });
      stopped.catch(() => {}); // it rejects after every kill too; only the races look at it
      const position = (await Promise.race([writer.line("writer_position"), stopped])) as number;
      if (position <= lastPosition) outcome.continued = false;
      lastPosition = position;
      await Promise.race([writer.line("running"), stopped]);
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 20));
    } catch (error) {
      outcome.errors.push(String(error));
      writer.child.kill("SIGKILL");
      await writer.done;
      break;
    }
    writer.child.kill("SIGKILL");
    await writer.done;
    await consumer;
  }
  return outcome;
}

{
  const lanes = await Promise.all(
    Array.from({ length: LANES }, (_, i) => lane(i, KILLS / LANES)),
  );
  const sum = (key: "messages" | "torn" | "gaps" | "deaths") =>
    lanes.reduce((total, l) => total + l[key], 0);
  report("kills", KILLS);
  report("deaths_seen", sum("deaths"));
  report("messages_at_least_50_per_writer", sum("messages") >= 50 * KILLS);
  report("torn", sum("torn"));
  report("gaps", sum("gaps"));
  report("other_errors", lanes.flatMap((l) => l.errors));
  report("restarted_writers_continue", lanes.every((l) => l.continued));
}

{
  const name = `${tag}-reader`;
  using _channel = Channel.create({ name, slotSize: 64, slots: 4 });
  using writer = Channel.open({ name, role: "writer" });
  const holder = startPeer(PEER, ["hold-view", name]);
  await writer.send("held by the reader that dies", { timeout: 10_000 });
  report("holder_holding", await holder.line("holding"));
  using reader = Channel.open({ name });
  holder.child.kill("SIGKILL");
  await holder.done;
  const received: string[] = [];
  const consumer = (async () => {
    while (received.length < 20) {
      received.push(new TextDecoder().decode((await reader.receive({ timeout: 10_000 }))!));
    }
  })();
  let sendError = null;
  try {
    for (let i = 0; i < 20; i++) await writer.send(`m${i}`, { timeout: 10_000 });
  } catch (error) {
    sendError = String(error);
  }
  await consumer.catch((error) => (sendError ??= String(error)));
  report("after_reader_death_send_error", sendError);
  report("after_reader_death_received", received.join(","));
}
