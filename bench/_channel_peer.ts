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
if (role === "echo") {
  using reader = Channel.open({ name: a });
  using writer = Channel.open({ name: b, role: "writer" });
  const buffer = new Uint8Array(reader.slotSize);
  for (let i = 0; i < Number(c); i++) {
    let length = reader.tryReceiveInto(buffer);
    if (length === null) {
      const message = (await reader.receive())!;
      buffer.set(message);
      length = message.length;
    }
    const reply = buffer.subarray(0, length);
    if (!writer.trySend(reply)) await writer.send(reply);
  }
} else if (role === "flood") {
  using writer = Channel.open({ name: a, role: "writer" });
  const message = new Uint8Array(Number(c));
  for (let i = Number(b); i > 0; i--) {
    message[0] = i;
    if (!writer.trySend(message)) await writer.send(message);
  }
} else if (role === "frames") {
  using writer = Channel.open({ name: a, role: "writer" });
  const frame = new Uint8Array(1 << 20).map((_, i) => i & 0xff);
  for (let i = 0; i < Number(b); i++) {
    const slot = writer.tryReserve() ?? await writer.reserve();
    frame[0] = i & 0xff;
    slot.bytes.set(frame);
    slot.commit(frame.length);
  }
} else if (role === "pipe-echo") {
  await using client = await NamedPipe.connect(a);
  for (let i = 0; i < Number(b); i++) await client.write((await client.read())!);
} else if (role === "ipc") {
  process.on("message", (message) => {
    if (message === "done") process.exit(0);
    process.send!(message);
  });
}
