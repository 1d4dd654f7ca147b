// The client of socket_restart.ipc and socket_python.ipc: makes `count`
// connections one after the other to its socket endpoint (tcp or unix), each sending its
// number and expecting `<prefix><number>` back; counts refused connections
// and unanswered ones; finally sends "quit" (socket_server.ts exits on it).
import process from "node:process";
import { NotFoundError, Socket } from "../../../mod.ts";
import { attach } from "../../../lib/runtime/attach.ts"; // ipckit/attach

const count = Number(process.argv[2] ?? "1000");
const prefix = process.argv[3] ?? "answer ";
const topology = await attach();
const [name, endpoint] = Object.entries(topology.document.endpoints)[0]!;
const target = endpoint.kind === "unix"
  ? { path: String(endpoint.options["path"]) }
  : (({ host, port }) => ({ host, port }))(topology.socketAddress(name));
let refused = 0;
let answered = 0;
const unanswered: string[] = [];
for (let i = 0; i < count; i++) {
  try {
    await using conn = await Socket.connect({ ...target, timeout: 60_000 });
    await conn.write(String(i));
    let reply = "";
    for await (const chunk of conn) reply += new TextDecoder().decode(chunk);
    if (reply === `${prefix}${i}`) answered++;
    else unanswered.push(`${i}: '${reply}'`);
  } catch (error) {
    if (error instanceof NotFoundError) refused++;
    else unanswered.push(`${i}: ${(error as Error).message}`);
  }
}
if (prefix === "answer ") {
  // Ends the server. Where the server binds its own socket (the comparison in
  // bench/socket_restart.ts), it may be restarting: try again until it is back.
  for (let attempt = 0;; attempt++) {
    try {
      await using conn = await Socket.connect({ ...target, timeout: 60_000 });
      await conn.write("quit");
      await conn.read();
      break;
    } catch (error) {
      if (!(error instanceof NotFoundError) || attempt === 600) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
console.log("path" in target ? `path ${target.path}` : `port ${target.port}`);
console.log(`refused ${refused}`);
console.log(`answered ${answered}/${count}`);
console.log(`unanswered ${JSON.stringify(unanswered.slice(0, 5))}`);
await topology.close();
