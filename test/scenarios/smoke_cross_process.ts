// Cross-process smoke test: this process creates a named event and shared
// memory, starts a peer of the same runtime and cell, and receives a value
// the peer writes. On Windows this proves both processes share one wineserver.
import { spawn } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { Event, SharedMemory } from "../../mod.ts";
import { scriptCommand } from "../../lib/ffi/mod.ts";

const report = (key: string, value: unknown) => console.log(`${key}=${JSON.stringify(value)}`);
const [role, name] = process.argv.slice(2);

if (role === "peer") {
  using shm = SharedMemory.open({ name: `${name}.value` });
  using done = Event.open({ name: `${name}.done` });
  shm.write(new TextEncoder().encode(`peer ${process.pid} was here`), 0);
  done.set();
} else {
  const base = `ipckit-smoke-${process.pid}`;
  using shm = SharedMemory.create({ name: `${base}.value`, size: 4096 });
  using done = Event.create({ name: `${base}.done` });
  const [command, ...args] = scriptCommand(fileURLToPath(import.meta.url), ["peer", base]);
  const peer = spawn(command!, args, { stdio: ["ignore", "inherit", "inherit"] });
  // Listen before awaiting anything: an "exit" emitted while nobody listens is lost.
  const exited = new Promise<number | null>((resolve) => peer.on("exit", resolve));
  const signalled = await done.wait({ timeout: 30_000 }).then(() => true, () => false);
  const exitCode = await exited;
  const text = new TextDecoder().decode(shm.bytes.subarray(0, 64)).replace(/\0+$/, "");
  report("peer_signalled", signalled);
  report("peer_exit_code", exitCode);
  report("value_from_peer", text.replace(/\d+/, "<pid>"));
  report(
    "peer_pid_differs",
    text !== `peer ${process.pid} was here` && /^peer \d+ was here$/.test(text),
  );
}
