// workers.ipc, worker: connects to `jobs`, squares every job until told it is done.
import { attach } from "../../lib/runtime/attach.ts"; // ipckit/attach

await using topology = await attach();
await using jobs = await topology.pipeClient("jobs");
const decoder = new TextDecoder();
let handled = 0;
for await (const message of jobs) {
  const request = JSON.parse(decoder.decode(message)) as { job?: number; done?: boolean };
  if (request.done) break;
  await jobs.write(JSON.stringify({ square: request.job! * request.job! }));
  handled++;
}
console.log(`${topology.instance} handled ${handled} jobs`);
