// What the message-loop thread (_message_loop_worker.ts) and the JavaScript
// thread (message_loop.ts) share: the command wake-up message and the states
// of the one synchronous hand-off slot.
//
// The slot is a SharedArrayBuffer: an Int32 state word (a sequence number
// times 8 plus a phase) at 0 and the BigInt64 answer at 8. The loop thread
// runs one window procedure at a time, so one slot is enough; the sequence
// number keeps a late answer from landing on a newer message.

/** Thread message that tells the loop thread commands wait on its port (WM_APP + 0x1c0). */
export const WM_LOOP_COMMANDS = 0x8000 + 0x1c0;

/** Hand-off phases (the low 3 bits of the state word). */
export const PHASE = {
  /** No message waits. */
  IDLE: 0,
  /** Handed to JavaScript, not yet taken: the loop thread may give up. */
  PENDING: 1,
  /** JavaScript runs the handler's synchronous part and may read the message's memory. */
  TAKEN: 2,
  /** The synchronous part is over; an asynchronous answer is awaited: the loop thread may give up. */
  RELEASED: 3,
  /** JavaScript is writing the answer. */
  WRITING: 4,
  /** The answer is in the slot. */
  ANSWERED: 5,
  /** The loop thread gave up waiting; a late answer is dropped. */
  ABANDONED: 6,
} as const;

/**
 * How long the loop waits for the JavaScript thread to take a sent message
 * (ms): long, since that thread may be busy; only a thread stuck for this
 * long makes the loop answer 0 and move on.
 */
export const PICKUP_TIMEOUT = 60_000;

/** Sequence numbers wrap below this (the state word is an Int32: seq * 8 + phase). */
export const MAX_SEQ = 1 << 27;

/** Byte size of the hand-off slot. */
export const HANDOFF_BYTES = 16;

/** A command to the loop thread. */
export type LoopCommand =
  | {
    id: number;
    op: "createWindow";
    className: string;
    title: string;
    replied: number[];
    posted: number[];
    replyTimeout: number;
  }
  | { id: number; op: "destroyWindow"; hwnd: bigint }
  | { id: number; op: "calls"; calls: import("../ffi/mod.ts").ThreadCallMessage[] }
  | { id: number; op: "quit" };

/** What the loop thread tells the JavaScript thread. */
export type LoopEvent =
  | { type: "ready"; threadId: number }
  | { type: "reply"; id: number; ok: true; value: unknown }
  | { type: "reply"; id: number; ok: false; error: LoopError }
  | { type: "message"; seq: number; hwnd: bigint; message: number; wParam: bigint; lParam: bigint }
  | { type: "posted"; hwnd: bigint; message: number; wParam: bigint; lParam: bigint }
  | { type: "fatal"; error: LoopError }
  | { type: "exited" };

/** A failure on the loop thread, as data: a Win32 call and its last error, or a message. */
export type LoopError = { code: number; syscall: string } | { message: string };
