// The grpc-js baseline of bench/rpc.ts, on Node over a Unix socket, with the
// same proto3 codec (@bufbuild/protobuf) as ipckit, so only the transport differs.
//   node bench/_grpc_peer.mjs serve PATH        prints "ready"; exits when its client has gone
//   node bench/_grpc_peer.mjs client PATH C N   prints JSON
import * as grpc from "@grpc/grpc-js";
import { create, createFileRegistry, fromBinary, toBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";

const registry = createFileRegistry(
  create(FileDescriptorProtoSchema, {
    name: "bench.proto",
    package: "bench",
    syntax: "proto3",
    messageType: [{
      name: "Blob",
      field: [{ name: "data", number: 1, type: 12, label: 1, jsonName: "data" }],
    }],
  }),
  () => undefined,
);
const Blob = registry.getMessage("bench.Blob");
const serialize = (value) => Buffer.from(toBinary(Blob, create(Blob, value)));
const deserialize = (bytes) => fromBinary(Blob, bytes);
const PATH = "/bench.bench/echo";
const method = {
  path: PATH,
  requestStream: false,
  responseStream: false,
  requestSerialize: serialize,
  requestDeserialize: deserialize,
  responseSerialize: serialize,
  responseDeserialize: deserialize,
};

const [role, socket, concurrency, calls] = process.argv.slice(2);
const address = `unix:${socket}`;

if (role === "serve") {
  const server = new grpc.Server();
  server.addService({ echo: method }, {
    echo(call, callback) {
      callback(null, { data: call.request.data });
    },
  });
  await new Promise((resolve, reject) =>
    server.bindAsync(
      address,
      grpc.ServerCredentials.createInsecure(),
      (e) => e ? reject(e) : resolve(),
    )
  );
  console.log("ready");
  // The orchestrator closes our stdin when the client is done.
  process.stdin.resume();
  await new Promise((resolve) => process.stdin.on("end", resolve));
  server.forceShutdown();
} else {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  const data = new Uint8Array(64).map((_, i) => i);
  const call = () =>
    new Promise((resolve, reject) =>
      client.makeUnaryRequest(
        PATH,
        serialize,
        deserialize,
        { data },
        (e, r) => e ? reject(e) : resolve(r),
      )
    );
  const measure = async (c, n) => {
    const latencies = new Float64Array(n);
    let next = 0;
    const started = performance.now();
    await Promise.all(Array.from({ length: c }, async () => {
      while (next < n) {
        const i = next++;
        const t = performance.now();
        await call();
        latencies[i] = performance.now() - t;
      }
    }));
    const elapsed = performance.now() - started;
    latencies.sort();
    const at = (q) => latencies[Math.min(n - 1, Math.floor(q * n))];
    return {
      callsPerSecond: Math.round(n / (elapsed / 1000)),
      p50Ms: Number(at(0.5).toFixed(3)),
      p99Ms: Number(at(0.99).toFixed(3)),
    };
  };
  await measure(16, 2000);
  console.log(JSON.stringify(await measure(Number(concurrency), Number(calls))));
  client.close();
}
