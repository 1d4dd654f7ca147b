/**
 * ipckit: inter-process communication for Deno and Bun. The Win32 IPC
 * mechanisms are bound directly through the runtimes' own FFI, with the same
 * API on Linux through libc (docs/mechanisms.md has the mapping):
 *
 * - {@link SharedMemory} and {@link mapFile}: named shared memory and file mappings;
 * - {@link Mutex}, {@link Semaphore}, {@link Event}, {@link waitAny}, {@link waitAll};
 * - {@link NamedPipe}, {@link createPipe} and {@link spawn}; {@link Mailslot}; {@link CopyData};
 * - {@link Channel}: a shared-memory message ring between processes;
 * - {@link Socket} and {@link Datagram}: TCP, UDP and Unix sockets, and adopting handed-over ones;
 * - {@link Clipboard}: the system clipboard (Windows; X11 on Linux);
 * - {@link DdeServer} and {@link DdeClient}: Dynamic Data Exchange (DDEML; Unix sockets on Linux);
 * - {@link rpc}: typed services declared in `.ipc`, called across processes.
 *
 * This entry point is the library alone. The other entry points:
 * `ipckit/attach` for a process started by `ipckit run`, `ipckit/runtime`
 * for the supervisor, `ipckit/dsl` for tools that parse and check `.ipc` files.
 *
 * Waits never block the event loop, and errors are typed ({@link Win32Error},
 * {@link ErrnoError}, {@link NotFoundError}, {@link NameTakenError}, …).
 *
 * @example Shared memory signalled by an event
 * ```ts
 * import { Event, SharedMemory } from "./mod.ts";
 * using frames = SharedMemory.create({ name: "doc-frames", size: 4096 });
 * using ready = Event.create({ name: "doc-frame-ready" });
 * frames.write(new TextEncoder().encode("frame 1"), 0);
 * ready.set();
 * await ready.wait({ timeout: 1000 }); // resolves (a timeout rejects with TimeoutError)
 * ```
 *
 * @example A message-mode named pipe
 * ```ts
 * import { NamedPipe } from "./mod.ts";
 * await using server = NamedPipe.serve({ name: "doc-jobs", mode: "message" });
 * const accepted = server.accept();
 * await using client = await NamedPipe.connect({ name: "doc-jobs" });
 * await using connection = await accepted;
 * await client.write("job 1");
 * console.log(new TextDecoder().decode((await connection.read())!)); // "job 1"
 * ```
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
  type OpenOptions,
  Semaphore,
  type SemaphoreOptions,
  type Waitable,
  waitAll,
  waitAny,
  type WaitOptions,
} from "./lib/sync.ts";
export * from "./lib/process.ts";
export * from "./lib/mailslot.ts";
export {
  type BroadcastPolicy,
  Channel,
  type ChannelCreateOptions,
  type ChannelData,
  ChannelMessage,
  type ChannelMode,
  type ChannelOpenOptions,
  ChannelReader,
  ChannelReservation,
  type ChannelWaitOptions,
  ChannelWriter,
} from "./lib/channel.ts";
export * from "./lib/copydata.ts";
export * from "./lib/socket.ts";
export * from "./lib/rpc.ts";
export * from "./lib/clipboard.ts";
export * from "./lib/dde.ts";
export * from "./lib/com.ts";
