// Named pipe basics in one process: an echo server in message and byte
// mode, zero-length and multi-chunk messages, peerPid, EOF, typed errors.
import process from "node:process";
import { ClosedError, NamedPipe, NameTakenError, TimeoutError } from "../../mod.ts";

const report = (key: string, value: unknown) => console.log(`${key}=${JSON.stringify(value)}`);
const tag = `${process.pid}-${Date.now() % 100000}`;

for (const mode of ["message", "byte"] as const) {
  const name = `ipckit-basic-${mode}-tëst-✓-𝄞-${tag}`;
  await using server = NamedPipe.serve(name, { mode, instances: 2 });
  const serving = (async () => {
    const conn = await server.accept();
    report(`${mode}_server_peer_pid`, conn.peerPid === process.pid);
    for await (const message of conn) await conn.write(message);
    await conn.close();
  })();
  const conn = await NamedPipe.connect(name, { timeout: 5000 });
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
    NamedPipe.serve(name);
  } catch (error) {
    taken = error instanceof NameTakenError ? "NameTakenError" : String(error);
  }
  report(`${mode}_second_serve`, taken);
}

// A missing pipe: connect waits, then a typed TimeoutError.
try {
  await NamedPipe.connect(`ipckit-missing-${tag}`, { timeout: 300 });
  report("missing", "connected?");
} catch (error) {
  report("missing", error instanceof TimeoutError ? (error.cause as Error).name : String(error));
}

// Reading after close is a ClosedError.
{
  const name = `ipckit-closed-${tag}`;
  await using server = NamedPipe.serve(name);
  const accepted = server.accept();
  const conn = await NamedPipe.connect(name);
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
// Concurrent reads queue in call order; `readable` and `for await` share one queue.
{
  const name = `ipckit-concurrent-${tag}`;
  await using server = NamedPipe.serve(name, { mode: "message" });
  const accepted = server.accept();
  await using conn = await NamedPipe.connect(name);
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
report("done", true);
