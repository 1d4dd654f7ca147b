/**
 * What lib/win32/dde.ts (DDEML) and lib/posix/dde.ts (Unix sockets) share:
 * the backend interface both implement, DDE's typed errors, the name and
 * format checks, and the text codecs of CF_TEXT and CF_UNICODETEXT.
 *
 * The model is DDEML's: a server registers a service name and offers
 * topics; a client opens a conversation on one service and topic; in it,
 * transactions name an item and a clipboard format (request, poke, advise)
 * or carry a command (execute). Data travel as a format (an OS id and its
 * name) and bytes; {@link encodeDdeData} and {@link decodeDdeData} turn
 * text formats into strings and back, so backends only ever carry bytes.
 *
 * Ownership: every `Uint8Array` that crosses the interface belongs to the
 * side that receives it. A backend copies data out of OS memory (a DDEML
 * data handle, a socket buffer) before it hands it on, and frees the OS
 * object itself; nothing above the backend ever sees a handle.
 *
 * @module
 */
import { ClosedError } from "./ffi/mod.ts";
import { type BinaryInput, MAX_FORMAT_NAME } from "./_clipboard_common.ts";
import { toBytes } from "./_pipe_common.ts";

export type { BinaryInput } from "./_clipboard_common.ts";

/** The standard text formats' ids (winuser.h). */
export const CF_TEXT = 1;
/** UTF-16LE text (winuser.h). */
export const CF_UNICODETEXT = 13;

/** The standard formats by their names, as callers spell them. */
export const STANDARD_DDE_FORMATS: Readonly<Record<string, number>> = {
  CF_TEXT,
  CF_UNICODETEXT,
};

/** The format a call uses when it names none. */
export const DEFAULT_DDE_FORMAT = "CF_UNICODETEXT";

/**
 * A clipboard format as DDE carries it. `id` is what the OS uses (CF_TEXT is
 * 1, CF_UNICODETEXT 13, a registered format's id comes from
 * RegisterClipboardFormatW on Windows and from a process-local table on
 * Linux); `name` is what travels between processes on Linux and what the
 * caller sees.
 */
export interface DdeFormat {
  /** The OS format id. */
  readonly id: number;
  /** `"CF_TEXT"`, `"CF_UNICODETEXT"` or the registered format's name. */
  readonly name: string;
}

/** How an advise loop delivers changes: `hot` with the data, `warm` with a notice only. */
export type DdeAdviseMode = "hot" | "warm";

/**
 * A transaction's outcome as a backend reports it (and as a server's
 * callbacks answer it): accepted with a value, or refused. `busy` is
 * DDE_FBUSY (the server could not take it now); otherwise the refusal is
 * DDE_FNOTPROCESSED (the server does not do this item or command).
 */
export type DdeReply<T> = { readonly ok: true; readonly value: T } | {
  readonly ok: false;
  readonly busy: boolean;
  /** What else the refusal may mean on this platform, for the error's message. */
  readonly note?: string | undefined;
};

/** A service and a topic on offer, as {@link DdeBackend.list} finds them (DdeConnectList). */
export interface DdeServiceTopic {
  /** The service name as its server registered it. */
  readonly service: string;
  /** One topic of it. */
  readonly topic: string;
}

/**
 * The deadline of a call that can wait: `signal` fires when `timeout` ms
 * have passed (its reason is then a TimeoutError) or when the caller aborts
 * (its reason is the caller's). A backend stops at once when it fires, and
 * rejects with `signal.reason` unless the call documents otherwise.
 */
export interface DdeWait {
  /** The caller's timeout in ms (Infinity: none), for messages and OS timeouts. */
  readonly timeout: number;
  /** Fires at the deadline or on the caller's abort. */
  readonly signal: AbortSignal;
}

/** One conversation as the server sees it. */
export interface DdeConversationInfo {
  /** A number the backend gives each conversation of a service, unique while it lasts. */
  readonly id: number;
  /** The topic the client connected to. */
  readonly topic: string;
}

/**
 * What a served service asks of the code above the backend. The backend
 * calls them as transactions arrive (on Windows: from the DDEML callback,
 * named below by its XTYP_ code), one conversation's transactions in
 * order. An answer is awaited; a callback never throws (it answers a
 * refusal instead).
 */
