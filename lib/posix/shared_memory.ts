/**
 * Shared memory and file mappings on Linux: POSIX shm segments
 * (shm_open/ftruncate/mmap) whose lifetime follows Windows rules through
 * lib/posix/_registry.ts, and mmap of file regions. Read-only opens map
 * MAP_PRIVATE with PROT_READ|PROT_WRITE: a stray write lands in a private
 * copy-on-write page instead of faulting the process, and peers never see it.
 * Space is reserved with posix_fallocate, so touching any byte of a view can
 * never raise SIGBUS because tmpfs or the disk ran out.
 *
 * @module
 */
import { encodeC } from "../ffi/mod.ts";
import { NotFoundError } from "../errors.ts";
import { checkedLength, type FileMapRequest, type NativeMapping } from "../_native_mapping.ts";
import { bareName, nameTakenBySameKind } from "../_names.ts";
import { currentErrno, ERRNO, ErrnoError, lastErrnoError } from "./error.ts";
import { libc } from "./libc.ts";
import {
  claimExisting,
  claimNew,
  dataName,
  MAP_FAILED,
  MAP_PRIVATE,
  MAP_SHARED,
  MODE,
  O_CLOEXEC,
  O_CREAT,
  O_EXCL,
  O_RDONLY,
  O_RDWR,
  PROT_READ,
  PROT_WRITE,
  reclaimStaleLocked,
  type Registration,
  withNamespaceLock,
} from "./_registry.ts";

const MS_SYNC = 4;
const SEEK_END = 2;

function sizeError(what: string, size: number, cause: ErrnoError): RangeError {
  return new RangeError(`Cannot create ${what} of ${size} bytes: ${cause.message}`, { cause });
}

function mapFd(fd: number, length: number, offset: number, shared: boolean, what: string): bigint {
  const c = libc.symbols;
  const address = c.mmap(
    0n,
    BigInt(length),
    PROT_READ | PROT_WRITE,
    shared ? MAP_SHARED : MAP_PRIVATE,
    fd,
    BigInt(offset),
  );
  if (address === MAP_FAILED) {
    const cause = lastErrnoError("mmap");
    throw new RangeError(`Cannot map ${length} bytes of ${what}: ${cause.message}`, { cause });
  }
  return address;
}

function mapping(
  base: bigint,
  slack: number,
  length: number,
  osName: string,
  created: boolean,
  syncOnFlush: boolean,
  registration: Registration | undefined,
): NativeMapping {
  const c = libc.symbols;
  return {
    address: base + BigInt(slack),
    length,
    osName,
    created,
    flush() {
      if (syncOnFlush && c.msync(base, BigInt(slack + length), MS_SYNC) < 0) {
        throw lastErrnoError("msync");
      }
    },
    close() {
      c.munmap(base, BigInt(slack + length));
      registration?.release();
    },
  };
}

