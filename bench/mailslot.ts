// Mailslot messages per second: one writer, one reader, 100-byte messages,
// in one process (the reader drains while the writer sends).
// Prints one JSON object, then a table.   node tools/cell.mjs linux-bun bench/mailslot.ts [messages]
import process from "node:process";
import { platform, runtimeName } from "../lib/ffi/mod.ts";
import { Mailslot } from "../mod.ts";

const COUNT = Number(process.argv[2] ?? 20000);
const name = `ipckit-bench-slot-${process.pid}`;
const message = new Uint8Array(100).fill(1);

await using slot = Mailslot.create(name, { maxMessageSize: 424 });
await using out = Mailslot.open(name);
const started = performance.now();
const reading = (async () => {
  for (let i = 0; i < COUNT; i++) await slot.read();
})();
for (let i = 0; i < COUNT; i++) await out.write(message);
await reading;
const seconds = (performance.now() - started) / 1000;
const result = {
  bench: "mailslot",
  cell: `${platform}-${runtimeName}`,
  messages: COUNT,
  message_bytes: message.byteLength,
  messages_per_s: Math.round(COUNT / seconds),
};
console.log(JSON.stringify(result));
console.log(`
cell ${result.cell}: ${COUNT} messages of 100 B in ${
  seconds.toFixed(2)
} s = ${result.messages_per_s} messages/s`);
