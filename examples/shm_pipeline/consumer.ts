// shm_pipeline.ipc, consumer (Deno): waits for the event, then reads every
// new frame under the mutex until all frames have arrived.
import { attach } from "../../lib/runtime/attach.ts"; // ipckit/attach
import { checksum, FRAMES, layout } from "./_layout.ts";

await using topology = await attach();
const shm = topology.sharedMemory("frames_buf");
const lock = topology.mutex("frames_lock");
const ready = topology.event("frame_ready");
const { frameSize, headerOffset } = layout(Number(topology.endpoint("frames_buf").options["size"]));
await topology.ready();

let read = 0;
let combined = 0;
while (read < FRAMES) {
  // The count in the header, not the number of wake-ups, says what is new:
  // an auto-reset event coalesces sets that happen while we are busy.
  await ready.wait({ timeout: 20_000 }); // TimeoutError when no frame comes
  using _held = await lock.lock({ timeout: 10_000 });
  const written = new DataView(shm.bytes.buffer, shm.bytes.byteOffset + headerOffset, 4).getUint32(
    0,
    true,
  );
  for (; read < written; read++) {
    combined =
      (combined + checksum(shm.bytes.subarray(read * frameSize, (read + 1) * frameSize))) >>> 0;
  }
}
console.log(
  `consumer read ${FRAMES} frames of ${frameSize} bytes, checksum ${combined.toString(16)}`,
);
