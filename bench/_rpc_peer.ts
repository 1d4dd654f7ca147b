// The processes of bench/rpc.ts:
//   _rpc_peer.ts serve-pipe NAME        serves the bench service on a pipe; prints "ready";
//                                       exits when its client has gone
//   _rpc_peer.ts client-pipe NAME C N   calls it: N calls, C at a time; prints JSON
//   _rpc_peer.ts serve-http             serves it with Connect on loopback TCP; prints
//                                       "ready <url>"; exits when its stdin ends
//   _rpc_peer.ts client-http URL C N    calls it with application/proto POSTs (fetch)
//   _rpc_peer.ts serve-grpc PATH        serves it with gRPC (HTTP/2) on a Unix socket; prints
//                                       "ready"; exits when its stdin ends (bench/_grpc_peer.mjs
//                                       client calls it)
import process from "node:process";
import { procedurePath, rpc } from "../mod.ts";
import { CompiledSchema } from "../lib/rpc/schema.ts";
import { bench, measure, PAYLOAD, schema } from "./_rpc_schema.ts";

const [role, target, concurrency, calls] = process.argv.slice(2) as string[];
const echo = { echo: (blob: { data: Uint8Array }) => blob };

if (role === "serve-pipe") {
  const server = rpc.serve(bench, echo, { name: target! });
  console.log("ready");
  await server.idle();
  await server.close();
} else if (role === "client-pipe") {
  await using client = await rpc.connect(bench, { name: target!, timeout: 10_000 });
  const call = () => client.echo({ data: PAYLOAD });
  await measure(call, 16, 2000); // warm-up
  console.log(JSON.stringify(await measure(call, Number(concurrency), Number(calls))));
} else if (role === "serve-http" || role === "serve-grpc") {
  const server = role === "serve-http"
    ? await rpc.listen(bench, echo, { port: 0 })
    : await rpc.listen(bench, echo, { protocol: "grpc", path: target! });
  console.log(`ready ${server.url}`);
  for await (const _ of process.stdin) {
    // The orchestrator ends the server by closing stdin.
  }
  await server.close();
} else if (role === "client-http") {
  const codec = new CompiledSchema(schema).codec("Blob");
  const url = target + procedurePath("bench", "bench", "echo");
  const body = new Uint8Array(codec.encode({ data: PAYLOAD }));
  const call = async () => {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/proto" },
      body,
    });
    return codec.decode(new Uint8Array(await response.arrayBuffer()));
  };
  await measure(call, 16, 2000);
  console.log(JSON.stringify(await measure(call, Number(concurrency), Number(calls))));
}
