// mailslot_log.ipc, collector: the mailslot's one reader. Counts log lines
// until every writer (WRITERS of them) has said goodbye.
import process from "node:process";
import { attach } from "../../lib/runtime/attach.ts"; // ipckit/attach

await using topology = await attach();
const slot = topology.mailslotReader("log");
await topology.ready();
const writers = Number(process.env["WRITERS"]);
const decoder = new TextDecoder();
const perWriter = new Map<string, number>();
let byes = 0;
while (byes < writers) {
  const text = decoder.decode(await slot.read());
  const [writer, ...rest] = text.split(" ");
  if (rest.join(" ") === "bye") byes++;
  else perWriter.set(writer!, (perWriter.get(writer!) ?? 0) + 1);
}
const summary = [...perWriter].sort(([a], [b]) => a.localeCompare(b)).map(([w, n]) => `${w}=${n}`);
console.log(
  `collected ${[...perWriter.values()].reduce((a, b) => a + b, 0)} lines from ${writers} writers: ${
    summary.join(" ")
  }`,
);
