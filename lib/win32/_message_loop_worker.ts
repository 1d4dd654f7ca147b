// The message-loop thread: owns message-only windows, blocks in GetMessageW,
// and hands each message JavaScript handles to the JavaScript thread. A
// synchronous message waits (Atomics.wait, bounded) for the answer the
// JavaScript thread computes. Commands arrive on a MessagePort and are read
// synchronously (receiveMessageOnPort) when WM_LOOP_COMMANDS wakes the loop,
// so this thread never returns to its own event loop and never polls.
import {
  type MessagePort,
  parentPort,
  receiveMessageOnPort,
  workerData,
} from "node:worker_threads";
import { callback, encodeWide, NativeMemory, runThreadCalls } from "../ffi/mod.ts";
import { kernel32 } from "./kernel32.ts";
import { MSG, WNDCLASSEXW } from "./structs.ts";
import { user32 } from "./user32.ts";
import {
  type LoopCommand,
  type LoopError,
  type LoopEvent,
  MAX_SEQ,
  PHASE,
  PICKUP_TIMEOUT,
  WM_LOOP_COMMANDS,
} from "./_message_loop_protocol.ts";

const { commands, handoff } = workerData as { commands: MessagePort; handoff: SharedArrayBuffer };
const state = new Int32Array(handoff, 0, 1);
const answer = new BigInt64Array(handoff, 8, 1);
const HWND_MESSAGE = 0xfffffffffffffffdn; // (HWND)-3
const PM_NOREMOVE = 0;

const u = user32.symbols;
const hInstance = kernel32.symbols.GetModuleHandleW(null);

class CallFailed extends Error {
  constructor(readonly code: number, readonly syscall: string) {
    super(`${syscall} failed (code ${code})`);
  }
}

function lastError(syscall: string): CallFailed {
  return new CallFailed(kernel32.symbols.GetLastError(), syscall);
}

function send(event: LoopEvent): void {
  parentPort!.postMessage(event);
}

function asLoopError(error: unknown): LoopError {
  return error instanceof CallFailed
    ? { code: error.code, syscall: error.syscall }
    : { message: String((error as Error)?.message ?? error) };
}

interface WindowEntry {
  readonly className: string;
  readonly replied: ReadonlySet<number>;
  readonly posted: ReadonlySet<number>;
  readonly replyTimeout: number;
}
const windows = new Map<bigint, WindowEntry>();
/** Registered classes: how many of our windows use each. */
const classes = new Map<string, number>();
let seq = 0;

/**
 * Hands a synchronous message to JavaScript and waits for its answer: at most
 * PICKUP_TIMEOUT for the JavaScript thread to take it (it may be busy with
 * other work), then at most `replyTimeout` for a handler's asynchronous answer.
 */
function handOff(
  hwnd: bigint,
  message: number,
  wParam: bigint,
  lParam: bigint,
  replyTimeout: number,
) {
  seq = (seq % MAX_SEQ) + 1;
  const base = seq * 8;
  Atomics.store(state, 0, base + PHASE.PENDING);
  send({ type: "message", seq, hwnd, message, wParam, lParam });
  let deadline = performance.now() + PICKUP_TIMEOUT;
  let released = false;
  for (;;) {
    const current = Atomics.load(state, 0);
    const phase = current & 7;
    if (phase === PHASE.ANSWERED) {
      const result = answer[0]!;
      Atomics.store(state, 0, PHASE.IDLE);
      return result;
    }
    if (phase === PHASE.TAKEN || phase === PHASE.WRITING) {
      // JavaScript is reading the message's memory or writing the answer:
      // the sender's memory must stay valid, so no giving up here.
      Atomics.wait(state, 0, current);
      continue;
    }
    if (phase === PHASE.RELEASED && !released) {
      released = true;
      deadline = performance.now() + replyTimeout;
    }
    const remaining = deadline - performance.now();
    if (remaining > 0) {
      Atomics.wait(state, 0, current, remaining);
      continue;
    }
    if (Atomics.compareExchange(state, 0, current, base + PHASE.ABANDONED) === current) return 0n;
  }
}

const windowProcedure = callback(
  { args: ["pointer", "u32", "usize", "isize"], returns: "isize" },
  (hwnd: bigint, message: number, wParam: bigint, lParam: bigint): bigint => {
    const entry = windows.get(hwnd);
    if (entry?.posted.has(message)) {
      send({ type: "posted", hwnd, message, wParam, lParam });
      return 0n;
    }
    if (entry?.replied.has(message)) {
      return handOff(hwnd, message, wParam, lParam, entry.replyTimeout);
    }
    return u.DefWindowProcW(hwnd, message, wParam, lParam);
  },
);

