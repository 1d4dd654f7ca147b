/**
 * The frames of ipckit RPC on a message-mode pipe. One pipe message is a
 * batch of one or more frames, each preceded by its length (u32), so a busy
 * connection moves many frames per system call. All integers are
 * little-endian, so the format does not depend on either machine's byte order.
 *
 * ```
 * byte 0     type     OPEN 1, MESSAGE 2, END 3, STATUS 4, CANCEL 5, CREDIT 6
 * byte 1     flags    bit 0 END: the sender sends nothing more on this call
 *                     bit 1 MESSAGE: an OPEN carries the first message
 * bytes 2-5  call id  chosen by the client, unique among its open calls
 * body       OPEN:    u32 timeout ms (0xffffffff: none), u16 method name length,
 *                     the method name (UTF-8), then the message if flagged
 *            MESSAGE: one proto3-encoded message
 *            STATUS:  u8 code (0 = ok, else the gRPC code), UTF-8 text
 *            CREDIT:  u32 more messages the receiver accepts on the call
 * ```
 *
 * A MESSAGE with END from the server is the last message and success.
 *
 * @module
 */
import { RpcError } from "./errors.ts";

/**
 * Frame types.
 * @example
 * ```ts
 * import { FRAME } from "./wire.ts";
 * console.log(FRAME.OPEN); // 1
 * ```
 */
export const FRAME = { OPEN: 1, MESSAGE: 2, END: 3, STATUS: 4, CANCEL: 5, CREDIT: 6 } as const;
/**
 * Frame flags.
 * @example
 * ```ts
 * import { FLAG } from "./wire.ts";
 * console.log(FLAG.END | FLAG.MESSAGE); // 3
 * ```
 */
export const FLAG = { END: 1, MESSAGE: 2 } as const;
/**
 * Bytes before a frame's body.
 * @example
 * ```ts
 * import { HEADER_SIZE } from "./wire.ts";
 * console.log(HEADER_SIZE); // 6
 * ```
 */
export const HEADER_SIZE = 6;
/**
 * The OPEN timeout that means "no deadline".
 * @example
 * ```ts
 * import { NO_TIMEOUT } from "./wire.ts";
 * console.log(NO_TIMEOUT); // 4294967295
 * ```
 */
export const NO_TIMEOUT = 0xffffffff;

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** A parsed frame; `body` is a view into the received bytes. */
export interface Frame {
  type: number;
  flags: number;
  id: number;
  body: Uint8Array;
}

/**
 * Builds a frame.
 *
 * @param type A {@link FRAME} type.
 * @param flags {@link FLAG} bits.
 * @param id The call id.
 * @param body The body (copied after the header).
 * @returns The frame's bytes.
 * @example
 * ```ts
 * import { FRAME, frame } from "./wire.ts";
 * const cancel = frame(FRAME.CANCEL, 0, 7);
 * ```
 */
export function frame(type: number, flags: number, id: number, body?: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER_SIZE + (body?.byteLength ?? 0));
  out[0] = type;
  out[1] = flags;
  new DataView(out.buffer).setUint32(2, id, true);
  if (body) out.set(body, HEADER_SIZE);
  return out;
}

/**
 * Builds an OPEN frame.
 *
 * @param id The call id.
 * @param method The method name.
 * @param timeoutMs Milliseconds the server has, or {@link NO_TIMEOUT}.
 * @param message The first message, or `null`.
 * @param end Whether the client sends nothing after it.
 * @returns The frame's bytes.
 * @example
 * ```ts
 * import { openFrame, NO_TIMEOUT } from "./wire.ts";
 * const open = openFrame(1, "add", NO_TIMEOUT, new Uint8Array([8, 1]), true);
 * ```
 */
export function openFrame(
  id: number,
  method: string,
  timeoutMs: number,
  message: Uint8Array | null,
  end: boolean,
): Uint8Array {
  const name = encoder.encode(method);
  const out = new Uint8Array(HEADER_SIZE + 6 + name.byteLength + (message?.byteLength ?? 0));
  const view = new DataView(out.buffer);
  out[0] = FRAME.OPEN;
  out[1] = (end ? FLAG.END : 0) | (message ? FLAG.MESSAGE : 0);
  view.setUint32(2, id, true);
  view.setUint32(HEADER_SIZE, timeoutMs, true);
  view.setUint16(HEADER_SIZE + 4, name.byteLength, true);
  out.set(name, HEADER_SIZE + 6);
  if (message) out.set(message, HEADER_SIZE + 6 + name.byteLength);
  return out;
}

/**
 * Builds a STATUS frame.
 *
 * @param id The call id (0 for a frame that named no call).
 * @param code 0 for success, else a gRPC code.
 * @param text What went wrong.
 * @returns The frame's bytes.
 * @example
 * ```ts
 * import { statusFrame } from "./wire.ts";
 * const unimplemented = statusFrame(3, 12, "Unknown method 'x'");
 * ```
 */
export function statusFrame(id: number, code: number, text: string): Uint8Array {
  const bytes = encoder.encode(text);
  const body = new Uint8Array(1 + bytes.byteLength);
  body[0] = code;
  body.set(bytes, 1);
  return frame(FRAME.STATUS, FLAG.END, id, body);
}

/**
 * Builds a CREDIT frame.
 *
 * @param id The call id.
 * @param count How many more messages the receiver accepts.
 * @returns The frame's bytes.
 * @example
 * ```ts
 * import { creditFrame } from "./wire.ts";
 * const more = creditFrame(3, 32);
 * ```
 */
