/**
 * The one readiness waiter of this process (Linux). A wait first spins
 * briefly on the JavaScript thread: once per macrotask, a nonblocking
 * `poll()` of the spinning fds, for at most {@link SPIN_MICROSECONDS} (no
 * `sched_yield()` between rounds: docs/ffi.md has why). A peer that answers
 * within that window (the usual case for request/response traffic) is seen
 * without leaving the thread. A wait that outlasts it joins a single
 * `poll()` parked off the JavaScript thread, where every readiness costs a
 * thread-to-JS hop. A wake pipe in the parked set lets a change of the set
 * end the parked call; with nothing to wait for, nothing is parked and
 * nothing spins, so an idle process is never kept alive and uses no CPU.
 * The callers a parked call wakes mostly wait again at once; while those new
 * waits spin, the waits left over are polled with them instead of being
 * parked alone, and all are parked together when the spins end: one parked
 * call per burst of readiness rather than two or three per ready descriptor.
 *
 * On Deno, when the spins end with nothing ready, the JavaScript thread
 * first blocks in `poll()` itself for up to 2 ms (an adaptive window,
 * lib/_spin.ts's `BlockWindow`), so an answer that comes soon costs no hop
 * back from the pool; only a wait that outlasts the block parks. Timers and
 * other I/O of the process wait while it blocks.
 *
 * On Bun, reads of sockets and pipes that its own event loop does not read
 * for us (pipe.ts's LoopInput takes stream and seqpacket sockets; this leaves
 * datagram sockets and pipe2 pipes) park without a thread
 * ({@link waitReadable}) instead: the kernel signals the process when input arrives
 * (O_ASYNC), and Bun's own event loop, which delivers signals, wakes the
 * JavaScript thread once. They do not spin first: a parked wait is then as
 * cheap as the runtime's own sockets, and a spin on a busy machine only takes
 * the CPU from the peer that is about to answer.
 *
 * @module
 */
import process from "node:process";
import { setImmediate, setInterval } from "node:timers";
import { NativeMemory, signalsWakeFast } from "../ffi/mod.ts";
import { BlockWindow } from "../_spin.ts";
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

/**
 * Whether reads park by signal (Bun). Deno's signal listeners wake slower than its FFI pool
 * returns (docs/ffi.md), so Deno parks them in the poll, and blocks in `poll()` first instead.
 */
const SIGNALS_WAKE_FAST = signalsWakeFast();

const O_CLOEXEC = 0o2000000;
const O_NONBLOCK = 0o4000;
const POLLFD_SIZE = 8; // struct pollfd { int fd; short events; short revents; }
const DONE = POLL.ERR | POLL.HUP | POLL.NVAL;

interface Waiter {
  fd: number;
  events: number;
  /** performance.now() after which the wait parks. */
  spinUntil: number;
  /** Whether the parked poll in flight watches it. */
  watched?: boolean;
  resolve(revents: number): void;
  reject(error: unknown): void;
}

/** Waits being retried on the JavaScript thread. */
let spinning: Waiter[] = [];
let sweepScheduled = false;
let sweepSet = new Uint8Array(POLLFD_SIZE * 16);
let sweepView = new DataView(sweepSet.buffer);
/** Waits past their spin: in the parked poll's set, or polled by the sweep while no poll is parked. */
let waiters: Waiter[] = [];
let parked = false;
/** The parked poll's descriptor set, reused from one parked call to the next. */
let parkSet: NativeMemory | null = null;
let wakePending = false;
let wakeRead = -1;
let wakeWrite = -1;
const wakeByte = new Uint8Array(1);
const wakeSink = new Uint8Array(64);

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
 * @param signal Takes the wait out of the set and rejects with its reason.
 * @returns The revents poll reported.
 * @example
 * ```ts
 * import { POLL, waitReady } from "./reactor.ts";
 * // await waitReady(socketFd, POLL.IN); then read
 * ```
 */
export function waitReady(fd: number, events: number, signal?: AbortSignal): Promise<number> {
  return wait(fd, events, false, signal);
}

