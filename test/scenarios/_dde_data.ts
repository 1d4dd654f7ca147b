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
 * Transactions of the leak check in the Windows cells. Under Wine, 100,000
 * cannot pass: Wine's DDE code keeps a memory block per transaction and has
 * room for 65,536 ({@link wineDdeBlocksKept}); and DDE there runs about 400
 * of the check's transactions a second (docs/mechanisms.md, DDE).
 */
export const WINDOWS_LEAK_TRANSACTIONS = 10_000;

/** Transactions of each kind between the leak check's two snapshots. */
export interface LeakKinds {
  pokes: number;
  requests: number;
  executes: number;
  updates: number;
  advises: number;
}

/**
 * Movable global-memory blocks that Wine 10's own DDE code keeps for good,
 * per side, for the given transactions (docs/mechanisms.md, DDE, "Who frees
 * what"): posting a DDE message with data to another process copies the
 * block, and nobody frees the sender's (each request answer and update), a
 * server keeps its copy of an acknowledged poke and of an execute's command,
 * and also the data handle it made for the execute callback; a client keeps
 * each request answer (marked fRelease = FALSE). ipckit's own share is 0 on
 * Windows and under Wine, and the check asserts the difference.
 */
export function wineDdeBlocksKept(kinds: LeakKinds): { server: number; client: number } {
  return {
    server: kinds.requests + kinds.updates + kinds.pokes + 2 * kinds.executes,
    client: kinds.requests,
  };
}
