/**
 * The per-user class registration of a served COM object: the ProgID's CLSID
 * and the CLSID's ProgID under HKCU\Software\Classes, which Windows merges
 * into HKEY_CLASSES_ROOT, so `CreateObject("Your.ProgId")` finds the class.
 * Pure helpers (the ProgID check, the CLSID derived from a ProgID) and the
 * registry writes; everything written is recorded so it can be removed.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { encodeWide } from "../../ffi/mod.ts";
import { advapi32 } from "../advapi32.ts";
import { Win32Error } from "../error.ts";
import { formatGuid } from "./guid.ts";

/** HKEY_CURRENT_USER and HKEY_CLASSES_ROOT: predefined keys, sign-extended to 64 bits. */
export const HKEY = {
  CURRENT_USER: 0xffffffff80000001n,
  CLASSES_ROOT: 0xffffffff80000000n,
} as const;

const REG_SZ = 1;
const RRF_RT_REG_SZ = 0x2;
const ERROR_FILE_NOT_FOUND = 2;

/**
 * Checks a ProgID as COM defines it: 1 to 39 characters, letters, digits and
 * periods, starting with a letter.
 *
 * @param progId The ProgID.
 * @returns The ProgID.
 * @example
 * ```ts
 * import { checkProgId } from "./_registration.ts";
 * checkProgId("Ipckit.Demo"); // "Ipckit.Demo"
 * ```
 */
export function checkProgId(progId: unknown): string {
  if (typeof progId !== "string") {
    throw new TypeError(`Cannot use ${typeof progId} as a ProgID: it must be a string`);
  }
  if (!/^[A-Za-z][A-Za-z0-9.]{0,38}$/.test(progId)) {
    throw new TypeError(
      `Cannot use '${progId}' as a ProgID: use 1 to 39 letters, digits and periods, starting with a letter`,
    );
  }
  return progId;
}

/**
 * The ProgID a topology's `com` endpoint gets when it names none: `Ipckit.`
 * and the endpoint's library name, keeping letters, digits and periods, at
 * most 39 characters.
 *
 * @param libName The endpoint's library name (`<topology>.<endpoint>`).
 * @returns The ProgID.
 * @example
 * ```ts
 * import { progIdForEndpoint } from "./_registration.ts";
 * progIdForEndpoint("com_automation.counter"); // "Ipckit.comautomation.counter"
 * ```
 */
export function progIdForEndpoint(libName: string): string {
  return `Ipckit.${libName.replace(/[^A-Za-z0-9.]/g, "")}`.slice(0, 39).replace(/\.+$/, "");
}

/**
 * The CLSID ipckit uses for a ProgID when none is given: a name-based UUID
 * (version 5 layout over SHA-1) of the ProgID, case-insensitive, so a server
 * and its clients agree without configuration.
 *
 * @param progId A checked ProgID.
 * @returns The CLSID in registry form, `{…}`.
 * @example
 * ```ts
 * import { clsidForProgId } from "./_registration.ts";
 * clsidForProgId("Ipckit.Demo") === clsidForProgId("IPCKIT.DEMO"); // true
 * ```
 */
export function clsidForProgId(progId: string): string {
  const digest = createHash("sha1").update(`ipckit.com:${progId.toLowerCase()}`).digest();
  const bytes = new Uint8Array(digest.subarray(0, 16));
  bytes[6] = (bytes[6]! & 0x0f) | 0x50; // version 5
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // RFC 4122 variant
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `{${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${
    hex.slice(20)
  }}`.toUpperCase();
}

/** One registry key written for a class, with the root it is under. */
export interface WrittenKey {
  readonly root: bigint;
  readonly path: string;
}

function setValue(root: bigint, path: string, value: string): void {
  const data = encodeWide(value);
  const status = advapi32.symbols.RegSetKeyValueW(
    root,
    encodeWide(path),
    null,
    REG_SZ,
    data,
    data.byteLength,
  );
  if (status !== 0) throw new Win32Error(status, "RegSetKeyValueW");
}

/**
 * Reads a string value (the key's default value when `name` is omitted).
 *
 * @param root A predefined key.
 * @param path The subkey.
 * @returns The text, or `undefined` when the key or value does not exist.
 * @example
 * ```ts
 * import { HKEY, readString } from "./_registration.ts";
 * // readString(HKEY.CURRENT_USER, "Software\\Classes\\Ipckit.Demo\\CLSID");
 * ```
 */
