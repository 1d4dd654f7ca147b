// Validation of the names of shared memory, mutexes, semaphores and events,
// shared by both platforms so a name that works on one works on the other.

import { NameTakenError } from "./errors.ts";

const NAMESPACE_PREFIX = /^(Local|Global)\\/;

/** The longest name accepted (UTF-16 units), within Windows' MAX_PATH and Linux's NAME_MAX. */
export const MAX_NAME_LENGTH = 200;

/**
 * Checks an object name: a non-empty string without `/`, `\` (other than a
 * leading `Local\` or `Global\`) or NUL.
 *
 * @param name The name the caller passed.
 * @param what The kind of object, for the message.
 * @returns The name.
 */
export function checkName(name: unknown, what: string): string {
  if (typeof name !== "string") {
    throw new TypeError(`Cannot use ${typeof name} as a ${what} name: it must be a string`);
  }
  const bare = name.replace(NAMESPACE_PREFIX, "");
  if (bare.length === 0) throw new TypeError(`Cannot use '${name}' as a ${what} name: it is empty`);
  if (/[\\/\0]/.test(bare)) {
    throw new TypeError(
      `Cannot use '${name}' as a ${what} name: it must not contain '/', '\\' or NUL`,
    );
  }
  if (name.length > MAX_NAME_LENGTH) {
    throw new TypeError(
      `Cannot use '${name.slice(0, 20)}…' as a ${what} name: it is longer than ${MAX_NAME_LENGTH}`,
    );
  }
  return name;
}

/**
 * The name without a `Local\` or `Global\` prefix (Linux has one name space).
 *
 * @param name A checked name.
 * @returns The bare name.
 */
export function bareName(name: string): string {
  return name.replace(NAMESPACE_PREFIX, "");
}

/**
 * The Win32 object name: `Local\` added unless the name has a prefix already.
 *
 * @param name A checked name.
 * @returns The name as Win32 sees it.
 */
export function win32ObjectName(name: string): string {
  return NAMESPACE_PREFIX.test(name) ? name : `Local\\${name}`;
}

/**
 * Checks a size in bytes: a positive safe integer.
 *
 * @param size The size.
 * @param what What is being sized, for the message.
 * @returns The size.
 */
export function checkSize(size: unknown, what: string): number {
  if (typeof size !== "number" || !Number.isSafeInteger(size) || size <= 0) {
    throw new RangeError(
      `Cannot size ${what} to ${String(size)} bytes: the size must be a positive integer`,
    );
  }
  return size;
}

/**
 * A kind with its article: "an event", "a mutex", "shared memory".
 *
 * @param kind A kind ("event", "shared memory", "another kind of object").
 * @returns The kind with its article.
 */
export function withArticle(kind: string): string {
  if (kind === "shared memory" || /^(an? |another )/.test(kind)) return kind;
  return /^[aeiou]/.test(kind) ? `an ${kind}` : `a ${kind}`;
}

/**
 * The error for a create that found an object of the same kind under the name.
 *
 * @param kind The kind.
 * @param name The caller's name.
 * @param cause The OS error, when there is one.
 * @returns The NameTakenError.
 */
export function nameTakenBySameKind(kind: string, name: string, cause?: Error): NameTakenError {
  return new NameTakenError(
    `Cannot create ${kind} '${name}': ${
      withArticle(kind)
    } of that name exists (pass openExisting: true to open it)`,
    name,
    kind,
    kind,
    cause ? { cause } : undefined,
  );
}