/**
 * Waits until the socket or pipe `fd` has input (or an error or hang-up),
 * like {@link waitReady} with POLL.IN. Where signals wake the JavaScript
 * thread faster than a parked call returns (Bun), the wait parks at once
 * without a thread: the descriptor is put in O_ASYNC mode, so the kernel
 * signals this process (SIGURG, whose default action is to ignore it) when
 * input arrives, and the runtime's own event loop delivers that signal. That
 * is one wake-up, where the parked poll costs a pool thread's wake-up and
 * then a hop to the JavaScript thread. Only for sockets and pipes that one
 * process reads (other descriptors, such as pidfds, never signal; a
 * listening socket shared by several processes signals only one of them).
 *
 * @param fd A nonblocking socket or pipe.
 * @param signal Takes the wait out of the set and rejects with its reason.
 * @param untried True when the caller did not try to read first: the wait
 *   then looks once after it parks, since input that is already there may
 *   have sent its signal to an earlier wait (signals do not queue).
 * @returns The revents poll reported.
 * @example
 * ```ts
 * import { waitReadable } from "./reactor.ts";
 * // await waitReadable(socketFd); then recv
 * ```
 */
export function waitReadable(fd: number, signal?: AbortSignal, untried = false): Promise<number> {
  return wait(fd, POLL.IN, true, signal, untried);
}

function wait(
  fd: number,
  events: number,
  bySignal: boolean,
  signal?: AbortSignal,
  untried = false,
): Promise<number> {
  ensureWakePipe();
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const waiter: Waiter = {
      fd,
      events,
      spinUntil: performance.now() + SPIN_MICROSECONDS / 1000,
      resolve,
      reject,
    };
    if (signal) {
      // An abort takes this wait out of the set (a parked poll restarts without it).
      const onAbort = () => {
        const wasParked = waiters.includes(waiter);
        spinning = spinning.filter((w) => w !== waiter);
        waiters = waiters.filter((w) => w !== waiter);
        if (signalled.includes(waiter)) {
          signalled = signalled.filter((w) => w !== waiter);
          unpark(fd);
          keepAliveWhileSignalled();
        }
        if (wasParked && parked) changed();
        reject(signal.reason);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      const done = () => signal.removeEventListener("abort", onAbort);
      waiter.resolve = (revents) => {
        done();
        resolve(revents);
      };
      waiter.reject = (error) => {
        done();
        reject(error);
      };
    }
    // A wait parked by signal costs the JavaScript thread one wake-up, like the runtime's own
    // sockets: spinning would only take the CPU from the peer that is about to answer.
    const armed = bySignal && SIGNALS_WAKE_FAST && arm(fd);
    if (armed) {
      signalled.push(waiter);
      keepAliveWhileSignalled();
      // Input that arrived between the caller's failed read and arming sent no signal, and
      // input there before an untried wait may have sent its signal to an earlier one.
      if (armed === "armed" || untried) resolveReadySignalled();
      return;
    }
    spinning.push(waiter);
    scheduleSweep();
  });
}

/**
 * Sweeps run as microtasks since the last macrotask sweep: bounded, so a
 * ping-pong inside one process cannot keep timers and other I/O waiting.
 */
const MICROTASK_SWEEPS_PER_TURN = 16;
let microtaskSweeps = 0;
let microtaskSweepQueued = false;

/**
 * Call after this process wrote to a descriptor. When the reader is in this
 * process too (both ends of a pipe, a server and its client), its wait is
 * spinning right now: checking in a microtask lets it see the data without
 * waiting for the next turn of the event loop. Nothing is checked when no
 * wait spins.
 *
 * @example
 * ```ts
 * import { afterWrite } from "./reactor.ts";
 * // libc.symbols.send(fd, bytes, n, 0); afterWrite();
 * ```
 */
export function afterWrite(): void {
  if (spinning.length === 0 || microtaskSweepQueued) return;
  if (microtaskSweeps >= MICROTASK_SWEEPS_PER_TURN) return;
  microtaskSweepQueued = true;
  microtaskSweeps++;
  queueMicrotask(microtaskSweep);
}

/** A spin round of its own: the spinning waits that are ready resolve; none expires or parks. */
function microtaskSweep(): void {
  microtaskSweepQueued = false;
  const round = spinning;
  if (round.length === 0 || pollNow(round) <= 0) return;
  spinning = [];
  round.forEach((w, i) => {
    const revents = sweepView.getInt16(i * POLLFD_SIZE + 6, true);
    if (revents & (w.events | DONE)) w.resolve(revents);
    else spinning.push(w);
  });
}

/**
 * A nonblocking poll of `waits` in the shared sweep set (their revents are
 * left there, by index). A failed poll (EINTR) counts as "nothing ready yet".
 */