function registerClass(className: string): void {
  const uses = classes.get(className) ?? 0;
  if (uses === 0) {
    // RegisterClassExW copies the name; it only has to live for the call.
    const name = encodeWide(className);
    using nameMemory = NativeMemory.alloc(name.byteLength);
    nameMemory.bytes.set(name);
    using wndClass = NativeMemory.alloc(WNDCLASSEXW.size);
    const view = wndClass.view;
    WNDCLASSEXW.set(view, "cbSize", WNDCLASSEXW.size);
    WNDCLASSEXW.set(view, "lpfnWndProc", windowProcedure.pointer);
    WNDCLASSEXW.set(view, "hInstance", hInstance);
    WNDCLASSEXW.set(view, "lpszClassName", nameMemory.address);
    if (u.RegisterClassExW(wndClass.address) === 0) throw lastError("RegisterClassExW");
  }
  classes.set(className, uses + 1);
}

function releaseClass(className: string): void {
  const uses = (classes.get(className) ?? 1) - 1;
  if (uses > 0) {
    classes.set(className, uses);
    return;
  }
  classes.delete(className);
  if (!u.UnregisterClassW(encodeWide(className), hInstance)) throw lastError("UnregisterClassW");
}

function createWindow(command: Extract<LoopCommand, { op: "createWindow" }>): bigint {
  registerClass(command.className);
  const hwnd = u.CreateWindowExW(
    0,
    encodeWide(command.className),
    encodeWide(command.title),
    0,
    0,
    0,
    0,
    0,
    HWND_MESSAGE,
    0n,
    hInstance,
    0n,
  );
  if (hwnd === 0n) {
    const error = lastError("CreateWindowExW");
    releaseClass(command.className);
    throw error;
  }
  windows.set(hwnd, {
    className: command.className,
    replied: new Set(command.replied),
    posted: new Set(command.posted),
    replyTimeout: command.replyTimeout,
  });
  return hwnd;
}

function destroyWindow(hwnd: bigint): void {
  const entry = windows.get(hwnd);
  if (!entry) return;
  windows.delete(hwnd);
  if (!u.DestroyWindow(hwnd)) {
    const error = lastError("DestroyWindow");
    releaseClass(entry.className);
    throw error;
  }
  releaseClass(entry.className);
}

/** Runs the commands waiting on the port; false once told to quit. */
function runCommands(): boolean {
  for (let received; (received = receiveMessageOnPort(commands));) {
    const command = received.message as LoopCommand;
    if (command.op === "quit") return false;
    try {
      const value = command.op === "createWindow"
        ? createWindow(command)
        : command.op === "destroyWindow"
        ? destroyWindow(command.hwnd)
        : runThreadCalls(command.calls);
      send({ type: "reply", id: command.id, ok: true, value });
    } catch (error) {
      send({ type: "reply", id: command.id, ok: false, error: asLoopError(error) });
    }
  }
  return true;
}

function run(): void {
  using msg = NativeMemory.alloc(MSG.size);
  // The thread's message queue exists once it has asked for a message, so
  // PostThreadMessageW from the JavaScript thread can reach it after "ready".
  u.PeekMessageW(msg.address, 0n, 0, 0, PM_NOREMOVE);
  send({ type: "ready", threadId: kernel32.symbols.GetCurrentThreadId() });
  for (;;) {
    const got = u.GetMessageW(msg.address, 0n, 0, 0);
    if (got === -1) {
      send({ type: "fatal", error: asLoopError(lastError("GetMessageW")) });
      break;
    }
    if (got === 0) break; // WM_QUIT
    const view = msg.view;
    if (MSG.get(view, "hwnd") === 0n && MSG.get(view, "message") === WM_LOOP_COMMANDS) {
      if (!runCommands()) break;
      continue;
    }
    u.DispatchMessageW(msg.address);
  }
}

try {
  run();
} catch (error) {
  send({ type: "fatal", error: asLoopError(error) });
} finally {
  // Nothing of the loop outlives it: windows, then classes, then the procedure.
  for (const hwnd of [...windows.keys()]) {
    try {
      destroyWindow(hwnd);
    } catch {
      // The window is gone with its thread either way.
    }
  }
  windowProcedure.close();
  commands.close();
  send({ type: "exited" });
}
