/**
 * Native memory that never moves: for structures the kernel writes after a
 * call returns (OVERLAPPED, wait blocks, futex words) and for mapped views.
 * JavaScript-allocated buffers can move (oven-sh/bun#32054), so such memory
 * comes from the C allocator and is freed explicitly.
 *
 * @module
 */
import { NativeLibrary } from "./library.ts";
import { backend } from "./runtime.ts";
import { concatBytes, decodeC, decodeWide } from "./strings.ts";

// The C runtime's allocator: the only symbols lib/ffi binds itself.
const crt = new NativeLibrary(
  { windows: "ucrtbase.dll", linux: "libc.so.6" },
  {
    calloc: { args: ["usize", "usize"], returns: "pointer" }, // void* calloc(size_t, size_t)
    free: { args: ["pointer"], returns: "void" }, // void free(void*)
  } as const,
);

/**
 * Thrown when an object (native memory, a mapping, a handle) is used after
 * it was closed or freed.
 *
 * @example
 * ```ts
 * import { ClosedError } from "./memory.ts";
 * throw new ClosedError("Cannot read shared memory 'frames': it is closed");
 * ```
 */
export class ClosedError extends Error {
  override name = "ClosedError";
}

/**
 * A non-owning ArrayBuffer over native memory (a mapped view, a kernel
 * buffer). Detach it with {@link detachBuffer} before the memory goes away,
 * so stale typed arrays read as empty instead of faulting.
 *
 * @param address The start address.
 * @param byteLength The length in bytes.
 * @returns An ArrayBuffer whose bytes are the native memory.
 * @example
 * ```ts
 * import { NativeMemory, nativeBuffer } from "./memory.ts";
 * using mem = NativeMemory.alloc(16);
 * new Uint8Array(nativeBuffer(mem.address, 16))[0] = 1;
 * ```
 */
export function nativeBuffer(address: bigint, byteLength: number): ArrayBuffer {
  if (address === 0n) throw new RangeError("Cannot view native memory at address 0");
  return backend.view(address, byteLength);
}

/**
 * Detaches an ArrayBuffer: every typed array over it becomes length 0, so no
 * JavaScript access can reach memory that is about to be freed or unmapped.
 *
 * @param buffer The buffer to detach.
 * @example
 * ```ts
 * import { detachBuffer } from "./memory.ts";
 * const buf = new ArrayBuffer(8);
 * detachBuffer(buf);
 * buf.byteLength; // 0
 * ```
 */
export function detachBuffer(buffer: ArrayBuffer): void {
  const transferable = buffer as ArrayBuffer & {
    transfer?(length: number): ArrayBuffer;
    detached?: boolean;
  };
  if (transferable.detached || buffer.byteLength === 0) return;
  // transfer(0) copies nothing and leaves the original detached.
  transferable.transfer!(0);
}

/**
 * A zero-filled native allocation that does not move until freed.
 *
 * @example An out-structure the kernel fills later
 * ```ts
 * import { NativeMemory } from "./memory.ts";
 * using overlapped = NativeMemory.alloc(32);
 * overlapped.view.setBigUint64(24, 0n, true); // hEvent
 * console.log(overlapped.address);
 * ```
 */
export class NativeMemory implements Disposable {
  #address: bigint;
  #buffer: ArrayBuffer | null;
  #bytes: Uint8Array | null = null;
  #view: DataView | null = null;

  private constructor(address: bigint, readonly byteLength: number) {
    this.#address = address;
    this.#buffer = nativeBuffer(address, byteLength);
  }

  /**
   * Allocates zeroed native memory.
   *
   * @param byteLength Size in bytes (> 0).
   * @returns The allocation; free it with `free()` or `using`.
   * @example
   * ```ts
   * import { NativeMemory } from "./memory.ts";
   * using m = NativeMemory.alloc(8);
   * ```
   */
  static alloc(byteLength: number): NativeMemory {
    if (!Number.isSafeInteger(byteLength) || byteLength <= 0) {
      throw new RangeError(
        `Cannot allocate ${byteLength} bytes: the size must be a positive integer`,
      );
    }
    const address = crt.symbols.calloc(1, byteLength);
    if (address === 0n) throw new RangeError(`Cannot allocate ${byteLength} bytes: out of memory`);
    return new NativeMemory(address, byteLength);
  }

