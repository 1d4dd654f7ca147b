/**
 * Shared memory and file mappings, one API on Windows and Linux.
 *
 * - {@link SharedMemory}: named memory shared between processes (Windows:
 *   a paging-file section `Local\<name>`; Linux: the POSIX segment `/<name>`).
 * - {@link mapFile}: a region of a file mapped into memory.
 *
 * Closing detaches every `Uint8Array` handed out, so stale views read as
 * empty instead of touching unmapped memory.
 *
 * @example Two processes sharing bytes
 * ```ts
 * import { SharedMemory } from "./shared_memory.ts";
 * using shm = SharedMemory.create({ name: "frames-doc", size: 4096 });
 * shm.bytes.set([1, 2, 3]);
 * using peer = SharedMemory.open({ name: "frames-doc", readonly: true });
 * console.log(peer.bytes[2]); // 3
 * ```
 *
 * @module
 */
import { ClosedError, detachBuffer, nativeBuffer, platform } from "./ffi/mod.ts";
import { ReadOnlyError } from "./errors.ts";
import type { NativeMapping } from "./_native_mapping.ts";
import { checkName, checkSize } from "./_names.ts";
import * as posix from "./posix/shared_memory.ts";
import * as win32 from "./win32/shared_memory.ts";

const native = platform === "windows" ? win32 : posix;

/** Options of {@link SharedMemory.create}. */
export interface SharedMemoryCreateOptions {
  /** The name (`Local\` is implied on Windows; `Local\`/`Global\` prefixes pass through). */
  readonly name: string;
  /** Size in bytes: a positive integer. */
  readonly size: number;
  /** Open the object when the name exists (as shared memory of at least `size` bytes) instead of failing. */
  readonly openExisting?: boolean;
}

/** Options of {@link SharedMemory.open}. */
export interface SharedMemoryOpenOptions {
  /** The name, as given to {@link SharedMemory.create}. */
  readonly name: string;
  /** Map copy-on-write: the view reads the shared bytes, and writes through `bytes` stay private. */
  readonly readonly?: boolean;
  /** Bytes to view (at most the object's size); default: all of it. */
  readonly size?: number;
}

/** Options of {@link mapFile}. */
export interface MapFileOptions {
  /** Map read-write (changes reach the file); default read-only, copy-on-write. */
  readonly writable?: boolean;
  /** Create the file when missing (writable maps only). */
  readonly create?: boolean;
  /** Where the region starts in the file; any byte offset (alignment is handled). Default 0. */
  readonly offset?: number;
  /** Bytes to map; default: to the end of the file. A writable map past the end grows the file. */
  readonly length?: number;
}

/**
 * A mapped view: the part {@link SharedMemory} and {@link MappedFile} share.
 *
 * @example Reading and writing
 * ```ts
 * import { SharedMemory } from "./shared_memory.ts";
 * using shm = SharedMemory.create({ name: "view-doc", size: 16 });
 * shm.write(new Uint8Array([7, 8]), 4);
 * shm.read(4, 2); // Uint8Array [7, 8]
 * ```
 */
export abstract class MappedView implements Disposable {
  #native: NativeMapping | null;
  #buffer: ArrayBuffer | null;
  #bytes: Uint8Array | null = null;

