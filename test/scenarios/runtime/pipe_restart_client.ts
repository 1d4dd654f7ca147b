// socket_restart.ipc, pipe client: `count` connections one after the other to the
// `jobs` pipe, each sending its number and expecting "answer <number>";
// counts connections that failed to find the pipe and unanswered ones;
// finally sends "quit".
import process from "node:process";
import { NamedPipe, NotFoundError, TimeoutError } from "../../../mod.ts";
import { attach } from "../../../lib/runtime/attach.ts"; // ipckit/attach

const count = Number(process.argv[2] ?? "1000");
const topology = await attach();
const name = topology.endpoint("jobs").name;
let notFound = 0;
let answered = 0;
const unanswered: string[] = [];
async function ask(request: string): Promise<string> {
  await using conn = await NamedPipe.connect({ name, timeout: 30_000 });
  await conn.write(request);
  return new TextDecoder().decode((await conn.read()) ?? new Uint8Array());
}
for (let i = 0; i < count; i++) {
  try {
    const reply = await ask(String(i));
    if (reply === `answer ${i}`) answered++;
    else unanswered.push(`${i}: '${reply}'`);
  } catch (error) {
    if (error instanceof NotFoundError || error instanceof TimeoutError) notFound++;
    else unanswered.push(`${i}: ${(error as Error).message}`);
  }
}
await ask("quit");
console.log(`not found ${notFound}`);
console.log(`answered ${answered}/${count}`);
console.log(`unanswered ${JSON.stringify(unanswered.slice(0, 5))}`);
await topology.close();
