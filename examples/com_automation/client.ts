// com_automation.ipc, client (Deno): adds 1 to 5 to the counter and waits
// for the "Changed" events of its additions (the VBScript's may come too).
import { attach } from "../../lib/runtime/attach.ts"; // ipckit/attach
import { ComEvents } from "../../lib/com.ts";

await using topology = await attach();
const counter = topology.comObject("counter");
await using events = await ComEvents.subscribe(counter);
let seen = 0;
const fiveSeen = new Promise<void>((resolve) =>
  events.on("Changed", () => {
    if (++seen === 5) resolve();
  })
);
for (let n = 1; n <= 5; n++) counter.call("Add", n);
await fiveSeen;
console.log("client: 5 additions, Changed events received");
counter.call("Bye", "client");
