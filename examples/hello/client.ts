// hello.ipc, client side: sends a greeting over the `greeting` pipe and prints the answer.
import { attach } from "../../lib/runtime/attach.ts"; // ipckit/attach

await using topology = await attach();
await using connection = await topology.pipeClient("greeting");
await connection.write(`hello from ${topology.instance}`);
const answer = await connection.read();
console.log(`answer: ${new TextDecoder().decode(answer ?? new Uint8Array())}`);
