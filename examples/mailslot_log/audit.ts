// mailslot_log.ipc, audit (Deno): writes three audit lines and a goodbye to the mailslot.
import { attach } from "../../lib/runtime/attach.ts"; // ipckit/attach

await using topology = await attach();
const log = await topology.mailslotWriter("log");
for (let i = 1; i <= 3; i++) await log.write(`audit event ${i}`);
await log.write("audit bye");