/** Opens an existing data segment: its fd, or NotFoundError when it does not exist. */
function openSegmentFd(bare: string, readonly: boolean): number {
  const c = libc.symbols;
  const fd = c.shm_open(encodeC(dataName(bare)), (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC, 0);
  if (fd < 0) {
    const cause = lastErrnoError(`shm_open ${dataName(bare)}`);
    if (cause.errno === ERRNO.ENOENT) {
      throw new NotFoundError(`Cannot open shared memory '${bare}': it does not exist`, bare, {
        cause,
      });
    }
    throw new Error(`Cannot open shared memory '${bare}': ${cause.message}`, { cause });
  }
  return fd;
}

/** Opens a data segment and maps `size` bytes of it. */
function mapSegment(bare: string, size: number, readonly: boolean): bigint {
  const fd = openSegmentFd(bare, readonly);
  try {
    return mapFd(fd, size, 0, !readonly, `shared memory '${bare}'`);
  } finally {
    libc.symbols.close(fd);
  }
}

/**
 * Creates (or, with `openExisting`, opens) named shared memory: the data
 * segment `/dev/shm/<name>` plus its ipckit metadata. Reclaims the objects
 * of holders that died first.
 *
 * @param name The caller's name (checked).
 * @param size Bytes (a positive safe integer).
 * @param openExisting Open an existing object of that name instead of failing.
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
  const c = libc.symbols;
  const bare = bareName(name);
  return withNamespaceLock(() => {
    reclaimStaleLocked();
    const existing = claimExisting(bare, "shared memory", "create");
    if (existing) {
      try {
        if (!openExisting) throw nameTakenBySameKind("shared memory", bare);
        if (existing.size < size) {
          throw new RangeError(
            `Cannot open shared memory '${bare}' as ${size} bytes: it exists with ${existing.size} bytes`,
          );
        }
        return mapping(
          mapSegment(bare, size, false),
          0,
          size,
          dataName(bare),
          false,
          false,
          existing,
        );
      } catch (error) {
        existing.releaseLocked();
        throw error;
      }
    }
    if (segmentExists(bare)) {
      // A segment that is not ipckit's (Python's, C's shm_open) holds the name.
      if (openExisting) return openForeign(bare, false, size);
      throw nameTakenBySameKind("shared memory", bare);
    }
    const registration = claimNew(
      bare,
      "shared memory",
      (page) => page.setBigUint64(16, BigInt(size), true),
    );
    const segment = encodeC(dataName(bare));
    const fd = c.shm_open(segment, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, MODE);
    if (fd < 0) {
      const cause = lastErrnoError(`shm_open ${dataName(bare)}`);
      registration.releaseLocked(false);
      if (cause.errno === ERRNO.EEXIST) throw nameTakenBySameKind("shared memory", bare, cause);
      throw new Error(`Cannot create shared memory '${bare}': ${cause.message}`, { cause });
    }
    try {
      // Reserve the pages now: a sparse segment could SIGBUS on first touch once tmpfs is full.
      const failed = c.ftruncate(fd, BigInt(size)) < 0
        ? currentErrno()
        : c.posix_fallocate(fd, 0n, BigInt(size));
      if (failed !== 0) {
        throw sizeError(`shared memory '${bare}'`, size, new ErrnoError(failed, "posix_fallocate"));
      }
      const base = mapFd(fd, size, 0, true, `shared memory '${bare}'`);
      return mapping(base, 0, size, dataName(bare), true, false, registration);
    } catch (error) {
      registration.releaseLocked();
      throw error;
    } finally {
      c.close(fd);
    }
  });
}

/**
 * Opens existing named shared memory. A segment ipckit did not create
 * (Python's, C's shm_open) opens too, with its lifetime left to its owner.
 *
 * @param name The caller's name (checked).
 * @param readonly Map copy-on-write: writes stay private and are never seen by peers.
 * @param size Bytes to view (at most the object's size); undefined: all of it.
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
  const bare = bareName(name);
  return withNamespaceLock(() => {
    const registration = claimExisting(bare, "shared memory", "open");
    if (!registration) return openForeign(bare, readonly, size);
    try {
      const actual = registration.size;
      if (size !== undefined && size > actual) {
        throw new RangeError(
          `Cannot open shared memory '${bare}' as ${size} bytes: it has ${actual} bytes`,
        );
      }
      const length = size ?? actual;
      return mapping(
        mapSegment(bare, length, readonly),
        0,
        length,
        dataName(bare),
        false,
        false,
        registration,
      );
    } catch (error) {
      registration.releaseLocked();
      throw error;
    }
  });
}

function segmentExists(bare: string): boolean {
  const c = libc.symbols;
  const fd = c.shm_open(encodeC(dataName(bare)), O_RDONLY | O_CLOEXEC, 0);
  if (fd >= 0) c.close(fd);
  return fd >= 0 || currentErrno() !== ERRNO.ENOENT;
}

function openForeign(bare: string, readonly: boolean, size: number | undefined): NativeMapping {
  const c = libc.symbols;
  const fd = openSegmentFd(bare, readonly);
  try {
    const actual = Number(c.lseek(fd, 0n, SEEK_END));
    const length = size ?? actual;
    if (actual <= 0 || length > actual) {
      throw new RangeError(
        `Cannot open shared memory '${bare}' as ${length} bytes: it has ${actual} bytes`,
      );
    }
    return mapping(
      mapFd(fd, length, 0, !readonly, `shared memory '${bare}'`),
      0,
      length,
      dataName(bare),
      false,
      false,
      undefined,
    );
  } finally {
    c.close(fd);
  }
}

/**
 * Maps a region of a file. The offset need not be aligned: the view starts
 * at the page boundary below it. A writable map past the end of the file
 * grows it (with the space reserved).
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
  const c = libc.symbols;
  const { path, writable, offset } = request;
  const flags = (writable ? O_RDWR : O_RDONLY) | (writable && request.create ? O_CREAT : 0) |
    O_CLOEXEC;
  const fd = c.open(encodeC(path), flags, 0o644);
  if (fd < 0) {
    const cause = lastErrnoError("open");
    if (cause.errno === ERRNO.ENOENT) {
      throw new NotFoundError(`Cannot map file '${path}': it does not exist`, path, { cause });
    }
    throw new Error(`Cannot map file '${path}': ${cause.message}`, { cause });
  }
  try {
    const fileSize = Number(c.lseek(fd, 0n, SEEK_END));
    if (fileSize < 0) throw lastErrnoError("lseek");
    const length = checkedLength(path, fileSize, offset, request.length, writable);
    const end = offset + length;
    if (writable && end > fileSize) {
      const failed = c.posix_fallocate(fd, BigInt(fileSize), BigInt(end - fileSize));
      if (failed !== 0) {
        throw sizeError(`file '${path}'`, end, new ErrnoError(failed, "posix_fallocate"));
      }
    }
    const page = c.getpagesize();
    const aligned = offset - (offset % page);
    const slack = offset - aligned;
    const base = mapFd(fd, slack + length, aligned, writable, `file '${path}'`);
    return mapping(base, slack, length, path, false, writable, undefined);
  } finally {
    c.close(fd);
  }
}

/**
 * Unlinks what ipckit objects whose holders all died left in /dev/shm.
 *
 * @returns How many objects were reclaimed.
 * @example Using reclaimStaleObjects
 * ```ts
 * import { reclaimStaleObjects } from "./shared_memory.ts";
 * reclaimStaleObjects();
 * ```
 */
export function reclaimStaleObjects(): number {
  return withNamespaceLock(reclaimStaleLocked);
}
