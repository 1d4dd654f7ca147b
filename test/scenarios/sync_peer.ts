// Peer of sync_*.ts scenarios. Roles:
//   count <mutex> <shm> <n>     add 1 to the u32 at offset 0 of <shm> n times, each under the mutex
//   hold <mutex>                lock, report locked, then wait to be killed
//   wait-event <name> <ms>      report whether the event was signaled within ms
//   acquire <sem> <ms>          report whether a unit was taken within ms
//   race <tag> <rounds> <us>    answer sync_spin_race.ts: <tag>-ping -> <tag>-pong, then echo <tag>-pipe,
//                               each answer after raceDelay(round, us)
import process from "node:process";
import { Event, Mutex, NamedPipe, Semaphore, SharedMemory } from "../../mod.ts";
import { raceDelay, report } from "./_peers.ts";

const [role, name = "", a = "0", b = "0"] = process.argv.slice(2);
if (role === "count") {
  using m = Mutex.open({ name });
  using shm = SharedMemory.open({ name: a, size: 4096 });
  const view = new DataView(shm.bytes.buffer);
  for (let i = 0; i < Number(b); i++) {
    using _held = await m.lock();
    view.setUint32(0, view.getUint32(0, true) + 1, true);
  }
  report("counted", Number(b));
} else if (role === "hold") {
  const m = Mutex.open({ name });
  await m.lock();
  report("locked", true);
  setInterval(() => {}, 1000);
} else if (role === "wait-event") {
  using ev = Event.open({ name });
  report("ready", true);
  report("signaled", await ev.wait({ timeout: Number(a) }).then(() => true, () => false));
} else if (role === "acquire") {
  using sem = Semaphore.open({ name });
  report("ready", true);
  report("acquired", await sem.acquire({ timeout: Number(a) }).then(() => true, () => false));
} else if (role === "race") {
  const [rounds, maxUs] = [Number(a), Number(b)];
  using ping = Event.open({ name: `${name}-ping` });
  using pong = Semaphore.open({ name: `${name}-pong` });
  await using conn = await NamedPipe.connect({ name: `${name}-pipe`, timeout: 60_000 });
  for (let i = 0; i < rounds; i++) {
    await ping.wait();
    raceDelay(i + 7, maxUs);
    pong.release();
  }
  for (let i = 0; i < rounds; i++) {
    const message = (await conn.read())!;
    raceDelay(i + 7, maxUs);
    await conn.write(message);
  }
  report("answered", rounds);
}
