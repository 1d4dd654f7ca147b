// A wake that arrives while a wait is between its spin and its parked call
// (lib/_spin.ts) must never be lost. A peer answers every round after a delay
// that sweeps from 0 to twice the longest spin window, so answers land before,
// inside and right after each spin, and the windows themselves grow and shrink:
// an Event -> Semaphore ping-pong (waitAny's spin, then the shared parked wait)
// and a message-pipe echo (the reactor / the completion port, whose JavaScript
// thread blocks up to 2 ms before it parks on Windows and on Deno under Linux,
// and stops blocking after a wait of over 4 ms: the sweep goes to 6 ms so both
// happen). The waiting side here sweeps its own delays too, so the peer's
// waits race the same way.
import process from "node:process";
import { Event, NamedPipe, Semaphore } from "../../mod.ts";
import { platform } from "../../lib/ffi/mod.ts";
import { raceDelay, report, startPeer } from "./_peers.ts";

const PEER = new URL("./sync_peer.ts", import.meta.url).pathname.replace(/^\/([A-Za-z]:)/, "$1");
const tag = `ipckit-race-${process.pid}`;
const ROUNDS = platform === "windows" ? 80 : 200;
const MAX_DELAY_US = 6000;

using ping = Event.create({ name: `${tag}-ping` });
using pong = Semaphore.create({ name: `${tag}-pong`, initial: 0, max: 1 });
await using server = NamedPipe.serve({ name: `${tag}-pipe`, mode: "message" });
const accepted = server.accept();
const peer = startPeer(PEER, ["race", tag, String(ROUNDS), String(MAX_DELAY_US)]);
await using conn = await accepted;

let woken = 0;
for (let i = 0; i < ROUNDS; i++) {
  raceDelay(i, MAX_DELAY_US);
  ping.set();
  await pong.acquire();
  woken++;
}
report("event_rounds", woken);
report("ping_left_set", ping.isSet);
report("pong_count_left", pong.count);

let echoed = 0;
for (let i = 0; i < ROUNDS; i++) {
  raceDelay(i, MAX_DELAY_US);
  const message = new Uint8Array(4);
  new DataView(message.buffer).setUint32(0, i, true);
  await conn.write(message);
  const reply = (await conn.read())!;
  if (
    reply.byteLength === 4 && new DataView(reply.buffer, reply.byteOffset).getUint32(0, true) === i
  ) {
    echoed++;
  }
}
report("pipe_rounds_in_order", echoed);
const { code, results } = await peer.done;
report("peer", { code, answered: results.answered });
