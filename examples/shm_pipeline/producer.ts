// shm_pipeline.ipc, producer (Bun): fills the frames in shared memory under
// the mutex and sets the event after each one.
import { attach } from "../../lib/runtime/attach.ts"; // ipckit/attach
import { checksum, FRAMES, layout } from "./_layout.ts";

await using topology = await attach();
const shm = topology.sharedMemory("frames_buf");
const lock = topology.mutex("frames_lock");
const ready = topology.event("frame_ready");
const { frameSize, headerOffset } = layout(Number(topology.endpoint("frames_buf").options["size"]));
await topology.ready();

let combined = 0;
for (let frame = 0; frame < FRAMES; frame++) {
  const pixels = new Uint8Array(frameSize);
  for (let i = 0; i < frameSize; i++) pixels[i] = (frame * 31 + i * 7) & 0xff;
  {
    using _held = await lock.lock({ timeout: 10_000 });
    shm.write(pixels, frame * frameSize);
    new DataView(shm.bytes.buffer, shm.bytes.byteOffset + headerOffset, 4).setUint32(
      0,
      frame + 1,
      true,
    );
  }
  ready.set();
  combined = (combined + checksum(pixels)) >>> 0;
}
console.log(
  `producer wrote ${FRAMES} frames of ${frameSize} bytes, checksum ${combined.toString(16)}`,
);