  /** @param mapping The platform's view. @param what "shared memory 'x'", for messages. @param readonly Whether writes are private. */
  protected constructor(mapping: NativeMapping, readonly what: string, readonly readonly: boolean) {
    this.#native = mapping;
    try {
      this.#buffer = nativeBuffer(mapping.address, mapping.length);
    } catch (error) {
      // The runtime cannot hold a buffer this large (Bun stops at 4 GiB).
      mapping.close();
      throw new RangeError(
        `Cannot view ${mapping.length} bytes of ${what}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
  }

  /** The view's bytes (the whole view). Detached (length 0) once closed. */
  get bytes(): Uint8Array {
    if (!this.#buffer) throw this.#closedError("use");
    return (this.#bytes ??= new Uint8Array(this.#buffer));
  }

  /** The view's length in bytes. */
  get byteLength(): number {
    return this.#checked("use").length;
  }

  /** Whether {@link close} has run. */
  get closed(): boolean {
    return this.#native === null;
  }

  /**
   * Copies bytes out of the view.
   *
   * @param offset Where to start.
   * @param length How many bytes (default: to the end).
   * @returns A copy.
   */
  read(offset = 0, length?: number): Uint8Array {
    const bytes = this.bytes;
    const end = length === undefined ? bytes.length : offset + length;
    this.#checkRange("read", offset, end, bytes.length);
    return bytes.slice(offset, end);
  }

  /**
   * Copies bytes into the view.
   *
   * @param data The bytes.
   * @param offset Where they go.
   * @throws ReadOnlyError on a read-only view.
   */
  write(data: Uint8Array, offset = 0): void {
    if (this.readonly) {
      throw new ReadOnlyError(`Cannot write to ${this.what}: it was opened read-only`);
    }
    const bytes = this.bytes;
    this.#checkRange("write", offset, offset + data.length, bytes.length);
    bytes.set(data, offset);
  }

  /** Unmaps the view and lets go of the object. Idempotent. */
  close(): void {
    const mapping = this.#native;
    if (!mapping) return;
    this.#native = null;
    detachBuffer(this.#buffer!);
    this.#buffer = null;
    this.#bytes = null;
    mapping.close();
  }

  /** Closes the view (as {@link close}). */
  [Symbol.dispose](): void {
    this.close();
  }

  /** The platform view, or ClosedError. */
  protected mapping(verb: string): NativeMapping {
    return this.#checked(verb);
  }

  #checked(verb: string): NativeMapping {
    if (!this.#native) throw this.#closedError(verb);
    return this.#native;
  }

  #closedError(verb: string): ClosedError {
    return new ClosedError(`Cannot ${verb} ${this.what}: it is closed`);
  }

  #checkRange(verb: string, start: number, end: number, length: number): void {
    if (
      !Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start ||
      end > length
    ) {
      throw new RangeError(
        `Cannot ${verb} bytes ${start}..${end} of ${this.what}: it has ${length} bytes`,
      );
    }
  }
}

/**
 * Named shared memory. On Windows it lives while any process has it open;
 * on Linux ipckit gives it the same lifetime (the last close removes it, and
 * what crashed holders left is reclaimed), while `/dev/shm/<name>` holds
 * exactly these bytes for programs that are not ipckit.
 *
 * @example Create, share, reopen read-only
 * ```ts
 * import { SharedMemory } from "./shared_memory.ts";
 * using shm = SharedMemory.create({ name: "frames-doc2", size: 1 << 20 });
 * shm.bytes[0] = 42;
 * shm.osName; // "Local\\frames-doc2" on Windows, "/frames-doc2" on Linux
 * using peer = SharedMemory.open({ name: "frames-doc2", readonly: true });
 * peer.bytes[0]; // 42
 * ```
 */
export class SharedMemory extends MappedView {
  /** The name as given. */
  readonly name: string;
  /** The OS name: `Local\<name>` (Windows), `/<name>` (Linux, under /dev/shm). */
  readonly osName: string;
  /** Whether this call created the object (false when `openExisting` opened one, or for `open`). */
  readonly created: boolean;

  private constructor(name: string, mapping: NativeMapping, readonly_: boolean) {
    super(mapping, `shared memory '${name}'`, readonly_);
    this.name = name;
    this.osName = mapping.osName;
    this.created = mapping.created;
  }

  /** The size in bytes. */
  get size(): number {
    return this.byteLength;
  }

  /**
   * Creates named shared memory, zero-filled.
   *
   * @param options `name`, `size`, `openExisting`.
   * @returns The shared memory, mapped read-write.
   * @throws NameTakenError when the name exists (any kind; same kind only without `openExisting`).
   * @throws RangeError for a size that is not a positive integer or that the OS cannot provide.
   * @example Using create
   * ```ts
   * import { SharedMemory } from "./shared_memory.ts";
   * using shm = SharedMemory.create({ name: "create-doc", size: 4096 });
   * ```
   */
  static create(options: SharedMemoryCreateOptions): SharedMemory {
    if (typeof options !== "object" || options === null) {
      throw new TypeError(
        "Cannot create shared memory: options must be an object with a name and a size",
      );
    }
    const name = checkName(options.name, "shared memory");
    const size = checkSize(options.size, `shared memory '${name}'`);
    return new SharedMemory(
      name,
      native.createSharedMemory(name, size, options.openExisting === true),
      false,
    );
  }

  /**
   * Opens existing named shared memory.
   *
   * @param options `name`, `readonly`, `size`.
   * @returns The shared memory.
   * @throws NotFoundError when nothing has that name; NameTakenError when another kind holds it.
   * @example Using open
   * ```ts
   * import { SharedMemory } from "./shared_memory.ts";
   * using owner = SharedMemory.create({ name: "open-doc", size: 4096 });
   * using peer = SharedMemory.open({ name: "open-doc", readonly: true });
   * ```
   */
  static open(options: SharedMemoryOpenOptions): SharedMemory {
    if (typeof options !== "object" || options === null) {
      throw new TypeError("Cannot open shared memory: options must be an object with a name");
    }
    const name = checkName(options.name, "shared memory");
    const size = options.size === undefined
      ? undefined
      : checkSize(options.size, `shared memory '${name}'`);
    const readonly_ = options.readonly === true;
    return new SharedMemory(name, native.openSharedMemory(name, readonly_, size), readonly_);
  }
}

/**
 * A region of a file mapped into memory (see {@link mapFile}).
 *
 * @example Flushing changes
 * ```ts
 * import { mapFile } from "./shared_memory.ts";
 * using file = mapFile("mapped-doc.bin", { writable: true, create: true, length: 4096 });
 * file.bytes[0] = 1;
 * file.flush();
 * ```
 */
export class MappedFile extends MappedView {
  /** @internal */
  constructor(
    mapping: NativeMapping,
    readonly path: string,
    readonly offset: number,
    writable: boolean,
  ) {
    super(mapping, `file '${path}'`, !writable);
  }

  /** Writes changed pages to the file and waits for the file's data to reach the disk (no-op when read-only). */
  flush(): void {
    this.mapping("flush").flush();
  }
}

/**
 * Maps a region of a file. Any offset works: alignment to the OS's
 * granularity is handled. A read-only map is copy-on-write, so a stray write
 * never faults (and never reaches the file).
 *
 * @param path The file.
 * @param options `writable`, `create`, `offset`, `length`.
 * @returns The mapped region.
 * @throws NotFoundError when the file is missing; RangeError for a range outside a read-only file.
 * @example Using mapFile
 * ```ts
 * import { mapFile } from "./shared_memory.ts";
 * using file = mapFile("data-doc.bin", { writable: true, create: true, offset: 1_000_000, length: 4096 });
 * file.bytes.fill(7);
 * file.flush();
 * ```
 */
export function mapFile(path: string, options: MapFileOptions = {}): MappedFile {
  if (typeof path !== "string" || path.length === 0 || path.includes("\0")) {
    throw new TypeError(
      `Cannot map file '${String(path)}': the path must be a non-empty string without NUL`,
    );
  }
  const offset = options.offset ?? 0;
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new RangeError(
      `Cannot map file '${path}' at offset ${offset}: the offset must be a non-negative integer`,
    );
  }
  const length = options.length === undefined
    ? undefined
    : checkSize(options.length, `a map of file '${path}'`);
  const writable = options.writable === true;
  const mapping = native.mapFileRegion({
    path,
    writable,
    create: options.create === true,
    offset,
    length,
  });
  return new MappedFile(mapping, path, offset, writable);
}

/**
 * Removes what ipckit objects whose holders all died left behind. Linux
 * only has work to do (Windows frees an object with its last handle); it
 * also runs on every `SharedMemory.create`.
 *
 * @returns How many objects were reclaimed.
 * @example Using reclaimStale
 * ```ts
 * import { reclaimStale } from "./shared_memory.ts";
 * console.log(`reclaimed ${reclaimStale()} objects`);
 * ```
 */
export function reclaimStale(): number {
  return native.reclaimStaleObjects();
}
