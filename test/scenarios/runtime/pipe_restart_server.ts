// socket_restart.ipc, pipe server: answers each connection on the `jobs` pipe and
// kills itself hard after every `limit` answers, leaving its restart to the
// supervisor; exits 0 on "quit".
import process from "node:process";
import { attach } from "../../../lib/runtime/attach.ts"; // ipckit/attach

const limit = Number(process.argv[2] ?? "400");
const topology = await attach();
const server = topology.pipeServer("jobs");
await topology.ready();
let answered = 0;
for await (const conn of server) {
  const request = new TextDecoder().decode((await conn.read()) ?? new Uint8Array());
  await conn.write(request === "quit" ? "bye" : `answer ${request}`);
  await conn.close();
  if (request === "quit") break;
  if (++answered === limit) {
    console.log(`answered ${answered}; killed without closing anything`);
    process.kill(process.pid, "SIGKILL");
    await new Promise(() => {}); // the kill lands; nothing more is accepted
  }
}
console.log("quit");
await topology.close();
