// The message-loop thread: owns message-only windows and native callbacks,
// blocks in GetMessageW, and hands each message or callback invocation that
// JavaScript handles to the JavaScript thread. A synchronous one waits
// (Atomics.wait on the doorbell, bounded) for the answer the JavaScript
// thread computes, and meanwhile runs the commands that thread sends (native
// calls its handler needs). Commands arrive on a MessagePort and are read
// synchronously (receiveMessageOnPort) when WM_LOOP_COMMANDS reaches the
// loop's command window or the doorbell rings, so this thread never returns
// to its own event loop and never polls.
import {
  type MessagePort,
  parentPort,
  receiveMessageOnPort,
  workerData,
} from "node:worker_threads";
import {
  type Callback,
  callback,
  type CallbackDef,
  collectGarbage,
  encodeWide,
  nativeBuffer,
  NativeMemory,
  runThreadCalls,
  type ThreadCallMessage,
} from "../ffi/mod.ts";
import {
  closeUnknownMethods,
  isCallForLeftApartment,
  unknownMethods,
} from "./com/_server_thread.ts";
import { ole32 } from "./com/ole32.ts";
import { kernel32 } from "./kernel32.ts";
import { MSG, WNDCLASSEXW } from "./structs.ts";
import { user32 } from "./user32.ts";
import {
  ANSWER_KIND,
  answerIndex,
  type ArgumentReadMessage,
  DOORBELL,
  HANDOFF_SLOTS,
  type HandOffEvent,
  kindIndex,
  type LoopCommand,
  type LoopError,
  type LoopEvent,
  type LoopOperand,
  MAX_SEQ,
  PHASE,
  PICKUP_TIMEOUT,
  stateIndex,
  WM_LOOP_COMMANDS,
} from "./_message_loop_protocol.ts";

const { commands, handoff } = workerData as { commands: MessagePort; handoff: SharedArrayBuffer };
const words = new Int32Array(handoff);
const answers = new BigInt64Array(handoff);
const HWND_MESSAGE = 0xfffffffffffffffdn; // (HWND)-3
const COMMAND_CLASS = "ipckit.LoopCommands";

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
const callbacks = new Map<number, Callback>();
let nextCallback = 1;
/** Receives WM_LOOP_COMMANDS: a window, so a modal loop inside a native call dispatches it too. */
let commandWindow = 0n;
let seq = 0;
/** Hand-offs waiting now (nested when a command's call dispatched another message). */
let depth = 0;
/**
 * Calls sent with `outside` running now: a modal loop inside one (DDEML's
 * synchronous transaction) dispatches the command window, and another such
 * call run there would nest in it (DDEML's reentrancy: Wine does not refuse
 * it, and the inner transaction then takes the outer one's answer).
 */
let outsideRunning = 0;
/** Commands taken from the port and not yet run (those that must wait for depth 0). */
const queued: LoopCommand[] = [];
let quitting = false;
/**
 * Commands and hand-offs since the last garbage collection. This thread
 * never returns to its event loop, where the engine schedules its collection
 * work, so its garbage would pile up to the heap's limit (a Deno process
 * under Wine committed 0.12 KiB more per call): the loop collects after this
 * many, between messages (docs/ffi.md, "Garbage on the loop thread").
 */
let workSinceCollection = 0;
const COLLECT_EVERY = 4096;

/** A hand-off's answer: its 64 bits and what they are (ANSWER_KIND). */
interface Answer {
  readonly value: bigint;
  readonly kind: number;
}
const NO_ANSWER: Answer = { value: 0n, kind: ANSWER_KIND.VALUE };

/**
 * Hands a synchronous message or callback invocation to JavaScript and waits
 * for its answer: at most PICKUP_TIMEOUT for the JavaScript thread to take it
 * (it may be busy with other work), then at most `replyTimeout` for a
 * handler's asynchronous answer. Commands that arrive meanwhile run here.
 */