export interface DdeServerCallbacks {
  /** XTYP_CONNECT_CONFIRM: a client opened a conversation on one of the topics. */
  connected(conversation: DdeConversationInfo): void;
  /** XTYP_REQUEST: the item's current data in `format`. */
  request(
    conversation: DdeConversationInfo,
    item: string,
    format: DdeFormat,
  ): Promise<DdeReply<Uint8Array>>;
  /**
   * XTYP_ADVREQ: the item's data for one hot advise link, after
   * {@link DdeServiceEndpoint.post} (warm links get no call: their clients
   * receive a notice without data).
   */
  adviseRequest(
    conversation: DdeConversationInfo,
    item: string,
    format: DdeFormat,
  ): Promise<DdeReply<Uint8Array>>;
  /** XTYP_POKE: the client sends data for the item. */
  poke(
    conversation: DdeConversationInfo,
    item: string,
    format: DdeFormat,
    data: Uint8Array,
  ): Promise<DdeReply<void>>;
  /** XTYP_EXECUTE: the client sends a command (DDEML gives it as text). */
  execute(conversation: DdeConversationInfo, command: string): Promise<DdeReply<void>>;
  /**
   * XTYP_ADVSTART: the client asks for an advise loop on the item; an
   * accepted loop is the backend's to track until XTYP_ADVSTOP or the end
   * of the conversation.
   */
  adviseStart(
    conversation: DdeConversationInfo,
    item: string,
    format: DdeFormat,
    mode: DdeAdviseMode,
  ): Promise<DdeReply<void>>;
  /** XTYP_ADVSTOP: the loop ended (the client stopped it; not called when the conversation ends). */
  adviseStop(conversation: DdeConversationInfo, item: string, format: DdeFormat): void;
  /** XTYP_DISCONNECT: the conversation ended (either side closed it, or the client vanished). */
  disconnected(conversation: DdeConversationInfo): void;
}

/** A registered service, as a backend gives it to the server above it. */
export interface DdeServiceEndpoint {
  /**
   * DdePostAdvise: for every advise loop on `topic` and `item`, in every
   * conversation, gets the data (hot loops: {@link DdeServerCallbacks.adviseRequest})
   * and sends it, or sends a notice (warm loops). Resolves when every
   * client's update is on its way; a client that has not yet taken the
   * updates it was sent holds it back (backpressure, nothing dropped) until
   * `wait` fires, which rejects with its reason (the update may still reach
   * the clients that had room).
   */
  post(topic: string, item: string, wait: DdeWait): Promise<void>;
  /** Unregisters the service (DdeNameService with DNS_UNREGISTER) and ends every conversation. */
  close(): Promise<void>;
}

/** What a conversation tells the client above the backend, as it happens. */
export interface DdeClientEvents {
  /**
   * XTYP_ADVDATA: an update of an advise loop this conversation started
   * (`data` is null for a warm loop's notice). The promise resolves when
   * the consumer has taken the update, or the loop ended; a backend may
   * hold back its acknowledgement until then, which is how a slow consumer
   * slows the server instead of losing updates.
   */
  adviseData(item: string, format: DdeFormat, data: Uint8Array | null): Promise<void>;
  /**
   * XTYP_DISCONNECT: the server ended the conversation, or its process went
   * away (noticed without polling, well within 2 s). Not called after a
   * {@link DdeConversationEndpoint.close}.
   */
  disconnected(): void;
}

/**
 * One open conversation, as a backend gives it to the client above it.
 * Every transaction rejects with {@link DdeDisconnectedError} once the
 * server is gone and with the wait's reason when it fires.
 */
