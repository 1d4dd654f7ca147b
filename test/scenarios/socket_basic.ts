// Sockets in one cell: UDP datagrams of sizes across 0..65507 echoed by
// another process, half-close, IPv6 loopback, Unix stream sockets, options,
// interop with the runtime's own node:net both ways, and the typed errors
// of bad input.
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import net from "node:net";
import process from "node:process";
import {
  ClosedError,
  Datagram,
  MessageTooLargeError,
  NameTakenError,
  NotFoundError,
  Socket,
  TimeoutError,
  unixSocketsAvailable,
  UnsupportedPlatformError,
} from "../../mod.ts";
import { report, startPeer } from "./_peers.ts";
import { prng, streamChunk } from "./pipe_data.ts";

const errorOf = async (fn: () => unknown) => {
  try {
    await fn();
    return null;
  } catch (error) {
    return { name: (error as Error).name, message: (error as Error).message };
  }
};
const portOf = (address: { family: string; port?: number }) => address.port!;
const text = (bytes: Uint8Array | null) => new TextDecoder().decode(bytes ?? new Uint8Array());
async function readAll(conn: AsyncIterable<Uint8Array>): Promise<string> {
  let all = "";
  for await (const chunk of conn) all += text(chunk);
  return all;
}

{
  // UDP: every size class from 0 to the IPv4 maximum, echoed by another process.
  const sizes = new Set<number>();
  for (let size = 0; size <= 64; size++) sizes.add(size);
  for (let bit = 7; bit <= 16; bit++) for (const d of [-1, 0, 1]) sizes.add((1 << bit) + d);
  const next = prng(0x5eed);
  for (let i = 0; i < 40; i++) sizes.add(next() % 65508);
  sizes.add(65506);
  sizes.add(65507);
  const list = [...sizes].filter((s) => s <= 65507).sort((a, b) => a - b);
  const peer = startPeer("test/scenarios/socket_peer.ts", ["udp"]);
  const port = (await peer.line("port")) as number;
  using udp = await Datagram.listen({ host: "127.0.0.1", port: 0 });
  let matched = 0;
  for (const size of list) {
    const payload = streamChunk(size * 7, size);
    await udp.send(payload, { host: "127.0.0.1", port });
    const { data, from } = await udp.receive({ timeout: 10_000 });
    if (from.family !== "unix" && from.port === port && Buffer.compare(data, payload) === 0) {
      matched++;
    }
  }
  await udp.send("stop", { port });
  const exit = await peer.done;
  report("udp_sizes", list.length);
  report("udp_matched", matched);
  report("udp_smallest_largest", [list[0], list.at(-1)]);
  report("udp_peer", { code: exit.code, echoed: exit.results.echoed });
  // Over the limit: refused before anything is sent.
  const tooBig = await errorOf(() => udp.send(new Uint8Array(65508), { port }));
  report("udp_too_big", tooBig?.name);
  report(
    "udp_too_big_is_range_error",
    await (async () => {
      try {
        await udp.send(new Uint8Array(70000), { port });
      } catch (error) {
        return error instanceof MessageTooLargeError && error instanceof RangeError &&
          error.limit === 65507;
      }
      return false;
    })(),
  );
  // IPv6 carries 20 bytes more.
  using six = await Datagram.listen({ host: "::1", port: 0 });
  await six.send(new Uint8Array(65527).fill(6), { host: "::1", port: portOf(six.address) });
  const got = await six.receive({ timeout: 5000 });
  report("udp_ipv6_max", got.data.byteLength);
  report("udp_receive_timeout", (await errorOf(() => six.receive({ timeout: 20 })))?.name);
  const aborted = new AbortController();
  const pending = errorOf(() => six.receive({ signal: aborted.signal }));
  aborted.abort(new Error("stop waiting"));
  report("udp_receive_abort", (await pending)?.message);
  // The abandoned receives took nothing: the next datagram goes to the next caller.
  await six.send("after", { host: "::1", port: portOf(six.address) });
  report("udp_after_abort", text((await six.receive({ timeout: 5000 })).data));
  six.close();
  six.close();
  report("udp_closed", (await errorOf(() => six.send("x", { port: 9 })))?.name);
}

