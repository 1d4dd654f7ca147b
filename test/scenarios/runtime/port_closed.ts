// After a run: nothing listens on the TCP port the run used any more.
// Usage: port_closed.ts <port>   Prints `port_closed=true|"<what was found>"`.
import process from "node:process";
import { NotFoundError, Socket } from "../../../mod.ts";

const port = Number(process.argv[2]);
let verdict: true | string = true;
try {
  await using _conn = await Socket.connect({ port, timeout: 10_000 });
  verdict = `port ${port} still accepts connections`;
} catch (error) {
  if (!(error instanceof NotFoundError)) verdict = `unexpected ${String(error)}`;
}
console.log(`port_closed=${JSON.stringify(verdict)}`);
