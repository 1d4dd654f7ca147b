// The server half of bench/sockets.ts, in its own process: `ipckit` serves
// with ipckit's Socket, `net` with the runtime's node:net. Prints `port=<n>`.
// A connection's first byte picks its job: "T" counts bytes until the client
// half-closes, then answers the count; "R" echoes everything.
import net from "node:net";
import process from "node:process";
import { Socket, type SocketConnection } from "../mod.ts";

const kind = process.argv[2];

async function serveIpckit(conn: SocketConnection): Promise<void> {
  let job = "";
  let count = 0;
  for await (const chunk of conn) {
    if (job === "") job = String.fromCharCode(chunk[0]!);
    if (job === "R") void conn.write(chunk);
    else count += chunk.byteLength;
  }
  if (job === "T") await conn.write(String(count - 1));
  await conn.close();
}

if (kind === "ipckit") {
  const server = await Socket.listen({ port: 0 });
  console.log(`port=${(server.address as { port: number }).port}`);
  for await (const conn of server) void serveIpckit(conn);
} else {
  const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
    let job = "";
    let count = 0;
    socket.on("data", (chunk: Uint8Array) => {
      if (job === "") job = String.fromCharCode(chunk[0]!);
      if (job === "R") socket.write(chunk);
      else count += chunk.byteLength;
    });
    socket.on("end", () => (job === "T" ? socket.end(String(count - 1)) : socket.end()));
    socket.on("error", () => {});
  });
  server.listen(
    0,
    "127.0.0.1",
    () => console.log(`port=${(server.address() as net.AddressInfo).port}`),
  );
}