{
  // Half-close: the client ends its side, the server reads to the end and still answers.
  using server = await Socket.listen({ port: 0 });
  const serving = (async () => {
    await using conn = await server.accept({ timeout: 10_000 });
    const request = await readAll(conn);
    await conn.write(`got ${request.length} bytes`);
  })();
  await using client = await Socket.connect({ port: portOf(server.address) });
  await client.write("x".repeat(100_000));
  await client.end();
  await client.end(); // idempotent
  report("half_close_reply", await readAll(client));
  report("half_close_write_after_end", (await errorOf(() => client.write("late")))?.name ?? null);
  await serving;
}

{
  // IPv6 loopback, with the options a user expects.
  using server = await Socket.listen({
    host: "::1",
    port: 0,
    ipv6Only: true,
    receiveBufferSize: 262144,
  });
  const accepted = server.accept();
  await using client = await Socket.connect({
    host: "::1",
    port: portOf(server.address),
    noDelay: true,
    keepAlive: 30_000,
    sendBufferSize: 131072,
  });
  await using conn = await accepted;
  client.setOptions({ noDelay: false, keepAlive: false });
  await client.write("over six");
  report("ipv6_server_family", server.address.family);
  report("ipv6_read", text(await conn.read()));
  report(
    "ipv6_remote",
    conn.remoteAddress.family === "ipv6" && (conn.remoteAddress as { address: string }).address,
  );
  // An IPv6-only listener refuses IPv4 clients.
  report(
    "ipv6_only_v4_client",
    (await errorOf(() => Socket.connect({ host: "127.0.0.1", port: portOf(server.address) })))
      ?.name ?? null,
  );
}

{
  // Unix stream sockets (Linux; Windows where Winsock has AF_UNIX).
  const windows = process.platform === "win32";
  const path = windows
    ? `${process.env.TEMP ?? "C:\\windows\\temp"}\\ipckit-${process.pid}.sock`
    : `/tmp/ipckit-test-${process.pid}.sock`;
  if (unixSocketsAvailable()) {
    using server = await Socket.listen({ path });
    const serving = (async () => {
      await using conn = await server.accept({ timeout: 10_000 });
      await conn.write(`pid ${conn.peerPid === process.pid || conn.peerPid === 0}`);
    })();
    await using client = await Socket.connect({ path });
    report("unix", await readAll(client));
    await serving;
    report("unix_second_listen", (await errorOf(() => Socket.listen({ path })))?.name);
  } else {
    const error = await errorOf(() => Socket.listen({ path }));
    report("unix_unsupported", error?.name === UnsupportedPlatformError.name && error.name);
    report("unix_unsupported_message", error?.message);
  }
  report("unix_available", unixSocketsAvailable());
}

{
  // Interop: an ipckit server with a node:net client, and the other way round.
  const TOTAL = 4 * 1024 * 1024;
  const payload: Uint8Array[] = [];
  for (let at = 0; at < TOTAL; at += 65536) payload.push(streamChunk(at, 65536));
  const hash = (chunks: Iterable<Uint8Array>) => {
    const h = createHash("sha256");
    for (const c of chunks) h.update(c);
    return h.digest("hex");
  };
  const expected = hash(payload);
  using server = await Socket.listen({ port: 0 });
  const serving = (async () => {
    await using conn = await server.accept({ timeout: 10_000 });
    const h = createHash("sha256");
    for await (const chunk of conn) h.update(chunk);
    await conn.write(h.digest("hex"));
  })();
  const reply = await new Promise<string>((resolve, reject) => {
    const socket = net.connect(portOf(server.address), "127.0.0.1");
    let answer = "";
    socket.on("connect", () => {
      for (const chunk of payload) socket.write(chunk);
      socket.end();
    });
    socket.on("data", (d) => (answer += d.toString()));
    socket.on("end", () => resolve(answer));
    socket.on("error", reject);
  });
  await serving;
  report("net_client", reply === expected);

  const netServer = net.createServer({ allowHalfOpen: true }, (socket) => {
    const h = createHash("sha256");
    socket.on("data", (d) => h.update(d));
    socket.on("end", () => {
      for (const chunk of payload) socket.write(chunk);
      socket.end(h.digest("hex"));
    });
  });
  await new Promise<void>((resolve) => netServer.listen(0, "127.0.0.1", resolve));
  const netPort = (netServer.address() as net.AddressInfo).port;
  await using conn = await Socket.connect({ port: netPort });
  for (const chunk of payload) await conn.write(chunk);
  await conn.end();
  const received: Uint8Array[] = [];
  for await (const chunk of conn) received.push(chunk);
  const all = Buffer.concat(received);
  await new Promise((resolve) => netServer.close(resolve));
  // Which side went wrong, should it ever: what came back, and whether the server got it all.
  const dataEqual = hash([all.subarray(0, TOTAL)]) === expected;
  const digestEqual = all.subarray(TOTAL).toString() === expected;
  report("net_server_detail", {
    bytes: all.byteLength,
    chunks: received.length,
    dataEqual,
    digestEqual,
  });
  report("net_server", dataEqual && digestEqual);
}

