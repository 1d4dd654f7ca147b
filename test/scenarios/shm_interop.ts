// Linux: a program that is not ipckit (Python's multiprocessing.shared_memory)
// sees exactly the bytes of ipckit shared memory under its OS name, and
// ipckit opens a segment Python created.
import { spawnSync } from "node:child_process";
import process from "node:process";
import { SharedMemory } from "../../mod.ts";
import { fnv1a, report } from "./_peers.ts";

const name = `ipckit-py-${process.pid}`;
const python = process.env.IPCKIT_PYTHON ?? "python3";
// Python's resource tracker would unlink a segment it merely opened when Python exits
// (before 3.13's track=False): unregister it.
const reader = `
import sys
from multiprocessing import resource_tracker, shared_memory
shm = shared_memory.SharedMemory(name=sys.argv[1])
resource_tracker.unregister(shm._name, "shared_memory")
data = bytes(shm.buf)
h = 0x811c9dc5
for b in data:
    h = ((h ^ b) * 0x01000193) & 0xffffffff
print(f"{len(data)} {h}")
shm.buf[0] = 0x42
shm.close()
`;
{
  using shm = SharedMemory.create({ name, size: 10_000 });
  shm.bytes.forEach((_, i) => (shm.bytes[i] = (i * 31) & 0xff));
  const expected = `${shm.size} ${fnv1a(shm.bytes)}`;
  const run = spawnSync(python, ["-c", reader, shm.osName.slice(1)], { encoding: "utf8" });
  report("python_exit", run.status);
  if (run.status !== 0) report("python_stderr", run.stderr);
  report("python_saw_exact_bytes", run.stdout.trim() === expected);
  report("python_write_seen", shm.bytes[0]);
}
const creator = `
import sys, time
from multiprocessing import shared_memory
shm = shared_memory.SharedMemory(name=sys.argv[1], create=True, size=5000)
shm.buf[:5] = b"hello"
print("ready", flush=True)
sys.stdin.read()
shm.close()
shm.unlink()
`;
{
  const { spawn } = await import("node:child_process");
  const child = spawn(python, ["-c", creator, `${name}-from-py`], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  await new Promise((resolve) => child.stdout.once("data", resolve));
  {
    using shm = SharedMemory.open({ name: `${name}-from-py` });
    report("opened_python_segment", [shm.size, new TextDecoder().decode(shm.read(0, 5))]);
  }
  child.stdin.end();
  await new Promise((resolve) => child.on("close", resolve));
}
