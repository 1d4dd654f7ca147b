// The Connect protocol over HTTP/1.1 with clients that are not ours (Linux
// cells): curl, a Python client with only the standard library, and one with
// Debian's python3-protobuf; plus a Connect stream read with fetch. The
// programs come from tools/interop/provision.sh.
import process from "node:process";
import { rmSync } from "node:fs";
import { procedurePath, rpc, type RpcHttpServer, spawn } from "../../mod.ts";
import { report } from "./_peers.ts";
import { lab } from "./rpc/lab.rpc.ts";
import { serveLab } from "./rpc/lab_server.ts";

const tag = `${process.pid}-${Date.now() % 100000}`;
const socketPath = `/tmp/ipckit-rpc-http-${tag}.sock`;

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
  hold: (k: { key: string }, context: { signal: AbortSignal }) =>
    relay.hold(k, { signal: context.signal }),
  count: (c: { n: bigint }) => relay.count(c),
};
let tcp: RpcHttpServer | null = null;
let unix: RpcHttpServer | null = null;
try {
  tcp = await rpc.listen(lab, handlers, { port: 0 });
  unix = await rpc.listen(lab, handlers, { path: socketPath });
  const { host, port } = tcp.address!;
  const url = `${tcp.url}${procedurePath("lab", "lab", "add")}`;

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

  // A deadline in Connect-Timeout-Ms reaches the handler.
  const held = await fetch(`${tcp.url}/lab.lab/hold`, {
    method: "POST",
    headers: { "content-type": "application/json", "connect-timeout-ms": "200" },
    body: JSON.stringify({ key: "http-deadline" }),
  });
  report("deadline", [held.status, await held.json()]);
} finally {
  await tcp?.close();
  await unix?.close();
  await relay.close();
  await pipeServer.close();
  rmSync(socketPath, { force: true });
}
report("done", true);