  /**
   * Takes over memory another thread allocated with {@link NativeMemory.alloc}
   * and gave up with {@link NativeMemory.handOver}: this object frees it.
   *
   * @param address The address `handOver()` returned.
   * @param byteLength Its size in bytes.
   * @returns The allocation, owned here.
   * @example Handing memory to another thread
   * ```ts
   * import { NativeMemory } from "./memory.ts";
   * const address = NativeMemory.alloc(16).handOver(); // e.g. sent to a worker
   * using adopted = NativeMemory.adopt(address, 16); // there
   * ```
   */
  static adopt(address: bigint, byteLength: number): NativeMemory {
    if (address === 0n) throw new RangeError("Cannot adopt native memory at address 0");
    return new NativeMemory(address, byteLength);
  }

  /**
   * Gives up ownership without freeing: this object becomes freed (views are
   * detached), and the memory is the taker's, which frees it after
   * {@link NativeMemory.adopt} (on any thread: it is the C allocator's).
   *
   * @returns The address.
   * @example Giving memory up
   * ```ts
   * import { NativeMemory } from "./memory.ts";
   * const memory = NativeMemory.alloc(8);
   * NativeMemory.adopt(memory.handOver(), 8).free();
   * ```
   */
  handOver(): bigint {
    const address = this.address;
    detachBuffer(this.#buffer!);
    this.#buffer = null;
    this.#address = 0n;
    return address;
  }

  /** The native address, to pass as a `pointer` argument. */
  get address(): bigint {
    this.#check();
    return this.#address;
  }

  /** The bytes, as a Uint8Array over the native memory. */
  get bytes(): Uint8Array {
    return (this.#bytes ??= new Uint8Array(this.#check()));
  }

  /** A little-endian-capable DataView over the memory. */
  get view(): DataView {
    return (this.#view ??= new DataView(this.#check()));
  }

  /** Whether `free()` has run. */
  get freed(): boolean {
    return this.#buffer === null;
  }

  /** Frees the memory (idempotent). Views over it are detached first. */
  free(): void {
    if (!this.#buffer) return;
    detachBuffer(this.#buffer);
    this.#buffer = null;
    crt.symbols.free(this.#address);
    this.#address = 0n;
  }

  [Symbol.dispose](): void {
    this.free();
  }

  #check(): ArrayBuffer {
    if (!this.#buffer) throw new ClosedError("Cannot use native memory: it was freed");
    return this.#buffer;
  }
}

/**
 * Reads a NUL-terminated UTF-16LE string from native memory, one page at a
 * time so the scan never touches a page past the terminator's.
 *
 * @param address Where the string starts.
 * @param maxUnits Safety bound on its length in UTF-16 units.
 * @returns The string.
 * @example
 * ```ts
 * import { readWideString } from "./memory.ts";
 * // const text = readWideString(lpBuffer);
 * ```
 */
export function readWideString(address: bigint, maxUnits = 1 << 20): string {
  return decodeWide(readUntilNul(address, 2, maxUnits));
}

/**
 * Reads a NUL-terminated UTF-8 string (a C string) from native memory.
 *
 * @param address Where the string starts.
 * @param maxBytes Safety bound on its length.
 * @returns The string.
 * @example
 * ```ts
 * import { readCString } from "./memory.ts";
 * // const message = readCString(strerror(errno));
 * ```
 */
export function readCString(address: bigint, maxBytes = 1 << 20): string {
  return decodeC(readUntilNul(address, 1, maxBytes));
}

function readUntilNul(address: bigint, unit: 1 | 2, maxUnits: number): Uint8Array {
  const PAGE = 4096n;
  const parts: Uint8Array[] = [];
  let at = address;
  let total = 0;
  while (total < maxUnits * unit) {
    const chunk = Number(PAGE - (at % PAGE));
    const bytes = new Uint8Array(nativeBuffer(at, chunk)).slice();
    for (let i = 0; i + unit <= bytes.length; i += unit) {
      if (bytes[i] === 0 && (unit === 1 || bytes[i + 1] === 0)) {
        parts.push(bytes.subarray(0, i));
        return concatBytes(parts);
      }
    }
    parts.push(bytes);
    total += chunk;
    at += BigInt(chunk);
  }
  return concatBytes(parts);
}
