// Between two processes over TCP loopback: an echo of `total` bytes in 64 KiB
// chunks with a SHA-256 on each side; writes of mixed sizes (0 B to 600 KiB)
// fired without awaiting, some queued while an earlier one is still in the
// OS's hands, echoed in order; then `concurrent` clients at once, each with
// its own conversation.
import { createHash } from "node:crypto";
import process from "node:process";
import { Socket } from "../../mod.ts";
import { report, startPeer } from "./_peers.ts";
import { streamChunk } from "./pipe_data.ts";

const total = Number(process.argv[2] ?? String(256 * 1024 * 1024));
const concurrent = Number(process.argv[3] ?? "200");
const CHUNK = 64 * 1024;

const peer = startPeer("test/scenarios/socket_peer.ts", [String(2 + concurrent)]);
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
  // Windows gathers queued writes into one call (up to 256 KiB) and gives a larger one its own:
  // sizes around both limits, unawaited, must arrive in call order.
  const SIZES = [0, 1, 1000, 65536, 262143, 262144, 262145, 614400, 3, 200_000, 70_000];
  await using conn = await Socket.connect({ port, timeout: 10_000 });
  const sent = createHash("sha256");
  const writes: Promise<void>[] = [];
  let at = 0;
  for (let round = 0; round < 4; round++) {
    for (const size of SIZES) {
      const chunk = streamChunk(at, size);
      at += size;
      sent.update(chunk);
      writes.push(conn.write(chunk));
    }
    // The next round is queued while this one's calls may still be in flight.
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  const ending = Promise.all(writes).then(() => conn.end());
  const received = createHash("sha256");
  let bytes = 0;
  for await (const chunk of conn) {
    received.update(chunk);
    bytes += chunk.byteLength;
  }
  await ending;
  report("unawaited_bytes", bytes === at);
  report("unawaited_hash_equal", sent.digest("hex") === received.digest("hex"));
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
