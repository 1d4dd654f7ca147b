// What lib/win32/copydata.ts and lib/posix/copydata.ts both implement (the
// same signatures on each OS), and the checks they share.

/** One data-copy message: a 64-bit tag (WM_COPYDATA's dwData) and its bytes. */
export interface CopyDataMessage {
  /** The tag, 0 to 2^64-1. */
  readonly tag: bigint;
  /** The bytes; they belong to the receiver. */
  readonly data: Uint8Array;
}

/**
 * Hands one received message to the receiver's handler or queue and
 * resolves with the answer for its sender. The OS layer calls it in arrival
 * order, one message at a time, and waits at most the reply timeout.
 */
export type Deliver = (message: CopyDataMessage) => Promise<boolean>;

/** Receiver settings after defaults are applied. */
export interface ListenSettings {
  /** How long a handler's answer is waited for before the sender gets false, in ms. */
  readonly replyTimeout: number;
  /** Windows: let lower-integrity processes send (ChangeWindowMessageFilterEx). */
  readonly allowLowerIntegrity: boolean;
}

/** A listening receiver, as the OS layer gives it. */
export interface ReceiverEndpoint {
  /** The receiver's window (Windows), for senders that are not ipckit; null on Linux. */
  readonly hwnd: bigint | null;
  /** Stops receiving and frees the name; a message being handled gets its answer first. */
  close(): Promise<void>;
}

/** A connected sender, as the OS layer gives it. */
export interface SenderEndpoint {
  /**
   * Sends one message and resolves with the receiver's answer. Rejects with
   * TimeoutError when no answer came within `timeout` ms (the message may
   * still be handled), ClosedError when the receiver is gone.
   */
  send(data: Uint8Array, tag: bigint, timeout: number): Promise<boolean>;
  /** Releases the connection. */
  close(): Promise<void>;
}

/** The largest tag: dwData is a ULONG_PTR (64 bits on x64). */
export const MAX_TAG = (1n << 64n) - 1n;

/** The largest message: COPYDATASTRUCT.cbData is a DWORD. */
export const MAX_COPYDATA_SIZE = 0xffffffff;

/**
 * Checks a tag: a bigint or safe integer in 0..2^64-1.
 *
 * @param tag The caller's tag (undefined = 0).
 * @returns The tag as a bigint.
 * @example Using checkTag
 * ```ts
 * import { checkTag } from "./_copydata_common.ts";
 * checkTag(7); // 7n
 * ```
 */
export function checkTag(tag: unknown): bigint {
  if (tag === undefined) return 0n;
  if (typeof tag === "number" && Number.isSafeInteger(tag)) tag = BigInt(tag);
  if (typeof tag !== "bigint") {
    throw new TypeError(
      `Cannot use ${typeof tag} as a copydata tag: pass a bigint (or an integer) from 0 to 2^64-1`,
    );
  }
  if (tag < 0n || tag > MAX_TAG) {
    throw new RangeError(`Cannot use tag ${tag} for copydata: it must be from 0 to 2^64-1`);
  }
  return tag;
}

/**
 * Checks a timeout in ms: a number >= 0 or Infinity.
 *
 * @param timeout The caller's value (undefined = `fallback`).
 * @param fallback The default.
 * @param what What waits, for the message.
 * @returns The timeout.
 * @example Using checkTimeout
 * ```ts
 * import { checkTimeout } from "./_copydata_common.ts";
 * checkTimeout(undefined, Infinity, "send"); // Infinity
 * ```
 */
export function checkTimeout(timeout: unknown, fallback: number, what: string): number {
  if (timeout === undefined) return fallback;
  if (typeof timeout !== "number" || !(timeout >= 0)) {
    throw new RangeError(`Cannot ${what} with timeout ${String(timeout)}: use ms >= 0 or Infinity`);
  }
  return timeout;
}
