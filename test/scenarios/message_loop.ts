// The Windows message-loop thread: handlers answer sent messages with values
// computed on the JavaScript thread (synchronously or after an await), posted
// messages reach their handler, a handler that never answers is cut off by
// the reply timeout, timers tick meanwhile, an idle window costs ~0 % CPU,
// and the last close leaves no thread, window or class: the process then
// exits on its own (no process.exit here).
import process from "node:process";
import { encodeWide, NativeMemory } from "../../lib/ffi/mod.ts";
import { kernel32 } from "../../lib/win32/kernel32.ts";
import { messageLoopRunning, MessageWindow } from "../../lib/win32/message_loop.ts";
import { user32 } from "../../lib/win32/user32.ts";
import { report } from "./_peers.ts";

const WM_USER = 0x0400;
const HWND_MESSAGE = 0xfffffffffffffffdn;
const SMTO_ABORTIFHUNG = 0x2;
const className = `ipckit.LoopTest.${process.pid}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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
