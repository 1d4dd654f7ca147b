// rpc_calc.ipc, server side (Bun): serves the `calc` service until its client is done.
import { attach, RpcError } from "../../mod.ts";
import type { CalcMethods } from "./calc.rpc.ts";

await using topology = await attach();
const server = topology.serve<CalcMethods>("calc", {
  compute({ op, a, b }) {
    if (op === "div" && b === 0) throw new RpcError("invalid_argument", "Cannot divide by zero");
    const value = op === "add" ? a + b : op === "sub" ? a - b : op === "mul" ? a * b : a / b;
    return { value };
  },
  async *numbers({ from, to }) {
    let sum = 0n;
    let count = 0;
    for (let n = from; n <= to; n++) yield { sum: sum += n, count: ++count };
  },
  async sum(ranges) {
    let sum = 0n;
    let count = 0;
    for await (const { from, to } of ranges) {
      for (let n = from; n <= to; n++, count++) sum += n;
    }
    return { sum, count };
  },
});
await topology.ready();
console.log("serving calc");
await Promise.race([server.idle(), topology.stopped()]);
console.log("client done; server exiting");
