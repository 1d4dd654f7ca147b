// The processes of test/scenarios/rpc_big_schema.ts: the server serves `big`
// until its client is done; the client echoes one record through it.
import process from "node:process";
import { attach } from "../../../lib/runtime/attach.ts";

type Big = { echo: { kind: "unary"; request: unknown; response: unknown } };

await using topology = await attach();
if (process.env.IPCKIT_INSTANCE === "server") {
  const server = topology.serve<Big>("big", { echo: (record) => record });
  await topology.ready();
  await Promise.race([server.idle(), topology.stopped()]);
} else {
  await using big = await topology.client<Big>("big");
  const echoed = await big.echo({ field_0: "first", field_19: 19n });
  console.log(`echoed=${JSON.stringify(echoed, (_, v) => typeof v === "bigint" ? `${v}n` : v)}`);
}