export interface DdeConversationEndpoint {
  /** XTYP_REQUEST: the item's data in `format`. */
  request(item: string, format: DdeFormat, wait: DdeWait): Promise<DdeReply<Uint8Array>>;
  /** XTYP_POKE: sends data for the item. */
  poke(item: string, format: DdeFormat, data: Uint8Array, wait: DdeWait): Promise<DdeReply<void>>;
  /** XTYP_EXECUTE: sends a command. */
  execute(command: string, wait: DdeWait): Promise<DdeReply<void>>;
  /** XTYP_ADVSTART (with XTYPF_NODATA for a warm loop): starts an advise loop on the item. */
  adviseStart(
    item: string,
    format: DdeFormat,
    mode: DdeAdviseMode,
    wait: DdeWait,
  ): Promise<DdeReply<void>>;
  /** XTYP_ADVSTOP: ends the loop on the item (resolves once sent; nothing to refuse). */
  adviseStop(item: string, format: DdeFormat): Promise<void>;
  /** DdeDisconnect: ends the conversation. Idempotent. */
  close(): Promise<void>;
}

/**
 * What lib/posix/dde.ts and lib/win32/dde.ts each export as `ddeBackend`.
 * Names reaching it are checked ({@link checkDdeName}), formats resolved
 * ({@link DdeBackend.format}), and data already encoded.
 */
export interface DdeBackend {
  /**
   * The format of a name: the standard ids for `CF_TEXT` and
   * `CF_UNICODETEXT`, else a registered format (RegisterClipboardFormatW on
   * Windows, shared with the clipboard module; a process-local id on
   * Linux, where the name is what travels).
   */
  format(name: string): DdeFormat;
  /** CF_TEXT's 8-bit encoding: the ANSI code page on Windows, UTF-8 on Linux. */
  encodeAnsi(text: string): Uint8Array;
  /** The inverse of {@link DdeBackend.encodeAnsi} (the bytes end before any NUL). */
  decodeAnsi(bytes: Uint8Array): string;
  /**
   * Registers `service` (DdeNameService) offering `topics`; conversations on
   * any other topic are refused (XTYP_CONNECT), and XTYP_WILDCONNECT answers
   * with these. Rejects with NameTakenError when a live server holds the name.
   */
  serve(
    service: string,
    topics: readonly string[],
    callbacks: DdeServerCallbacks,
  ): Promise<DdeServiceEndpoint>;
  /**
   * DdeConnect: opens a conversation, waiting until `wait` fires for a
   * server to offer the service and topic. Rejects with NotFoundError when
   * none did by then (also with a timeout of 0, after one attempt), and with
   * the caller's reason on an abort.
   */
  connect(
    service: string,
    topic: string,
    events: DdeClientEvents,
    wait: DdeWait,
  ): Promise<DdeConversationEndpoint>;
  /**
   * DdeConnectList: the services and topics on offer now, filtered by
   * service and topic when given (names compare case-insensitively, as
   * DDE's atoms do). Servers that do not answer before `wait` fires are
   * left out.
   */
  list(
    service: string | null,
    topic: string | null,
    wait: DdeWait,
  ): Promise<DdeServiceTopic[]>;
}

/**
 * A transaction the server refused: DDE_FNOTPROCESSED (the server does not
 * do it: an unknown item, a format it does not offer, a command it rejects,
 * a handler that answered `false` or nothing) or, with `busy`, DDE_FBUSY.
 *
 * @example Telling a refusal from other failures
 * ```ts
 * import { DdeRefusedError } from "./_dde_common.ts";
 * const error = new DdeRefusedError("request", "quotes", "prices", "XYZ", false);
 * console.log(error.message); // "Cannot request item 'XYZ' of 'quotes|prices': the server refused it"
 * ```
 */
export class DdeRefusedError extends Error {
  override name = "DdeRefusedError";
  /**
   * @param transaction What was refused.
   * @param service The conversation's service.
   * @param topic The conversation's topic.
   * @param subject The item, or the command of an execute.
   * @param busy Whether the server said busy (DDE_FBUSY) rather than not processed.
   * @param note What else the refusal may mean on this platform, appended to the message.
   */
  constructor(
    readonly transaction: "request" | "poke" | "execute" | "advise",
    readonly service: string,
    readonly topic: string,
    readonly subject: string,
    readonly busy: boolean,
    note?: string,
  ) {
    super(
      `Cannot ${transaction === "execute" ? "execute" : transaction} ${
        transaction === "execute" ? "command" : "item"
      } '${subject}' ${transaction === "execute" ? "in" : "of"} '${service}|${topic}': the server ${
        busy ? "is busy (DDE_FBUSY)" : "refused it"
      }${note ? ` (${note})` : ""}`,
    );
  }
}

