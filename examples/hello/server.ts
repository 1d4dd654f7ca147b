// hello.ipc, server side: serves the `greeting` pipe, answers one greeting.
import { attach } from "../../lib/runtime/attach.ts"; // ipckit/attach

await using topology = await attach();
await using server = topology.pipeServer("greeting");
await topology.ready();
await using connection = await server.accept();
const greeting = new TextDecoder().decode((await connection.read()) ?? new Uint8Array());
console.log(`received: ${greeting}`);
await connection.write(`hello, ${greeting.replace(/^hello from /, "")}! this is the server`);
