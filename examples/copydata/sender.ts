// copydata.ipc, sender (Deno): sends jobs 1..10, counts the receiver's
// answers, then says goodbye (tag 0).
import { attach } from "../../mod.ts";

await using topology = await attach();
const jobs = await topology.copyDataSender("jobs");
let accepted = 0;
for (let job = 1n; job <= 10n; job++) {
  if (await jobs.send(`${topology.instance} job ${job}`, { tag: job, timeout: 10_000 })) accepted++;
}
await jobs.send("bye", { tag: 0n, timeout: 10_000 });
console.log(`${topology.instance}: ${accepted} of 10 jobs accepted`);
