// Names and lifetime of ipckit objects on Linux.
//
// Why: Windows keeps a named object alive while any handle is open and gives
// mappings, mutexes, semaphores and events one name space. POSIX shm segments
// live until unlinked (a crash leaves them in /dev/shm forever) and know no
// kinds. So every ipckit object `x` has a metadata segment `/dev/shm/ipckit.x`
// (one page: magic, kind, size, and the kind's shared state: futex words or a
// robust pthread mutex), next to the data segment `/dev/shm/x` that holds
// exactly the user's bytes (shared memory only), so that programs that are not
// ipckit (Python's multiprocessing.shared_memory, C's shm_open) see the same bytes.
//
// Liveness is flock(2): every holder keeps LOCK_SH on its own open of the
// metadata segment. Whoever can take LOCK_EX|LOCK_NB there knows there is no
// holder left: a closing holder then unlinks both segments, and any later
// create/open (or reclaimStale) unlinks the leftovers of holders that died,
// since the kernel drops a dead process's locks. Every create/open/close
// transition holds LOCK_EX on the /dev/shm directory itself, so nothing of
// ours outlives the objects (no lock file).
import { readdirSync } from "node:fs";
import { detachBuffer, encodeC, nativeBuffer } from "../ffi/mod.ts";
import { NameTakenError } from "../errors.ts";
import { currentErrno, ERRNO, lastErrnoError } from "./error.ts";
import { withArticle } from "../_names.ts";
import { libc } from "./libc.ts";

export const SHM_DIR = "/dev/shm";
export const META_PREFIX = "ipckit.";
const META_SIZE = 4096;
const MAGIC = 0x4b435049; // "IPCK"
const VERSION = 1;
/** Where a kind's shared state starts in the metadata page (64-byte aligned). */
export const STATE_OFFSET = 64;

export const O_RDONLY = 0;
export const O_RDWR = 2;
export const O_CREAT = 0o100;
export const O_EXCL = 0o200;
const O_DIRECTORY = 0o200000;
export const O_CLOEXEC = 0o2000000;
const LOCK_SH = 1;
const LOCK_EX = 2;
const LOCK_NB = 4;
const LOCK_UN = 8;
export const PROT_READ = 1;
export const PROT_WRITE = 2;
export const MAP_SHARED = 1;
export const MAP_PRIVATE = 2;
export const MAP_FAILED = 0xffffffffffffffffn;
/** Owner-only, like Python's multiprocessing.shared_memory. */
export const MODE = 0o600;

/** Kinds of ipckit objects and their codes in the metadata page. */
export const KINDS = { "shared memory": 1, mutex: 2, semaphore: 3, event: 4 } as const;
export type Kind = keyof typeof KINDS;
const KIND_BY_CODE = new Map(Object.entries(KINDS).map(([k, v]) => [v as number, k as Kind]));

/** The shm_open name of a data segment. */
export const dataName = (bare: string): string => `/${bare}`;
/** The shm_open name of a metadata segment. */
export const metaName = (bare: string): string => `/${META_PREFIX}${bare}`;

let dirFd = -1;

/**
 * Runs `fn` holding the ipckit name-space lock (LOCK_EX on /dev/shm). `fn`
 * must be synchronous and short: creates, opens and closes only.
 *
 * @param fn The transition.
 * @returns What fn returns.
 */