{
  // Bad input: each a typed error.
  using taken = await Socket.listen({ port: 0 });
  const port = portOf(taken.address);
  const inUse = await errorOf(() => Socket.listen({ port, reuseAddress: false }));
  report("port_in_use", inUse?.name);
  report("port_in_use_names_port", inUse?.message.includes(String(port)));
  report(
    "port_in_use_class",
    await (async () => {
      try {
        await Socket.listen({ port });
      } catch (error) {
        return error instanceof NameTakenError;
      }
      return false;
    })(),
  );
  const unresolvable = await errorOf(() =>
    Socket.connect({ host: "no-such-host.invalid", port: 80, timeout: 20_000 })
  );
  report("unresolvable", unresolvable?.name);
  report("unresolvable_names_host", unresolvable?.message.includes("no-such-host.invalid"));
  taken.close();
  taken.close(); // idempotent
  report("accept_after_close", (await errorOf(() => taken.accept()))?.name);
  report("refused", (await errorOf(() => Socket.connect({ port })))?.name);
  report(
    "refused_class",
    await (async () => {
      try {
        await Socket.connect({ port });
      } catch (error) {
        return error instanceof NotFoundError;
      }
      return false;
    })(),
  );
  using server = await Socket.listen({ port: 0 });
  const accepted = server.accept();
  const conn = await Socket.connect({ port: portOf(server.address) });
  const other = await accepted;
  await conn.close();
  await conn.close(); // idempotent
  const closed = await errorOf(() => conn.write("x"));
  report("write_after_close", closed?.name);
  report("read_after_close", (await errorOf(() => conn.read()))?.name);
  report(
    "read_after_close_class",
    await (async () => {
      try {
        await conn.read();
      } catch (error) {
        return error instanceof ClosedError;
      }
      return false;
    })(),
  );
  report("peer_sees_end", await other.read());
  await other.close();
  report("accept_timeout", (await errorOf(() => server.accept({ timeout: 20 })))?.name);
  report(
    "accept_timeout_class",
    await (async () => {
      try {
        await server.accept({ timeout: 1 });
      } catch (error) {
        return error instanceof TimeoutError;
      }
      return false;
    })(),
  );
  report("bad_port", (await errorOf(() => Socket.listen({ port: 70000 })))?.name);
  report("bad_host", (await errorOf(() => Socket.connect({ host: "", port: 1 })))?.name);
  const mismatched = await errorOf(() => {
    process.env.LISTEN_FDS = "1";
    process.env.LISTEN_PID = String(process.pid + 1);
    try {
      return Socket.adopt();
    } finally {
      delete process.env.LISTEN_FDS;
      delete process.env.LISTEN_PID;
    }
  });
  report("listen_pid_mismatch", mismatched?.name);
  report("listen_pid_mismatch_message", mismatched?.message);
  report("nothing_handed_over", (await errorOf(() => Socket.adopt()))?.name);
}
{
  // Idle: a listener waiting for a client and a socket waiting for a datagram use no CPU.
  using server = await Socket.listen({ port: 0 });
  using udp = await Datagram.listen({ port: 0 });
  const waiting = [server.accept().catch(() => null), udp.receive().catch(() => null)];
  // A 3 s window after a settle: the runtime's own periodic work (GC, timers) stays a small share.
  await new Promise((resolve) => setTimeout(resolve, 500));
  const before = process.cpuUsage();
  const started = Date.now();
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const used = process.cpuUsage(before);
  report(
    "idle_cpu_percent",
    Math.round(((used.user + used.system) / 1000 / (Date.now() - started)) * 1000) / 10,
  );
  server.close();
  udp.close();
  await Promise.all(waiting);
}
report("done", true);
