// What a scenario process holds, for the DDE leak check (a file of its own:
// it binds Windows symbols, and the vitest file imports _dde_data.ts).
import { readdirSync } from "node:fs";
import process from "node:process";
import { kernel32 } from "../../lib/win32/kernel32.ts";
import { user32 } from "../../lib/win32/user32.ts";
import { processHandleCount } from "./_windows_handles.ts";

/**
 * What a Windows process holds that a DDE leak would grow: kernel handles,
 * GDI and USER objects (null where GetGuiResources is not implemented, as
 * under Wine), committed private memory, and how many more movable global
 * blocks it could allocate (DDEML data handles and DDE messages' data are
 * such blocks; Wine has room for 65,536 per process).
 */
export interface WindowsResources {
  handles: number;
  gdi: number | null;
  user: number | null;
  committed: number;
  movableFree: number;
}

const GMEM_MOVEABLE = 0x2;
const MOVABLE_PROBE_LIMIT = 0x10000;

/**
 * How many more movable global blocks this process could allocate, up to
 * 65,536: allocated one by one until refused, then all freed (about 0.1 s).
 * Only while no DDE message is on its way in: receiving one allocates.
 */
function freeMovableHandles(): number {
  const taken: unknown[] = [];
  while (taken.length < MOVABLE_PROBE_LIMIT) {
    const handle = kernel32.symbols.GlobalAlloc(GMEM_MOVEABLE, 1);
    if (!handle) break;
    taken.push(handle);
  }
  for (const handle of taken) kernel32.symbols.GlobalFree(handle as never);
  return taken.length;
}

const ERROR_CALL_NOT_IMPLEMENTED = 120;

function guiObjects(self: bigint, flags: number): number | null {
  const count = user32.symbols.GetGuiResources(self, flags);
  return count === 0 && kernel32.symbols.GetLastError() === ERROR_CALL_NOT_IMPLEMENTED
    ? null
    : count;
}

function windowsResources(): WindowsResources {
  const self = kernel32.symbols.GetCurrentProcess();
  // PROCESS_MEMORY_COUNTERS (x64): cb at 0, PagefileUsage (committed private bytes) at 56; 72 bytes.
  const counters = new DataView(new ArrayBuffer(72));
  counters.setUint32(0, 72, true);
  kernel32.symbols.K32GetProcessMemoryInfo(self, new Uint8Array(counters.buffer), 72);
  return {
    handles: processHandleCount(),
    gdi: guiObjects(self, 0),
    user: guiObjects(self, 1),
    committed: Number(counters.getBigUint64(56, true)),
    movableFree: freeMovableHandles(),
  };
}

/**
 * What a process holds: open fds (Linux; null elsewhere), Windows handles,
 * GDI/USER objects and committed memory (Windows; null elsewhere), and,
 * after a full garbage collection where the runtime offers one (Bun.gc;
 * Deno with DENO_V8_FLAGS=--expose-gc), its JavaScript heap and resident
 * memory in bytes.
 */
export function resources(): {
  fds: number | null;
  windows: WindowsResources | null;
  heap: number;
  rss: number;
} {
  const runtime = globalThis as { gc?: () => void; Bun?: { gc(force: boolean): void } };
  if (runtime.gc) runtime.gc();
  else runtime.Bun?.gc(true);
  const memory = process.memoryUsage();
  return {
    fds: process.platform === "linux" ? readdirSync("/proc/self/fd").length : null,
    windows: process.platform === "win32" ? windowsResources() : null,
    heap: memory.heapUsed,
    rss: memory.rss,
  };
}
