// Named kernel objects on Windows: telling which kind of object holds a name
// (mappings, events, mutexes and semaphores share one name space) and turning
// the errors of Create*/Open* into ipckit's typed errors.
import { encodeWide } from "../ffi/mod.ts";
import { NameTakenError, NotFoundError } from "../errors.ts";
import { ERROR, Win32Error } from "./error.ts";
import { kernel32 } from "./kernel32.ts";
import { nameTakenBySameKind, withArticle } from "../_names.ts";

const SYNCHRONIZE = 0x100000;
const FILE_MAP_READ = 4;

/** Kinds of named objects ipckit creates, as they read in messages. */
export type ObjectKind = "shared memory" | "mutex" | "semaphore" | "event";

/**
 * Which kind of object holds a Win32 name. An Open* call on a name held by
 * another kind fails with ERROR_INVALID_HANDLE; a name that exists but
 * denies us access fails with ERROR_ACCESS_DENIED, which still tells the kind.
 *
 * @param osName The full Win32 name (`Local\x`).
 * @returns The kind, "another kind of object" (a timer, a job), or undefined when nothing holds it.
 */
export function probeKind(osName: string): string | undefined {
  const k = kernel32.symbols;
  const wide = encodeWide(osName);
  const probes: [ObjectKind, () => bigint][] = [
    ["event", () => k.OpenEventW(SYNCHRONIZE, 0, wide)],
    ["mutex", () => k.OpenMutexW(SYNCHRONIZE, 0, wide)],
    ["semaphore", () => k.OpenSemaphoreW(SYNCHRONIZE, 0, wide)],
    ["shared memory", () => k.OpenFileMappingW(FILE_MAP_READ, 0, wide)],
  ];
  let sawOtherKind = false;
  for (const [kind, open] of probes) {
    const handle = open();
    const code = handle === 0n ? k.GetLastError() : 0;
    if (handle !== 0n) {
      k.CloseHandle(handle);
      return kind;
    }
    if (code === ERROR.ACCESS_DENIED) return kind;
    if (code === ERROR.INVALID_HANDLE) sawOtherKind = true;
  }
  return sawOtherKind ? "another kind of object" : undefined;
}

/**
 * The typed error for a failed Create or Open call on a named object.
 *
 * @param verb "create" or "open".
 * @param kind What the caller asked for.
 * @param name The caller's name.
 * @param osName The Win32 name.
 * @param code The Win32 error code.
 * @param syscall The call that failed.
 * @returns NotFoundError, NameTakenError (naming both kinds), or the Win32Error itself.
 */
export function namedObjectError(
  verb: "create" | "open",
  kind: ObjectKind,
  name: string,
  osName: string,
  code: number,
  syscall: string,
): Error {
  const cause = new Win32Error(code, syscall);
  if (code === ERROR.FILE_NOT_FOUND && verb === "open") {
    return new NotFoundError(`Cannot open ${kind} '${name}': it does not exist`, name, { cause });
  }
  if (code === ERROR.INVALID_HANDLE) {
    const existing = probeKind(osName);
    return new NameTakenError(
      `Cannot ${verb} ${kind} '${name}': the name is taken by ${
        withArticle(existing ?? "another kind of object")
      }`,
      name,
      kind,
      existing,
      { cause },
    );
  }
  if (code === ERROR.ALREADY_EXISTS) return nameTakenBySameKind(kind, name, cause);
  return new Error(`Cannot ${verb} ${kind} '${name}': ${cause.message}`, { cause });
}
