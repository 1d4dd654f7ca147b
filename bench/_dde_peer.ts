// The serving process of bench/dde.ts: a DDE server (topic "bench", item
// "x": 64 bytes of a registered format) and a message-mode named pipe
// server. Over DDE, "[advise N]" posts N changes of "x" (each post waits
// for room at the client, as hot loops do); a pipe connection whose first
// message is "push N" gets N 64-byte messages, any other connection gets
// each message answered with 64 bytes. "[quit]" ends it.
//   _dde_peer.ts <service> <pipe name>
import process from "node:process";
import { DdeServer } from "../lib/dde.ts";
import { NamedPipe } from "../lib/pipe.ts";

const [service, pipeName] = process.argv.slice(2) as [string, string];
const FORMAT = "application/x-ipckit-bench";
const value = new Uint8Array(64);
const view = new DataView(value.buffer);
let counter = 0;
let quit!: () => void;
const quitting = new Promise<void>((resolve) => (quit = resolve));

const server: DdeServer = await DdeServer.serve({
  service,
  topics: {
    bench: {
      request: (_item, { format }) => (format === FORMAT ? value : null),
      execute(command) {
        if (command === "[quit]") return void quit();
        const count = Number(/^\[advise (\d+)\]$/.exec(command)?.[1] ?? NaN);
        if (!Number.isInteger(count)) return false;
        void (async () => {
          for (let i = 0; i < count; i++) {
            view.setUint32(0, ++counter, true);
            await server.post("bench", "x");
          }
        })();
      },
    },
  },
});

const pipes = NamedPipe.serve({ name: pipeName, mode: "message", instances: 4 });
const decoder = new TextDecoder();
void (async () => {
  for (;;) {
    const connection = await pipes.accept().catch(() => null);
    if (!connection) return;
    void (async () => {
      for await (const message of connection) {
        const push = /^push (\d+)$/.exec(decoder.decode(message));
        if (!push) {
          await connection.write(value);
          continue;
        }
        for (let i = 0; i < Number(push[1]); i++) {
          view.setUint32(0, ++counter, true);
          await connection.write(value);
        }
      }
    })().catch(() => {});
  }
})();
console.log("ready");
await quitting;
await server.close();
await pipes.close();
process.exit(0);
