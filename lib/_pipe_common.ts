// What lib/win32/{pipe,mailslot}.ts and lib/posix/{pipe,mailslot}.ts both
// implement (the same signatures on each OS), and the name rules they share.

/** How a named pipe carries data: a byte stream, or whole messages. */
export type PipeMode = "byte" | "message";

/**
 * Who may connect to a named pipe: the current user only (default),
 * everyone on this machine, or an explicit Windows SDDL security descriptor.
 */
export type PipeSecurity = "user" | "everyone" | { readonly sddl: string };

/** Server options after defaults are applied. */
export interface ServeSettings {
  readonly mode: PipeMode;
  /** Concurrent connections at most (Infinity = as many as the OS allows). */
  readonly instances: number;
  readonly security: PipeSecurity;
  readonly rejectRemoteClients: boolean;
  readonly bufferSize: number;
}

/** Client options after defaults are applied. */
export interface ConnectSettings {
  readonly mode: PipeMode;
  /** Milliseconds to wait for the pipe to exist and have a free instance (Infinity: forever). */
  readonly timeout: number;
  /** Ends the wait; the call rejects with its reason. */
  readonly signal?: AbortSignal | undefined;
}

/** One connected end of a named pipe (either side) or of an anonymous pipe. */
export interface Endpoint {
  /** The process id of the other end (0 where the OS cannot tell). */
  readonly peerPid: number;
  /** The next message (message mode) or chunk (byte mode); null at end of stream. One at a time. */
  read(): Promise<Uint8Array | null>;
  /** Writes all of `data` (one message in message mode); concurrent calls keep their order. */
  write(data: Uint8Array): Promise<void>;
  /** Waits for pending writes to reach the pipe, then closes; a pending read ends with ClosedError. */
  close(): Promise<void>;
}

/** A listening named pipe. */
export interface ServerEndpoint {
  /** The OS path of the pipe. */
  readonly path: string;
  /**
   * The next client, in arrival order; ClosedError once closed. An abort of
   * `signal` rejects with its reason and takes no client (one that arrives
   * goes to the next accept).
   */
  accept(signal?: AbortSignal): Promise<Endpoint>;
  /** Stops listening; connections already accepted stay open. */
  close(): Promise<void>;
  /** What the OS reports about the pipe's security (Windows: SDDL of the DACL; Linux: socket mode). */
  security(): { descriptor: string; rejectRemoteClients: boolean };
}

/** The longest plain name accepted, in UTF-16 units. */
export const MAX_PLAIN_NAME = 200;

/**
 * Checks a plain pipe or mailslot name (not a full OS path).
 *
 * @param name The name.
 * @param what "pipe" or "mailslot", for messages.
 * @returns The name.
 */
export function checkPlainName(name: string, what: string): string {
  if (name.length === 0) throw new TypeError(`Cannot use an empty ${what} name`);
  if (/[\\/\0]/.test(name)) {
    throw new TypeError(
      `Cannot use '${name}' as a ${what} name: it must not contain '/', '\\' or NUL (pass a full path instead)`,
    );
  }
  if (name.length > MAX_PLAIN_NAME) {
    throw new RangeError(
      `Cannot use '${name.slice(0, 20)}…' as a ${what} name: it is longer than ${MAX_PLAIN_NAME}`,
    );
  }
  return name;
}

/**
 * Copies a caller's bytes or text into a Uint8Array the implementation may keep.
 *
 * @param data Bytes or a string (sent as UTF-8).
 * @param what For the TypeError.
 * @returns The bytes.
 */
export function toBytes(
  data: Uint8Array | ArrayBufferView | ArrayBuffer | string,
  what: string,
): Uint8Array {
  if (typeof data === "string") return new TextEncoder().encode(data);
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) {
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  throw new TypeError(
    `Cannot write ${typeof data} to ${what}: pass a Uint8Array, an ArrayBuffer or a string`,
  );
}

/**
 * One end of an anonymous pipe. Its OS handle is made on first use, so it
 * can suit that use: `forChild()` gives a synchronous, blocking handle (fd)
 * a child can inherit; `local()` gives an asynchronous endpoint here.
 */
export interface AnonymousEnd {
  /** The handle (Windows, as a number) or fd (Linux) to hand to a child; synchronous I/O. */
  forChild(): bigint;
  /** This end as an endpoint for use in this process. */
  local(): Endpoint;
  /** Whether `forChild()` or `local()` has made the OS handle. */
  readonly used: "child" | "local" | null;
  /** Closes this end's OS handle (and a local endpoint). Idempotent. */
  close(): Promise<void>;
}
