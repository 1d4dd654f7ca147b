// Mutex across processes: four processes (two per runtime) increment a shared
// counter 10,000 times each under the mutex; then a holder killed with SIGKILL
// hands the next locker an AbandonedMutexError that holds the lock.
import process from "node:process";
import { readdirSync } from "node:fs";
import { AbandonedMutexError, Mutex, MutexGuard, NotFoundError, SharedMemory } from "../../mod.ts";
import { platform } from "../../lib/ffi/mod.ts";
import { report, startPeer } from "./_peers.ts";

const PEER = new URL("./sync_peer.ts", import.meta.url).pathname.replace(/^\/([A-Za-z]:)/, "$1");
const tag = `ipckit-mx-${process.pid}`;
const N = Number(process.argv[2] ?? 10_000);
const ours = () =>
  platform === "linux" ? readdirSync("/dev/shm").filter((f) => f.includes(tag)) : [];

{
  using m = Mutex.create({ name: `${tag}-lock` });
  using shm = SharedMemory.create({ name: `${tag}-counter`, size: 4096 });
  const peers = [false, false, true, true].map((other) =>
    startPeer(PEER, ["count", `${tag}-lock`, `${tag}-counter`, String(N)], other)
  );
  const results = await Promise.all(peers.map((p) => p.done));
  report("peer_exits", results.map((r) => r.code));
  for (const r of results) if (r.code !== 0) report("peer_stderr", r.stderr);
  report("counter", new DataView(shm.bytes.buffer).getUint32(0, true));
  report("expected", 4 * N);
  report(
    "lock_after",
    await (async () => {
      using held = await m.lock({ timeout: 1000 });
      return held.held;
    })(),
  );
}

{
  using m = Mutex.create({ name: `${tag}-abandon` });
  const holder = startPeer(PEER, ["hold", `${tag}-abandon`]);
  await holder.line("locked");
  report("busy_while_held", m.tryLock() === null);
  const pending = m.lock({ timeout: 10_000 });
  // The holder dies from a timer of this thread while the lock waits: a lock that blocked the
  // JavaScript thread would keep the timer from firing until the wait ended.
  let killedAt = Infinity;
  setTimeout(() => {
    killedAt = performance.now();
    holder.child.kill("SIGKILL");
  }, 600);
  let abandoned: AbandonedMutexError | null = null;
  try {
    (await pending).release();
  } catch (error) {
    if (error instanceof AbandonedMutexError) abandoned = error;
    else report("lock_error", String(error));
  }
  const waitEnd = performance.now();
  await holder.done;
  report("abandoned_error", abandoned?.name ?? null);
  report("abandoned_message", abandoned?.message ?? null);
  report(
    "guard_held",
    abandoned?.guard instanceof MutexGuard && abandoned.guard.held,
  );
  // Ordering, not timing: a busy machine delays timers (CI saw the loop stall for over half of a
  // 600 ms wait on windows-deno, with the lock parked off the thread as designed).
  report("loop_ran_while_waiting", killedAt < waitEnd);
  // The lock is ours: another process cannot take it until we release.
  const peerWhileHeld = startPeer(PEER, ["hold", `${tag}-abandon`]);
  const raced = await Promise.race([
    peerWhileHeld.line("locked").then(() => "peer locked"),
    new Promise((r) => setTimeout(() => r("still ours"), 500)),
  ]);
  report("held_after_abandon", raced);
  abandoned?.guard.release();
  report("peer_locks_after_release", await peerWhileHeld.line("locked"));
  peerWhileHeld.child.kill("SIGKILL");
  await peerWhileHeld.done;
  // Abandoned again (the second peer was killed holding it), then a plain lock.
  try {
    (await m.lock({ timeout: 5000 })).release();
    report("second_abandon", false);
  } catch (error) {
    report("second_abandon", error instanceof AbandonedMutexError);
    (error as AbandonedMutexError).guard?.release();
  }
  using again = await m.lock({ timeout: 1000 });
  report("relock", again.held);
}
report(
  "gone_after_close",
  (() => {
    try {
      Mutex.open({ name: `${tag}-abandon` });
      return false;
    } catch (error) {
      return error instanceof NotFoundError;
    }
  })(),
);
report("dev_shm_after", ours());
process.exit(0);