function handOff(event: HandOffEvent, replyTimeout: number): Answer {
  if (depth === HANDOFF_SLOTS) {
    send({ type: "overflow", target: event });
    return NO_ANSWER;
  }
  const slot = depth++;
  workSinceCollection++;
  try {
    seq = (seq % MAX_SEQ) + 1;
    const base = seq * 8;
    const at = stateIndex(slot);
    Atomics.store(words, at, base + PHASE.PENDING);
    send({ ...event, slot, seq });
    let deadline = performance.now() + PICKUP_TIMEOUT;
    let released = false;
    for (;;) {
      // Read the doorbell first: a ring after this read makes the wait return at once.
      const ticket = Atomics.load(words, DOORBELL);
      const current = Atomics.load(words, at);
      const phase = current & 7;
      if (phase === PHASE.ANSWERED) {
        const answer = { value: answers[answerIndex(slot)]!, kind: words[kindIndex(slot)]! };
        Atomics.store(words, at, PHASE.IDLE);
        return answer;
      }
      if (phase === PHASE.ABANDONED) return NO_ANSWER; // JavaScript closed the window or callback
      // Commands sent after the answer run once this call has returned, not inside it.
      if (runCommands(() => (Atomics.load(words, at) & 7) >= PHASE.ANSWERED)) continue;
      if (phase === PHASE.TAKEN || phase === PHASE.WRITING) {
        // JavaScript is reading the message's memory or writing the answer:
        // the sender's memory must stay valid, so no giving up here.
        Atomics.wait(words, DOORBELL, ticket);
        continue;
      }
      if (phase === PHASE.RELEASED && !released) {
        released = true;
        deadline = performance.now() + replyTimeout;
      }
      const remaining = deadline - performance.now();
      if (remaining > 0) {
        Atomics.wait(words, DOORBELL, ticket, remaining);
        continue;
      }
      if (Atomics.compareExchange(words, at, current, base + PHASE.ABANDONED) === current) {
        return NO_ANSWER;
      }
    }
  } finally {
    // Closes deferred during the hand-off run once the callback has returned.
    if (--depth === 0 && outsideRunning === 0 && queued.length > 0) {
      u.PostMessageW(commandWindow, WM_LOOP_COMMANDS, 0n, 0n);
    }
  }
}

const windowProcedure = callback(
  { args: ["pointer", "u32", "usize", "isize"], returns: "isize" },
  (hwnd: bigint, message: number, wParam: bigint, lParam: bigint): bigint => {
    if (hwnd === commandWindow && message === WM_LOOP_COMMANDS) {
      // Dispatched by a modal loop inside a native call (the main loop runs them itself).
      runCommands();
      return 0n;
    }
    const entry = windows.get(hwnd);
    if (entry?.posted.has(message)) {
      send({ type: "posted", hwnd, message, wParam, lParam });
      return 0n;
    }
    if (entry?.replied.has(message)) {
      return handOff({ type: "message", hwnd, message, wParam, lParam }, entry.replyTimeout).value;
    }
    return u.DefWindowProcW(hwnd, message, wParam, lParam);
  },
);

/** How a callback's answer (the slot's 64 bits) becomes its native result. */
function resultOf(returns: CallbackDef["returns"]): (answer: bigint) => unknown {
  switch (returns) {
    case "void":
      return () => undefined;
    case "i8":
    case "i16":
    case "i32":
      return (answer) => Number(BigInt.asIntN(Number(returns.slice(1)), answer));
    case "u8":
    case "u16":
    case "u32":
      return (answer) => Number(BigInt.asUintN(Number(returns.slice(1)), answer));
    case "i64":
    case "isize":
      return (answer) => answer;
    case "u64":
    case "usize":
    case "pointer":
      return (answer) => BigInt.asUintN(64, answer);
    default:
      throw new TypeError(`A loop callback cannot return ${returns}: its answer is an integer`);
  }
}

/** What the operands of a call made around a callback invocation resolve against. */
interface CallContext {
  readonly args?: readonly unknown[];
  readonly buffer?: bigint;
  readonly length?: number;
  readonly results?: readonly unknown[];
}

function resolve(operand: unknown, context: CallContext): unknown {
  if (typeof operand !== "object" || operand === null) return operand;
  const o = operand as LoopOperand;
  switch (o.$) {
    case "arg": {
      const value = context.args![o.index];
      if (o.mask === undefined) return value;
      return typeof value === "bigint" ? value & BigInt(o.mask) : (value as number) & o.mask;
    }
    case "buffer":
      return context.buffer;
    case "length":
      return context.length;
    case "u32At":
      return new DataView(nativeBuffer(o.address, 4)).getUint32(0, true);
    case "result":
      return context.results![o.index];
  }
}

