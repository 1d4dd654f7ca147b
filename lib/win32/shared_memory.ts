/**
 * Shared memory and file mappings on Windows: sections from
 * CreateFileMappingW (backed by the paging file, or by a file from
 * CreateFileW) viewed with MapViewOfFile. Read-only opens map the view
 * copy-on-write (FILE_MAP_COPY), so a stray write lands in a private page
 * instead of faulting the process; peers never see such writes.
 *
 * @module
 */
import { encodeWide } from "../ffi/mod.ts";
import { NotFoundError } from "../errors.ts";
import { checkedLength, type FileMapRequest, type NativeMapping } from "../_native_mapping.ts";
import { nameTakenBySameKind, win32ObjectName } from "../_names.ts";
import { ERROR, Win32Error } from "./error.ts";
import { kernel32 } from "./kernel32.ts";
import { ntdll } from "./ntdll.ts";
import { namedObjectError } from "./_objects.ts";

const INVALID_HANDLE_VALUE = 0xffffffffffffffffn;
const PAGE_READONLY = 0x02;
const PAGE_READWRITE = 0x04;
const SECTION_QUERY = 0x0001;
const FILE_MAP_COPY = 0x0001;
const FILE_MAP_WRITE = 0x0002;
const FILE_MAP_READ = 0x0004;
const GENERIC_READ = 0x80000000;
const GENERIC_WRITE = 0x40000000;
const FILE_SHARE_ALL = 0x7; // read | write | delete
const OPEN_EXISTING = 3;
const OPEN_ALWAYS = 4;
const FILE_ATTRIBUTE_NORMAL = 0x80;

let granularity = 0;

/**
 * The allocation granularity: view offsets must be multiples of it.
 *
 * @returns GetSystemInfo's dwAllocationGranularity (64 KiB on x64).
 */
export function allocationGranularity(): number {
  const k = kernel32.symbols;
  if (granularity === 0) {
    const info = new Uint8Array(48); // SYSTEM_INFO
    k.GetSystemInfo(info);
    granularity = new DataView(info.buffer).getUint32(40, true); // dwAllocationGranularity
  }
  return granularity;
}

/**
 * The maximum size of a section: NtQuerySection(SectionBasicInformation).
 * Windows reports the size the section was created with; Wine 10 reports it
 * rounded up to a whole page.
 *
 * @param section A section handle with SECTION_QUERY access.
 * @returns The size in bytes.
 */
export function sectionSize(section: bigint): number {
  const info = new Uint8Array(24); // SECTION_BASIC_INFORMATION { PVOID; ULONG; LARGE_INTEGER MaximumSize }
  const status = ntdll.symbols.NtQuerySection(section, 0, info, 24n, 0n);
  if (status !== 0) {
    throw new Error(`NtQuerySection failed: NTSTATUS 0x${status.toString(16).padStart(8, "0")}`);
  }
  return Number(new DataView(info.buffer).getBigInt64(16, true));
}

function mapView(
  section: bigint,
  access: number,
  offset: number,
  length: number,
  what: string,
): bigint {
  const k = kernel32.symbols;
  const address = k.MapViewOfFile(
    section,
    access,
    Math.floor(offset / 2 ** 32),
    offset >>> 0,
    BigInt(length),
  );
  if (address === 0n) {
    const cause = new Win32Error(k.GetLastError(), "MapViewOfFile");
    throw new RangeError(`Cannot map ${length} bytes of ${what}: ${cause.message}`, { cause });
  }
  return address;
}

