// What lib/win32/shared_memory.ts and lib/posix/shared_memory.ts hand back to
// lib/shared_memory.ts: one mapped view, its OS name and how to let it go.

/** A mapped view made by a platform backend. */
export interface NativeMapping {
  /** Address of the caller's first byte (past any alignment slack). */
  readonly address: bigint;
  /** The caller's bytes. */
  readonly length: number;
  /** The name the OS knows the object by (`Local\x`, `/x`, or the file path). */
  readonly osName: string;
  /** Whether this call created the object (false when an existing one was opened). */
  readonly created: boolean;
  /** Writes dirty pages of a file mapping to the file (no-op for shared memory). */
  flush(): void;
  /** Unmaps the view and releases the object (callers detach their buffers first). */
  close(): void;
}

/** Options the public layer has already validated. */
export interface FileMapRequest {
  readonly path: string;
  readonly writable: boolean;
  readonly create: boolean;
  readonly offset: number;
  /** Undefined: to the end of the file. */
  readonly length: number | undefined;
}

/**
 * The length of a file region, checked against the file's size.
 *
 * @param path For messages.
 * @param fileSize The file's size.
 * @param offset The region's start.
 * @param length The requested length, or undefined for "to the end".
 * @param writable Whether the map may grow the file.
 * @returns The length.
 */
export function checkedLength(
  path: string,
  fileSize: number,
  offset: number,
  length: number | undefined,
  writable: boolean,
): number {
  const actual = length ?? fileSize - offset;
  if (actual <= 0) {
    throw new RangeError(
      `Cannot map file '${path}' at offset ${offset}: the file has ${fileSize} bytes, so the range is empty`,
    );
  }
  if (!writable && offset + actual > fileSize) {
    throw new RangeError(
      `Cannot map ${actual} bytes of file '${path}' at offset ${offset}: it has ${fileSize} bytes (map it writable to grow it)`,
    );
  }
  return actual;
}
