// rpc_calc.ipc, server side (Bun): serves the `calc` service on its pipe and,
// on Linux, with gRPC on the `calc_grpc` TCP endpoint for the Python client;
// exits once its clients are done.
import { rpc, RpcError } from "../../mod.ts";
import type { Handlers } from "../../lib/rpc.ts";
import { attach } from "../../lib/runtime/attach.ts"; // ipckit/attach
import { calc, type CalcMethods } from "./calc.rpc.ts";

const handlers: Handlers<CalcMethods> = {
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
};

await using topology = await attach();
const server = topology.serve<CalcMethods>("calc", handlers);
const served = [server.idle()];
// The gRPC endpoint exists on Linux only (the topology's `when linux` block).
if ("calc_grpc" in topology.document.endpoints) {
  const { host, port } = topology.socketAddress("calc_grpc");
  const grpc = await rpc.listen(calc, handlers, { protocol: "grpc", host, port });
  served.push(grpc.idle().then(() => grpc.close()));
}
await topology.ready();
console.log("serving calc");
await Promise.race([Promise.all(served), topology.stopped()]);
console.log("clients done; server exiting");
