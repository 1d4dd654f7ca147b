// The Windows message-loop thread: handlers answer sent messages with values
// computed on the JavaScript thread (synchronously or after an await), posted
// messages reach their handler, a handler that never answers is cut off by
// the reply timeout, timers tick meanwhile, an idle window costs ~0 % CPU,
// and the last close leaves no thread, window or class: the process then
// exits on its own (no process.exit here). Native callbacks made on the loop
// thread are handled here too, and a handler may run native calls on the
// loop thread (commands) while the loop waits for its answer; closing a
// window or callback whose handler holds a message answers it 0 at once.
import process from "node:process";
import { decodeWide, encodeWide, NativeLibrary, NativeMemory } from "../../lib/ffi/mod.ts";
import { kernel32 } from "../../lib/win32/kernel32.ts";
import {
  type LoopCallback,
  MessageLoop,
  messageLoopRunning,
  MessageWindow,
  operand,
} from "../../lib/win32/message_loop.ts";
import { user32 } from "../../lib/win32/user32.ts";
import { report } from "./_peers.ts";

const WM_USER = 0x0400;
const HWND_MESSAGE = 0xfffffffffffffffdn;
const SMTO_ABORTIFHUNG = 0x2;
const className = `ipckit.LoopTest.${process.pid}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const errorName = (fn: () => unknown) => {
  try {
    fn();
    return "none";
  } catch (error) {
    return (error as Error).name;
  }
};
const rejectionName = (promise: Promise<unknown>) =>
  promise.then(() => "none", (error) => (error as Error).name);

/** SendMessageTimeoutW from a thread of the blocking-call pool (the JS thread stays free). */
async function sendFromOtherThread(hwnd: bigint, message: number, wParam: bigint, timeout = 5000) {
  using result = NativeMemory.alloc(8);
  const ok = await user32.symbols.SendMessageTimeoutWAsync(
    hwnd,
    message,
    wParam,
    0n,
    SMTO_ABORTIFHUNG,
    timeout,
    result.address,
  );
  return { ok: ok !== 0n, result: result.view.getBigInt64(0, true) };
}

report("running_before", messageLoopRunning());
const posted: bigint[] = [];
let gotPosted!: () => void;
const postedArrived = new Promise<void>((resolve) => (gotPosted = resolve));
const window = await MessageWindow.create({
  className,
  title: "tëst-✓-𝄞 loop",
  handlers: {
    [WM_USER]: ({ wParam }) => wParam * 2n + 1n,
    [WM_USER + 1]: async ({ wParam }) => {
      await sleep(50);
      return wParam + 1000n;
    },
    [WM_USER + 2]: () => new Promise<never>(() => {}),
    [WM_USER + 3]: ({ wParam }) => {
      posted.push(wParam);
      if (posted.length === 3) gotPosted();
    },
    [WM_USER + 4]: () => {
      throw new Error("handler failed");
    },
    // Native calls on the loop thread while it waits for this very answer.
    [WM_USER + 5]: async () => BigInt(await window.call(kernel32, "GetCurrentThreadId")),
  },
  posted: [WM_USER + 3],
  replyTimeout: 400,
  onError: (error) => report("handler_error", (error as Error).message),
});
report("running", messageLoopRunning());
report(
  "found_by_title",
  user32.symbols.FindWindowExW(
    HWND_MESSAGE,
    0n,
    encodeWide(className),
    encodeWide("tëst-✓-𝄞 loop"),
  ) ===
    window.hwnd,
);
const loopThread = await window.call(kernel32, "GetCurrentThreadId");
report("loop_thread_is_other", loopThread !== kernel32.symbols.GetCurrentThreadId());

report("sync_answer", String((await sendFromOtherThread(window.hwnd, WM_USER, 20n)).result));
report("async_answer", String((await sendFromOtherThread(window.hwnd, WM_USER + 1, 7n)).result));
const answers = await Promise.all(
  [1n, 2n, 3n, 4n, 5n].map((n) => sendFromOtherThread(window.hwnd, WM_USER, n)),
);
report("concurrent_answers", answers.map((a) => String(a.result)));

// A handler that never answers: the loop gives up after its reply timeout,
// and the JavaScript thread keeps running timers meanwhile.
let ticks = 0;
const ticker = setInterval(() => ticks++, 10);
const hung = await sendFromOtherThread(window.hwnd, WM_USER + 2, 0n);
clearInterval(ticker);
report("hung_answer", { ok: hung.ok, result: String(hung.result) });
report("ticked_while_waiting", ticks > 5);
report("after_hung", String((await sendFromOtherThread(window.hwnd, WM_USER, 1n)).result));
report("throwing_answer", String((await sendFromOtherThread(window.hwnd, WM_USER + 4, 0n)).result));
report(
  "unhandled_goes_to_defwindowproc",
  (await sendFromOtherThread(window.hwnd, WM_USER + 9, 0n)).ok,
);

window.post(WM_USER + 3, 1n);
window.post(WM_USER + 3, 2n);
window.post(WM_USER + 3, 3n);
await postedArrived;
report("posted_in_order", posted.map(String));

// Two windows share the thread; the class stays until the last is gone.
const second = await MessageWindow.create({ className, title: "second", handlers: {} });
report("same_thread", (await second.call(kernel32, "GetCurrentThreadId")) === loopThread);
await second.close();
report("first_still_answers", String((await sendFromOtherThread(window.hwnd, WM_USER, 4n)).result));

report(
  "window_runs_calls_while_held",
  (await sendFromOtherThread(window.hwnd, WM_USER + 5, 0n)).result === BigInt(loopThread),
);

// Native callbacks made on the loop thread; CallWindowProcW calls one there.
const WNDPROC = { args: ["pointer", "u32", "usize", "isize"], returns: "isize" } as const;
const loop = MessageLoop.open();
const callThrough = (made: LoopCallback, wParam: bigint, lParam = 0n): Promise<bigint> =>
  loop.call(user32, "CallWindowProcW", made.pointer, 0n, WM_USER, wParam, lParam);
const tripled = await loop.callback(
  WNDPROC,
  (_hwnd: bigint, _message: number, wParam: bigint, lParam: bigint) => wParam * 3n + lParam,
);
report("callback_answer", String(await callThrough(tripled, 5n, 2n)));
// While an invocation is held, its handler runs native calls on the loop
// thread, creates a window there and calls another callback (nested).
const inner = await loop.callback(WNDPROC, async (_h: bigint, _m: number, wParam: bigint) => {
  await sleep(10);
  return wParam + 1n;
});
let madeWhileHeld: MessageWindow | undefined;
const outer = await loop.callback(WNDPROC, async (_h: bigint, _m: number, wParam: bigint) => {
  const threadId: number = await loop.call(kernel32, "GetCurrentThreadId");
  madeWhileHeld = await MessageWindow.create({ className, title: "made while held", handlers: {} });
  const nested: bigint = await callThrough(inner, wParam);
  return (threadId === loopThread ? 1000n : 0n) + nested;
});
report("callback_runs_calls_while_held", String(await callThrough(outer, 41n)));
report("window_made_while_held", madeWhileHeld !== undefined);
await madeWhileHeld?.close();
// A callback whose argument (an atom) the loop thread reads before the hand-off (the handler
// gets its name's bytes) and whose bytes answer becomes its result there (lstrlenW of them).
const wide = new NativeLibrary(
  { windows: "kernel32.dll" },
  {
    GlobalAddAtomW: { args: ["pointer"], returns: "u16" },
    GlobalFindAtomW: { args: ["pointer"], returns: "u16" },
    GlobalDeleteAtom: { args: ["usize"], returns: "u16" },
    GlobalGetAtomNameW: { args: ["usize", "pointer", "i32"], returns: "u32" },
    lstrlenW: { args: ["pointer"], returns: "i32" },
  } as const,
);
using atomName = NativeMemory.alloc(64);
atomName.bytes.set(encodeWide(`ipckit-loop-${process.pid}`));
const [atom] = await loop.batch([[wide, "GlobalAddAtomW", atomName.address]]);
const reader = await loop.callback(
  WNDPROC,
  (_h: bigint, _m: number, _w: bigint, _l: bigint, [name]: (Uint8Array | null)[]) =>
    encodeWide(`${decodeWide(name!)}!`),
  {
    reads: [{
      arg: 2,
      size: 512,
      read: [wide, "GlobalGetAtomNameW", operand.arg(2), operand.buffer, 256],
      unit: 2,
    }],
    answer: [wide, "lstrlenW", operand.buffer],
  },
);
report(
  "callback_reads_and_answers_bytes",
  Number(await callThrough(reader, BigInt(atom))) === `ipckit-loop-${process.pid}!`.length,
);
// A batch passes one call's result to a later one.
report(
  "batch_result_operand",
  await loop.batch([
    [wide, "GlobalFindAtomW", atomName.address],
    [wide, "GlobalDeleteAtom", operand.result(0)],
    [wide, "GlobalFindAtomW", atomName.address],
  ]).then(([found, deleted, after]) => found === atom && deleted === 0 && after === 0),
);
// A callback closed by its own handler is freed only after it has returned.
let selfClosed: Promise<void> | undefined;
const selfClosing: LoopCallback = await loop.callback(WNDPROC, () => {
  selfClosed = selfClosing.close();
  return 7n;
});
report("callback_closed_by_itself", String(await callThrough(selfClosing, 0n)));
await selfClosed;
report(
  "callback_thrown",
  String(
    await callThrough(
      await loop.callback(WNDPROC, () => {
        throw new Error("callback failed");
      }, { onError: (error) => report("callback_error", (error as Error).message) }),
      0n,
    ),
  ),
);
// close() while a handler holds an invocation, and a message: answered 0 at
// once, long before the reply timeout.
let heldEntered!: () => void;
const held = await loop.callback(
  WNDPROC,
  () => {
    heldEntered();
    return new Promise<never>(() => {});
  },
  { replyTimeout: 60_000 },
);
const heldStarted = Date.now();
const heldCall = callThrough(held, 0n);
await new Promise<void>((resolve) => (heldEntered = resolve));
await held.close();
report("callback_closed_while_held", {
  result: String(await heldCall),
  early: Date.now() - heldStarted < 30_000,
});
let holderEntered!: () => void;
const holder = await MessageWindow.create({
  className,
  title: "holder",
  handlers: {
    [WM_USER]: () => {
      holderEntered();
      return new Promise<never>(() => {});
    },
  },
  replyTimeout: 60_000,
});
const holderStarted = Date.now();
const heldSend = sendFromOtherThread(holder.hwnd, WM_USER, 0n, 60_000);
await new Promise<void>((resolve) => (holderEntered = resolve));
await holder.close();
const heldSent = await heldSend;
report("window_closed_while_held", {
  ok: heldSent.ok,
  result: String(heldSent.result),
  early: Date.now() - holderStarted < 30_000,
});
report("callback_f64", await rejectionName(loop.callback({ args: [], returns: "f64" }, () => 0)));
await loop.close();
report("loop_call_after_close", await rejectionName(loop.call(kernel32, "GetCurrentThreadId")));
report(
  "first_answers_after_callbacks",
  String((await sendFromOtherThread(window.hwnd, WM_USER, 5n)).result),
);

// Idle: one open window, the loop parked in GetMessageW.
await sleep(500);
const before = process.cpuUsage();
const started = Date.now();
await sleep(1500);
const used = process.cpuUsage(before);
report(
  "idle_cpu_percent",
  Math.round(((used.user + used.system) / 1000 / (Date.now() - started)) * 1000) / 10,
);

// Bad input and closed objects.
report("empty_class", await rejectionName(MessageWindow.create({ className: "", handlers: {} })));
report(
  "bad_timeout",
  await rejectionName(MessageWindow.create({ className, handlers: {}, replyTimeout: -1 })),
);

const closing = window.close();
report("close_idempotent", window.close() === closing);
await closing;
report("post_after_close", errorName(() => window.post(WM_USER)));
report("call_after_close", await rejectionName(window.call(kernel32, "GetCurrentThreadId")));
report("running_after_close", messageLoopRunning());
report(
  "window_gone",
  user32.symbols.FindWindowExW(HWND_MESSAGE, 0n, encodeWide(className), null) === 0n,
);
// The class is unregistered once the thread has exited.
await sleep(200);
const info = new Uint8Array(80);
new DataView(info.buffer).setUint32(0, 80, true);
report(
  "class_gone",
  user32.symbols.GetClassInfoExW(
    kernel32.symbols.GetModuleHandleW(null),
    encodeWide(className),
    info,
  ) ===
    0,
);

// The loop starts again for a new window.
const again = await MessageWindow.create({
  className,
  handlers: { [WM_USER]: ({ wParam }) => wParam },
});
report("restarted_answer", String((await sendFromOtherThread(again.hwnd, WM_USER, 42n)).result));
await again.close();
report("done", true);