function runCall(call: ThreadCallMessage, context: CallContext): unknown {
  return runThreadCalls([{ ...call, args: call.args.map((a) => resolve(a, context)) }])[0];
}

/** A batch whose calls may take earlier calls' results as arguments. */
function runCalls(calls: readonly ThreadCallMessage[]): unknown[] {
  const results: unknown[] = [];
  for (const call of calls) results.push(runCall(call, { results }));
  return results;
}

/** One argument read before a hand-off: its bytes, or null for a 0 argument. */
function readArgument(read: ArgumentReadMessage, args: readonly unknown[]): Uint8Array | null {
  const value = args[read.arg];
  if (value === 0n || value === 0 || value == null) return null;
  const size = typeof read.size === "number" ? read.size : Number(runCall(read.size, { args }));
  if (!(size > 0)) return new Uint8Array(0);
  using buffer = NativeMemory.alloc(size);
  const count = Number(runCall(read.read, { args, buffer: buffer.address, length: size }));
  return buffer.bytes.slice(0, Math.max(0, Math.min(count * read.unit, size)));
}

/** The native result of an answer given as bytes: the `answer` call's, made with them. */
function answerFromBytes(call: ThreadCallMessage, args: readonly unknown[], address: bigint) {
  const length = Number(new DataView(nativeBuffer(address, 8)).getBigUint64(0, true));
  using memory = NativeMemory.adopt(address, 8 + length);
  return BigInt(runCall(call, { args, buffer: memory.address + 8n, length }) as bigint | number);
}

function makeCallback(command: Extract<LoopCommand, { op: "callback" }>) {
  const id = nextCallback++;
  const toResult = resultOf(command.def.returns);
  const { reads, answer: answerCall } = command;
  const made = callback(command.def, (...args: unknown[]) => {
    const event = reads
      ? {
        type: "call" as const,
        callback: id,
        args: [...args, reads.map((r) => readArgument(r, args))],
      }
      : { type: "call" as const, callback: id, args };
    const answer = handOff(event, command.replyTimeout);
    return toResult(
      answer.kind === ANSWER_KIND.BYTES && answerCall
        ? answerFromBytes(answerCall, args, answer.value)
        : answer.value,
    );
  });
  callbacks.set(id, made);
  return { callback: id, pointer: made.pointer };
}

function closeCallback(id: number): void {
  callbacks.get(id)?.close();
  callbacks.delete(id);
}

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

function messageOnlyWindow(className: string, title: string): bigint {
  registerClass(className);
  const hwnd = u.CreateWindowExW(
    0,
    encodeWide(className),
    encodeWide(title),
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
    releaseClass(className);
    throw error;
  }
  return hwnd;
}

function createWindow(command: Extract<LoopCommand, { op: "createWindow" }>): bigint {
  const hwnd = messageOnlyWindow(command.className, command.title);
  windows.set(hwnd, {
    className: command.className,
    replied: new Set(command.replied),
    posted: new Set(command.posted),
    replyTimeout: command.replyTimeout,
  });
  return hwnd;
}

function destroyMessageOnlyWindow(hwnd: bigint, className: string): void {
  if (!u.DestroyWindow(hwnd)) {
    const error = lastError("DestroyWindow");
    releaseClass(className);
    throw error;
  }
  releaseClass(className);
}

function destroyWindow(hwnd: bigint): void {
  const entry = windows.get(hwnd);
  if (!entry) return;
  windows.delete(hwnd);
  destroyMessageOnlyWindow(hwnd, entry.className);
}

/**
 * Closes that could pull code or a window out from under a waiting hand-off
 * wait for depth 0, and so do calls sent with `outside` (calls a native
 * library refuses from inside its own callback); both also wait for the end
 * of an `outside` call that is running.
 */
const AT_DEPTH_ZERO = new Set<LoopCommand["op"]>([
  "destroyWindow",
  "closeCallback",
  "comUninitialize",
  "quit",
]);

