/**
 * The Windows side of lib/channel.ts. Each role (the writer, reader i) has
 * a named kernel mutex its endpoint holds on the JavaScript thread: a holder
 * that dies leaves it abandoned, which is how a probe tells a dead endpoint
 * from a live one. Each role also has a named auto-reset event that wakes it.
 * A sleeper waits (through the process's shared WaitForMultipleObjects,
 * lib/win32/sync.ts) on its event and on the process handles of the
 * endpoints it depends on, so a death wakes it. Names: `<name>.writer`,
 * `<name>.reader<i>` (mutexes) and `<name>.wake-writer`,
 * `<name>.wake-reader<i>` (events), with `Local\` implied.
 *
 * @module
 */
import { encodeWide } from "../ffi/mod.ts";
import type { ChannelPort, RoleClaim } from "../_channel_native.ts";
import { SLEEPS, WRITER_ROLE } from "../_channel_native.ts";
import type { NativeEvent, NativeWaitable } from "../_sync_native.ts";
import { win32ObjectName } from "../_names.ts";
import { Win32Error } from "./error.ts";
import { kernel32 } from "./kernel32.ts";
import { createEvent, waitAny } from "./sync.ts";

const WAIT_OBJECT_0 = 0;
const WAIT_ABANDONED_0 = 0x80;
const WAIT_TIMEOUT = 258;
const SYNCHRONIZE = 0x100000;

const roleName = (role: number) => (role === WRITER_ROLE ? "writer" : `reader${role}`);

/**
 * The OS side of one endpoint of the channel `name`.
 *
 * @param name The channel's name (checked).
 * @returns The port.
 * @example Opening a port
 * ```ts
 * import { channelPort } from "./channel.ts";
 * const port = channelPort("jobs");
 * port.close();
 * ```
 */
export function channelPort(name: string): ChannelPort {
  return new Win32ChannelPort(name);
}

/** A process handle as something waitAny can wait on: signaled once the process has ended. */
function processWaitable(handle: bigint, pid: number): NativeWaitable & { handle: bigint } {
  return {
    handle,
    osName: `process ${pid}`,
    created: false,
    tryTake: () => kernel32.symbols.WaitForSingleObject(handle, 0) === WAIT_OBJECT_0,
    undo() {},
    close: () => void kernel32.symbols.CloseHandle(handle),
  };
}

class Win32ChannelPort implements ChannelPort {
  #mutexes = new Map<number, bigint>();
  #events = new Map<number, NativeEvent>();
  #processes = new Map<number, NativeWaitable & { handle: bigint }>();

  constructor(readonly name: string) {}

  #mutex(role: number): bigint {
    let handle = this.#mutexes.get(role);
    if (handle === undefined) {
      const k = kernel32.symbols;
      handle = k.CreateMutexW(0n, 0, encodeWide(win32ObjectName(`${this.name}.${roleName(role)}`)));
      if (handle === 0n) throw new Win32Error(k.GetLastError(), "CreateMutexW");
      this.#mutexes.set(role, handle);
    }
    return handle;
  }

  #event(role: number): NativeEvent {
    let event = this.#events.get(role);
    if (!event) {
      event = createEvent(`${this.name}.wake-${roleName(role)}`, false, false, true);
      this.#events.set(role, event);
    }
    return event;
  }

  /** The process `pid` to wait on, or null when it has ended already. */
  #process(pid: number): (NativeWaitable & { handle: bigint }) | null {
    let process = this.#processes.get(pid);
    if (!process) {
      const handle = kernel32.symbols.OpenProcess(SYNCHRONIZE, 0, pid);
      if (handle === 0n) return null;
      this.#processes.set(pid, process = processWaitable(handle, pid));
    }
    if (process.tryTake()) {
      this.#forget(pid);
      return null;
    }
    return process;
  }

  #forget(pid: number): void {
    this.#processes.get(pid)?.close();
    this.#processes.delete(pid);
  }

  claim(role: number): RoleClaim {
    const result = kernel32.symbols.WaitForSingleObject(this.#mutex(role), 0);
    if (result === WAIT_OBJECT_0) return "acquired";
    if (result === WAIT_ABANDONED_0) return "abandoned";
    if (result === WAIT_TIMEOUT) return "busy";
    throw new Win32Error(kernel32.symbols.GetLastError(), "WaitForSingleObject");
  }

  unclaim(role: number): void {
    const k = kernel32.symbols;
    if (!k.ReleaseMutex(this.#mutex(role))) throw new Win32Error(k.GetLastError(), "ReleaseMutex");
  }

  held(role: number): boolean {
    if (this.claim(role) === "busy") return true;
    this.unclaim(role);
    return false;
  }

  async #sleep(
    event: NativeEvent,
    pids: readonly number[],
    timeoutMs: number | undefined,
    signal: AbortSignal,
  ): Promise<void> {
    const objects: NativeWaitable[] = [event];
    const waited: number[] = [];
    for (const pid of pids) {
      const process = this.#process(pid);
      if (!process) return; // it has ended: the caller looks at once
      objects.push(process);
      waited.push(pid);
    }
    let index: number;
    try {
      index = await waitAny(objects, timeoutMs, signal);
    } catch (error) {
      if (signal.aborted) return;
      throw error;
    }
    if (index > 0) this.#forget(waited[index - 1]!);
  }

  sleepMark(): number {
    return SLEEPS.onWord;
  }

  sleepReader(
    reader: number,
    _expectedHead: number,
    _expectedWake: number,
    _expectedState: number,
    writerPid: number,
    timeoutMs: number | undefined,
    signal: AbortSignal,
  ): Promise<void> {
    return this.#sleep(this.#event(reader), writerPid ? [writerPid] : [], timeoutMs, signal);
  }

  wakeReaders(readers: readonly number[]): void {
    for (const reader of readers) this.#event(reader).set();
  }

  signal(): void {
    // Never called: no end sleeps by signal on Windows (sleepMark).
  }

  sleepWriter(
    _expectedSpace: number,
    readers: readonly { index: number; pid: number }[],
    timeoutMs: number | undefined,
    signal: AbortSignal,
  ): Promise<void> {
    const pids = readers.map((r) => r.pid).filter((pid) => pid !== 0);
    return this.#sleep(this.#event(WRITER_ROLE), [...new Set(pids)], timeoutMs, signal);
  }

  waitable(reader: number, announce: () => void, ready: () => boolean): NativeWaitable {
    const event = this.#event(reader);
    const handle = (event as unknown as { handle: bigint }).handle;
    // lib/win32/sync.ts's waitAny reads `handle` before it waits. A set left over from an
    // earlier wake is cleared first; then the event is set if there is something already, so the
    // wait returns at once; otherwise the writer sets it (it looks after the announcement).
    return {
      osName: event.osName,
      created: false,
      get handle() {
        event.reset();
        announce();
        if (ready()) event.set();
        return handle;
      },
      tryTake: () => kernel32.symbols.WaitForSingleObject(handle, 0) === WAIT_OBJECT_0,
      undo() {},
      close() {},
    } as NativeWaitable;
  }

  yieldCpu(): void {
    kernel32.symbols.SwitchToThread();
  }

  wakeWriter(): void {
    this.#event(WRITER_ROLE).set();
  }

  close(): void {
    const k = kernel32.symbols;
    for (const handle of this.#mutexes.values()) k.CloseHandle(handle);
    for (const event of this.#events.values()) event.close();
    for (const pid of [...this.#processes.keys()]) this.#forget(pid);
    this.#mutexes.clear();
    this.#events.clear();
  }
}
