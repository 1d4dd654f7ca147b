// channel_fanout.ipc, reader (Bun replicas and Deno): attaches to the
// channel, reports ready, and reads every tick until the producer closes.
import { attach } from "../../mod.ts";

await using topology = await attach();
const ticks = topology.channelReader("ticks");
await topology.ready();
const decoder = new TextDecoder();
let count = 0;
let sum = 0;
let inOrder = true;
for await (const message of ticks) {
  const { tick } = JSON.parse(decoder.decode(message)) as { tick: number };
  inOrder &&= tick === count;
  count++;
  sum += tick;
}
console.log(
  `${topology.instance} got ${count} ticks in ${inOrder ? "order" : "disorder"}, sum ${sum}`,
);
