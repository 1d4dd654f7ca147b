// Every bad input is a typed error, and names share one name space across
// kinds (shared memory, mutex, semaphore, event) on both OSes.
import process from "node:process";
import { Event, mapFile, Mutex, NameTakenError, Semaphore, SharedMemory } from "../../mod.ts";
import { report } from "./_peers.ts";

const tag = `ipckit-err-${process.pid}`;
const outcome = (fn: () => unknown) => {
  try {
    const value = fn();
    (value as { close?: () => void })?.close?.();
    return "ok";
  } catch (error) {
    const e = error as NameTakenError;
    return e.name + (e.existingKind ? `:${e.requestedKind}<-${e.existingKind}` : "");
  }
};
const asyncOutcome = async (fn: () => Promise<unknown>) => {
  try {
    await fn();
    return "ok";
  } catch (error) {
    return (error as Error).name;
  }
};

// Sizes and names.
report("size_0", outcome(() => SharedMemory.create({ name: `${tag}-s`, size: 0 })));
report("size_negative", outcome(() => SharedMemory.create({ name: `${tag}-s`, size: -1 })));
report("size_fraction", outcome(() => SharedMemory.create({ name: `${tag}-s`, size: 1.5 })));
report("size_nan", outcome(() => SharedMemory.create({ name: `${tag}-s`, size: NaN })));
report(
  "size_string",
  outcome(() => SharedMemory.create({ name: `${tag}-s`, size: "4096" as unknown as number })),
);
report("size_unsafe", outcome(() => SharedMemory.create({ name: `${tag}-s`, size: 2 ** 60 })));
report("size_huge", outcome(() => SharedMemory.create({ name: `${tag}-s`, size: 2 ** 50 })));
report("name_empty", outcome(() => SharedMemory.create({ name: "", size: 1 })));
report("name_slash", outcome(() => Event.create("a/b")));
report("name_number", outcome(() => Mutex.create(7 as unknown as string)));
report("open_missing", outcome(() => SharedMemory.open(`${tag}-missing`)));
report("open_missing_mutex", outcome(() => Mutex.open(`${tag}-missing`)));
report(
  "sem_initial_over_max",
  outcome(() => Semaphore.create(`${tag}-sem`, { initial: 5, max: 4 })),
);
report("sem_max_0", outcome(() => Semaphore.create(`${tag}-sem`, { max: 0 })));
report("map_missing_file", outcome(() => mapFile(`${tag}-no-such-file.bin`)));
report("map_negative_offset", outcome(() => mapFile(`${tag}.bin`, { offset: -1 })));

// One name space across kinds: on Linux as on Windows.
{
  using _event = Event.create(`${tag}-shared`);
  report("shm_on_event", outcome(() => SharedMemory.create({ name: `${tag}-shared`, size: 4096 })));
  report("mutex_on_event", outcome(() => Mutex.create(`${tag}-shared`)));
  report("sem_on_event", outcome(() => Semaphore.create(`${tag}-shared`)));
  report("open_shm_on_event", outcome(() => SharedMemory.open(`${tag}-shared`)));
  report("event_twice", outcome(() => Event.create(`${tag}-shared`)));
  report(
    "event_open_existing",
    outcome(() => Event.create(`${tag}-shared`, { openExisting: true })),
  );
  report(
    "event_message",
    (() => {
      try {
        SharedMemory.create({ name: `${tag}-shared`, size: 4096 });
      } catch (error) {
        return (error as Error).message;
      }
    })(),
  );
}
{
  using shm = SharedMemory.create({ name: `${tag}-mem`, size: 4096 });
  report("event_on_shm", outcome(() => Event.create(`${tag}-mem`)));
  report("shm_twice", outcome(() => SharedMemory.create({ name: `${tag}-mem`, size: 4096 })));
  report("shm_open_too_big", outcome(() => SharedMemory.open(`${tag}-mem`, { size: 1 << 20 })));

  // Closed objects and stale views.
  const bytes = shm.bytes;
  const peer = SharedMemory.open(`${tag}-mem`);
  const stale = peer.bytes;
  peer.close();
  report("stale_view_length", stale.length);
  report("stale_view_read", stale[0] ?? "undefined");
  report("closed_bytes", outcome(() => peer.bytes));
  report("closed_write", outcome(() => peer.write(new Uint8Array(1))));
  report("double_close", outcome(() => peer.close()));
  report("dispose_after_close", outcome(() => peer[Symbol.dispose]()));
  report("out_of_range_write", outcome(() => shm.write(new Uint8Array(10), 4090)));
  report("live_view_length", bytes.length);
}
{
  using m = Mutex.create(`${tag}-m`);
  report("bad_timeout", await asyncOutcome(() => m.lock({ timeout: -5 })));
  const held = await m.lock();
  held.release();
  report("double_release", outcome(() => held.release()));
  report(
    "wait_any_mutex",
    await asyncOutcome(() =>
      (async () => {
        const { waitAny } = await import("../../mod.ts");
        return waitAny([m as never]);
      })()
    ),
  );
  {
    // The same object twice (one instance, or one name opened twice) can never be taken together.
    using ev = Event.create(`${tag}-twice`, { initial: true });
    using again = Event.open(`${tag}-twice`);
    const { waitAll } = await import("../../mod.ts");
    report("wait_all_same_twice", await asyncOutcome(() => waitAll([ev, ev], { timeout: 100 })));
    report("wait_all_same_name", await asyncOutcome(() => waitAll([ev, again], { timeout: 100 })));
    report("wait_all_after_refusal", ev.isSet);
  }
  report(
    "wait_any_empty",
    await asyncOutcome(async () => (await import("../../mod.ts")).waitAny([])),
  );
}
