// Smoke scenario for the Linux cells: proves the FFI layer, non-blocking
// waits and typed errors against glibc.
import { blockingCallsInFlight, NativeMemory, runtimeName } from "../../lib/ffi/mod.ts";
import { libc } from "../../lib/posix/libc.ts";
import { ErrnoError, lastErrnoError } from "../../lib/posix/error.ts";
import process from "node:process";

const c = libc.symbols;
const report = (key: string, value: unknown) => console.log(`${key}=${JSON.stringify(value)}`);

report("runtime", runtimeName);
report("pid_matches", c.getpid() === process.pid);

// poll() on a pipe's read end, woken by a timer's write, while an interval ticks.
const fds = new Int32Array(2);
if (c.pipe2(fds, 0o2000000 /* O_CLOEXEC */) < 0) throw lastErrnoError("pipe2");
const [readFd, writeFd] = [fds[0]!, fds[1]!];
using pollfd = NativeMemory.alloc(8); // struct pollfd { int fd; short events; short revents; }
pollfd.view.setInt32(0, readFd, true);
pollfd.view.setInt16(4, 1, true); // events = POLLIN
let ticks = 0;
const interval = setInterval(() => ticks++, 10);
setTimeout(() => c.write(writeFd, new Uint8Array([42]), 1n), 300);
const started = Date.now();
const polled = c.pollAsync(pollfd.address, 1n, 5000);
report("in_flight_during_wait", blockingCallsInFlight() >= 1);
const ready = await polled;
clearInterval(interval);
report("poll_result", ready);
report("revents_pollin", (pollfd.view.getInt16(6, true) & 1) === 1);
report("waited_ms_at_least_250", Date.now() - started >= 250);
report("ticks_during_wait_at_least_10", ticks >= 10);
const byte = new Uint8Array(1);
report("read_value", Number(c.read(readFd, byte, 1n)) === 1 ? byte[0] : -1);
c.close(readFd);
c.close(writeFd);

// close() on a bad fd: ErrnoError EBADF with strerror text.
if (c.close(987654) < 0) {
  const error = lastErrnoError("close");
  report("error_class", error instanceof ErrnoError);
  report("error_errno", error.errno);
  report("error_message", error.message);
}

// The reactor: input that arrives after a read found nothing but before the wait parks (here:
// written in between, in this process) must still end the wait. A signal-parked wait (Bun)
// would get no signal for it, so the wait looks once more after arming.
{
  const { waitReadable } = await import("../../lib/posix/reactor.ts");
  const pair = new Int32Array(2);
  if (c.pipe2(pair, 0o2000000 | 0o4000 /* O_CLOEXEC | O_NONBLOCK */) < 0) {
    throw lastErrnoError("pipe2");
  }
  const byte = new Uint8Array(1);
  const emptyRead = Number(c.read(pair[0]!, byte, 1n));
  c.write(pair[1]!, new Uint8Array([7]), 1n);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const woke = await Promise.race([
    waitReadable(pair[0]!).then(() => true),
    new Promise((resolve) => (timer = setTimeout(resolve, 10_000, false))),
  ]);
  clearTimeout(timer);
  report("reactor_wake_between_read_and_park", emptyRead < 0 && woke === true);
  // And a wait parked before the input arrives.
  setTimeout(() => c.write(pair[1]!, new Uint8Array([8]), 1n), 50);
  c.read(pair[0]!, byte, 1n);
  const parked = await waitReadable(pair[0]!);
  report(
    "reactor_parked_wait_woken",
    (parked & 1) === 1 && Number(c.read(pair[0]!, byte, 1n)) === 1 && byte[0] === 8,
  );
  const { cancelWaits } = await import("../../lib/posix/reactor.ts");
  cancelWaits(pair[0]!, "the test pipe");
  c.close(pair[0]!);
  c.close(pair[1]!);
}

/** A byte-mode pipe server (lib/posix/pipe.ts, below the public API) and one connection to it. */
async function bytePipe(prefix: string) {
  const { connectPipe, pipePath, servePipe } = await import("../../lib/posix/pipe.ts");
  const name = `${prefix}-${process.pid}`;
  const path = pipePath(name);
  const server = servePipe(name, path, {
    mode: "byte",
    instances: 1,
    security: "user",
    rejectRemoteClients: true,
    bufferSize: 65536,
  });
  const accepting = server.accept();
  const { endpoint: client } = await connectPipe(name, path, { mode: "byte", timeout: 5000 });
  return { server, client, conn: await accepting };
}

