// Peer process of bench/clipboard.ts: on each request, reads the clipboard's text and checks it
// is the one the benchmark wrote for that round.   _clipboard_peer.ts <request> <response> <rounds>
import process from "node:process";
import { Clipboard, Event } from "../mod.ts";
import { benchText } from "./_clipboard_text.ts";

const [request, response, rounds] = process.argv.slice(2) as [string, string, string];
using requested = Event.open(request);
using answered = Event.open(response);
let wrong = 0;
answered.set(); // ready
for (let i = 0; i < Number(rounds); i++) {
  await requested.wait();
  if ((await Clipboard.readText()) !== benchText(i)) wrong++;
  answered.set();
}
console.log(JSON.stringify({ wrong }));
