// dde_quotes.ipc, follower (Deno): reads the opening price, follows 50
// changes of EURUSD in a hot advise loop, checks they came in order, and
// says goodbye.
import { attach } from "../../lib/runtime/attach.ts"; // ipckit/attach

await using topology = await attach();
const prices = await topology.ddeClient("quotes", "prices");
const opening = await prices.request("EURUSD");
let previous = Number(opening);
let changes = 0;
let inOrder = true;
for await (const { data } of prices.advise("EURUSD", { mode: "hot" })) {
  const value = Number(data);
  inOrder &&= Math.abs(value - previous - 0.0001) < 1e-9;
  previous = value;
  if (++changes === 50) break; // sends XTYP_ADVSTOP
}
await prices.execute("[bye]");
console.log(
  `opened at ${opening}, followed ${changes} changes ${
    inOrder ? "in order" : "OUT OF ORDER"
  }, last ${previous.toFixed(4)}`,
);