function pollNow(waits: readonly Waiter[], timeoutMs = 0): number {
  if (sweepSet.byteLength < waits.length * POLLFD_SIZE) {
    sweepSet = new Uint8Array(waits.length * POLLFD_SIZE * 2);
    sweepView = new DataView(sweepSet.buffer);
  }
  const view = sweepView;
  waits.forEach((w, i) => {
    view.setInt32(i * POLLFD_SIZE, w.fd, true);
    view.setInt16(i * POLLFD_SIZE + 4, w.events, true);
    view.setInt16(i * POLLFD_SIZE + 6, 0, true);
  });
  return Number(libc.symbols.poll(sweepSet, BigInt(waits.length), timeoutMs));
}

function scheduleSweep(): void {
  if (sweepScheduled) return;
  sweepScheduled = true;
  setImmediate(sweep);
}

/**
 * One spin round: a nonblocking poll of the spinning waits, and of the waits
 * past their spin while no poll is parked (they are in no parked set yet).
 * Spins that expire join the parked set; once nothing spins any more, every
 * wait left is parked in one call.
 */
function sweep(): void {
  sweepScheduled = false;
  microtaskSweeps = 0;
  const round = spinning;
  const held = parked ? [] : waiters;
  const count = round.length + held.length;
  if (count === 0) return;
  spinning = [];
  if (!parked) waiters = [];
  const all = held.length === 0 ? round : round.concat(held);
  const ready = pollNow(all);
  const now = performance.now();
  let expired = 0;
  all.forEach((w, i) => {
    const revents = ready > 0 ? sweepView.getInt16(i * POLLFD_SIZE + 6, true) : 0;
    if (revents & (w.events | DONE)) w.resolve(revents);
    else if (i >= round.length) waiters.push(w);
    else if (now >= w.spinUntil) {
      waiters.push(w);
      expired++;
    } else spinning.push(w);
  });
  // No sched_yield() after a fruitless round: with both ends spinning it made TCP round trips
  // slower, and the spin is short enough that a peer queued on this CPU waits 50 µs at most.
  if (spinning.length > 0) scheduleSweep();
  if (parked ? expired === 0 : spinning.length > 0) return;
  // Block only when spins just ended with nothing ready: a wait resolved in this round has a
  // caller still to run, which usually writes the request the others are waiting for.
  if (ready <= 0 && expired > 0 && blockOn()) return;
  changed();
}

// ---- Blocking before parking (Deno) ------------------------------------------
/**
 * Deno: a parked poll's readiness reaches the JavaScript thread through the
 * `nonblocking` pool, a hop of about 200 µs on this VM once the CPUs have
 * gone idle (docs/ffi.md), several times what the runtime's own sockets pay.
 * So once the spins end, the JavaScript thread first blocks in `poll()`
 * itself, for the adaptive window (lib/_spin.ts); only a wait that outlasts
 * it parks. Bun parks reads by signal (one wake-up) and keeps parking the rest.
 */
const BLOCKS_BEFORE_PARKING = !SIGNALS_WAKE_FAST;
const blockWindow = new BlockWindow();
/** performance.now() when the waits about to park began to block (0: they did not block). */
let blockedSince = 0;

/**
 * Blocks the JavaScript thread in `poll()` for the block window on the waits
 * past their spin that no parked poll watches (every one while none is
 * parked), except on descriptors that gave up blocking. Returns whether any
 * became ready: they are resolved, and the rest wait on (looked at with the
 * next spins, or joining the parked poll). After a time-out it returns false
 * and the waits park.
 */
function blockOn(): boolean {
  const ms = BLOCKS_BEFORE_PARKING ? blockWindow.ms : 0;
  if (ms === 0) return false;
  const list = waiters.filter((w) => !w.watched && !neverBlock.has(w.fd));
  if (list.length === 0) return false;
  const start = performance.now();
  const ready = pollNow(list, ms);
  if (ready <= 0) {
    blockWindow.timedOut(ms, performance.now() - start);
    // The waits park now; a parked poll already running measures them from its own restart.
    if (!parked) blockedSince = start;
    for (const w of list) {
      const times = (timeoutsInARow.get(w.fd) ?? 0) + 1;
      timeoutsInARow.set(w.fd, times);
      if (times >= GIVE_UP_AFTER_TIMEOUTS) neverBlock.add(w.fd);
    }
    return false;
  }
  const done = new Set<Waiter>();
  list.forEach((w, i) => {
    const revents = sweepView.getInt16(i * POLLFD_SIZE + 6, true);
    if (revents & (w.events | DONE)) {
      done.add(w);
      timeoutsInARow.delete(w.fd);
      w.resolve(revents);
    }
  });
  waiters = waiters.filter((w) => !done.has(w));
  if (parked) {
    if (waiters.some((w) => !w.watched)) changed();
  } else if (waiters.length > 0) scheduleSweep();
  return true;
}

