// The serving half of dde_basic.ts, run by the other runtime: it serves
// <service> with topics "data" and "other" and answers what the client
// suite asks (docs in dde_basic.ts). It runs until it is killed or told
// "[quit]".
//   dde_server.ts <service>
import process from "node:process";
import { DdeServer } from "../../lib/dde.ts";
import { BLOB_FORMAT, BLOB_SIZE, fnv1a, report } from "./_dde_data.ts";
import { resources } from "./_dde_resources.ts";
import { pattern } from "./_copydata_pattern.ts";

const [service] = process.argv.slice(2) as [string];
let counter = 0;
let tick = 0;
let echo = new Uint8Array(0);
const poked = new Map<string, string>();
const conversations = new Set<number>();
let openGate = () => {};
const gate = new Promise<void>((resolve) => (openGate = resolve));

/**
 * Posts `count` changes of `item` ("counter", "warm", or a tick item: "tick"
 * or "tick-<name>"), one after another (each waits for room at every client).
 */
async function postChanges(item: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    if (item.startsWith("tick")) tick++;
    else counter++;
    await server.post("data", item);
  }
}

const server: DdeServer = await DdeServer.serve({
  service,
  topics: {
    data: {
      request(item, { format, conversation }) {
        conversations.add(conversation);
        if (format === BLOB_FORMAT) {
          if (item === "blob") return pattern(BLOB_SIZE, 1);
          if (item === "echo") return echo;
          return null;
        }
        if (format !== "CF_TEXT" && format !== "CF_UNICODETEXT") return null;
        switch (item) {
          case "counter":
          case "warm":
            return String(counter);
          case "tick":
            return String(tick);
          case "unicode":
            return "tëst-✓-𝄞";
          case "echo-fnv":
            return `${echo.length}:${fnv1a(echo)}`;
          case "conversations":
            return String(conversations.size);
          case "resources":
            return JSON.stringify(resources());
          case "hang":
            return new Promise<null>(() => {});
          case "gate": // answered once another conversation pokes "open-gate"
            void server.post("data", "gate-waiting");
            return gate.then(() => "opened");
          case "gate-waiting":
            return "waiting";
          default:
            return item.startsWith("tick-") ? String(tick) : poked.get(item) ?? null;
        }
      },
      poke(item, data, { format }) {
        if (item === "readonly") return false;
        if (item === "open-gate") openGate();
        if (format === BLOB_FORMAT) echo = (data as Uint8Array).slice();
        else poked.set(item, data as string);
      },
      execute(command) {
        if (command === "[quit]") {
          setTimeout(() => void server.close().then(() => process.exit(0)), 10);
          return;
        }
        // "[tick N name]" posts item "tick-<name>".
        const match = /^\[(post|tick|warm|postwait) (\d+)(?: ([\w-]+))?\]$/.exec(command);
        if (!match) return false;
        // "[postwait N]" answers once its N posts are out: a handler that awaits post().
        if (match[1] === "postwait") return postChanges("counter", Number(match[2]));
        const item = match[1] === "post" ? "counter" : match[1]!;
        void postChanges(match[3] ? `${item}-${match[3]}` : item, Number(match[2]));
      },
      adviseStart: (item) => item !== "noadvise",
    },
    other: { request: () => "other" },
  },
});
report("server_ready", true);
// An orphan guard: a server whose scenario died without ending it goes away by itself.
setTimeout(() => process.exit(3), 180_000);
