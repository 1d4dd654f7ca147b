// Events, semaphores, waitAny and waitAll: auto vs manual reset across
// processes, counts and maximum, timeouts, AbortSignal, close during a wait,
// more than 64 objects, idle CPU while waiting, and ticks while waiting.
import process from "node:process";
import { readdirSync } from "node:fs";
import { ClosedError, Event, NotFoundError, Semaphore, waitAll, waitAny } from "../../mod.ts";
import { platform } from "../../lib/ffi/mod.ts";
import { report, startPeer } from "./_peers.ts";

const PEER = new URL("./sync_peer.ts", import.meta.url).pathname.replace(/^\/([A-Za-z]:)/, "$1");
const tag = `ipckit-wait-${process.pid}`;
const ours = () =>
  platform === "linux" ? readdirSync("/dev/shm").filter((f) => f.includes(tag)) : [];
const errorName = (p: Promise<unknown>) => p.then(() => null, (e) => (e as Error).name);
/** What a wait resolved to (`true` for nothing), or the name of what it rejected with. */
const outcome = (p: Promise<unknown>) => p.then((value) => value ?? true, (e) => (e as Error).name);
const syncErrorName = (fn: () => unknown) => {
  try {
    fn();
    return null;
  } catch (error) {
    return (error as Error).name;
  }
};

// Auto reset: one set() lets exactly one of two waiting processes through; manual lets both.
for (const manualReset of [false, true]) {
  const label = manualReset ? "manual" : "auto";
  using ev = Event.create({ name: `${tag}-${label}`, manualReset });
  // Manual reset: both pass at the set, so a long timeout costs nothing, and a peer that was ready
  // seconds before the other (a slow start under load) still waits for it. Auto reset: the one
  // left behind must time out to end.
  const timeout = manualReset ? "30000" : "2500";
  const peers = [false, true].map((other) =>
    startPeer(PEER, ["wait-event", `${tag}-${label}`, timeout], other)
  );
  await Promise.all(peers.map((p) => p.line("ready")));
  await new Promise((r) => setTimeout(r, 300));
  ev.set();
  const results = await Promise.all(peers.map((p) => p.done));
  report(`${label}_signaled`, results.map((r) => r.results.signaled).filter(Boolean).length);
  report(`${label}_still_set`, ev.isSet);
  report(`${label}_manual_flag`, ev.manualReset);
}

// Semaphore counts and maximum, and a peer process taking a unit.
{
  using sem = Semaphore.create({ name: `${tag}-sem`, initial: 2, max: 4 });
  report("sem_count_max", [sem.count, sem.max]);
  report("sem_try", [sem.tryAcquire(), sem.tryAcquire(), sem.tryAcquire()]);
  report("sem_timeout", await outcome(sem.acquire({ timeout: 100 })));
  report("sem_release_prev", sem.release(3));
  let overflow = null;
  try {
    sem.release(2);
  } catch (error) {
    overflow = (error as Error).name;
  }
  report("sem_over_max", overflow);
  report("sem_count_after", sem.count);
  const peer = startPeer(PEER, ["acquire", `${tag}-sem`, "2000"], true);
  const peerResult = await peer.done;
  report("sem_peer_acquired", peerResult.results.acquired);
  report("sem_count_after_peer", sem.count);
  using opened = Semaphore.open({ name: `${tag}-sem` });
  report("sem_open_max", opened.max);
}

// waitAny / waitAll: timeouts, abort, close, ticks and idle CPU.
{
  using ev = Event.create({ name: `${tag}-ev` });
  using sem = Semaphore.create({ name: `${tag}-s2`, max: 1 });
  report("any_timeout", await outcome(waitAny([ev, sem], { timeout: 100 })));
  report(
    "timeout_message",
    await waitAny([ev, sem], { timeout: 0 }).catch((e) => (e as Error).message),
  );
  report("try_wait", [ev.tryWait(), (ev.set(), ev.tryWait()), ev.tryWait()]);
  setTimeout(() => sem.release(), 200);
  report("any_sem", await waitAny([ev, sem], { timeout: 5000 }));
  report("any_ready_first", (ev.set(), await waitAny([ev, sem], { timeout: 0 })));

  const controller = new AbortController();
  setTimeout(() => controller.abort(), 150);
  report("any_abort", await errorName(waitAny([ev, sem], { signal: controller.signal })));
  report("wait_abort_already", await errorName(ev.wait({ signal: AbortSignal.abort() })));

  // Idle: a 1.5 s wait with a ticking timer uses little CPU.
  let ticks = 0;
  const interval = setInterval(() => ticks++, 10);
  const cpu0 = process.cpuUsage();
  const t0 = Date.now();
  report("idle_wait", await outcome(ev.wait({ timeout: 1500 })));
  const cpu = process.cpuUsage(cpu0);
  clearInterval(interval);
  report("idle_waited_ms_at_least_1400", Date.now() - t0 >= 1400);
  report("idle_ticks_at_least_50", ticks >= 50);
  report("idle_cpu_ms", Math.round((cpu.user + cpu.system) / 1000));

  // waitAll: both must be signaled; a timeout takes nothing.
  using a = Event.create({ name: `${tag}-a`, initial: true });
  using b = Event.create({ name: `${tag}-b` });
  report("all_timeout", await outcome(waitAll([a, b], { timeout: 150 })));
  report("all_timeout_took_nothing", a.isSet);
  setTimeout(() => b.set(), 150);
  report("all_ok", await outcome(waitAll([a, b], { timeout: 5000 })));
  report("all_took_both", [a.isSet, b.isSet]);
  const allAbort = new AbortController();
  setTimeout(() => allAbort.abort(), 150);
  report("all_abort", await errorName(waitAll([a, b], { signal: allAbort.signal })));

  // More than 64 objects.
  const many = Array.from({ length: 70 }, (_, i) => Event.create({ name: `${tag}-m${i}` }));
  setTimeout(() => many[66]!.set(), 100);
  report("any_70", await waitAny(many, { timeout: 5000 }));
  many.forEach((e) => e.set());
  report("all_70", await outcome(waitAll(many, { timeout: 5000 })));
  report("all_70_took", many.filter((e) => e.isSet).length);
  for (const e of many) e.close();

  // Closing an object ends its waits with ClosedError.
  const closing = Event.create({ name: `${tag}-closing` });
  const pending = errorName(closing.wait());
  setTimeout(() => closing.close(), 100);
  report("close_during_wait", await pending);
  report("closed_set", syncErrorName(() => closing.set()));
  report("double_close", syncErrorName(() => closing.close()));
  report(
    "closed_is_closed_error",
    (() => {
      try {
        closing.reset();
      } catch (error) {
        return error instanceof ClosedError;
      }
    })(),
  );
}
report("open_after_close", syncErrorName(() => Event.open({ name: `${tag}-ev` })));
report(
  "not_found_class",
  (() => {
    try {
      Semaphore.open({ name: `${tag}-sem` });
    } catch (error) {
      return error instanceof NotFoundError;
    }
  })(),
);
report("dev_shm_after", ours());
process.exit(0);
