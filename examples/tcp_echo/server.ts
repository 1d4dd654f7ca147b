// tcp_echo.ipc, server: listens on the `echo` address the supervisor chose,
// echoes one client's bytes back, and exits when that client is done.
import { createServer } from "node:net";
import { attach } from "../../lib/runtime/attach.ts"; // ipckit/attach

await using topology = await attach();
const { host, port } = topology.socketAddress("echo");
const server = createServer((socket) => {
  socket.pipe(socket);
  socket.on("close", () => server.close());
});
await new Promise<void>((resolve) => server.listen(port, host, resolve));
console.log(`echo server on ${host}:${port}`);
await topology.ready();
await new Promise((resolve) => server.on("close", resolve));
console.log("client done; server exiting");
