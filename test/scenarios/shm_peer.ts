// Peer of shm_*.ts scenarios. Roles:
//   read <name> <size>         open read-write, report checksum, write "PEER" at 100, exit
//   readonly <name>            open read-only, stray write at 0, report byte 0 and checksum
//   file <path> <offset> <len> map read-only, report checksum
//   hold <name> <size>         create, report ready, then stay until killed
import process from "node:process";
import { mapFile, SharedMemory } from "../../mod.ts";
import { fnv1a, report } from "./_peers.ts";

const [role, name = "", a = "0", b = "0"] = process.argv.slice(2);
if (role === "read") {
  using shm = SharedMemory.open({ name, size: Number(a) });
  report("peer_size", shm.size);
  report("peer_sum", fnv1a(shm.bytes));
  shm.write(new TextEncoder().encode("PEER"), 100);
} else if (role === "readonly") {
  using shm = SharedMemory.open({ name, readonly: true, size: Number(a) });
  shm.bytes[0] = 0xee; // a stray write: lands in a private page
  report("peer_byte0", shm.bytes[0]);
  report("peer_byte8192", shm.bytes[8192]);
  report("peer_sum_after_stray", fnv1a(shm.bytes.subarray(1)));
} else if (role === "file") {
  using file = mapFile(name, { offset: Number(a), length: Number(b) });
  report("peer_file_sum", fnv1a(file.bytes));
} else if (role === "hold") {
  // Never closed: the scenario kills this process and checks the name goes with it.
  const shm = SharedMemory.create({ name, size: Number(a) });
  shm.bytes.fill(1);
  report("ready", true);
  // Peers get /dev/null as stdin, so waiting for its end would exit at once; a
  // timer far in the future keeps the process alive without waking it.
  setInterval(() => {}, 2 ** 31 - 1);
}
