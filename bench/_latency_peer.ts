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

if (role === "pipe-echo") {
  await using client = await NamedPipe.connect({ name: a, timeout: 60_000 });
  const us = Number(b);
  for await (const chunk of client) {
    if (us > 0) pause(us);
    await client.write(chunk);
  }
} else if (role === "pipe-sink") {
  await using client = await NamedPipe.connect({ name: a, timeout: 60_000 });
  const segment = Number(b);
  let got = 0;
  for await (const chunk of client) {
    got += chunk.byteLength;
    while (got >= segment) {
      got -= segment;
      await client.write(ACK);
    }
  }
} else if (role === "net-echo" || role === "net-sink") {
  const segment = Number(b); // net-sink
  const pauseUs = Number(b); // net-echo
  let got = 0;
  const socket = net.connect(a);
  socket.setNoDelay?.(true);
  socket.on("data", (chunk: Uint8Array) => {
    if (role === "net-echo") {
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
} else if (role === "event") {
  using ping = Event.open({ name: a });
  using pong = Event.open({ name: b });
  pong.set(); // ready
  for (let i = 0; i < Number(c); i++) {
    await ping.wait();
    pong.set();
  }
} else if (role === "ipc") {
  process.on("message", (message) => {
    if (message === "done") process.exit(0);
    process.send!(message);
  });
}
