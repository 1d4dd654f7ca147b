// The receiving process of bench/copydata.ts: a CopyData receiver that
// answers true, and a message-mode named pipe server that answers each
// message with one byte, until tag 0xdead arrives.
//   _copydata_peer.ts <copydata name> <pipe name>
import process from "node:process";
import { CopyData, NamedPipe } from "../mod.ts";

const [copyDataName, pipeName] = process.argv.slice(2) as [string, string];
let quit!: () => void;
const quitting = new Promise<void>((resolve) => (quit = resolve));
const receiver = await CopyData.listen({
  name: copyDataName,
  handler: ({ tag }) => {
    if (tag === 0xdeadn) quit();
    return true;
  },
});
const server = NamedPipe.serve(pipeName, { mode: "message" });
const ACK = new Uint8Array([1]);
const serving = (async () => {
  const connection = await server.accept();
  for await (const _message of connection) await connection.write(ACK);
  await connection.close();
})();
console.log("ready");
await quitting;
await receiver.close();
await serving;
await server.close();
