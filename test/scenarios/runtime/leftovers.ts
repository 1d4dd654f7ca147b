// After a run: checks that nothing of the named topology objects remains.
// Usage: leftovers.ts kind:name ... (kinds: shm, mutex, event, semaphore, pipe, mailslot, copydata, dde;
// unix:<socket path>, reported under the file's name)
// Prints `gone.<kind>.<name>=true|"<what was found>"` per object.
import process from "node:process";
import { existsSync, readdirSync } from "node:fs";
import { basename } from "node:path";
import {
  CopyData,
  DdeClient,
  DdeServer,
  Event,
  Mailslot,
  Mutex,
  NamedPipe,
  NotFoundError,
  Semaphore,
  SharedMemory,
  TimeoutError,
} from "../../../mod.ts";

const report = (key: string, value: unknown) => console.log(`${key}=${JSON.stringify(value)}`);

for (const spec of process.argv.slice(2)) {
  const [kind, name] = spec.split(":") as [string, string];
  let verdict: true | string = true;
  try {
    switch (kind) {
      case "shm":
        SharedMemory.open({ name }).close();
        verdict = "shared memory still opens";
        break;
      case "mutex":
        Mutex.open({ name }).close();
        verdict = "mutex still opens";
        break;
      case "event":
        Event.open({ name }).close();
        verdict = "event still opens";
        break;
      case "semaphore":
        Semaphore.open({ name }).close();
        verdict = "semaphore still opens";
        break;
      case "mailslot": {
        const path = Mailslot.path(name);
        if (process.platform !== "win32" && existsSync(path)) {
          verdict = `socket file ${path} exists`;
        } else {
          await (await Mailslot.connect({ name, timeout: 0 })).close();
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
      case "dde": {
        const path = DdeServer.osName(name);
        if (process.platform !== "win32" && existsSync(path)) {
          verdict = `socket file ${path} exists`;
        } else if ((await DdeClient.list({ service: name, timeout: 30_000 })).length > 0) {
          // (A generous deadline: under Wine a first DDEML start alone took 2-5 s in a loaded run.)
          verdict = "dde service still offered";
        }
        break;
      }
      case "unix":
        if (existsSync(name)) verdict = `socket file ${name} exists`;
        break;
      case "pipe": {
        const path = NamedPipe.path(name);
        if (process.platform !== "win32" && existsSync(path)) {
          verdict = `socket file ${path} exists`;
        } else {
          const connection = await NamedPipe.connect({ name, timeout: 0 });
          await connection.close();
          verdict = "pipe still accepts connections";
        }
        break;
      }
    }
  } catch (error) {
    // connect() with timeout 0 reports a missing name as a TimeoutError caused by NotFoundError.
    const missing = error instanceof NotFoundError ||
      (error instanceof TimeoutError && error.cause instanceof NotFoundError);
    if (!missing && kind !== "pipe") {
      verdict = `unexpected ${String(error)}`;
    }
  }
  report(`gone.${kind}.${kind === "unix" ? basename(name) : name}`, verdict);
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