/**
 * The server ended the conversation, or its process went away: every
 * pending transaction and every open advise loop of the conversation ends
 * with this error, and later calls throw it. It is a {@link ClosedError}.
 *
 * @example Ending a loop when the server goes away
 * ```ts
 * import { DdeDisconnectedError } from "./_dde_common.ts";
 * const error = new DdeDisconnectedError("quotes", "prices");
 * console.log(error instanceof DdeDisconnectedError, error.message);
 * ```
 */
export class DdeDisconnectedError extends ClosedError {
  override name = "DdeDisconnectedError";
  /**
   * @param service The conversation's service.
   * @param topic The conversation's topic.
   */
  constructor(readonly service: string, readonly topic: string) {
    super(`Conversation with '${service}|${topic}' ended: the server disconnected or went away`);
  }
}

/** The longest service, topic or item name: DDE names are atoms, at most 255 characters. */
export const MAX_DDE_NAME = 255;

/**
 * Checks a service, topic or item name: a string of 1 to 255 characters
 * without NUL.
 *
 * @param name The caller's value.
 * @param what `"service"`, `"topic"`, `"item"` or `"command"`, for the message.
 * @param context What was being done, for the message ("connect to DDE service 'quotes'").
 * @returns The name.
 * @example Checking a topic
 * ```ts
 * import { checkDdeName } from "./_dde_common.ts";
 * checkDdeName("prices", "topic", "connect to DDE service 'quotes'"); // "prices"
 * ```
 */
export function checkDdeName(name: unknown, what: string, context: string): string {
  if (typeof name !== "string") {
    throw new TypeError(`Cannot ${context}: the ${what} name must be a string, not ${kind(name)}`);
  }
  if (name.length === 0) throw new TypeError(`Cannot ${context}: the ${what} name is empty`);
  if (name.length > MAX_DDE_NAME || name.includes("\0")) {
    throw new TypeError(
      `Cannot ${context}: the ${what} name '${
        name.slice(0, 20)
      }' must have 1 to ${MAX_DDE_NAME} characters and no NUL`,
    );
  }
  return name;
}

/**
 * Checks a format name: `CF_TEXT`, `CF_UNICODETEXT`, or the name of a
 * registered clipboard format (1 to 255 characters, no NUL: the rule of
 * lib/_clipboard_common.ts's custom formats, which share the OS table).
 *
 * @param format The caller's value (undefined: {@link DEFAULT_DDE_FORMAT}).
 * @param context What was being done, for the message.
 * @returns The name.
 * @example Checking formats
 * ```ts
 * import { checkDdeFormat } from "./_dde_common.ts";
 * checkDdeFormat(undefined, "request"); // "CF_UNICODETEXT"
 * checkDdeFormat("XlTable", "request"); // "XlTable"
 * ```
 */
export function checkDdeFormat(format: unknown, context: string): string {
  if (format === undefined) return DEFAULT_DDE_FORMAT;
  if (typeof format !== "string") {
    throw new TypeError(
      `Cannot ${context}: a format is a name ("CF_TEXT", "CF_UNICODETEXT" or a registered format), not ${
        kind(format)
      }`,
    );
  }
  if (format.length === 0 || format.length > MAX_FORMAT_NAME || format.includes("\0")) {
    throw new TypeError(
      `Cannot ${context}: the format name '${
        format.slice(0, 20)
      }' must have 1 to ${MAX_FORMAT_NAME} characters and no NUL`,
    );
  }
  return format;
}

/**
 * Whether a format carries text (and so reads as a string).
 *
 * @param format The format.
 * @returns True for CF_TEXT and CF_UNICODETEXT.
 * @example
 * ```ts
 * import { CF_TEXT, isTextFormat } from "./_dde_common.ts";
 * isTextFormat({ id: CF_TEXT, name: "CF_TEXT" }); // true
 * ```
 */
export function isTextFormat(format: DdeFormat): boolean {
  return format.id === CF_TEXT || format.id === CF_UNICODETEXT;
}

