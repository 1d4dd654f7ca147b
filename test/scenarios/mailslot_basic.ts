// Mailslots: many writer processes, one reader; messages arrive whole and
// counted, each writer's in order; a message over the reader's maximum is
// refused at the writer; info(), read timeout, a second reader and a missing
// mailslot are typed errors.   mailslot_basic.ts <writers> <messagesEach>
import process from "node:process";
import { Mailslot, MessageTooLargeError } from "../../mod.ts";
import { report, runPeer } from "./pipe_data.ts";

const [writers, each] = process.argv.slice(2).map(Number) as [number, number];
const tag = `${process.pid}-${Date.now() % 100000}`;
const MAX = 424;

{
  const name = `ipckit-slot-tëst-✓-${tag}`;
  await using slot = Mailslot.create(name, { maxMessageSize: MAX });
  const peers = Array.from(
    { length: writers },
    (_, id) => runPeer("./mailslot_writer.ts", [name, String(id), String(each), String(MAX)]),
  );
  const nextIndex = new Array<number>(writers).fill(0);
  let whole = true;
  let inOrder = true;
  let received = 0;
  let largest = 0;
  while (received < writers * each) {
    const bytes = await slot.read({ timeout: 30_000 }).catch((e) => {
      report("stuck_after", received);
      report("stuck_info", slot.info());
      return Promise.all(peers.map((p) => p.done)).then((d) => {
        report("stuck_peers", d);
        throw e;
      });
    });
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    const index = view.getUint32(0, true);
    const writer = view.getUint32(4, true);
    whole &&= bytes.byteLength >= 8 && bytes.byteLength <= MAX;
    inOrder &&= nextIndex[writer] === index;
    nextIndex[writer] = index + 1;
    largest = Math.max(largest, bytes.byteLength);
    received++;
  }
  const codes = await Promise.all(peers.map((p) => p.done.then((d) => d.code)));
  report("writers_exit_codes", codes);
  report("received", received);
  report("whole", whole);
  report("each_writer_in_order", inOrder);
  report("largest_at_most_max", largest <= MAX);

  // Oversize: refused at the writer, nothing sent.
  await using out = Mailslot.open(name);
  report("writer_knows_max", out.maxMessageSize);
  try {
    await out.write(new Uint8Array(MAX + 1));
    report("oversize", "sent");
  } catch (error) {
    report(
      "oversize",
      error instanceof MessageTooLargeError
        ? `${error.name} ${error.size}>${error.limit}`
        : String(error),
    );
  }
  {
    // A writer's close is awaited, and a write after it is a ClosedError.
    const extra = Mailslot.open(name);
    await extra.write("extra");
    await extra.close();
    report(
      "write_after_writer_close",
      await extra.write("late").then(() => "sent", (e) => (e as Error).name),
    );
    report("extra_message", new TextDecoder().decode(await slot.read({ timeout: 2000 })));
  }
  await out.write(new Uint8Array(0));
  await out.write("second");
  const info = slot.info();
  report("info", {
    maxMessageSize: info.maxMessageSize,
    nextSize: info.nextSize,
    count: info.count,
  });
  report("zero_length", (await slot.read()).byteLength);
  report("after_zero", new TextDecoder().decode(await slot.read()));
  report("info_empty", slot.info().nextSize);
  try {
    await slot.read({ timeout: 200 });
  } catch (error) {
    report("read_timeout", (error as Error).name);
  }
  try {
    Mailslot.create(name);
  } catch (error) {
    report("second_reader", (error as Error).name);
  }
}

{
  // A read timeout set at creation applies to every read.
  await using slot = Mailslot.create(`ipckit-slot-timeout-${tag}`, { readTimeout: 150 });
  try {
    await slot.read();
  } catch (error) {
    report("create_read_timeout", (error as Error).name);
  }
  // Closing while a read waits ends it with ClosedError; iteration just stops.
  const pending = slot.read({ timeout: 10_000 }).catch((e) => (e as Error).name);
  const iterating = (async () => {
    let n = 0;
    for await (const _ of slot) n++;
    return n;
  })();
  const closing = slot.close();
  report("close_same_promise", slot.close() === closing);
  report("close_awaited", await closing.then(() => "closed"));
  report("read_after_close", await pending);
  report("iteration_after_close", await iterating.catch((e) => (e as Error).name));
}

try {
  Mailslot.open(`ipckit-slot-missing-${tag}`);
} catch (error) {
  report("missing", (error as Error).name);
}
report("done", true);
