// One of the three clients of dde_basic.ts: it opens a conversation, follows
// a hot loop on "tick" and reports whether it saw every update in order.
//   dde_client.ts <service> <updates>
import process from "node:process";
import { DdeClient } from "../../lib/dde.ts";
import { report } from "./_dde_data.ts";

const [service, count] = process.argv.slice(2) as [string, string];
await using client = await DdeClient.connect({ service, topic: "data", timeout: 20_000 });
const first = Number(await client.request("tick"));
const loop = client.advise("tick", { mode: "hot" });
await loop.started;
report("client_ready", true);
const seen: number[] = [];
for await (const { data } of loop) {
  seen.push(Number(data));
  if (seen.length === Number(count)) break;
}
report("client_updates", seen.length);
report("client_in_order", seen.every((value, i) => value === first + i + 1));
