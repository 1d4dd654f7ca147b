// Peer process of bench/channel.ts. Roles:
//   echo <ping> <pong> <rounds>    receive on <ping>, send the same bytes back on <pong>
//   flood <name> <count> <size>    send count messages of size bytes as fast as the ring allows
//   frames <name> <count>          send count 1 MiB frames in place (reserve, fill, commit)
//   pipe-echo <pipe> <rounds>      connect to a message-mode pipe, echo each message
//   ipc                            echo every node:child_process IPC message back
import process from "node:process";
import { Channel } from "../lib/channel.ts";
import { NamedPipe } from "../lib/pipe.ts";

const [role, a = "", b = "", c = "0"] = process.argv.slice(2);

// Each role is its own function. As module code, a role's hot loop made JavaScriptCore
// compile the whole module body, every role, in its optimizing tier (55-75 ms on a
// background thread, in the middle of the timed round trips on 2 cores).

/** Receives on `ping`, sends the same bytes back on `pong`, `rounds` times. */
async function echo(ping: string, pong: string, rounds: number): Promise<void> {
  using reader = Channel.open({ name: ping });
  using writer = Channel.open({ name: pong, role: "writer" });
  const buffer = new Uint8Array(reader.slotSize);
  for (let i = 0; i < rounds; i++) {
    let length = reader.tryReceiveInto(buffer);
    if (length === null) {
      const message = (await reader.receive())!;
      buffer.set(message);
      length = message.length;
    }
    const reply = buffer.subarray(0, length);
    if (!writer.trySend(reply)) await writer.send(reply);
  }
}

/** Sends `count` messages of `size` bytes as fast as the ring takes them. */
async function flood(name: string, count: number, size: number): Promise<void> {
  using writer = Channel.open({ name, role: "writer" });
  const message = new Uint8Array(size);
  for (let i = count; i > 0; i--) {
    message[0] = i;
    if (!writer.trySend(message)) await writer.send(message);
  }
}

/** Sends `count` 1 MiB frames written in place. */
async function frames(name: string, count: number): Promise<void> {
  using writer = Channel.open({ name, role: "writer" });
  const frame = new Uint8Array(1 << 20).map((_, i) => i & 0xff);
  for (let i = 0; i < count; i++) {
    const slot = writer.tryReserve() ?? await writer.reserve();
    frame[0] = i & 0xff;
    slot.bytes.set(frame);
    slot.commit(frame.length);
  }
}

/** Echoes `rounds` messages of a message-mode pipe. */
async function pipeEcho(name: string, rounds: number): Promise<void> {
  await using client = await NamedPipe.connect({ name });
  for (let i = 0; i < rounds; i++) await client.write((await client.read())!);
}

if (role === "echo") await echo(a, b, Number(c));
else if (role === "flood") await flood(a, Number(b), Number(c));
else if (role === "frames") await frames(a, Number(b));
else if (role === "pipe-echo") await pipeEcho(a, Number(b));
else if (role === "ipc") {
  process.on("message", (message) => {
    if (message === "done") process.exit(0);
    process.send!(message);
  });
}