/**
 * Blocks in a row that a descriptor's wait sat through without an answer.
 * At {@link GIVE_UP_AFTER_TIMEOUTS} the descriptor's waits park without
 * blocking from then on: its answers come later than the window (an idle or
 * slow peer, which blocking cannot help), or only once this thread runs (a
 * peer in this process, which a block would hold up for the whole window).
 */
const timeoutsInARow = new Map<number, number>();
const neverBlock = new Set<number>();
const GIVE_UP_AFTER_TIMEOUTS = 3;

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
  const [goneSignalled, keptSignalled] = partition(signalled, (w) => w.fd === fd);
  spinning = keptSpinning;
  waiters = keptParked;
  signalled = keptSignalled;
  // The descriptor is about to be closed: its mode no longer matters here.
  signalling.delete(fd);
  idleOn.delete(fd);
  timeoutsInARow.delete(fd);
  neverBlock.delete(fd);
  if (goneSignalled.length > 0) keepAliveWhileSignalled();
  for (const w of [...goneSpinning, ...goneParked, ...goneSignalled]) {
    w.reject(new ClosedError(`Cannot wait on ${what}: it was closed`));
  }
  if (goneParked.length > 0 && parked) changed();
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
  let since = blockedSince || performance.now();
  blockedSince = 0;
  while (waiters.length > 0) {
    // A wake written after the last call returned is stale: the set below is already new.
    if (wakePending) drainWake();
    const events = new Map<number, number>();
    for (const w of waiters) {
      events.set(w.fd, (events.get(w.fd) ?? 0) | w.events);
      w.watched = true;
    }
    const count = events.size + 1;
    const set = parkSetFor(count);
    const view = set.view;
    view.setInt32(0, wakeRead, true);
    view.setInt16(4, POLL.IN, true);
    view.setInt16(6, 0, true);
    let slot = POLLFD_SIZE;
    for (const [fd, bits] of events) {
      view.setInt32(slot, fd, true);
      view.setInt16(slot + 4, bits, true);
      view.setInt16(slot + 6, 0, true);
      slot += POLLFD_SIZE;
    }
    let ready: number;
    try {
      ready = await libc.symbols.pollAsync(set.address, BigInt(count), -1);
    } catch (error) {
      for (const w of waiters.splice(0)) w.reject(error);
      break;
    }
    // ready < 0 is EINTR (errno is not readable from here): poll again, but never spin on a
    // call that keeps failing.
    if (ready < 0 && ++failures > 100) {
      const error = new Error("Cannot wait for descriptors: poll() keeps failing");
      for (const w of waiters.splice(0)) w.reject(error);
      break;
    }
    if (ready > 0) {
      failures = 0;
      if (view.getInt16(6, true) !== 0) drainWake();
      slot = POLLFD_SIZE;
      for (const fd of events.keys()) {
        events.set(fd, view.getInt16(slot + 6, true));
        slot += POLLFD_SIZE;
      }
      const still: Waiter[] = [];
      for (const w of waiters) {
        const got = events.get(w.fd) ?? 0;
        if (got & (w.events | DONE)) w.resolve(got);
        else still.push(w);
      }
      if (still.length < waiters.length) blockWindow.parkedFor(performance.now() - since);
      waiters = still;
    }
    // Let the woken callers run first (a macrotask: every promise chain they start settles
    // before it): most of them read and wait again right away.
    await new Promise((resolve) => setImmediate(resolve));
    // Their new waits spin first. Parking the rest now would cost a parked call now and
    // another (with a wake-up) when those spins end; the sweep polls the rest meanwhile and
    // parks them all together once nothing spins.
    if (spinning.length > 0) break;
    since = performance.now();
  }
  parked = false;
  for (const w of waiters) w.watched = false;
  if (waiters.length === 0) {
    parkSet?.free();
    parkSet = null;
  }
}

/** The parked set's memory for `count` descriptors (only between two parked calls). */
function parkSetFor(count: number): NativeMemory {
  if (parkSet && parkSet.byteLength >= count * POLLFD_SIZE) return parkSet;
  parkSet?.free();
  return (parkSet = NativeMemory.alloc(Math.max(16, count * 2) * POLLFD_SIZE));
}

function drainWake(): void {
  while (Number(libc.symbols.read(wakeRead, wakeSink, 64n)) > 0) { /* empty the pipe */ }
  wakePending = false;
}

