// Peer process of bench/latency.ts. Roles:
//   pipe-echo <name> [pause µs]    connect to an ipckit pipe, echo everything back (after
//                                  a busy wait of pause µs: the other side's wait goes idle)
//   pipe-sink <name> <bytes>       connect to an ipckit pipe, answer 1 byte per <bytes> read
//   net-echo <path> [pause µs]     node:net on the same OS path, echo everything back
//   net-sink <path> <bytes>        node:net, answer 1 byte per <bytes> read
//   event <ping> <pong> <rounds>   wait on <ping>, set <pong>, rounds times
//   ipc                            echo every node:child_process IPC message back
import net from "node:net";
import process from "node:process";
import { Event, NamedPipe } from "../mod.ts";

const [role, a = "", b = "0", c = "0"] = process.argv.slice(2);
const ACK = new Uint8Array([1]);

/** Holds this process's thread for `us` µs without sleeping: a timer's lateness would blur the figure. */
function pause(us: number): void {
  const until = performance.now() + us / 1000;
  while (performance.now() < until) { /* busy */ }
}

// Each role is its own function. As module code, a role's hot loop made JavaScriptCore compile
// the whole module body, every role, in its optimizing tiers on a background thread during the
// timed round trips (DFG 107 ms in 5 compiles, FTL 60 ms, across the peers of one run), while
// node:net's peer runs in callbacks (docs/mechanisms.md, "A hot loop in module code").

/** Echoes everything back, after a busy wait of `us` µs per chunk. */
async function pipeEcho(name: string, us: number): Promise<void> {
  await using client = await NamedPipe.connect({ name, timeout: 60_000 });
  for await (const chunk of client) {
    if (us > 0) pause(us);
    await client.write(chunk);
  }
}

/** Answers 1 byte per `segment` bytes read. */
async function pipeSink(name: string, segment: number): Promise<void> {
  await using client = await NamedPipe.connect({ name, timeout: 60_000 });
  let got = 0;
  for await (const chunk of client) {
    got += chunk.byteLength;
    while (got >= segment) {
      got -= segment;
      await client.write(ACK);
    }
  }
}

/** node:net on the same OS path: echoes (after `pauseUs`), or answers 1 byte per `segment`. */
function netPeer(path: string, echo: boolean, pauseUs: number, segment: number): void {
  let got = 0;
  const socket = net.connect(path);
  socket.setNoDelay?.(true);
  socket.on("data", (chunk: Uint8Array) => {
    if (echo) {
      if (pauseUs > 0) pause(pauseUs);
      return void socket.write(chunk);
    }
    got += chunk.byteLength;
    while (got >= segment) {
      got -= segment;
      socket.write(ACK);
    }
  });
  socket.on("error", () => process.exit(0));
  socket.on("close", () => process.exit(0));
}

/** Waits on `ping` and sets `pong`, `rounds` times. */
async function eventPeer(pingName: string, pongName: string, rounds: number): Promise<void> {
  using ping = Event.open({ name: pingName });
  using pong = Event.open({ name: pongName });
  pong.set(); // ready
  for (let i = 0; i < rounds; i++) {
    await ping.wait();
    pong.set();
  }
}

if (role === "pipe-echo") await pipeEcho(a, Number(b));
else if (role === "pipe-sink") await pipeSink(a, Number(b));
else if (role === "net-echo" || role === "net-sink") {
  netPeer(a, role === "net-echo", Number(b), Number(b));
} else if (role === "event") await eventPeer(a, b, Number(c));
else if (role === "ipc") {
  process.on("message", (message) => {
    if (message === "done") process.exit(0);
    process.send!(message);
  });
}
