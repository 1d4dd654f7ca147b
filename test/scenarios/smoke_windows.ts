// Smoke scenario for the Windows cells: proves the FFI layer, non-blocking
// waits and typed errors against a real Win32 implementation.
import { blockingCallsInFlight, encodeWide, NativeMemory, runtimeName } from "../../lib/ffi/mod.ts";
import { kernel32 } from "../../lib/win32/kernel32.ts";
import { lastWin32Error, Win32Error } from "../../lib/win32/error.ts";
import process from "node:process";

const k = kernel32.symbols;
const report = (key: string, value: unknown) => console.log(`${key}=${JSON.stringify(value)}`);

report("runtime", runtimeName);
report("pid_matches", k.GetCurrentProcessId() === process.pid);

// An auto-reset event set by a timer, awaited while an interval keeps ticking.
const event = k.CreateEventW(0n, 0, 0, null);
if (event === 0n) throw lastWin32Error("CreateEventW");
let ticks = 0;
const interval = setInterval(() => ticks++, 10);
// 600 ms for 10 ticks of 10 ms: room for the scheduler stalls of four shards on 2 cores.
setTimeout(() => k.SetEvent(event), 600);
const started = Date.now();
const waited = k.WaitForSingleObjectAsync(event, 5000);
report("in_flight_during_wait", blockingCallsInFlight() >= 1);
const result = await waited;
clearInterval(interval);
report("wait_result", result);
report("waited_ms_at_least_250", Date.now() - started >= 250);
report("ticks_during_wait_at_least_10", ticks >= 10);
k.CloseHandle(event);

// CloseHandle on a bogus handle: Win32Error 6 with FormatMessage text.
if (!k.CloseHandle(0x12345678n)) {
  const error = lastWin32Error("CloseHandle");
  report("error_class", error instanceof Win32Error);
  report("error_code", error.code);
  report("error_message", error.message);
}

// Wide strings round-trip through the OS: a named event opened by its name.
const name = encodeWide(`Local\\ipckit-smoke-tëst-✓-𝄞-${process.pid}`);
const named = k.CreateEventW(0n, 1, 0, name);
const reopened = k.OpenEventW(0x1f0003, 0, name);
report("wide_name_roundtrip", named !== 0n && reopened !== 0n);
k.CloseHandle(reopened);
k.CloseHandle(named);

using memory = NativeMemory.alloc(32);
memory.view.setUint32(0, 0xfeedbeef, true);
report("native_memory", memory.view.getUint32(0, true) === 0xfeedbeef);