function mapping(
  section: bigint,
  file: bigint,
  base: bigint,
  slack: number,
  length: number,
  osName: string,
  created: boolean,
): NativeMapping {
  const k = kernel32.symbols;
  return {
    address: base + BigInt(slack),
    length,
    osName,
    created,
    flush() {
      if (file === 0n) return;
      if (!k.FlushViewOfFile(base, BigInt(slack + length))) {
        throw new Win32Error(k.GetLastError(), "FlushViewOfFile");
      }
      if (!k.FlushFileForMapping(file)) throw new Win32Error(k.GetLastError(), "FlushFileBuffers");
    },
    close() {
      k.UnmapViewOfFile(base);
      if (section !== 0n) k.CloseHandle(section);
      if (file !== 0n) k.CloseHandle(file);
    },
  };
}

/**
 * Creates (or, with `openExisting`, opens) named shared memory backed by the paging file.
 *
 * @param name The caller's name (checked).
 * @param size Bytes (a positive safe integer).
 * @param openExisting Open an existing section of that name instead of failing.
 * @returns The mapped view.
 * @example Using createSharedMemory
 * ```ts
 * import { createSharedMemory } from "./shared_memory.ts";
 * const view = createSharedMemory("frames", 4096, false);
 * view.close();
 * ```
 */
export function createSharedMemory(
  name: string,
  size: number,
  openExisting: boolean,
): NativeMapping {
  const k = kernel32.symbols;
  const osName = win32ObjectName(name);
  const section = k.CreateFileMappingW(
    INVALID_HANDLE_VALUE,
    0n,
    PAGE_READWRITE,
    Math.floor(size / 2 ** 32),
    size >>> 0,
    encodeWide(osName),
  );
  const code = k.GetLastError();
  if (section === 0n) {
    if (code === ERROR.NOT_ENOUGH_MEMORY || code === 1455 /* ERROR_COMMITMENT_LIMIT */) {
      const cause = new Win32Error(code, "CreateFileMappingW");
      throw new RangeError(
        `Cannot create shared memory '${name}' of ${size} bytes: ${cause.message}`,
        { cause },
      );
    }
    throw namedObjectError("create", "shared memory", name, osName, code, "CreateFileMappingW");
  }
  const existed = code === ERROR.ALREADY_EXISTS;
  try {
    if (existed && !openExisting) {
      throw nameTakenBySameKind("shared memory", name, new Win32Error(code, "CreateFileMappingW"));
    }
    if (existed) {
      const actual = sectionSize(section);
      if (actual < size) {
        throw new RangeError(
          `Cannot open shared memory '${name}' as ${size} bytes: it exists with ${actual} bytes`,
        );
      }
    }
    const base = mapView(
      section,
      FILE_MAP_READ | FILE_MAP_WRITE,
      0,
      size,
      `shared memory '${name}'`,
    );
    return mapping(section, 0n, base, 0, size, osName, !existed);
  } catch (error) {
    k.CloseHandle(section);
    throw error;
  }
}

/**
 * Opens existing named shared memory.
 *
 * @param name The caller's name (checked).
 * @param readonly Map copy-on-write: writes stay private and are never seen by peers.
 * @param size Bytes to view (at most the section's size); undefined: the whole section.
 * @returns The mapped view.
 * @example Using openSharedMemory
 * ```ts
 * import { openSharedMemory } from "./shared_memory.ts";
 * const view = openSharedMemory("frames", true, undefined);
 * view.close();
 * ```
 */
export function openSharedMemory(
  name: string,
  readonly: boolean,
  size: number | undefined,
): NativeMapping {
  const k = kernel32.symbols;
  const osName = win32ObjectName(name);
  const access = SECTION_QUERY | FILE_MAP_READ | (readonly ? 0 : FILE_MAP_WRITE);
  const section = k.OpenFileMappingW(access, 0, encodeWide(osName));
  if (section === 0n) {
    throw namedObjectError(
      "open",
      "shared memory",
      name,
      osName,
      k.GetLastError(),
      "OpenFileMappingW",
    );
  }
  try {
    const actual = sectionSize(section);
    if (size !== undefined && size > actual) {
      throw new RangeError(
        `Cannot open shared memory '${name}' as ${size} bytes: it has ${actual} bytes`,
      );
    }
    const length = size ?? actual;
    const base = mapView(
      section,
      readonly ? FILE_MAP_COPY : FILE_MAP_READ | FILE_MAP_WRITE,
      0,
      length,
      `shared memory '${name}'`,
    );
    return mapping(section, 0n, base, 0, length, osName, false);
  } catch (error) {
    k.CloseHandle(section);
    throw error;
  }
}

