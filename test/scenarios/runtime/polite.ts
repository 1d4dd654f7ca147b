// Runs until the supervisor asks it to stop, then exits 0.
import { attach } from "../../../lib/runtime/attach.ts"; // ipckit/attach

await using topology = await attach();
topology.event("tick");
await topology.ready();
await topology.stopped();
console.log("stop requested; exiting cleanly");
