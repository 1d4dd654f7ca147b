// A writer process of the mailslot scenario: `mailslot_writer.ts <name> <id> <count> <maxSize>`.
import process from "node:process";
import { Mailslot } from "../../mod.ts";
import { message, MessageHash, prng, report } from "./pipe_data.ts";

const [name, id, count, maxSize] = process.argv.slice(2) as [string, string, string, string];
await using out = Mailslot.open(name);
const next = prng(Number(id) + 1);
const hash = new MessageHash();
for (let i = 0; i < Number(count); i++) {
  const size = 8 + (next() % (Number(maxSize) - 7));
  const bytes = message(i, size, next());
  new DataView(bytes.buffer).setUint32(4, Number(id), true); // writer id after the index
  hash.add(bytes);
  await out.write(bytes);
}
report("sent", hash.count);
