// tcp_echo.ipc, server: echoes one client's bytes back on the `echo` socket
// the supervisor bound and handed over, and exits when that client is done.
import { attach } from "../../mod.ts";

await using topology = await attach();
using server = await topology.tcpListener("echo");
console.log(
  `echo server on ${server.address.family === "ipv4" ? server.address.address : ""}:${server.port}`,
);
await topology.ready();
await using conn = await server.accept();
for await (const chunk of conn) await conn.write(chunk);
console.log("client done; server exiting");
