// Between two processes over TCP loopback: an echo of `total` bytes in 64 KiB
// chunks with a SHA-256 on each side, then `concurrent` clients at once,
// each with its own conversation.
import { createHash } from "node:crypto";
import process from "node:process";
import { Socket } from "../../mod.ts";
import { report, startPeer } from "./_peers.ts";
import { streamChunk } from "./pipe_data.ts";

const total = Number(process.argv[2] ?? String(256 * 1024 * 1024));
const concurrent = Number(process.argv[3] ?? "200");
const CHUNK = 64 * 1024;

const peer = startPeer("test/scenarios/socket_peer.ts", [String(1 + concurrent)]);
const port = (await peer.line("port")) as number;

{
  await using conn = await Socket.connect({ host: "127.0.0.1", port, timeout: 10_000 });
  const sent = createHash("sha256");
  const writing = (async () => {
    for (let at = 0; at < total; at += CHUNK) {
      const chunk = streamChunk(at, Math.min(CHUNK, total - at));
      sent.update(chunk);
      await conn.write(chunk);
    }
    await conn.end();
  })();
  const received = createHash("sha256");
  let bytes = 0;
  for await (const chunk of conn) {
    received.update(chunk);
    bytes += chunk.byteLength;
  }
  await writing;
  report("echo_bytes", bytes);
  report("echo_hash_equal", sent.digest("hex") === received.digest("hex"));
}

{
  const replies = await Promise.all(
    Array.from({ length: concurrent }, async (_, i) => {
      await using conn = await Socket.connect({ port, timeout: 30_000 });
      await conn.write(`client ${i} `.repeat(i + 1));
      await conn.end();
      let text = "";
      for await (const chunk of conn) text += new TextDecoder().decode(chunk);
      return text === `client ${i} `.repeat(i + 1);
    }),
  );
  report("concurrent_correct", replies.filter(Boolean).length);
}

const exit = await peer.done;
report("peer_code", exit.code);
report("peer_served", exit.results.served);
report("done", true);
