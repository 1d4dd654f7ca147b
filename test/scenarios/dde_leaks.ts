// 100,000 DDE transactions between this process (client) and a server of
// the other runtime (dde_server.ts): requests, pokes and executes (20 in
// flight at a time), hot advise updates (4 in 5 transactions), and every 10,000 a conversation
// opened, advised, stopped and closed. Both sides report what they hold
// (fds on Linux, resident memory) after the first 10,000 and at the end.
import process from "node:process";
import { fileURLToPath } from "node:url";
import { existsSync } from "node:fs";
import { DdeClient, DdeServer } from "../../lib/dde.ts";
import { startPeer } from "./_peers.ts";
import { LEAK_TRANSACTIONS, report, resources } from "./_dde_data.ts";

const service = `ipckit-dde-leak-${process.pid}-${Date.now() % 100000}`;
const server = startPeer(
  fileURLToPath(new URL("./dde_server.ts", import.meta.url)),
  [service],
  true,
);
await server.line("server_ready");
await using client = await DdeClient.connect({ service, topic: "data", timeout: 20_000 });
const loop = client.advise("tick");
await loop.started;
const updates = loop[Symbol.asyncIterator]();

const IN_FLIGHT = 20;
const HOT_PER_ROUND = 800;
let transactions = 0;
const pipelined = async (count: number, run: (i: number) => Promise<unknown>) => {
  for (let i = 0; i < count; i += IN_FLIGHT) {
    const batch = [];
    for (let j = i; j < Math.min(count, i + IN_FLIGHT); j++) batch.push(run(j));
    await Promise.all(batch);
  }
  transactions += count;
};
const round = async (index: number) => {
  await pipelined(100, () => client.request("counter"));
  await pipelined(60, (i) => client.poke(`key${i % 7}`, `value ${index}.${i}`));
  await pipelined(39, () => client.execute("[post 0]"));
  await client.execute(`[tick ${HOT_PER_ROUND}]`); // 1 execute and 800 XTYP_ADVDATA
  for (let i = 0; i < HOT_PER_ROUND; i++) await updates.next();
  transactions += 1 + HOT_PER_ROUND;
  if (index % 10 === 5) {
    // A whole conversation: connect, advise start and stop, disconnect (4 transactions).
    const other = await DdeClient.connect({ service, topic: "other" });
    const otherLoop = other.advise("x");
    await otherLoop.started;
    await otherLoop.stop();
    await other.close();
    transactions += 4;
  }
};

const snapshot = async () => ({
  client: resources(),
  server: JSON.parse(await client.request("resources")),
});
let index = 0;
for (; transactions < LEAK_TRANSACTIONS / 10; index++) await round(index);
const warm = await snapshot();
for (; transactions < LEAK_TRANSACTIONS; index++) await round(index);
const end = await snapshot();
report("transactions", transactions);
for (const side of ["client", "server"] as const) {
  report(`${side}_fds`, [warm[side].fds, end[side].fds]);
  report(`${side}_heap_growth_kib`, Math.round((end[side].heap - warm[side].heap) / 1024));
  report(`${side}_rss_growth_mib`, Math.round((end[side].rss - warm[side].rss) / 2 ** 20));
}
await loop.stop();
await client.execute("[quit]");
report("server_exit", (await server.done).code);
report("socket_file_left", process.platform !== "win32" && existsSync(DdeServer.osName(service)));
report("done", true);
