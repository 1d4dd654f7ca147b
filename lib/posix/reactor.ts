/**
 * The one readiness waiter of this process (Linux). A wait first spins
 * briefly on the JavaScript thread: once per macrotask, a nonblocking
 * `poll()` of the spinning fds (and a `sched_yield()` when none was ready,
 * so a peer on this CPU gets to answer), for at most
 * {@link SPIN_MICROSECONDS}. A peer that answers within that window (the
 * usual case for request/response traffic) is seen without leaving the
 * thread. A wait that outlasts it joins a single `poll()` parked off the
 * JavaScript thread, where every readiness costs a thread-to-JS hop. A wake
 * pipe in the parked set lets a change of the set end the parked call; with
 * nothing to wait for, nothing is parked and nothing spins, so an idle
 * process is never kept alive and uses no CPU.
 *
 * @module
 */
import { setImmediate } from "node:timers";
import { NativeMemory } from "../ffi/mod.ts";
import { ClosedError } from "../errors.ts";
import { lastErrnoError } from "./error.ts";
import { libc } from "./libc.ts";

/** poll(2) event bits. */
export const POLL = { IN: 0x1, OUT: 0x4, ERR: 0x8, HUP: 0x10, NVAL: 0x20 } as const;

/**
 * How long a new wait retries on the JavaScript thread before parking. Long
 * enough to cover a peer's turnaround under load, short enough that a wait
 * which ends up idle costs nothing measurable.
 */
export const SPIN_MICROSECONDS = 50;

const O_CLOEXEC = 0o2000000;
const O_NONBLOCK = 0o4000;
const SYS_SCHED_YIELD = 24n; // x86-64
const POLLFD_SIZE = 8; // struct pollfd { int fd; short events; short revents; }
const DONE = POLL.ERR | POLL.HUP | POLL.NVAL;

interface Waiter {
  fd: number;
  events: number;
  /** performance.now() after which the wait parks. */
  spinUntil: number;
  resolve(revents: number): void;
  reject(error: unknown): void;
}

/** Waits being retried on the JavaScript thread. */
let spinning: Waiter[] = [];
let sweepScheduled = false;
let sweepSet = new Uint8Array(POLLFD_SIZE * 16);
let sweepView = new DataView(sweepSet.buffer);
/** Waits handed to the parked poll. */
let waiters: Waiter[] = [];
let parked = false;
let wakePending = false;
let wakeRead = -1;
let wakeWrite = -1;
const wakeByte = new Uint8Array(1);

function ensureWakePipe(): void {
  if (wakeRead >= 0) return;
  const fds = new Int32Array(2);
  if (libc.symbols.pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0) throw lastErrnoError("pipe2");
  [wakeRead, wakeWrite] = [fds[0]!, fds[1]!];
}

/**
 * Waits until `fd` is ready for `events` (POLL.IN and/or POLL.OUT), without
 * blocking the JavaScript thread: spinning for up to
 * {@link SPIN_MICROSECONDS}, then parked. Errors and hang-ups count as
 * ready: the caller's next read or write reports them. Call it only after a
 * nonblocking attempt failed with EAGAIN.
 *
 * @param fd A file descriptor.
 * @param events The events to wait for.
 * @returns The revents poll reported.
 * @example
 * ```ts
 * import { POLL, waitReady } from "./reactor.ts";
 * // await waitReady(socketFd, POLL.IN); then read
 * ```
 */
export function waitReady(fd: number, events: number): Promise<number> {
  ensureWakePipe();
  return new Promise((resolve, reject) => {
    spinning.push({
      fd,
      events,
      spinUntil: performance.now() + SPIN_MICROSECONDS / 1000,
      resolve,
      reject,
    });
    if (!sweepScheduled) {
      sweepScheduled = true;
      setImmediate(sweep);
    }
  });
}

