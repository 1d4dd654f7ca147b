// RPC for clients outside a topology, served over HTTP: the Connect protocol
// over HTTP/1.1 and gRPC over cleartext HTTP/2. In every cell, this runtime's
// own fetch and node:http2 client call both on TCP. In the Linux cells,
// clients that are not ours call them too: curl, a Python client with only the
// standard library, one with Debian's python3-protobuf, and Debian's
// python3-grpcio on TCP and a Unix socket (tools/interop/provision.sh installs
// them; the Windows cells have none of them).
import process from "node:process";
import http2 from "node:http2";
import { rmSync } from "node:fs";
import { procedurePath, rpc, type RpcHttpServer, spawn } from "../../mod.ts";
import { platform } from "../../lib/ffi/mod.ts";
import { CompiledSchema } from "../../lib/rpc/schema.ts";
import { report } from "./_peers.ts";
import { lab } from "./rpc/lab.rpc.ts";
import { serveLab } from "./rpc/lab_server.ts";

/** Ends the calls that need programs the Windows cells lack. */
class SkipExternal extends Error {}

const tag = `${process.pid}-${Date.now() % 100000}`;
const socketPath = `/tmp/ipckit-rpc-http-${tag}.sock`;
const grpcSocketPath = `/tmp/ipckit-rpc-grpc-${tag}.sock`;
const labSchema = new CompiledSchema(lab.schema);
const Count = labSchema.codec("Count");

/** One gRPC call with this runtime's node:http2 client: envelopes in, status and messages out. */
function grpcCall(
  session: http2.ClientHttp2Session,
  path: string,
  requests: unknown[],
  headers: Record<string, string> = {},
  codec = Count,
): Promise<{ status: string; message: string; responses: unknown[] }> {
  return new Promise((resolve, reject) => {
    const call = session.request({
      ":method": "POST",
      ":path": path,
      "content-type": "application/grpc",
      te: "trailers",
      ...headers,
    });
    const chunks: Uint8Array[] = [];
    let status = "";
    let message = "";
    const readStatus = (h: http2.IncomingHttpHeaders) => {
      if (h["grpc-status"] !== undefined) status = String(h["grpc-status"]);
      if (h["grpc-message"] !== undefined) message = decodeURIComponent(String(h["grpc-message"]));
    };
    call.on("response", readStatus);
    call.on("trailers", readStatus);
    call.on("data", (chunk: Uint8Array) => chunks.push(chunk));
    call.on("error", reject);
    call.on("end", () => {
      const body = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
      let at = 0;
      for (const c of chunks) at = (body.set(c, at), at + c.byteLength);
      const responses: unknown[] = [];
      const view = new DataView(body.buffer);
      for (let i = 0; i + 5 <= body.byteLength;) {
        const length = view.getUint32(i + 1, false);
        responses.push(
          Object.values(codec.decode(body.subarray(i + 5, i + 5 + length)) as object).map(String)
            .join(),
        );
        i += 5 + length;
      }
      resolve({ status, message, responses });
    });
    for (const request of requests) {
      const bytes = codec.encode(request);
      const envelope = new Uint8Array(5 + bytes.byteLength);
      new DataView(envelope.buffer).setUint32(1, bytes.byteLength, false);
      envelope.set(bytes, 5);
      call.write(envelope);
    }
    call.end();
  });
}

/** Runs a program; its `key=<json>` lines become results, its stdout is returned. */
async function run(argv: string[]): Promise<string> {
  const child = spawn(argv, { stdin: "null", stdout: "pipe", stderr: "pipe" });
  const decoder = new TextDecoder();
  let out = "";
  let err = "";
  const reading = (async () => {
    for await (const chunk of child.stdout!) out += decoder.decode(chunk, { stream: true });
  })();
  for await (const chunk of child.stderr!) err += decoder.decode(chunk, { stream: true });
  await reading;
  const { code } = await child.exited;
  if (code !== 0) console.error(`${argv.join(" ")} exited with ${code}: ${err}`);
  for (const line of out.split("\n")) {
    const match = /^([a-z0-9_]+)=(.*)$/.exec(line);
    if (match) report(match[1]!, JSON.parse(match[2]!));
  }
  return out;
}

