// Bulk data across two processes: many messages of random sizes arrive
// whole, in order and byte-exact; a long byte stream hashes equal; a writer
// that writes and closes at once (either side) loses nothing.
//   pipe_stream.ts <messages> <maxMessageSize> <streamBytes>
import process from "node:process";
import { NamedPipe } from "../../mod.ts";
import { message, MessageHash, report, runPeer, StreamHash } from "./pipe_data.ts";

const [count, maxSize, streamBytes] = process.argv.slice(2).map(Number) as [number, number, number];
const tag = `${process.pid}-${Date.now() % 100000}`;

{
  const name = `ipckit-messages-${tag}`;
  await using server = NamedPipe.serve({ name, mode: "message" });
  const peer = runPeer("./pipe_peer.ts", [
    "send-messages",
    name,
    String(count),
    String(maxSize),
    "42",
  ]);
  const conn = await server.accept();
  const hash = new MessageHash();
  let inOrder = true;
  const started = Date.now();
  for await (const bytes of conn) {
    if (bytes.byteLength >= 4) {
      inOrder &&= new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true) === hash.count;
    }
    hash.add(bytes);
  }
  const ms = Date.now() - started;
  await conn.close();
  const { code, results, stderr } = await peer.done;
  if (code !== 0) console.error(stderr);
  report("messages_peer_code", code);
  report("messages_count", hash.count);
  report("messages_in_order", inOrder);
  report("messages_hash_equal", hash.digest() === results.sent_hash);
  report("messages_mib_per_s", Math.round(hash.bytes / 1048576 / (ms / 1000)));
}

{
  const name = `ipckit-stream-${tag}`;
  await using server = NamedPipe.serve({ name, mode: "byte" });
  const peer = runPeer("./pipe_peer.ts", ["send-stream", name, String(streamBytes), "65536"]);
  const conn = await server.accept();
  const hash = new StreamHash();
  const started = Date.now();
  for await (const chunk of conn) hash.add(chunk);
  const ms = Date.now() - started;
  await conn.close();
  const { code, results, stderr } = await peer.done;
  if (code !== 0) console.error(stderr);
  report("stream_peer_code", code);
  report("stream_bytes", hash.bytes);
  report("stream_hash_equal", hash.digest() === results.sent_hash);
  report("stream_mib_per_s", Math.round(hash.bytes / 1048576 / (ms / 1000)));
  report("stream_seconds", ms / 1000);
}

for (const mode of ["message", "byte"] as const) {
  // The client writes and closes at once.
  const name = `ipckit-writeclose-${mode}-${tag}`;
  {
    await using server = NamedPipe.serve({ name, mode });
    const peer = runPeer("./pipe_peer.ts", ["write-close", name, "200", "10000"]);
    const conn = await server.accept();
    const messages = new MessageHash();
    const stream = new StreamHash();
    for await (const bytes of conn) {
      messages.add(bytes);
      stream.add(bytes);
    }
    await conn.close();
    const { results } = await peer.done;
    report(`client_write_close_${mode}_bytes`, stream.bytes);
    if (mode === "message") {
      report(`client_write_close_${mode}_hash_equal`, messages.digest() === results.sent_hash);
    }
  }
  // The server writes and closes at once; the client reads everything.
  {
    await using server = NamedPipe.serve({ name, mode });
    const peer = runPeer("./pipe_peer.ts", ["read-all", name]);
    const conn = await server.accept();
    const sent = new MessageHash();
    const sentStream = new StreamHash();
    for (let i = 0; i < 200; i++) {
      const bytes = message(i, 10000, i * 7919);
      sent.add(bytes);
      sentStream.add(bytes);
      void conn.write(bytes);
    }
    await conn.close();
    const { results } = await peer.done;
    report(`server_write_close_${mode}_bytes`, results.received_bytes);
    report(
      `server_write_close_${mode}_hash_equal`,
      results.received_hash === (mode === "message" ? sent.digest() : sentStream.digest()),
    );
  }
}
report("done", true);
