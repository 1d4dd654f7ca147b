// Many clients on one server: 100 concurrent conversations from another
// process; a busy server (every instance taken) makes the next client wait
// and then succeed; an idle server waiting for a client uses almost no CPU.
// The server answers each request at once, after a microtask, after a macrotask
// or after a busy wait of up to 50 µs, so replies land in every phase of the
// reader's wait (before it parks, while it parks, after); one more client then
// makes <race rounds> round trips that way.
//   pipe_many.ts <clients> <rounds> [race rounds]
import process from "node:process";
import { setImmediate } from "node:timers";
import { NamedPipe, type PipeConnection } from "../../mod.ts";
import { collectGarbage } from "../../lib/ffi/mod.ts";
import { report, runPeer } from "./pipe_data.ts";

const [clients, rounds, raceRounds = 0] = process.argv.slice(2).map(Number) as [
  number,
  number,
  number?,
];
const tag = `${process.pid}-${Date.now() % 100000}`;

let answered = 0;
/** Lets a reply wait for one of several lengths of time, in turn. */
async function delay(): Promise<void> {
  switch (answered++ % 4) {
    case 1:
      return await Promise.resolve();
    case 2:
      return await new Promise((resolve) => setImmediate(resolve));
    case 3: {
      const until = performance.now() + (answered % 50) / 1000;
      while (performance.now() < until) { /* a busy peer */ }
    }
  }
}

async function echo(conn: PipeConnection): Promise<void> {
  for await (const request of conn) {
    await delay();
    await conn.write(`echo ${new TextDecoder().decode(request)}`);
  }
  await conn.close();
}

{
  const name = `ipckit-many-${tag}`;
  const server = NamedPipe.serve({ name, mode: "message" });
  const peer = runPeer("./pipe_peer.ts", [
    "clients",
    name,
    String(clients),
    String(rounds),
    String(raceRounds),
  ]);
  const pids = new Set<number>();
  const conversations: Promise<void>[] = [];
  for (let i = 0; i < clients; i++) {
    const conn = await server.accept();
    pids.add(conn.peerPid);
    conversations.push(echo(conn));
  }
  const accepted = conversations.length;
  if (raceRounds > 0) conversations.push(echo(await server.accept()));
  await Promise.all(conversations);
  await server.close();
  const { code, results, stderr } = await peer.done;
  if (code !== 0) console.error(stderr);
  report("many_accepted", accepted);
  report("race_round_trips_answered", results.race_correct ?? 0);
  report("many_clients_correct", results.clients_correct);
  report("many_peer_pid_is_peer", pids.size === 1 && pids.has(peer.pid));
}

{
  // Two instances, both held: the third client is served only after one is released.
  const name = `ipckit-busy-${tag}`;
  await using server = NamedPipe.serve({ name, mode: "message", instances: 2 });
  const held = [await NamedPipe.connect({ name }), await NamedPipe.connect({ name })];
  const accepted = [await server.accept(), await server.accept()];
  const events: string[] = [];
  const third = (async () => {
    const conn = await NamedPipe.connect({ name, timeout: 10_000 });
    events.push("third connected");
    await conn.write("ping");
    const reply = await conn.read();
    events.push(`third got ${new TextDecoder().decode(reply!)}`);
    await conn.close();
  })();
  const thirdAccepted = server.accept().then((conn) => {
    events.push("third accepted");
    return conn;
  });
  await new Promise((resolve) => setTimeout(resolve, 500));
  events.push("releasing");
  await held[0]!.close();
  await accepted[0]!.close();
  const conn = await thirdAccepted;
  await echo(conn);
  await third;
  await held[1]!.close();
  await accepted[1]!.close();
  report("busy_events", events);
}

{
  // An idle server waiting 2 s for a client.
  const name = `ipckit-idle-${tag}`;
  await using server = NamedPipe.serve({ name });
  const waiting = server.accept().catch(() => null);
  // And a connection whose both ends wait to read.
  const quietName = `ipckit-quiet-${tag}`;
  await using quietServer = NamedPipe.serve({ name: quietName });
  const quietAccepted = quietServer.accept();
  await using quietClient = await NamedPipe.connect({ name: quietName });
  await using quietConn = await quietAccepted;
  // Closing a connection ends its own pending read with ClosedError (on Windows): expected here.
  const reads = [quietClient.read(), quietConn.read()].map((read) => read.catch(() => null));
  // Let the work above settle (worker threads, GC) before measuring: collect its garbage now, so
  // a collection of it cannot land in the window (CI once read 2.9 % here on linux-bun beside a
  // Wine lane; 0.2-0.3 % otherwise, also under two busy loops).
  collectGarbage();
  await new Promise((resolve) => setTimeout(resolve, 500));
  const before = process.cpuUsage();
  const started = Date.now();
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const used = process.cpuUsage(before);
  const elapsed = Date.now() - started;
  report("idle_cpu_percent", Math.round(((used.user + used.system) / 1000 / elapsed) * 1000) / 10);
  await server.close();
  await waiting;
  await quietClient.close();
  await quietConn.close();
  await Promise.all(reads);
}
report("done", true);
