// What the DDE scenarios and their vitest file share.

/** The registered format binary data travels in. */
export const BLOB_FORMAT = "application/x-ipckit-blob";
/** 1 MiB, through request and poke. */
export const BLOB_SIZE = 1024 * 1024;
/** Consecutive updates the hot loop must see, in order. */
export const HOT_UPDATES = 500;
/** Updates each of the three clients follows. */
export const TICKS = 100;
/** Notices of the warm loop. */
export const WARM_NOTICES = 20;

/** Prints one result line (as _peers.ts does; the peers skip its imports to start faster). */
export const report = (key: string, value: unknown): void =>
  console.log(`${key}=${JSON.stringify(value)}`);

/** FNV-1a of bytes. */
export function fnv1a(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h;
}

/** Transactions of the leak check. */
export const LEAK_TRANSACTIONS = 100_000;

/**
 * Transactions of the leak check in the Windows cells: DDE under Wine runs
 * about 400 of the check's transactions a second, so 100,000 would take
 * over 4 minutes per cell; this many fit the test-time budget (docs/mechanisms.md, DDE).
 */
export const WINDOWS_LEAK_TRANSACTIONS = 10_000;
