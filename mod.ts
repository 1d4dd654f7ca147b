/**
 * ipckit: inter-process communication for Deno and Bun. Win32 IPC bound
 * directly through the runtimes' own FFI, and the same API on Linux through
 * libc.
 *
 * @example Typed OS errors
 * ```ts
 * import { ErrnoError, Win32Error } from "./mod.ts";
 * try {
 *   // ... any ipckit call
 * } catch (error) {
 *   if (error instanceof Win32Error) console.error(error.code, error.syscall);
 *   if (error instanceof ErrnoError) console.error(error.errno, error.syscall);
 * }
 * ```
 *
 * @module
 */
export * from "./lib/errors.ts";
export {
  mapFile,
  type MapFileOptions,
  MappedFile,
  MappedView,
  reclaimStale,
  SharedMemory,
  type SharedMemoryCreateOptions,
  type SharedMemoryOpenOptions,
} from "./lib/shared_memory.ts";
export * from "./lib/pipe.ts";
export {
  type CreateOptions,
  Event,
  type EventOptions,
  type LockOptions,
  Mutex,
  MutexGuard,
  Semaphore,
  type SemaphoreOptions,
  TIMED_OUT,
  type Waitable,
  waitAll,
  waitAny,
  type WaitOptions,
} from "./lib/sync.ts";
export {
  attach,
  type ContractDocument,
  type ContractEndpoint,
  Topology,
} from "./lib/runtime/mod.ts";
export * from "./lib/process.ts";
export * from "./lib/mailslot.ts";
