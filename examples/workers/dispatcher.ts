// workers.ipc, dispatcher: serves the message-mode `jobs` pipe, deals 30 jobs
// to the connected workers, sums their answers, then tells each to finish.
import type { PipeConnection } from "../../mod.ts";
import { attach } from "../../lib/runtime/attach.ts"; // ipckit/attach

const JOBS = 30;
await using topology = await attach();
await using server = topology.pipeServer("jobs");
const workers = Number(topology.endpoint("jobs").options["instances"]);
console.log("dispatcher listening");

const connections: PipeConnection[] = [];
for (let i = 0; i < workers; i++) connections.push(await server.accept());

const decoder = new TextDecoder();
let sum = 0;
// Each worker gets every n-th job; it answers each job before the next is sent.
await Promise.all(connections.map(async (connection, index) => {
  for (let job = index + 1; job <= JOBS; job += workers) {
    await connection.write(JSON.stringify({ job }));
    const answer = JSON.parse(decoder.decode((await connection.read())!)) as { square: number };
    sum += answer.square;
  }
  await connection.write(JSON.stringify({ done: true }));
  await connection.close();
}));
console.log(`sum of squares 1..${JOBS} = ${sum}`);
