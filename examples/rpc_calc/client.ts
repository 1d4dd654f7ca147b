// rpc_calc.ipc, client side (Deno): calls each method of `calc` and prints the answers.
import { attach, RpcError } from "../../mod.ts";
import type { CalcMethods } from "./calc.rpc.ts";

await using topology = await attach();
const calc = await topology.client<CalcMethods>("calc");

console.log(`6 * 7 = ${(await calc.compute({ op: "mul", a: 6, b: 7 })).value}`);
try {
  await calc.compute({ op: "div", a: 1, b: 0 });
} catch (error) {
  if (error instanceof RpcError) console.log(`1 / 0: ${error.code}: ${error.message}`);
}
let last = "";
for await (const total of calc.numbers({ from: 1n, to: 100n })) {
  last = `${total.sum} after ${total.count}`;
}
console.log(`running total of 1..100: ${last}`);
const ranges = [{ from: 1n, to: 10n }, { from: 11n, to: 20n }];
const { sum, count } = await calc.sum(ranges, { timeout: 5000 });
console.log(`sum of 1..20 in two ranges: ${sum} (${count} numbers)`);
