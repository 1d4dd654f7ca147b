// Serves its pipe and reads its mailslot, reports ready, then is killed hard.
import process from "node:process";
import { attach } from "../../../lib/runtime/attach.ts"; // ipckit/attach

const topology = await attach();
topology.pipeServer("requests");
topology.mailslotReader("events");
await topology.ready();
console.log("serving; now killed without closing anything");
setTimeout(() => process.kill(process.pid, "SIGKILL"), 100);
