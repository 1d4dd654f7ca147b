// Interop in byte mode with the runtime's own `node:net`: an ipckit server
// with a node:net client, and a node:net server with an ipckit client, over
// the same OS path (`\\.\pipe\…` on Windows, a Unix socket on Linux).
import { createHash } from "node:crypto";
import net from "node:net";
import process from "node:process";
import { NamedPipe } from "../../mod.ts";
import { report, streamChunk } from "./pipe_data.ts";

const tag = `${process.pid}-${Date.now() % 100000}`;
const TOTAL = 4 * 1024 * 1024;
const sha = (chunks: Uint8Array[]) => {
  const hash = createHash("sha256");
  for (const c of chunks) hash.update(c);
  return hash.digest("hex");
};
const payload: Uint8Array[] = [];
for (let at = 0; at < TOTAL; at += 65536) payload.push(streamChunk(at, 65536));
const expected = sha(payload);

{
  // ipckit server, node:net client: the client sends, the server echoes a hash back.
  const name = `ipckit-interop-a-${tag}`;
  await using server = NamedPipe.serve({ name });
  const serving = (async () => {
    const conn = await server.accept();
    const hash = createHash("sha256");
    let bytes = 0;
    for await (const chunk of conn) {
      hash.update(chunk);
      bytes += chunk.byteLength;
      if (bytes === TOTAL) break;
    }
    await conn.write(hash.digest("hex"));
    await conn.close();
  })();
  const reply = await new Promise<string>((resolve, reject) => {
    const socket = net.connect(server.path);
    let text = "";
    socket.on("connect", () => {
      for (const chunk of payload) socket.write(chunk);
    });
    socket.on("data", (d) => (text += d.toString()));
    socket.on("end", () => {
      socket.end();
      resolve(text);
    });
    socket.on("error", reject);
  });
  await serving;
  report("ipckit_server_net_client", reply === expected);
}

{
  // node:net server, ipckit client: the server sends, the client hashes.
  const name = `ipckit-interop-b-${tag}`;
  const path = NamedPipe.path(name);
  const server = net.createServer((socket) => {
    for (const chunk of payload) socket.write(chunk);
    // A Windows pipe cannot half-close: node:net's end() flushes but keeps the pipe open
    // until the socket is destroyed, so destroy it once everything is written.
    socket.end(() => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  const conn = await NamedPipe.connect({ name: path, timeout: 5000 });
  const received: Uint8Array[] = [];
  for await (const chunk of conn) received.push(chunk);
  await conn.close();
  await new Promise((resolve) => server.close(resolve));
  report("net_server_ipckit_client", sha(received) === expected);
  report("net_server_ipckit_client_mode", conn.mode);
}
report("done", true);
