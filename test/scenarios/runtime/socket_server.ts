// socket_restart.ipc, server: answers each connection on its one socket
// endpoint (tcp or unix) and kills itself hard (SIGKILL / TerminateProcess)
// after every `limit` answers, leaving its restart to the supervisor; exits 0
// on "quit".
import process from "node:process";
import { attach } from "../../../lib/runtime/attach.ts"; // ipckit/attach

const limit = Number(process.argv[2] ?? "250");
const topology = await attach();
const [name, endpoint] = Object.entries(topology.document.endpoints)[0]!;
const server = endpoint.kind === "unix"
  ? await topology.unixListener(name)
  : await topology.tcpListener(name);
await topology.ready();
let answered = 0;
for await (const conn of server) {
  const request = new TextDecoder().decode((await conn.read()) ?? new Uint8Array());
  if (request === "quit") {
    await conn.write("bye");
    await conn.close();
    break;
  }
  await conn.write(`answer ${request}`);
  await conn.close();
  if (++answered === limit) {
    console.log(`answered ${answered}; killed without closing anything`);
    process.kill(process.pid, "SIGKILL");
    await new Promise(() => {}); // the kill lands; nothing more is accepted
  }
}
console.log("quit");
await topology.close();