export function creditFrame(id: number, count: number): Uint8Array {
  const body = new Uint8Array(4);
  new DataView(body.buffer).setUint32(0, count, true);
  return frame(FRAME.CREDIT, 0, id, body);
}

/**
 * Splits a received frame into its parts.
 *
 * @param bytes One pipe message.
 * @returns The frame.
 * @throws {RpcError} `invalid_argument` when the bytes are not a frame.
 * @example
 * ```ts
 * import { FRAME, frame, parseFrame } from "./wire.ts";
 * console.log(parseFrame(frame(FRAME.CANCEL, 0, 7)).id); // 7
 * ```
 */
export function parseFrame(bytes: Uint8Array): Frame {
  if (bytes.byteLength < HEADER_SIZE) {
    throw new RpcError(
      "invalid_argument",
      `Cannot read a frame of ${bytes.byteLength} bytes: a frame has at least ${HEADER_SIZE}`,
    );
  }
  const type = bytes[0]!;
  if (type < FRAME.OPEN || type > FRAME.CREDIT) {
    throw new RpcError("invalid_argument", `Cannot read a frame of unknown type ${type}`);
  }
  const id = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(2, true);
  return { type, flags: bytes[1]!, id, body: bytes.subarray(HEADER_SIZE) };
}

/**
 * Reads the body of an OPEN frame.
 *
 * @param body The frame's body.
 * @returns The method, the timeout and the first message (or `null`).
 * @throws {RpcError} `invalid_argument` when the body is truncated or the name is not UTF-8.
 * @example
 * ```ts
 * import { NO_TIMEOUT, openFrame, parseFrame, parseOpen } from "./wire.ts";
 * const f = parseFrame(openFrame(1, "add", NO_TIMEOUT, null, false));
 * console.log(parseOpen(f.body, false).method); // "add"
 * ```
 */
export function parseOpen(
  body: Uint8Array,
  hasMessage: boolean,
): { method: string; timeoutMs: number; message: Uint8Array | null } {
  if (body.byteLength < 6) {
    throw new RpcError("invalid_argument", "Cannot read a truncated OPEN frame");
  }
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const timeoutMs = view.getUint32(0, true);
  const length = view.getUint16(4, true);
  if (6 + length > body.byteLength) {
    throw new RpcError("invalid_argument", "Cannot read a truncated OPEN frame");
  }
  let method: string;
  try {
    method = decoder.decode(body.subarray(6, 6 + length));
  } catch (cause) {
    throw new RpcError("invalid_argument", "Cannot read a method name that is not UTF-8", {
      cause,
    });
  }
  return { method, timeoutMs, message: hasMessage ? body.subarray(6 + length) : null };
}

/**
 * Reads the body of a STATUS frame.
 *
 * @param body The frame's body.
 * @returns The code (0 = ok) and the text.
 * @example
 * ```ts
 * import { parseFrame, parseStatus, statusFrame } from "./wire.ts";
 * console.log(parseStatus(parseFrame(statusFrame(1, 5, "gone")).body)); // { code: 5, text: "gone" }
 * ```
 */
export function parseStatus(body: Uint8Array): { code: number; text: string } {
  return {
    code: body[0] ?? 2,
    text: new TextDecoder().decode(body.subarray(1)),
  };
}

/**
 * Reads the body of a CREDIT frame.
 *
 * @param body The frame's body.
 * @returns The count (0 when the body is short).
 * @example
 * ```ts
 * import { creditFrame, parseCredit, parseFrame } from "./wire.ts";
 * console.log(parseCredit(parseFrame(creditFrame(1, 32)).body)); // 32
 * ```
 */
export function parseCredit(body: Uint8Array): number {
  if (body.byteLength < 4) return 0;
  return new DataView(body.buffer, body.byteOffset, body.byteLength).getUint32(0, true);
}

/**
 * Joins frames into one batch: each frame preceded by its u32 length.
 *
 * @param frames The frames.
 * @returns One pipe message.
 * @example
 * ```ts
 * import { batch, FRAME, frame, splitBatch } from "./wire.ts";
 * const message = batch([frame(FRAME.CANCEL, 0, 1), frame(FRAME.CANCEL, 0, 2)]);
 * console.log(splitBatch(message).frames.length); // 2
 * ```
 */
export function batch(frames: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const f of frames) size += 4 + f.byteLength;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const f of frames) {
    view.setUint32(at, f.byteLength, true);
    out.set(f, at + 4);
    at += 4 + f.byteLength;
  }
  return out;
}

/**
 * Splits a batch into its frames.
 *
 * @param message One pipe message.
 * @returns The frames, and an error when the batch ends in the middle of one
 *   (the frames before it are still returned).
 * @example
 * ```ts
 * import { splitBatch } from "./wire.ts";
 * console.log(splitBatch(new Uint8Array([9, 0, 0, 0, 1])).error?.code); // "invalid_argument"
 * ```
 */
export function splitBatch(message: Uint8Array): { frames: Uint8Array[]; error: RpcError | null } {
  const frames: Uint8Array[] = [];
  const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
  let at = 0;
  while (at < message.byteLength) {
    if (at + 4 > message.byteLength) {
      return {
        frames,
        error: new RpcError("invalid_argument", "Cannot read a truncated frame length"),
      };
    }
    const length = view.getUint32(at, true);
    if (at + 4 + length > message.byteLength) {
      return {
        frames,
        error: new RpcError(
          "invalid_argument",
          `Cannot read a frame of ${length} bytes: only ${message.byteLength - at - 4} arrived`,
        ),
      };
    }
    frames.push(message.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  return { frames, error: null };
}