// The handlers of test/scenarios/rpc/lab_server.ts, served over HTTP instead of a pipe.
const pipeName = `ipckit-rpc-http-${tag}`;
const pipeServer = serveLab(pipeName);
await using relay = await rpc.connect(lab, { name: pipeName, timeout: 5000 });
const handlers = {
  add: (c: { n: bigint }) => relay.add(c),
  fail: (f: { code: string; message: string }) => relay.fail(f),
  // The deadline travels on to the pipe server, whose handler records what it saw.
  hold: (k: { key: string }, context: { signal: AbortSignal; deadline: number | null }) =>
    relay.hold(k, {
      signal: context.signal,
      // A second later than the HTTP server's own deadline, which so always passes first.
      ...(context.deadline === null ? {} : { timeout: context.deadline - Date.now() + 1000 }),
    }),
  count: (c: { n: bigint }) => relay.count(c),
  sum: (requests: AsyncIterable<{ n: bigint }>) => relay.sum(requests),
  double: (requests: AsyncIterable<{ n: bigint }>) => relay.double(requests),
  ticks: (k: { key: string }, context: { signal: AbortSignal }) =>
    relay.ticks(k, { signal: context.signal }),
  observed: (k: { key: string }) => relay.observed(k),
};
const linux = platform === "linux";
let tcp: RpcHttpServer | null = null;
let unix: RpcHttpServer | null = null;
let grpc: RpcHttpServer | null = null;
let grpcUnix: RpcHttpServer | null = null;
try {
  tcp = await rpc.listen(lab, handlers, { port: 0 });
  grpc = await rpc.listen(lab, handlers, { protocol: "grpc", port: 0 });
  const url = `${tcp.url}${procedurePath("lab", "lab", "add")}`;

  // This runtime's fetch: Connect unary calls (JSON and binary), an error, a stream.
  const post = (path: string, type: string, body: BodyInit, headers = {}) =>
    fetch(`${tcp!.url}/lab.lab/${path}`, {
      method: "POST",
      headers: { "content-type": type, ...headers },
      body,
    });
  let response = await post("add", "application/json", '{"n":"41"}');
  report("fetch_json", [response.status, await response.json()]);
  response = await post("add", "application/proto", Count.encode({ n: -5n }) as BodyInit);
  report("fetch_proto", [
    response.status,
    String((Count.decode(new Uint8Array(await response.arrayBuffer())) as { n: bigint }).n),
  ]);
  response = await post("fail", "application/json", '{"code":"not_found","message":"gone"}');
  report("fetch_error", [response.status, await response.json()]);
  const request = new TextEncoder().encode('{"n":"3"}');
  const envelope = new Uint8Array(5 + request.byteLength);
  new DataView(envelope.buffer).setUint32(1, request.byteLength, false);
  envelope.set(request, 5);
  response = await post("count", "application/connect+json", envelope);
  const body = new Uint8Array(await response.arrayBuffer());
  const items: unknown[] = [];
  for (let i = 0; i + 5 <= body.byteLength;) {
    const length = new DataView(body.buffer).getUint32(i + 1, false);
    items.push([
      body[i],
      JSON.parse(new TextDecoder().decode(body.subarray(i + 5, i + 5 + length))),
    ]);
    i += 5 + length;
  }
  report("fetch_stream", items);

  // This runtime's node:http2 client: gRPC calls of each kind, an error, a deadline.
  {
    const session = http2.connect(grpc.url);
    try {
      report("h2_unary", await grpcCall(session, "/lab.lab/add", [{ n: 41n }]));
      report("h2_server_stream", await grpcCall(session, "/lab.lab/count", [{ n: 3n }]));
      report("h2_client_stream", await grpcCall(session, "/lab.lab/sum", [{ n: 1n }, { n: 2n }]));
      report("h2_bidi", await grpcCall(session, "/lab.lab/double", [{ n: 1n }, { n: 2n }]));
      report("h2_unknown", await grpcCall(session, "/lab.lab/nope", [{ n: 1n }]));
      report(
        "h2_deadline",
        await grpcCall(session, "/lab.lab/hold", [{ key: "h2-deadline" }], {
          "grpc-timeout": "100m",
        }, labSchema.codec("Key")),
      );
    } finally {
      session.close();
    }
  }
  if (!linux) throw new SkipExternal();
  unix = await rpc.listen(lab, handlers, { path: socketPath });
  grpcUnix = await rpc.listen(lab, handlers, { protocol: "grpc", path: grpcSocketPath });
  const { host, port } = tcp.address!;

  // curl, on TCP and on the Unix socket.
  const json = ["-H", "content-type: application/json"];
  report("curl_tcp", await run(["curl", "-s", ...json, "-d", '{"n":"41"}', url]));
  report(
    "curl_unix",
    await run([
      "curl",
      "-s",
      "--unix-socket",
      socketPath,
      ...json,
      "-d",
      '{"n":1}',
      "http://localhost/lab.lab/add",
    ]),
  );
  report(
    "curl_error",
    await run([
      "curl",
      "-s",
      "-w",
      " %{http_code}",
      ...json,
      "-d",
      '{"code":"not_found","message":"no such job"}',
      `${tcp.url}/lab.lab/fail`,
    ]),
  );

  // Python with the standard library only, and with python3-protobuf.
  await run([
    "/usr/bin/python3",
    "test/scenarios/rpc/http_client.py",
    host,
    String(port),
    socketPath,
  ]);
  await run(["/usr/bin/python3", "test/scenarios/rpc/proto_client.py", host, String(port)]);
  // Debian's python3-grpcio, a stock gRPC client, on TCP and on a Unix socket.
  const g = grpc.address!;
  await run([
    "/usr/bin/python3",
    "test/scenarios/rpc/grpc_client.py",
    `${g.host}:${g.port}`,
    grpcSocketPath,
  ]);

  // A deadline in Connect-Timeout-Ms reaches the handler.
  const held = await fetch(`${tcp.url}/lab.lab/hold`, {
    method: "POST",
    headers: { "content-type": "application/json", "connect-timeout-ms": "200" },
    body: JSON.stringify({ key: "http-deadline" }),
  });
  report("deadline", [held.status, await held.json()]);
} catch (error) {
  if (!(error instanceof SkipExternal)) throw error;
} finally {
  await tcp?.close();
  await unix?.close();
  await grpc?.close();
  await grpcUnix?.close();
  await relay.close();
  await pipeServer.close();
  if (linux) {
    rmSync(socketPath, { force: true });
    rmSync(grpcSocketPath, { force: true });
  }
}
report("done", true);