function run(command: LoopCommand): unknown {
  workSinceCollection++;
  switch (command.op) {
    case "createWindow":
      return createWindow(command);
    case "destroyWindow":
      return destroyWindow(command.hwnd);
    case "calls":
      if (!command.outside) return runCalls(command.calls);
      outsideRunning++;
      try {
        return runCalls(command.calls);
      } finally {
        // Commands deferred while it ran go next.
        if (--outsideRunning === 0 && depth === 0 && queued.length > 0) {
          u.PostMessageW(commandWindow, WM_LOOP_COMMANDS, 0n, 0n);
        }
      }
    case "callback":
      return makeCallback(command);
    case "closeCallback":
      return closeCallback(command.callback);
    case "comUnknown":
      return unknownMethods();
    case "comUninitialize":
      // As Windows' CoUninitialize does and Wine's does not: the calls already posted to the
      // apartment are answered first, while it is still this thread's.
      dispatchQueued();
      ole32.symbols.CoUninitializeOnLoop();
      return undefined;
    case "quit":
      quitting = true;
      return undefined;
  }
}

/**
 * Runs the commands that can run now, in order, until `answered()` says the
 * hand-off waiting here has its answer; true if it ran any.
 */
function runCommands(answered: () => boolean = () => false): boolean {
  for (let received; (received = receiveMessageOnPort(commands));) {
    queued.push(received.message as LoopCommand);
  }
  let ran = false;
  for (let i = 0; i < queued.length && !answered();) {
    const command = queued[i]!;
    if (
      (depth > 0 || outsideRunning > 0) &&
      (AT_DEPTH_ZERO.has(command.op) || (command.op === "calls" && command.outside))
    ) {
      i++;
      continue;
    }
    queued.splice(i, 1);
    ran = true;
    try {
      const value = run(command);
      if (command.op !== "quit") send({ type: "reply", id: command.id, ok: true, value });
    } catch (error) {
      send({ type: "reply", id: command.id, ok: false, error: asLoopError(error) });
    }
  }
  return ran;
}

const PM_REMOVE = 1;
const WM_QUIT = 0x12;
/** The loop's MSG, filled by GetMessageW and PeekMessageW; freed as the loop thread exits. */
const msg = NativeMemory.alloc(MSG.size);

/** Dispatches the message in `msg`, unless it is a call for an apartment this thread has left. */
function dispatch(): void {
  const view = msg.view;
  const hwnd = MSG.get(view, "hwnd");
  if (hwnd !== commandWindow && isCallForLeftApartment(hwnd, MSG.get(view, "message"))) return;
  u.DispatchMessageW(msg.address);
}

/** Dispatches every message already queued, without waiting; a doorbell taken is rung again. */
function dispatchQueued(): void {
  let doorbell = false;
  while (u.PeekMessageW(msg.address, 0n, 0, 0, PM_REMOVE)) {
    const view = msg.view;
    const message = MSG.get(view, "message");
    if (message === WM_QUIT) {
      quitting = true; // as GetMessageW's 0 would have
      break;
    }
    if (MSG.get(view, "hwnd") === commandWindow && message === WM_LOOP_COMMANDS) doorbell = true;
    else dispatch();
  }
  if (doorbell) u.PostMessageW(commandWindow, WM_LOOP_COMMANDS, 0n, 0n);
}

function loop(): void {
  commandWindow = messageOnlyWindow(COMMAND_CLASS, "");
  send({ type: "ready", commandWindow });
  while (!quitting) {
    const got = u.GetMessageW(msg.address, 0n, 0, 0);
    if (got === -1) {
      send({ type: "fatal", error: asLoopError(lastError("GetMessageW")) });
      break;
    }
    if (got === 0) break; // WM_QUIT
    const view = msg.view;
    if (MSG.get(view, "hwnd") === commandWindow && MSG.get(view, "message") === WM_LOOP_COMMANDS) {
      // Here rather than in the window procedure: one native frame and one engine entry fewer.
      runCommands();
    } else {
      dispatch();
    }
    if (workSinceCollection >= COLLECT_EVERY) {
      workSinceCollection = 0;
      collectGarbage();
    }
  }
}

try {
  loop();
} catch (error) {
  send({ type: "fatal", error: asLoopError(error) });
} finally {
  // Nothing of the loop outlives it: windows, then classes, then the callbacks.
  for (const hwnd of [...windows.keys()]) {
    try {
      destroyWindow(hwnd);
    } catch {
      // The window is gone with its thread either way.
    }
  }
  if (commandWindow !== 0n) {
    try {
      destroyMessageOnlyWindow(commandWindow, COMMAND_CLASS);
    } catch {
      // As above.
    }
  }
  for (const id of [...callbacks.keys()]) closeCallback(id);
  closeUnknownMethods();
  msg.free();
  windowProcedure.close();
  commands.close();
  send({ type: "exited" });
}
