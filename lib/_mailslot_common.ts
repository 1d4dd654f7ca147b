// What lib/win32/mailslot.ts and lib/posix/mailslot.ts both implement.

/** A mailslot's state, as GetMailslotInfo reports it. */
export interface MailslotInfo {
  /** The largest message accepted, in bytes (0 = any size). */
  readonly maxMessageSize: number;
  /** The size of the next message, or null when none is waiting. */
  readonly nextSize: number | null;
  /** Messages waiting. */
  readonly count: number;
  /** How long `read()` waits, in ms (Infinity = forever). */
  readonly readTimeout: number;
}

/** Server options after defaults are applied. */
export interface MailslotSettings {
  readonly maxMessageSize: number;
  readonly readTimeout: number;
}

/** The reading end (the one server of a mailslot). */
export interface MailslotReader {
  /**
   * The next message; TimeoutError after `timeout` ms; the signal's reason
   * on abort (nothing taken); ClosedError once closed.
   */
  read(timeout: number, signal?: AbortSignal): Promise<Uint8Array>;
  info(): MailslotInfo;
  close(): Promise<void>;
}

/** A writing end. */
export interface MailslotSender {
  /** The receiver's maximum when it is known here (Linux: published by the server; broadcast: 424), else null. */
  readonly maxMessageSize: number | null;
  write(data: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

/** Windows' limit for messages to a domain broadcast name (`\\*\mailslot\x`). */
export const BROADCAST_LIMIT = 424;
