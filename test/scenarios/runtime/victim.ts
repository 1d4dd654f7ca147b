// First run: writes a marker into shared memory, then is killed hard.
// Second run: finds the marker intact and exits 0.
import process from "node:process";
import { attach } from "../../../lib/runtime/attach.ts"; // ipckit/attach

const MARKER = "survived-the-kill";
await using topology = await attach();
const shm = topology.sharedMemory("state");
const found = new TextDecoder().decode(shm.bytes.subarray(0, MARKER.length));
if (found === MARKER) {
  console.log(`run 2: marker intact: ${found}`);
} else {
  shm.write(new TextEncoder().encode(MARKER), 0);
  console.log("run 1: marker written; killing myself");
  process.kill(process.pid, "SIGKILL");
}
