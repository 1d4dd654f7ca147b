// What the message-loop thread (_message_loop_worker.ts) and the JavaScript
// thread (message_loop.ts) share: the command wake-up message, the layout of
// the hand-off slots and the states of a slot.
//
// The hand-off memory is a SharedArrayBuffer: a doorbell (Int32 at 0) and
// HANDOFF_SLOTS slots of 16 bytes from byte 16 on, each an Int32 state word
// (a sequence number times 8 plus a phase), an Int32 answer kind at +4 and a
// BigInt64 answer at +8. The
// loop thread waits on the doorbell, which the JavaScript thread rings after
// every state change and every command it sends, so a waiting loop thread
// also runs commands (native calls a handler needs before it answers). A
// message that arrives while another waits (a command's call dispatched it)
// takes the next slot; the sequence number keeps a late answer from landing
// on a newer message.
import type { CallbackDef, ThreadCallMessage } from "../ffi/mod.ts";

/** Message posted to the loop's command window: commands wait on its port (WM_APP + 0x1c0). */
export const WM_LOOP_COMMANDS = 0x8000 + 0x1c0;

/** Hand-off phases (the low 3 bits of a state word). */
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
  /** Given up (by the loop thread on timeout, or by JavaScript closing the target): the answer is 0. */
  ABANDONED: 6,
} as const;

/**
 * How long the loop waits for the JavaScript thread to take a sent message
 * (ms): long, since that thread may be busy; only a thread stuck for this
 * long makes the loop answer 0 and move on.
 */
export const PICKUP_TIMEOUT = 60_000;

/** Sequence numbers wrap below this (a state word is an Int32: seq * 8 + phase). */
export const MAX_SEQ = 1 << 27;

/** How many hand-offs may wait at once, nested (a deeper one is answered 0 and reported). */
export const HANDOFF_SLOTS = 8;

/** Byte size of the hand-off memory: the doorbell's 16 bytes, then the slots. */
export const HANDOFF_BYTES = 16 * (1 + HANDOFF_SLOTS);

/** Int32 index of the doorbell. */
export const DOORBELL = 0;

/** Int32 index of a slot's state word. */
export const stateIndex = (slot: number): number => 4 * (slot + 1);

/** Int32 index of a slot's answer kind (ANSWER_KIND). */
export const kindIndex = (slot: number): number => 4 * (slot + 1) + 1;

/** What a slot's 64-bit answer is. */
export const ANSWER_KIND = {
  /** The result itself. */
  VALUE: 0,
  /**
   * The address of native memory the answer's bytes are in (a u64 length,
   * then the bytes), which the loop thread now owns: it passes them to the
   * callback's `answer` call, whose result is the callback's, and frees it.
   */
  BYTES: 1,
} as const;

/**
 * An argument of a native call the loop thread makes: a number or bigint as
 * it is, or one of these, resolved when the call runs.
 * - `arg`: the current callback invocation's argument `index` (`& mask`, if given);
 * - `buffer`, `length`: the buffer of a read (or of the answer's bytes) and its byte length;
 * - `u32At`: the u32 in native memory at `address` when the call runs;
 * - `result`: the result of call `index` earlier in the same batch.
 */
export type LoopOperand =
  | { $: "arg"; index: number; mask?: number }
  | { $: "buffer" }
  | { $: "length" }
  | { $: "u32At"; address: bigint }
  | { $: "result"; index: number };

/** Reads one argument of a callback invocation on the loop thread, before the hand-off. */
export interface ArgumentReadMessage {
  /** The argument; when it is 0 the read is null and no call is made. */
  readonly arg: number;
  /** The buffer's byte size, or a call whose result is it. */
  readonly size: number | ThreadCallMessage;
  /** Fills `buffer`; its result counts the units it copied. */
  readonly read: ThreadCallMessage;
  /** Bytes per unit the read counts. */
  readonly unit: number;
}

/** BigInt64 index of a slot's answer. */
export const answerIndex = (slot: number): number => 2 * (slot + 1) + 1;

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
  | { id: number; op: "calls"; calls: ThreadCallMessage[]; outside?: boolean }
  | {
    id: number;
    op: "callback";
    def: CallbackDef;
    replyTimeout: number;
    reads?: ArgumentReadMessage[];
    answer?: ThreadCallMessage;
  }
  | { id: number; op: "closeCallback"; callback: number }
  | { id: number; op: "comUnknown" }
  | { id: number; op: "comUninitialize" }
  | { id: number; op: "quit" };

/** Where a handed-off call goes: a window's message or a native callback's invocation. */
export type HandOffEvent =
  | { type: "message"; hwnd: bigint; message: number; wParam: bigint; lParam: bigint }
  | { type: "call"; callback: number; args: unknown[] };

/** What the loop thread tells the JavaScript thread. */
export type LoopEvent =
  | { type: "ready"; commandWindow: bigint }
  | { type: "reply"; id: number; ok: true; value: unknown }
  | { type: "reply"; id: number; ok: false; error: LoopError }
  | (HandOffEvent & { slot: number; seq: number })
  | { type: "posted"; hwnd: bigint; message: number; wParam: bigint; lParam: bigint }
  | { type: "overflow"; target: HandOffEvent }
  | { type: "fatal"; error: LoopError }
  | { type: "exited" };

/** A failure on the loop thread, as data: a Win32 call and its last error, or a message. */
export type LoopError = { code: number; syscall: string } | { message: string };