export function withNamespaceLock<T>(fn: () => T): T {
  const c = libc.symbols;
  if (dirFd < 0) {
    dirFd = c.open(encodeC(SHM_DIR), O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
    if (dirFd < 0) throw lastErrnoError(`open ${SHM_DIR}`);
  }
  while (c.flock(dirFd, LOCK_EX) < 0) {
    if (currentErrno() !== ERRNO.EINTR) throw lastErrnoError("flock");
  }
  try {
    return fn();
  } finally {
    c.flock(dirFd, LOCK_UN);
  }
}

/** One holder's claim on a name: its locked open of the metadata page, mapped. */
export class Registration {
  #buffer: ArrayBuffer | null;
  #fd: number;

  constructor(readonly bare: string, readonly kind: Kind, fd: number, readonly address: bigint) {
    this.#fd = fd;
    this.#buffer = nativeBuffer(address, META_SIZE);
  }

  /** The metadata page (detached once released). */
  get buffer(): ArrayBuffer {
    if (!this.#buffer) throw new Error(`Registration of '${this.bare}' was released`);
    return this.#buffer;
  }

  /** The size recorded for shared memory. */
  get size(): number {
    return Number(new DataView(this.buffer).getBigUint64(16, true));
  }

  /**
   * Gives up this claim; the last holder unlinks the data and metadata segments.
   */
  release(): void {
    if (this.#buffer) withNamespaceLock(() => this.releaseLocked());
  }

  /**
   * {@link release} for callers that hold the name-space lock already.
   *
   * @param ownsData Whether the data segment of that name is this object's (false when a
   *   create lost the data segment's name to a program that is not ipckit).
   */
  releaseLocked(ownsData = true): void {
    if (!this.#buffer) return;
    const c = libc.symbols;
    detachBuffer(this.#buffer);
    this.#buffer = null;
    c.munmap(this.address, BigInt(META_SIZE));
    // Converting our LOCK_SH to LOCK_EX succeeds only when no other holder is left.
    if (c.flock(this.#fd, LOCK_EX | LOCK_NB) === 0) {
      unlinkObject(this.bare, ownsData ? this.kind : undefined);
    }
    c.close(this.#fd);
    this.#fd = -1;
  }
}

function unlinkObject(bare: string, kind: Kind | undefined): void {
  const c = libc.symbols;
  if (kind === "shared memory") c.shm_unlink(encodeC(dataName(bare)));
  c.shm_unlink(encodeC(metaName(bare)));
}

function kindOfMeta(fd: number): Kind | undefined {
  const c = libc.symbols;
  const header = new Uint32Array(4);
  if (Number(c.lseek(fd, 0n, 0)) !== 0) return undefined;
  if (Number(c.read(fd, header, 16n)) !== 16 || header[0] !== MAGIC) return undefined;
  return KIND_BY_CODE.get(header[2]!);
}

function mapMeta(fd: number, what: string): bigint {
  const c = libc.symbols;
  const address = c.mmap(0n, BigInt(META_SIZE), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0n);
  if (address === MAP_FAILED) throw lastErrnoError(`mmap (${what})`);
  return address;
}

/**
 * Claims an existing live object of `bare`, reclaiming it first if every
 * holder died. Call under the name-space lock.
 *
 * @param bare The bare name.
 * @param kind The kind the caller wants.
 * @param verb For the error message.
 * @returns The claim, or undefined when no live object has the name.
 */
export function claimExisting(
  bare: string,
  kind: Kind,
  verb: "create" | "open",
): Registration | undefined {
  const c = libc.symbols;
  const fd = c.shm_open(encodeC(metaName(bare)), O_RDWR | O_CLOEXEC, 0);
  if (fd < 0) {
    if (currentErrno() === ERRNO.ENOENT) return undefined;
    throw lastErrnoError(`shm_open ${metaName(bare)}`);
  }
  if (c.flock(fd, LOCK_EX | LOCK_NB) === 0) {
    // Nobody holds it: the leftovers of holders that died.
    unlinkObject(bare, kindOfMeta(fd));
    c.close(fd);
    return undefined;
  }
  // Only transitions take LOCK_EX, and they all hold the name-space lock we hold.
  if (c.flock(fd, LOCK_SH | LOCK_NB) < 0) {
    const error = lastErrnoError("flock");
    c.close(fd);
    throw error;
  }
  const existing = kindOfMeta(fd);
  if (existing !== kind) {
    c.close(fd);
    const holder = existing ?? "an object ipckit cannot read";
    throw new NameTakenError(
      `Cannot ${verb} ${kind} '${bare}': the name is taken by ${withArticle(holder)}`,
      bare,
      kind,
      existing,
    );
  }
  return new Registration(bare, kind, fd, mapMeta(fd, metaName(bare)));
}

/**
 * Creates the metadata page of a new object and claims it. Call under the
 * name-space lock, after claimExisting found nothing.
 *
 * @param bare The bare name.
 * @param kind The kind.
 * @param init Writes the kind's initial state into the page (a DataView at its start, and its address).
 * @returns The claim.
 */
export function claimNew(
  bare: string,
  kind: Kind,
  init: (page: DataView, address: bigint) => void,
): Registration {
  const c = libc.symbols;
  const name = encodeC(metaName(bare));
  const fd = c.shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, MODE);
  if (fd < 0) throw lastErrnoError(`shm_open ${metaName(bare)}`);
  let address = 0n;
  try {
    if (c.flock(fd, LOCK_SH | LOCK_NB) < 0) throw lastErrnoError("flock");
    if (c.ftruncate(fd, BigInt(META_SIZE)) < 0) throw lastErrnoError("ftruncate");
    address = mapMeta(fd, metaName(bare));
    const page = new DataView(nativeBuffer(address, META_SIZE));
    page.setUint32(4, VERSION, true);
    page.setUint32(8, KINDS[kind], true);
    init(page, address);
    page.setUint32(0, MAGIC, true); // last: a page without magic is incomplete
    detachBuffer(page.buffer as ArrayBuffer);
    return new Registration(bare, kind, fd, address);
  } catch (error) {
    if (address !== 0n) c.munmap(address, BigInt(META_SIZE));
    c.shm_unlink(name);
    c.close(fd);
    throw error;
  }
}

/**
 * Unlinks the metadata of every ipckit object whose holders all died (and
 * the data segment of such shared memory). Call under the name-space lock.
 *
 * @returns How many objects were reclaimed.
 */
export function reclaimStaleLocked(): number {
  const c = libc.symbols;
  let reclaimed = 0;
  let entries: string[];
  try {
    entries = readdirSync(SHM_DIR);
  } catch {
    return 0;
  }
  for (const entry of entries) {
    if (!entry.startsWith(META_PREFIX) || entry.length === META_PREFIX.length) continue;
    const fd = c.shm_open(encodeC(`/${entry}`), O_RDWR | O_CLOEXEC, 0);
    if (fd < 0) continue;
    if (c.flock(fd, LOCK_EX | LOCK_NB) === 0) {
      unlinkObject(entry.slice(META_PREFIX.length), kindOfMeta(fd));
      reclaimed++;
    }
    c.close(fd);
  }
  return reclaimed;
}
