// After a run: checks that nothing of the named topology objects remains.
// Usage: leftovers.ts kind:name ... (kinds: shm, mutex, event, semaphore, pipe, mailslot, copydata)
// Prints `gone.<kind>.<name>=true|"<what was found>"` per object.
import process from "node:process";
import { existsSync, readdirSync } from "node:fs";
import {
  CopyData,
  Event,
  Mailslot,
  Mutex,
  NamedPipe,
  NotFoundError,
  Semaphore,
  SharedMemory,
} from "../../../mod.ts";

const report = (key: string, value: unknown) => console.log(`${key}=${JSON.stringify(value)}`);

for (const spec of process.argv.slice(2)) {
  const [kind, name] = spec.split(":") as [string, string];
  let verdict: true | string = true;
  try {
    switch (kind) {
      case "shm":
        SharedMemory.open(name).close();
        verdict = "shared memory still opens";
        break;
      case "mutex":
        Mutex.open(name).close();
        verdict = "mutex still opens";
        break;
      case "event":
        Event.open(name).close();
        verdict = "event still opens";
        break;
      case "semaphore":
        Semaphore.open(name).close();
        verdict = "semaphore still opens";
        break;
      case "mailslot": {
        const path = Mailslot.path(name);
        if (process.platform !== "win32" && existsSync(path)) {
          verdict = `socket file ${path} exists`;
        } else {
          await Mailslot.open(name).close();
          verdict = "mailslot still opens";
        }
        break;
      }
      case "copydata": {
        const path = CopyData.osName(name);
        if (process.platform !== "win32" && existsSync(path)) {
          verdict = `socket file ${path} exists`;
        } else {
          await (await CopyData.connect({ name })).close();
          verdict = "copydata receiver still listens";
        }
        break;
      }
      case "pipe": {
        const path = NamedPipe.path(name);
        if (process.platform !== "win32" && existsSync(path)) {
          verdict = `socket file ${path} exists`;
        } else {
          const connection = await NamedPipe.connect(name, { timeout: 0 });
          await connection.close();
          verdict = "pipe still accepts connections";
        }
        break;
      }
    }
  } catch (error) {
    if (!(error instanceof NotFoundError) && kind !== "pipe") {
      verdict = `unexpected ${String(error)}`;
    }
  }
  report(`gone.${kind}.${name}`, verdict);
}
if (process.platform === "linux") {
  // Nothing of the topologies may be left in /dev/shm: data segments, or the ipckit metadata
  // of any of their objects (objects of other tests running meanwhile are not ours to judge).
  const topology =
    /^(rt_|ipckit-ctl\.|(hello|shm_pipeline|workers|mailslot_log|copydata|tcp_echo|stdio_pipeline)\.)/;
  report(
    "dev_shm_ipckit_entries",
    readdirSync("/dev/shm").filter((f) => topology.test(f.replace(/^ipckit\./, ""))),
  );
}
