// Many waits in flight at once: 40 waits on 40 events, 40 on one semaphore
// and 20 on one manual-reset event, while a pipe keeps echoing and a timer
// keeps ticking. Each wait gets exactly what it should; units given to
// waits that were called off are not lost; nothing stalls.
import process from "node:process";
import { createPipe, Event, Semaphore, waitAny } from "../../mod.ts";
import { report } from "./_peers.ts";

const tag = `ipckit-many-${process.pid}`;
const PER_KIND = 40;

let ticks = 0;
const ticker = setInterval(() => ticks++, 10);

using sem = Semaphore.create({ name: `${tag}-sem`, max: 1000 });
using gate = Event.create({ name: `${tag}-gate`, manualReset: true });
const events = Array.from({ length: PER_KIND }, (_, i) => Event.create({ name: `${tag}-e${i}` }));

// Every wait parked at once.
/** true when the wait resolved, false when it timed out (TimeoutError), else the error's name. */
const ended = (wait: Promise<unknown>) =>
  wait.then(() => true, (e) => ((e as Error).name === "TimeoutError" ? false : (e as Error).name));
const eventWaits = events.map((ev) => ended(ev.wait({ timeout: 30_000 })));
const semWaits = Array.from({ length: PER_KIND }, () => ended(sem.acquire({ timeout: 30_000 })));
const gateWaits = Array.from({ length: 20 }, () => ended(gate.wait({ timeout: 30_000 })));
const abort = new AbortController();
const abortedWaits = Array.from(
  { length: 10 },
  () => sem.acquire({ signal: abort.signal }).then(() => "taken", (e) => (e as Error).name),
);
// The waits spin for one look before they park (lib/_spin.ts); ticks count once all are parked.
await new Promise((r) => setTimeout(r, 50));
ticks = 0;
// 500 ms for 10 ticks of 10 ms: room for the scheduler stalls of four shards on 2 cores.
await new Promise((r) => setTimeout(r, 500));

// While all of that waits, an anonymous pipe still carries data both ways.
{
  const { reader, writer } = createPipe();
  const chunks: string[] = [];
  for (let i = 0; i < 20; i++) {
    await writer.write(`m${i};`);
    const chunk = await reader.read();
    chunks.push(new TextDecoder().decode(chunk!));
  }
  await writer.close();
  await reader.close();
  report(
    "pipe_while_waiting",
    chunks.join("") === Array.from({ length: 20 }, (_, i) => `m${i};`).join(""),
  );
}
report("ticks_while_waiting_at_least_10", ticks >= 10);

// The called-off waits reject; no unit is taken by them.
abort.abort();
report("aborted", (await Promise.all(abortedWaits)).filter((r) => r === "AbortError").length);
report("count_after_abort", sem.count);

// Events in reverse order: each wait ends true, and only its own event is consumed.
for (const ev of events.slice().reverse()) ev.set();
report("event_waits_true", (await Promise.all(eventWaits)).filter((ok) => ok === true).length);
report("events_consumed", events.filter((ev) => !ev.isSet).length);

// A release of 15 lets exactly 15 of the 40 semaphore waits through; 25 more let the rest.
sem.release(15);
await new Promise((r) => setTimeout(r, 300));
let done = 0;
for (const w of semWaits) void w.then(() => done++);
await new Promise((r) => setTimeout(r, 50));
report("sem_after_15", [done, sem.count]);
sem.release(25 + 3);
report("sem_waits_true", (await Promise.all(semWaits)).filter((ok) => ok === true).length);
report("sem_count_left", sem.count);

// One set of a manual-reset event releases all 20 of its waits and stays set.
gate.set();
report("gate_waits_true", (await Promise.all(gateWaits)).filter((ok) => ok === true).length);
report("gate_still_set", gate.isSet);

// waitAny over objects that are also waited on alone: two units and one event
// signal go to two waits, and whatever is left over stays with the objects.
{
  using a = Event.create({ name: `${tag}-any-a` });
  while (sem.tryAcquire());
  const single = ended(sem.acquire({ timeout: 5000 }));
  const any = waitAny([a, sem], { timeout: 5000 });
  await new Promise((r) => setTimeout(r, 100));
  sem.release(2);
  a.set();
  const [gotSingle, gotAny] = await Promise.all([single, any]);
  report("shared_single", gotSingle);
  report("shared_any_took_one", gotAny === 0 || gotAny === 1);
  // any took the event: one unit is left; any took a unit: the event is still set.
  report("shared_left_one", sem.count + (a.isSet ? 1 : 0) === 1);
}

// Timeouts with many waits in flight: each ends with TimeoutError and gives nothing back twice.
{
  while (sem.tryAcquire());
  const timed = Array.from({ length: 30 }, () => ended(sem.acquire({ timeout: 150 })));
  report("timeouts_false", (await Promise.all(timed)).filter((ok) => ok === false).length);
  report("count_after_timeouts", sem.count);
}

for (const ev of events) ev.close();
clearInterval(ticker);
process.exit(0);
