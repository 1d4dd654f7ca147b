// DDE transactions between this process (client) and a server of the other
// runtime (dde_server.ts): pokes, requests and executes (20 in flight at a
// time), hot advise updates, and every 10 rounds a conversation opened,
// advised, stopped and closed. Both sides report what they hold (fds on
// Linux; handles, GDI/USER objects and committed memory on Windows; heap and
// resident memory) after the first tenth and at the end. On Windows, once
// both sides are gone, it also reports which of the run's own names (items,
// service: DDEML string handles are global atoms) are still in the global
// atom table: one reference left behind keeps an atom alive.
//   dde_leaks.ts [transactions (100,000)] [hot updates per round (800)]
import process from "node:process";
import { fileURLToPath } from "node:url";
import { existsSync } from "node:fs";
import { DdeClient, DdeServer } from "../../lib/dde.ts";
import { encodeWide } from "../../lib/ffi/mod.ts";
import { kernel32 } from "../../lib/win32/kernel32.ts";
import { isWine } from "../../lib/win32/wine.ts";
import { startPeer } from "./_peers.ts";
import { LEAK_TRANSACTIONS, report } from "./_dde_data.ts";
import { resources } from "./_dde_resources.ts";

const TRANSACTIONS = Number(process.argv[2] ?? LEAK_TRANSACTIONS);
const HOT_PER_ROUND = Number(process.argv[3] ?? 800);
const tag = `${process.pid}-${Date.now() % 100000}`;
const service = `ipckit-dde-leak-${tag}`;
// Names of this run only, so the atom check sees no other process's use of them.
const tickName = `leak${tag}`;
const tickItem = `tick-${tickName}`;
const keys = Array.from({ length: 7 }, (_, i) => `leak-${tag}-k${i}`);
const otherItem = `leak-${tag}-x`;
const server = startPeer(
  fileURLToPath(new URL("./dde_server.ts", import.meta.url)),
  [service],
  true,
);
await server.line("server_ready");
const client = await DdeClient.connect({ service, topic: "data", timeout: 20_000 });
const loop = client.advise(tickItem);
await loop.started;
const updates = loop[Symbol.asyncIterator]();

const IN_FLIGHT = 20;
let transactions = 0;
// Each kind counted apart: under Wine, what DDEML leaves behind depends on the kind (_dde_data.ts).
const kinds = { pokes: 0, requests: 0, executes: 0, updates: 0, advises: 0 };
const pipelined = async (count: number, run: (i: number) => Promise<unknown>) => {
  for (let i = 0; i < count; i += IN_FLIGHT) {
    const batch = [];
    for (let j = i; j < Math.min(count, i + IN_FLIGHT); j++) batch.push(run(j));
    await Promise.all(batch);
  }
  transactions += count;
};
const round = async (index: number) => {
  await pipelined(60, (i) => client.poke(keys[i % 7]!, `value ${index}.${i}`));
  await pipelined(100, (i) => client.request(keys[i % 7]!));
  await pipelined(39, () => client.execute("[post 0]"));
  await client.execute(`[tick ${HOT_PER_ROUND} ${tickName}]`); // 1 execute and the XTYP_ADVDATAs
  for (let i = 0; i < HOT_PER_ROUND; i++) await updates.next();
  transactions += 1 + HOT_PER_ROUND;
  kinds.pokes += 60;
  kinds.requests += 100;
  kinds.executes += 40;
  kinds.updates += HOT_PER_ROUND;
  if (index % 10 === 5) {
    // A whole conversation: connect, advise start and stop, disconnect (4 transactions).
    const other = await DdeClient.connect({ service, topic: "other" });
    const otherLoop = other.advise(otherItem);
    await otherLoop.started;
    await otherLoop.stop();
    await other.close();
    transactions += 4;
    kinds.advises += 1;
  }
};

const snapshot = async () => ({
  client: resources(),
  server: JSON.parse(await client.request("resources")),
});
let index = 0;
for (; transactions < TRANSACTIONS / 10; index++) await round(index);
const warm = await snapshot();
const kindsAtWarm = { ...kinds };
for (; transactions < TRANSACTIONS; index++) await round(index);
const end = await snapshot();
report("transactions", transactions);
report(
  "measured_kinds",
  Object.fromEntries(
    Object.entries(kinds).map(([kind, n]) => [kind, n - kindsAtWarm[kind as keyof typeof kinds]]),
  ),
);
report("wine", process.platform === "win32" && isWine());
for (const side of ["client", "server"] as const) {
  report(`${side}_fds`, [warm[side].fds, end[side].fds]);
  report(`${side}_windows`, [warm[side].windows, end[side].windows]);
  report(`${side}_heap_growth_kib`, Math.round((end[side].heap - warm[side].heap) / 1024));
  report(`${side}_rss_growth_mib`, Math.round((end[side].rss - warm[side].rss) / 2 ** 20));
}
await loop.stop();
await client.execute("[quit]");
report("server_exit", (await server.done).code);
await client.close();
report("socket_file_left", process.platform !== "win32" && existsSync(DdeServer.osName(service)));
if (process.platform === "win32") {
  const names = [service, tickItem, otherItem, ...keys];
  report("atoms_left", names.filter((name) => kernel32.symbols.GlobalFindAtomW(encodeWide(name))));
}
report("done", true);
