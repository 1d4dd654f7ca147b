// dde_quotes.ipc, feed (Bun): serves topic "prices"; once a client follows
// EURUSD, posts 50 price changes (each post waits for room at the client,
// so none is dropped), and stops when the client executes "[bye]".
import { attach } from "../../lib/runtime/attach.ts"; // ipckit/attach

const CHANGES = 50;
await using topology = await attach();
let tick = 0;
const price = () => (1.08 + tick / 10_000).toFixed(4);
let bye!: () => void;
const goodbye = new Promise<void>((resolve) => (bye = resolve));
const quotes = await topology.ddeServer("quotes", {
  prices: {
    request: (item) => (item === "EURUSD" ? price() : null),
    adviseStart(item) {
      if (item !== "EURUSD") return false;
      // The loop starts once this handler has answered: post from the next turn on.
      setTimeout(async () => {
        for (let i = 0; i < CHANGES; i++) {
          tick++;
          await quotes.post("prices", "EURUSD");
        }
      });
    },
    execute: (command) => command === "[bye]" ? bye() : false,
  },
});
await topology.ready();
await goodbye;
console.log(`posted ${tick} EURUSD prices, last ${price()}`);