/**
 * Maps a region of a file. The offset need not be aligned: the view starts
 * at the allocation-granularity boundary below it and the caller's bytes
 * start past the slack. A writable map past the end of the file grows it.
 *
 * @param request The checked request.
 * @returns The mapped view.
 * @example Using mapFileRegion
 * ```ts
 * import { mapFileRegion } from "./shared_memory.ts";
 * const view = mapFileRegion({ path: "data.bin", writable: false, create: false, offset: 0, length: undefined });
 * view.close();
 * ```
 */
export function mapFileRegion(request: FileMapRequest): NativeMapping {
  const k = kernel32.symbols;
  const { path, writable, offset } = request;
  const file = k.CreateFileForMappingW(
    encodeWide(path),
    (GENERIC_READ | (writable ? GENERIC_WRITE : 0)) >>> 0,
    FILE_SHARE_ALL,
    0n,
    writable && request.create ? OPEN_ALWAYS : OPEN_EXISTING,
    FILE_ATTRIBUTE_NORMAL,
    0n,
  );
  if (file === INVALID_HANDLE_VALUE) {
    const cause = new Win32Error(k.GetLastError(), "CreateFileW");
    if (cause.code === ERROR.FILE_NOT_FOUND || cause.code === 3 /* ERROR_PATH_NOT_FOUND */) {
      throw new NotFoundError(`Cannot map file '${path}': it does not exist`, path, { cause });
    }
    throw new Error(`Cannot map file '${path}': ${cause.message}`, { cause });
  }
  let section = 0n;
  try {
    const sizeOut = new BigInt64Array(1);
    if (!k.GetFileSizeForMapping(file, sizeOut)) {
      throw new Win32Error(k.GetLastError(), "GetFileSizeEx");
    }
    const fileSize = Number(sizeOut[0]);
    const length = checkedLength(path, fileSize, offset, request.length, writable);
    const end = offset + length;
    // A writable section larger than the file extends the file to `end`.
    const maxSize = writable && end > fileSize ? end : 0;
    section = k.CreateFileMappingW(
      file,
      0n,
      writable ? PAGE_READWRITE : PAGE_READONLY,
      Math.floor(maxSize / 2 ** 32),
      maxSize >>> 0,
      null,
    );
    if (section === 0n) {
      const cause = new Win32Error(k.GetLastError(), "CreateFileMappingW");
      throw new Error(`Cannot map file '${path}': ${cause.message}`, { cause });
    }
    const aligned = offset - (offset % allocationGranularity());
    const slack = offset - aligned;
    const base = mapView(
      section,
      writable ? FILE_MAP_READ | FILE_MAP_WRITE : FILE_MAP_COPY,
      aligned,
      slack + length,
      `file '${path}'`,
    );
    // The view keeps the section alive; only the file handle is needed (for flush).
    k.CloseHandle(section);
    return mapping(0n, writable ? file : 0n, base, slack, length, path, false);
  } catch (error) {
    if (section !== 0n) k.CloseHandle(section);
    k.CloseHandle(file);
    throw error;
  }
}

/**
 * Windows destroys an object when its last handle closes, even when its
 * holder crashed: there is never anything to reclaim.
 *
 * @returns 0.
 * @example Using reclaimStaleObjects
 * ```ts
 * import { reclaimStaleObjects } from "./shared_memory.ts";
 * reclaimStaleObjects(); // 0
 * ```
 */
export function reclaimStaleObjects(): number {
  return 0;
}
