// channel_fanout.ipc, producer (Bun): publishes 1000 ticks on the broadcast
// channel, then closes its end, which ends every reader's iteration.
import { attach } from "../../mod.ts";

await using topology = await attach();
const ticks = topology.channelWriter("ticks");
await topology.ready();
for (let tick = 0; tick < 1000; tick++) {
  await ticks.send(JSON.stringify({ tick }), { timeout: 10_000 });
}
ticks.close();
console.log("producer published 1000 ticks");
