// A server started by systemd-socket-activate (or `ipckit run`): adopts the
// listening socket it was handed (LISTEN_FDS), answers `count` clients, and
// reports what it was handed.
import process from "node:process";
import { Socket } from "../../mod.ts";
import { report } from "./_peers.ts";

const name = process.argv[2];
const count = Number(process.argv[3] ?? "1");
report("inherited", Socket.inherited());
using server = Socket.adopt(name === undefined || name === "-" ? {} : { name });
let answered = 0;
for await (const conn of server) {
  const request = new TextDecoder().decode((await conn.read()) ?? new Uint8Array());
  await conn.write(`${request} answered by ${process.pid}`);
  await conn.close();
  if (++answered === count) break;
}
report("answered", answered);
