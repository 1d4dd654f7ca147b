// com_automation.ipc, server (Bun): serves a counter; each Add raises the
// "Changed" event with the new total. It stops once both clients said Bye.
// The event is not awaited inside Add: the caller is blocked in that very
// call, so its sink could take the event only after Add returned.
import { attach } from "../../lib/runtime/attach.ts"; // ipckit/attach

await using topology = await attach();
let byes = 0;
let allDone!: () => void;
const done = new Promise<void>((resolve) => (allDone = resolve));
const counter = {
  total: 0,
  add(n: number) {
    this.total += n;
    void server.emit("Changed", this.total);
    return this.total;
  },
  bye(who: string) {
    console.log(`${who} is done`);
    if (++byes === 2) allDone();
  },
};
const server = await topology.comServer("counter", counter, { events: ["Changed"] });
await topology.ready();
await done;
console.log(`total ${counter.total}`);