// A pipe read after a read that had to wait waits before it tries (lib/posix/pipe.ts), and a
// signal with one parked wait resolves it without a poll (reactor.ts). Input that is there
// before such a read starts is still read: with its signal already taken (and the descriptor's
// signalling turned off meanwhile), with its signal not yet taken, and input that comes later.
{
  const { server, client, conn } = await bytePipe("smoke-wait-first");
  const send = (text: string) => client.write(new TextEncoder().encode(text));
  const within10s = async (read: Promise<Uint8Array | null>) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const got = await Promise.race([
      read,
      new Promise<null>((resolve) => (timer = setTimeout(resolve, 10_000, null))),
    ]);
    clearTimeout(timer);
    return got ? new TextDecoder().decode(got) : "-";
  };
  const first = conn.read(); // finds nothing: waits
  await send("a");
  const got = [await within10s(first)];
  await send("b");
  await new Promise((resolve) => setTimeout(resolve, 50)); // its signal is taken meanwhile
  got.push(await within10s(conn.read()));
  await send("c");
  got.push(await within10s(conn.read())); // its signal is not taken yet
  const later = conn.read();
  setTimeout(() => void send("d"), 50);
  got.push(await within10s(later));
  report("pipe_reads_after_a_wait", got.join(""));
  await client.close();
  await conn.close();
  await server.close();
}

// Whether a socket is read through the runtime's loop is decided once, at its first read, and
// the answer sticks. Deno has no loop path: a "no" that was asked again on every read cost a dup
// and a close of the descriptor per read (two system calls on every round trip).
{
  const { server, client, conn } = await bytePipe("smoke-loop-decided-once");
  const F_DUPFD_CLOEXEC = 1030;
  // The symbol table's functions are plain properties: count the calls through a wrapper.
  const symbols = c as { fcntl: typeof c.fcntl };
  const fcntl = c.fcntl;
  let duplicates = 0;
  symbols.fcntl = (fd: number, command: number, arg: number | bigint) => {
    if (command === F_DUPFD_CLOEXEC) duplicates++;
    return fcntl(fd, command, arg);
  };
  try {
    let echoed = 0;
    for (let i = 0; i < 20; i++) {
      await client.write(new Uint8Array([i]));
      const request = (await conn.read())!;
      await conn.write(request);
      echoed += (await client.read())!.byteLength;
    }
    report("round_trips_echoed", echoed);
    // One per endpoint, at its first read (on Deno, closed again when the loop declines it).
    report("descriptor_duplicates_for_40_reads", duplicates);
  } finally {
    symbols.fcntl = fcntl;
  }
  await client.close();
  await conn.close();
  await server.close();
}

// A reader that stops reading pushes back on its writer: on Bun the runtime's loop reads the
// socket ahead of read() (lib/posix/pipe.ts, LoopInput) and must stop at its high-water mark
// rather than buffer everything; then every byte still arrives, in order.
{
  const { server, client: writer, conn: reader } = await bytePipe("smoke-backpressure");
  const CHUNK = 256 * 1024;
  const CHUNKS = 64; // 16 MiB: far more than the socket buffers and the read-ahead together
  const chunkOf = (index: number) => new Uint8Array(CHUNK).fill(index + 1);
  await writer.write(chunkOf(0));
  const received: Uint8Array[] = [(await reader.read())!]; // the reader has read once, then stops
  let writesDone = 1;
  const writes = Array.from(
    { length: CHUNKS - 1 },
    (_, i) => writer.write(chunkOf(i + 1)).then(() => void writesDone++),
  );
  await new Promise((resolve) => setTimeout(resolve, 500));
  report("writer_waits_for_a_stopped_reader", writesDone < CHUNKS);
  let bytes = received[0]!.byteLength;
  while (bytes < CHUNK * CHUNKS) {
    const chunk = await reader.read();
    if (!chunk) break;
    received.push(chunk);
    bytes += chunk.byteLength;
  }
  await Promise.all(writes);
  const all = new Uint8Array(bytes);
  let at = 0;
  for (const chunk of received) all.set(chunk, (at += chunk.byteLength) - chunk.byteLength);
  let inOrder = bytes === CHUNK * CHUNKS;
  for (let i = 0; inOrder && i < CHUNKS; i++) {
    inOrder = all[i * CHUNK] === i + 1 && all[(i + 1) * CHUNK - 1] === i + 1;
  }
  report("stopped_reader_gets_every_byte_in_order", inOrder);
  // Left open on purpose, after a read: an open connection that nobody reads must not keep the
  // process alive (the scenario would then never exit and the cell would time out).
  await server.close();
}