export function readString(root: bigint, path: string): string | undefined {
  const data = new Uint8Array(512);
  const size = new Uint32Array([data.byteLength]);
  const status = advapi32.symbols.RegGetValueW(
    root,
    encodeWide(path),
    null,
    RRF_RT_REG_SZ,
    0n,
    data,
    size,
  );
  if (status === ERROR_FILE_NOT_FOUND) return undefined;
  if (status !== 0) throw new Win32Error(status, "RegGetValueW");
  const units = new Uint16Array(data.buffer, 0, Math.max(0, size[0]! / 2 - 1));
  return String.fromCharCode(...units);
}

/**
 * Writes a class's keys under `root`'s classes: `<ProgID>\CLSID` and
 * `CLSID\{…}\ProgID`, each key's default value naming the class.
 *
 * @param root HKEY.CURRENT_USER (then under Software\Classes) or HKEY.CLASSES_ROOT.
 * @param progId The ProgID.
 * @param clsid The CLSID, `{…}`.
 * @param description The class's display name.
 * @returns The two keys written (remove them with {@link removeKeys}).
 * @example
 * ```ts
 * import { HKEY, removeKeys, writeClassKeys } from "./_registration.ts";
 * // const keys = writeClassKeys(HKEY.CURRENT_USER, "Ipckit.Demo", "{…}", "ipckit demo");
 * // removeKeys(keys);
 * ```
 */
export function writeClassKeys(
  root: bigint,
  progId: string,
  clsid: string,
  description: string,
): WrittenKey[] {
  const prefix = root === HKEY.CURRENT_USER ? "Software\\Classes\\" : "";
  const keys = [`${prefix}${progId}`, `${prefix}CLSID\\${clsid}`];
  try {
    setValue(root, keys[0]!, description);
    setValue(root, `${keys[0]}\\CLSID`, clsid);
    setValue(root, keys[1]!, description);
    setValue(root, `${keys[1]}\\ProgID`, progId);
  } catch (error) {
    removeKeys(keys.map((path) => ({ root, path })));
    throw error;
  }
  return keys.map((path) => ({ root, path }));
}

/**
 * Deletes keys and everything under them; keys already gone are skipped.
 *
 * @param keys The keys, as {@link writeClassKeys} returned them.
 * @example
 * ```ts
 * import { removeKeys } from "./_registration.ts";
 * removeKeys([]);
 * ```
 */
export function removeKeys(keys: readonly WrittenKey[]): void {
  const failures: Win32Error[] = [];
  for (const { root, path } of keys) {
    const status = advapi32.symbols.RegDeleteTreeW(root, encodeWide(path));
    if (status === 0 || status === ERROR_FILE_NOT_FOUND) {
      const gone = advapi32.symbols.RegDeleteKeyW(root, encodeWide(path));
      if (gone === 0 || gone === ERROR_FILE_NOT_FOUND) continue;
      failures.push(new Win32Error(gone, "RegDeleteKeyW"));
      continue;
    }
    failures.push(new Win32Error(status, "RegDeleteTreeW"));
  }
  if (failures.length > 0) {
    throw new AggregateError(failures, `Cannot remove ${failures.length} COM registry keys`);
  }
}

/**
 * Removes a ProgID's registration if it still names `clsid` (a later server
 * of the same ProgID with another CLSID keeps its own), under both roots.
 * The supervisor calls it for a server that died without cleaning up.
 *
 * @param progId The ProgID.
 * @param clsid The CLSID the registration must name.
 * @returns Whether anything was removed.
 * @example
 * ```ts
 * import { unregisterClass } from "./_registration.ts";
 * // unregisterClass("Ipckit.Demo", "{…}");
 * ```
 */
export function unregisterClass(progId: string, clsid: string): boolean {
  let removed = false;
  for (const root of [HKEY.CURRENT_USER, HKEY.CLASSES_ROOT]) {
    const prefix = root === HKEY.CURRENT_USER ? "Software\\Classes\\" : "";
    const named = readString(root, `${prefix}${progId}\\CLSID`);
    if (named === undefined || named.toUpperCase() !== clsid.toUpperCase()) continue;
    removeKeys([{ root, path: `${prefix}${progId}` }, { root, path: `${prefix}CLSID\\${clsid}` }]);
    removed = true;
  }
  return removed;
}

/**
 * The registry form of a CLSID given as bytes or text.
 *
 * @param clsid 16 bytes, or `{…}` text.
 * @returns `{XXXXXXXX-…}` in upper case.
 * @example
 * ```ts
 * import { clsidText } from "./_registration.ts";
 * clsidText("{6f1c2a10-3b4d-4e5f-8a9b-0c1d2e3f4a5b}"); // "{6F1C2A10-3B4D-4E5F-8A9B-0C1D2E3F4A5B}"
 * ```
 */
export function clsidText(clsid: Uint8Array | string): string {
  return (typeof clsid === "string" ? clsid : formatGuid(clsid)).toUpperCase();
}
