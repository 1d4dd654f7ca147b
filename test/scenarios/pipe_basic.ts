// Named pipe basics in one process: an echo server in message and byte
// mode, zero-length and multi-chunk messages, peerPid, EOF, typed errors.
import process from "node:process";
import { ClosedError, NamedPipe, NameTakenError, TimeoutError } from "../../mod.ts";

const report = (key: string, value: unknown) => console.log(`${key}=${JSON.stringify(value)}`);
const tag = `${process.pid}-${Date.now() % 100000}`;

for (const mode of ["message", "byte"] as const) {
  const name = `ipckit-basic-${mode}-tëst-✓-𝄞-${tag}`;
  await using server = NamedPipe.serve({ name, mode, instances: 2 });
  const serving = (async () => {
    const conn = await server.accept();
    report(`${mode}_server_peer_pid`, conn.peerPid === process.pid);
    for await (const message of conn) await conn.write(message);
    await conn.close();
  })();
  const conn = await NamedPipe.connect({ name, timeout: 5000 });
  report(`${mode}_client_mode`, conn.mode);
  report(`${mode}_client_peer_pid`, conn.peerPid === process.pid);
  const sizes = mode === "message" ? [0, 1, 5, 65536, 65537, 200_000, 0] : [1, 5, 100_000];
  const replies: number[] = [];
  for (const size of sizes) {
    const data = new Uint8Array(size).map((_, i) => (i * 7 + size) & 0xff);
    await conn.write(data);
    if (mode === "message") {
      const reply = (await conn.read())!;
      replies.push(reply.byteLength === size && reply.every((b, i) => b === data[i]) ? size : -1);
    } else {
      let got = 0;
      let ok = true;
      while (got < size) {
        const chunk = (await conn.read())!;
        for (let i = 0; i < chunk.byteLength; i++) ok &&= chunk[i] === data[got + i];
        got += chunk.byteLength;
      }
      replies.push(ok && got === size ? size : -1);
    }
  }
  report(`${mode}_replies`, replies);
  await conn.close();
  await serving;
  let taken = "";
  try {
    NamedPipe.serve({ name });
  } catch (error) {
    taken = error instanceof NameTakenError ? "NameTakenError" : String(error);
  }
  report(`${mode}_second_serve`, taken);
}

// A missing pipe: connect waits, then a typed TimeoutError.
try {
  await NamedPipe.connect({ name: `ipckit-missing-${tag}`, timeout: 300 });
  report("missing", "connected?");
} catch (error) {
  report("missing", error instanceof TimeoutError ? (error.cause as Error).name : String(error));
}

// Reading after close is a ClosedError.
{
  const name = `ipckit-closed-${tag}`;
  await using server = NamedPipe.serve({ name });
  const accepted = server.accept();
  const conn = await NamedPipe.connect({ name });
  await conn.close();
  const peer = await accepted;
  report("eof_after_peer_close", await peer.read());
  await peer.close();
  try {
    await conn.read();
  } catch (error) {
    report("read_after_close", error instanceof ClosedError);
  }
}
// A read that follows one that waited starts only once the caller has run, on Windows (it costs
// wineserver requests that would delay the caller's reply). It still sees input that came before
// it started and input that comes later, a reply written in the same turn still goes out, and a
// close in that turn ends it with ClosedError.
{
  const name = `ipckit-after-wait-${tag}`;
  await using server = NamedPipe.serve({ name });
  const accepted = server.accept();
  const conn = await NamedPipe.connect({ name });
  await using peer = await accepted;
  const decoder = new TextDecoder();
  const first = conn.read(); // nothing there yet: waits
  setTimeout(() => void peer.write("a"), 20);
  const got = [decoder.decode((await first)!)];
  await peer.write("b");
  await new Promise((resolve) => setTimeout(resolve, 50)); // there before the next read starts
  got.push(decoder.decode((await conn.read())!));
  setTimeout(() => void peer.write("c"), 20);
  got.push(decoder.decode((await conn.read())!));
  await conn.write("C"); // a reply in the same turn as the answer
  got.push(decoder.decode((await peer.read())!));
  report("reads_after_a_wait", got.join(""));
  setTimeout(() => void peer.write("d"), 20);
  await conn.read(); // waited again
  const pendingRead = conn.read();
  const closing = conn.close();
  report(
    "read_closed_before_it_started",
    await pendingRead.then(() => "read", (error) => error instanceof ClosedError),
  );
  await closing;
}
// Concurrent reads queue in call order; `readable` and `for await` share one queue.
{
  const name = `ipckit-concurrent-${tag}`;
  await using server = NamedPipe.serve({ name, mode: "message" });
  const accepted = server.accept();
  await using conn = await NamedPipe.connect({ name });
  await using peer = await accepted;
  const reads = [conn.read(), conn.read(), conn.read()];
  for (const text of ["one", "two", "three"]) await peer.write(text);
  const decoder = new TextDecoder();
  report("concurrent_reads", (await Promise.all(reads)).map((m) => decoder.decode(m!)));
  const streamed = conn.readable.getReader().read();
  const iterated = conn[Symbol.asyncIterator]().next();
  await peer.write("four");
  await peer.write("five");
  // Which of the two asked first is the stream's business (it pulls ahead); each gets one message.
  report(
    "stream_and_iterator",
    [decoder.decode((await streamed).value!), decoder.decode((await iterated).value!)].sort(),
  );
}
// Cancellation: an aborted or timed-out read, accept or connect settles at once and takes
// nothing; the connection and the server stay usable.
{
  const name = `ipckit-cancel-${tag}`;
  await using server = NamedPipe.serve({ name, mode: "message" });
  const controller = new AbortController();
  const abortedAccept = server.accept({ signal: controller.signal }).then(
    () => "accepted",
    (e) => e.name,
  );
  controller.abort();
  report("accept_aborted", await abortedAccept);
  report(
    "accept_timed_out",
    await server.accept({ timeout: 50 }).then(() => "accepted", (e) => e.name),
  );
  const accepted = server.accept({ timeout: 10_000 });
  await using conn = await NamedPipe.connect({ name, signal: new AbortController().signal });
  await using peer = await accepted;
  const readAbort = new AbortController();
  const abortedRead = conn.read({ signal: readAbort.signal }).then(() => "read", (e) => e.name);
  setTimeout(() => readAbort.abort(), 50);
  report("read_aborted", await abortedRead);
  report("read_timed_out", await conn.read({ timeout: 50 }).then(() => "read", (e) => e.name));
  const queued = conn.read({ timeout: 10_000 });
  await peer.write("after abort");
  report("read_after_abort", new TextDecoder().decode((await queued)!));
  const reason = new Error("stop connecting");
  report(
    "connect_aborted_reason",
    await NamedPipe.connect({ name: `ipckit-none-${tag}`, signal: AbortSignal.abort(reason) })
      .then(() => "connected", (e) => e === reason),
  );
  const connectAbort = new AbortController();
  const connecting = NamedPipe.connect({
    name: `ipckit-none-${tag}`,
    timeout: 60_000,
    signal: connectAbort.signal,
  })
    .then(() => "connected", (e) => e.name);
  setTimeout(() => connectAbort.abort(), 100);
  report("connect_aborted", await connecting);
  report(
    "connect_bad_timeout",
    await NamedPipe.connect({ name, timeout: -1 }).then(() => "connected", (e) => e.name),
  );
}
report("done", true);
