// mailslot_log.ipc, app (Bun): writes three log lines and a goodbye to the mailslot.
import { attach } from "../../lib/runtime/attach.ts"; // ipckit/attach

await using topology = await attach();
const log = await topology.mailslotWriter("log");
for (let i = 1; i <= 3; i++) await log.write(`${topology.instance} line ${i}`);
await log.write(`${topology.instance} bye`);