// ---- Parking by signal (waitReadable) ----------------------------------------
const SIGURG = 23;
const F_GETFL = 3;
const F_SETFL = 4;
const F_GETOWN = 9;
const F_SETOWN = 8;
const F_SETSIG = 10;
const O_ASYNC = 0o20000;

/** Parked waitReadable() waits, woken by SIGURG. */
let signalled: Waiter[] = [];

interface Signalling {
  /** The file status flags without O_ASYNC. */
  flags: number;
  /** Whether O_ASYNC is on. */
  on: boolean;
  /** Parked waits on the descriptor. */
  waits: number;
}
/**
 * Descriptors set up to signal this process. O_ASYNC stays on after a wait
 * ends, so the next wait (usually right after the next read) costs no system
 * call; a signal that finds no wait on a descriptor turns it off, so a busy
 * reader is not signalled per chunk. Forgotten in cancelWaits, before the close.
 */
const signalling = new Map<number, Signalling>();
/** Descriptors with O_ASYNC on and no wait parked. */
const idleOn = new Set<number>();
let listening = false;
/**
 * Keeps the process alive while a wait is parked by signal, as a parked poll
 * does (a signal listener does not). It never fires in practice (24.8 days).
 */
let keepAlive: ReturnType<typeof setInterval> | null = null;

/**
 * Makes `fd` signal this process on input. Returns false if that failed,
 * "on" if it signalled already, and "armed" if it has just begun to (input
 * before that sent no signal).
 */
function arm(fd: number): false | "on" | "armed" {
  let state = signalling.get(fd);
  if (!state) {
    const fcntl = libc.symbols.fcntl;
    const flags = fcntl(fd, F_GETFL, 0n);
    if (
      flags < 0 || fcntl(fd, F_SETOWN, BigInt(ownPid())) < 0 ||
      fcntl(fd, F_SETSIG, BigInt(SIGURG)) < 0
    ) return false;
    signalling.set(fd, state = { flags, on: false, waits: 0 });
  }
  let result: "on" | "armed" = "on";
  if (!state.on) {
    if (libc.symbols.fcntl(fd, F_SETFL, BigInt(state.flags | O_ASYNC)) < 0) return false;
    state.on = true;
    result = "armed";
  }
  state.waits++;
  idleOn.delete(fd);
  if (!listening) {
    process.on("SIGURG", onSignal);
    listening = true;
  }
  return result;
}

/** A wait parked by signal on `fd` ended. */
function unpark(fd: number): void {
  const state = signalling.get(fd);
  if (state && --state.waits === 0 && state.on) idleOn.add(fd);
}

let pid = 0;
function ownPid(): number {
  return (pid ||= libc.symbols.getpid());
}

function keepAliveWhileSignalled(): void {
  if (signalled.length > 0) (keepAlive ??= setInterval(() => {}, 2 ** 31 - 1)).ref();
  else keepAlive?.unref();
}

/**
 * Input arrived on a descriptor that signals: resolve every parked wait that
 * is ready, and turn off O_ASYNC where no wait was parked. A descriptor that
 * another process has taken the signal of since (its owner) is left alone.
 */
function onSignal(): void {
  for (const fd of idleOn) {
    const state = signalling.get(fd)!;
    if (libc.symbols.fcntl(fd, F_GETOWN, 0n) === ownPid()) {
      libc.symbols.fcntl(fd, F_SETFL, BigInt(state.flags));
    }
    state.on = false;
  }
  idleOn.clear();
  // One parked wait and no other descriptor signalling: the signal was for it (a stray one
  // costs its caller a failed read and a new wait, which needs no system call to arm).
  if (signalled.length === 1 && signallingOn() === 1) {
    const waiter = signalled.pop()!;
    unpark(waiter.fd);
    waiter.resolve(waiter.events);
    keepAliveWhileSignalled();
    return;
  }
  resolveReadySignalled();
}

/** How many descriptors have O_ASYNC on, counted up to 2. */
function signallingOn(): number {
  let on = 0;
  for (const state of signalling.values()) if (state.on && ++on === 2) break;
  return on;
}

/** Resolves the signal-parked waits whose descriptors are ready (a nonblocking poll). */
function resolveReadySignalled(): void {
  const round = signalled;
  if (round.length === 0 || pollNow(round) <= 0) return;
  signalled = [];
  round.forEach((w, i) => {
    const revents = sweepView.getInt16(i * POLLFD_SIZE + 6, true);
    if (revents & (w.events | DONE)) {
      unpark(w.fd);
      w.resolve(revents);
    } else signalled.push(w);
  });
  keepAliveWhileSignalled();
}
