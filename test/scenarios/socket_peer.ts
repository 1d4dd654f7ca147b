// An echo server in its own process for the socket scenarios, on 127.0.0.1
// port 0; prints `port=<n>`.
// - `<count>`: TCP; echoes each connection until the client half-closes,
//   then ends its side; exits after `count` connections.
// - `udp`: echoes each datagram to its sender until one reads "stop".
import process from "node:process";
import { Datagram, Socket } from "../../mod.ts";
import { report } from "./_peers.ts";

if (process.argv[2] === "udp") {
  using udp = await Datagram.listen({ host: "127.0.0.1", port: 0 });
  if (udp.address.family === "unix") throw new Error("unexpected address");
  report("port", udp.address.port);
  let echoed = 0;
  for await (const { data, from } of udp) {
    if (from.family === "unix") continue;
    if (new TextDecoder().decode(data) === "stop") break;
    await udp.send(data, { host: from.address, port: from.port });
    echoed++;
  }
  report("echoed", echoed);
  process.exit(0);
}

const count = Number(process.argv[2] ?? "1");
using server = await Socket.listen({ host: "127.0.0.1", port: 0 });
if (server.address.family === "unix") throw new Error("unexpected address");
report("port", server.address.port);
let served = 0;
const conversations: Promise<void>[] = [];
for await (const conn of server) {
  conversations.push((async () => {
    for await (const chunk of conn) await conn.write(chunk);
    await conn.end();
    await conn.close();
  })());
  if (++served === count) break;
}
await Promise.all(conversations);
report("served", served);
