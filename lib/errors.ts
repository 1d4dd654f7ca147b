/**
 * The errors ipckit throws. OS failures are `Win32Error` (Windows) or
 * `ErrnoError` (Linux); the domain errors below are what callers catch, and
 * they carry the OS error as `cause` where there is one.
 *
 * @module
 */
export { ClosedError } from "./ffi/mod.ts";
export { Win32Error } from "./win32/error.ts";
export { ErrnoError } from "./posix/error.ts";

/**
 * A named object that does not exist.
 *
 * @example
 * ```ts
 * import { NotFoundError } from "./errors.ts";
 * const error = new NotFoundError("Cannot open shared memory 'frames': it does not exist", "frames");
 * ```
 */
export class NotFoundError extends Error {
  override name = "NotFoundError";
  /**
   * @param message The message.
   * @param objectName The name that was looked up.
   * @param options `cause`.
   */
  constructor(message: string, readonly objectName: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/**
 * A name already in use: by an object of the same kind (create without
 * `openExisting`), of another kind (names share one name space, as on
 * Windows), or by another process that squats it.
 *
 * @example
 * ```ts
 * import { NameTakenError } from "./errors.ts";
 * const error = new NameTakenError(
 *   "Cannot create shared memory 'x': the name is taken by an event",
 *   "x", "shared memory", "event",
 * );
 * ```
 */
export class NameTakenError extends Error {
  override name = "NameTakenError";
  /**
   * @param message The message.
   * @param objectName The contested name.
   * @param requestedKind What the caller tried to create.
   * @param existingKind What holds the name, when known.
   * @param options `cause`.
   */
  constructor(
    message: string,
    readonly objectName: string,
    readonly requestedKind: string,
    readonly existingKind: string | undefined,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * The previous owner of a mutex died holding it. The lock now belongs to the
 * caller (release it as usual); the data it guards may be inconsistent.
 *
 * @example
 * ```ts
 * import { AbandonedMutexError } from "./errors.ts";
 * // try { using held = await mutex.lock(); } catch (e) { if (e instanceof AbandonedMutexError) using held = e.guard; }
 * ```
 */
export class AbandonedMutexError extends Error {
  override name = "AbandonedMutexError";
  /**
   * @param message The message.
   * @param guard The held lock, to release or dispose.
   */
  constructor(message: string, readonly guard: Disposable & { release(): void }) {
    super(message);
  }
}

/**
 * An operation that did not finish within its timeout.
 *
 * @example
 * ```ts
 * import { TimeoutError } from "./errors.ts";
 * throw new TimeoutError("Cannot lock mutex 'm': timed out after 1000 ms");
 * ```
 */
export class TimeoutError extends Error {
  override name = "TimeoutError";
}

/**
 * A message larger than the receiver accepts (mailslot maximum, broadcast
 * limit), rejected at the writer before anything is sent.
 *
 * @example
 * ```ts
 * import { MessageTooLargeError } from "./errors.ts";
 * throw new MessageTooLargeError("Cannot write 500 bytes to mailslot 'log': its maximum is 424", 500, 424);
 * ```
 */
export class MessageTooLargeError extends RangeError {
  override name = "MessageTooLargeError";
  /**
   * @param message The message.
   * @param size The rejected size in bytes.
   * @param limit The receiver's maximum in bytes.
   */
  constructor(message: string, readonly size: number, readonly limit: number) {
    super(message);
  }
}

/**
 * Thrown by a channel reader when the channel's writer died (its process
 * ended without closing the writer) and every message it committed has been
 * received. A restarted writer reattaches; the reader keeps working.
 *
 * @example Ending a loop on a dead writer
 * ```ts
 * import { WriterGoneError } from "./errors.ts";
 * try {
 *   // for await (const message of reader) ...
 * } catch (error) {
 *   if (!(error instanceof WriterGoneError)) throw error;
 * }
 * ```
 */
export class WriterGoneError extends Error {
  override name = "WriterGoneError";
}

/**
 * A mechanism or option that does not exist on this OS.
 *
 * @example
 * ```ts
 * import { UnsupportedPlatformError } from "./errors.ts";
 * throw new UnsupportedPlatformError("Cannot use DDE on linux: it exists only on Windows");
 * ```
 */
export class UnsupportedPlatformError extends Error {
  override name = "UnsupportedPlatformError";
}

/**
 * A write through an object opened read-only (shared memory opened with
 * `readonly: true`, a file mapped without `writable`).
 *
 * @example Using ReadOnlyError
 * ```ts
 * import { ReadOnlyError } from "./errors.ts";
 * throw new ReadOnlyError("Cannot write to shared memory 'frames': it was opened read-only");
 * ```
 */
export class ReadOnlyError extends TypeError {
  override name = "ReadOnlyError";
}

/**
 * The Windows clipboard stayed open in another process for the whole retry
 * budget of a clipboard call (OpenClipboard kept failing). A `TimeoutError`,
 * so code that handles timeouts handles it too.
 *
 * @example
 * ```ts
 * import { ClipboardBusyError } from "./errors.ts";
 * throw new ClipboardBusyError("Cannot open the clipboard: process 42 held it for 2000 ms (10 attempts)", 42, 10);
 * ```
 */
export class ClipboardBusyError extends TimeoutError {
  override name = "ClipboardBusyError";
  /**
   * @param message The message.
   * @param holderPid The process that holds the clipboard open, when Windows says (0 if unknown).
   * @param attempts How many times OpenClipboard was tried.
   * @param options `cause` (the last OpenClipboard error).
   */
  constructor(
    message: string,
    readonly holderPid: number,
    readonly attempts: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * No X11 display to reach the Linux clipboard through: `DISPLAY` is unset
 * (`"no-display"`), only Wayland is there (`"wayland-only"`), the X server
 * refused or did not answer (`"unreachable"`), or the X client libraries are
 * missing (`"missing-library"`). The message says how to fix it.
 *
 * @example
 * ```ts
 * import { DisplayUnavailableError } from "./errors.ts";
 * throw new DisplayUnavailableError("Cannot use the clipboard: DISPLAY is not set", "no-display");
 * ```
 */
export class DisplayUnavailableError extends Error {
  override name = "DisplayUnavailableError";
  /**
   * @param message The message.
   * @param reason What is missing.
   * @param options `cause`.
   */
  constructor(
    message: string,
    readonly reason: "no-display" | "wayland-only" | "unreachable" | "missing-library",
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