/** Text codecs of CF_TEXT, which differ per OS ({@link DdeBackend.encodeAnsi}). */
export interface AnsiCodec {
  encodeAnsi(text: string): Uint8Array;
  decodeAnsi(bytes: Uint8Array): string;
}

/**
 * Data in a format's bytes: text for CF_TEXT (the ANSI encoding, then a
 * NUL) and CF_UNICODETEXT (UTF-16LE, then a NUL), as Windows programs expect
 * them; bytes as they are; a string in any other format as UTF-8.
 *
 * @param data What the caller gave.
 * @param format The format it is sent in.
 * @param codec CF_TEXT's encoding.
 * @param context What is being done, for the message.
 * @returns A copy the backend may keep.
 * @example Encoding Unicode text
 * ```ts
 * import { CF_UNICODETEXT, encodeDdeData } from "./_dde_common.ts";
 * const codec = { encodeAnsi: (t: string) => new TextEncoder().encode(t), decodeAnsi: (b: Uint8Array) => new TextDecoder().decode(b) };
 * encodeDdeData("hi", { id: CF_UNICODETEXT, name: "CF_UNICODETEXT" }, codec, "poke").length; // 6
 * ```
 */
export function encodeDdeData(
  data: unknown,
  format: DdeFormat,
  codec: AnsiCodec,
  context: string,
): Uint8Array {
  if (typeof data === "string" && isTextFormat(format)) {
    if (data.includes("\0")) {
      throw new TypeError(
        `Cannot ${context}: the text contains a NUL character, which ends ${format.name} text`,
      );
    }
    if (format.id === CF_TEXT) {
      const ansi = codec.encodeAnsi(data);
      const out = new Uint8Array(ansi.length + 1);
      out.set(ansi);
      return out;
    }
    const out = new Uint8Array(data.length * 2 + 2);
    const view = new DataView(out.buffer);
    for (let i = 0; i < data.length; i++) view.setUint16(i * 2, data.charCodeAt(i), true);
    return out;
  }
  if (
    typeof data === "string" || data instanceof ArrayBuffer || ArrayBuffer.isView(data)
  ) {
    return toBytes(data as BinaryInput, "a DDE conversation").slice();
  }
  throw new TypeError(
    `Cannot ${context}: data must be a string or bytes (Uint8Array, ArrayBuffer), not ${
      kind(data)
    }`,
  );
}

/**
 * A format's bytes as the caller reads them: text formats as a string
 * (ending at the first NUL), any other format as the bytes.
 *
 * @param bytes The data (it becomes the caller's).
 * @param format Its format.
 * @param codec CF_TEXT's encoding.
 * @returns A string for text formats, else the bytes.
 * @example Decoding CF_UNICODETEXT
 * ```ts
 * import { CF_UNICODETEXT, decodeDdeData } from "./_dde_common.ts";
 * const codec = { encodeAnsi: (t: string) => new TextEncoder().encode(t), decodeAnsi: (b: Uint8Array) => new TextDecoder().decode(b) };
 * decodeDdeData(new Uint8Array([104, 0, 105, 0, 0, 0]), { id: CF_UNICODETEXT, name: "CF_UNICODETEXT" }, codec); // "hi"
 * ```
 */
export function decodeDdeData(
  bytes: Uint8Array,
  format: DdeFormat,
  codec: AnsiCodec,
): string | Uint8Array {
  if (format.id === CF_TEXT) {
    const nul = bytes.indexOf(0);
    return codec.decodeAnsi(nul >= 0 ? bytes.subarray(0, nul) : bytes);
  }
  if (format.id === CF_UNICODETEXT) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const units: number[] = [];
    let text = "";
    for (let i = 0; i + 1 < bytes.length; i += 2) {
      const unit = view.getUint16(i, true);
      if (unit === 0) break;
      units.push(unit);
      if (units.length === 4096) {
        text += String.fromCharCode(...units);
        units.length = 0;
      }
    }
    return text + String.fromCharCode(...units);
  }
  return bytes;
}

function kind(value: unknown): string {
  return value === null ? "null" : Array.isArray(value) ? "an array" : typeof value;
}