/** One spin round: a nonblocking poll of the spinning waits; the expired ones park. */
function sweep(): void {
  sweepScheduled = false;
  const round = spinning;
  if (round.length === 0) return;
  spinning = [];
  if (sweepSet.byteLength < round.length * POLLFD_SIZE) {
    sweepSet = new Uint8Array(round.length * POLLFD_SIZE * 2);
    sweepView = new DataView(sweepSet.buffer);
  }
  const view = sweepView;
  round.forEach((w, i) => {
    view.setInt32(i * POLLFD_SIZE, w.fd, true);
    view.setInt16(i * POLLFD_SIZE + 4, w.events, true);
    view.setInt16(i * POLLFD_SIZE + 6, 0, true);
  });
  // A failed poll (EINTR) counts as "nothing ready yet".
  const ready = libc.symbols.poll(sweepSet, BigInt(round.length), 0);
  const now = performance.now();
  const expired: Waiter[] = [];
  round.forEach((w, i) => {
    const revents = ready > 0 ? view.getInt16(i * POLLFD_SIZE + 6, true) : 0;
    if (revents & (w.events | DONE)) w.resolve(revents);
    else if (now >= w.spinUntil) expired.push(w);
    else spinning.push(w);
  });
  if (expired.length > 0) {
    waiters.push(...expired);
    changed();
  }
  // Nothing was ready: give this CPU to whatever else can run (often the peer that is about
  // to answer). On a busy machine spinning without yielding starves that peer.
  if (ready <= 0 && spinning.length > 0) {
    libc.symbols.syscall(SYS_SCHED_YIELD, 0n, 0n, 0n, 0n, 0n, 0n);
  }
  if (spinning.length > 0 && !sweepScheduled) {
    sweepScheduled = true;
    setImmediate(sweep);
  }
}

/**
 * Rejects every wait on `fd` with a ClosedError (call before closing it).
 *
 * @param fd The descriptor about to be closed.
 * @param what What is being closed, for the message.
 * @example
 * ```ts
 * import { cancelWaits } from "./reactor.ts";
 * // cancelWaits(fd, "pipe 'jobs'"); libc.symbols.close(fd);
 * ```
 */
export function cancelWaits(fd: number, what: string): void {
  const [goneSpinning, keptSpinning] = partition(spinning, (w) => w.fd === fd);
  const [goneParked, keptParked] = partition(waiters, (w) => w.fd === fd);
  spinning = keptSpinning;
  waiters = keptParked;
  for (const w of [...goneSpinning, ...goneParked]) {
    w.reject(new ClosedError(`Cannot wait on ${what}: it was closed`));
  }
  if (goneParked.length > 0) changed();
}

function partition<T>(items: T[], test: (item: T) => boolean): [T[], T[]] {
  const yes: T[] = [];
  const no: T[] = [];
  for (const item of items) (test(item) ? yes : no).push(item);
  return [yes, no];
}

/** The set changed: start a poll, or end the parked one so it restarts with the new set. */
function changed(): void {
  if (!parked) {
    if (waiters.length > 0) void park();
    return;
  }
  if (wakePending) return;
  wakePending = true;
  libc.symbols.write(wakeWrite, wakeByte, 1n);
}

async function park(): Promise<void> {
  parked = true;
  let failures = 0;
  while (waiters.length > 0) {
    // A fresh array per call: the parked poll owns it until it returns.
    const fds = [...new Set(waiters.map((w) => w.fd))];
    const set = NativeMemory.alloc(POLLFD_SIZE * (fds.length + 1));
    const view = set.view;
    view.setInt32(0, wakeRead, true);
    view.setInt16(4, POLL.IN, true);
    fds.forEach((fd, i) => {
      const events = waiters.filter((w) => w.fd === fd).reduce((bits, w) => bits | w.events, 0);
      view.setInt32((i + 1) * POLLFD_SIZE, fd, true);
      view.setInt16((i + 1) * POLLFD_SIZE + 4, events, true);
    });
    let ready: number;
    try {
      ready = await libc.symbols.pollAsync(set.address, BigInt(fds.length + 1), -1);
    } catch (error) {
      set.free();
      for (const w of waiters.splice(0)) w.reject(error);
      break;
    }
    // ready < 0 is EINTR (errno is not readable from here): poll again, but never spin on a
    // call that keeps failing.
    if (ready < 0 && ++failures > 100) {
      set.free();
      const error = new Error("Cannot wait for descriptors: poll() keeps failing");
      for (const w of waiters.splice(0)) w.reject(error);
      break;
    }
    if (ready > 0) {
      failures = 0;
      if (view.getInt16(6, true) !== 0) drainWake();
      const revents = new Map<number, number>();
      fds.forEach((fd, i) => revents.set(fd, view.getInt16((i + 1) * POLLFD_SIZE + 6, true)));
      const still: Waiter[] = [];
      for (const w of waiters) {
        const got = revents.get(w.fd) ?? 0;
        if (got & (w.events | DONE)) w.resolve(got);
        else still.push(w);
      }
      waiters = still;
    }
    set.free();
    // Let the woken callers run first: most of them wait again right away, and joining
    // the next set now saves a wake-up of the parked call.
    for (let i = 0; i < 8; i++) await null;
  }
  parked = false;
}

function drainWake(): void {
  const sink = new Uint8Array(64);
  while (Number(libc.symbols.read(wakeRead, sink, 64n)) > 0) { /* empty the pipe */ }
  wakePending = false;
}
