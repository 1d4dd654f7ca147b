// One of the three clients of dde_basic.ts: it opens a conversation, follows
// a hot loop on "tick" and reports whether it saw every update in order.
// With "poke", it pokes one item at the first update of "gate-waiting" and ends instead.
//   dde_client.ts <service> <updates>
//   dde_client.ts <service> poke <item>
import process from "node:process";
import { DdeClient } from "../../lib/dde.ts";
import { report } from "./_dde_data.ts";

const [service, count, item] = process.argv.slice(2) as [string, string, string?];
await using client = await DdeClient.connect({ service, topic: "data", timeout: 20_000 });
if (count === "poke") {
  // Connected before the other client blocks in its request: under Wine a client inside a
  // synchronous transaction answers no WM_DDE_INITIATE, so a DdeConnect then would wait for it.
  const waiting = client.advise("gate-waiting", { mode: "hot" });
  await waiting.started;
  report("client_ready", true);
  for await (const _ of waiting) break;
  await client.poke(item!, "now", { timeout: 8000 });
  report("poked", true);
  process.exit(0);
}
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
