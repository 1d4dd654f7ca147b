// copydata.ipc, receiver (Bun): takes every job except multiples of 5, and
// stops once each of the SENDERS has said goodbye (tag 0).
import process from "node:process";
import { attach } from "../../mod.ts";

await using topology = await attach();
const senders = Number(process.env["SENDERS"]);
const decoder = new TextDecoder();
let taken = 0;
let refused = 0;
let byes = 0;
let allDone!: () => void;
const done = new Promise<void>((resolve) => (allDone = resolve));
await topology.copyDataReceiver("jobs", ({ tag, data }) => {
  if (tag === 0n) {
    if (++byes === senders) allDone();
    return true;
  }
  if (!decoder.decode(data).endsWith(`job ${tag}`)) return false;
  const take = tag % 5n !== 0n;
  if (take) taken++;
  else refused++;
  return take;
});
await topology.ready();
await done;
console.log(`took ${taken} jobs and refused ${refused} from ${senders} senders`);
