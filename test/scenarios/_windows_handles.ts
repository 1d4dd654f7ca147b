// The kernel handles this process holds, for leak checks under Wine as on Windows
// (the DDE and COM scenarios).
import { kernel32 } from "../../lib/win32/kernel32.ts";
import { ntdll } from "../../lib/win32/ntdll.ts";

const STATUS_INFO_LENGTH_MISMATCH = 0xc0000004;

/**
 * The process's kernel handles. Wine's GetProcessHandleCount is a stub that
 * reports 0; then they are counted in the system's handle table
 * (SystemHandleInformation: 24-byte entries from byte 8, the owner's pid in
 * the first 16 bits of each), which Wine fills from its server.
 */
export function processHandleCount(): number {
  const count = new Uint32Array(1);
  kernel32.symbols.GetProcessHandleCount(kernel32.symbols.GetCurrentProcess(), count);
  if (count[0]! > 0) return count[0]!;
  const pid = kernel32.symbols.GetCurrentProcessId() & 0xffff;
  for (let size = 1 << 16;; size *= 4) {
    const table = new Uint8Array(size);
    const status = ntdll.symbols.NtQuerySystemInformation(16, table, size, new Uint32Array(1));
    if (status === STATUS_INFO_LENGTH_MISMATCH) continue;
    if (status !== 0) throw new Error(`NtQuerySystemInformation failed: 0x${status.toString(16)}`);
    const view = new DataView(table.buffer);
    let mine = 0;
    for (let i = 0, n = view.getUint32(0, true); i < n; i++) {
      if (view.getUint16(8 + i * 24, true) === pid) mine++;
    }
    return mine;
  }
}
