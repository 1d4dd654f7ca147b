/**
 * Data copy on Linux: a named Unix SOCK_SEQPACKET receiver at
 * `<socket directory>/<name>.copydata`. Each sender is one connection; a
 * message goes in as one framed message of the message-mode pipe
 * (`[seq u32][tag u64][bytes]`, split into records as pipe.ts does, so any
 * size arrives whole) and the receiver's answer comes back as `[seq u32][answer u8]`.
 * The sequence number lets a sender drop the late answer of a message it
 * gave up on. The receiver handles one message at a time across all its
 * senders, as a Windows window does.
 *
 * @module
 */
import { ClosedError, NameTakenError, NotFoundError, TimeoutError } from "../errors.ts";
import type {
  Deliver,
  ListenSettings,
  ReceiverEndpoint,
  SenderEndpoint,
} from "../_copydata_common.ts";
import type { Endpoint } from "../_pipe_common.ts";
import { connectPipe } from "./pipe.ts";
import { acceptEach, serveLocal } from "./_local_server.ts";
import { removeIfStale, socketDirectory } from "./socket.ts";

/** `[seq u32][tag u64][split u8]`, then the bytes, or, when split, the bytes as the next message. */
const HEADER = 13;
const ANSWER = 5;
/** Larger messages follow their header as a message of their own, so they are never copied into a frame. */
const INLINE_LIMIT = 64 * 1024;

/**
 * The socket path of a receiver name.
 *
 * @param name A checked name.
 * @returns `<socket directory>/<name>.copydata`.
 * @example Using copyDataPath
 * ```ts
 * import { copyDataPath } from "./copydata.ts";
 * copyDataPath("jobs"); // "/tmp/ipckit-1000/jobs.copydata"
 * ```
 */
export function copyDataPath(name: string): string {
  return `${socketDirectory()}/${name}.copydata`;
}

/**
 * Removes the socket file of a receiver that died without closing.
 *
 * @param name A checked name.
 * @returns Whether a stale file was removed.
 * @example Using reclaimCopyData
 * ```ts
 * import { reclaimCopyData } from "./copydata.ts";
 * reclaimCopyData("jobs");
 * ```
 */
export function reclaimCopyData(name: string): boolean {
  return removeIfStale(copyDataPath(name));
}

/**
 * Starts a receiver.
 *
 * @param name The receiver's name (checked).
 * @param deliver Hands each message to JavaScript and resolves with its answer.
 * @param settings The reply timeout.
 * @returns The receiver.
 * @example Using listenCopyData
 * ```ts
 * import { listenCopyData } from "./copydata.ts";
 * const receiver = await listenCopyData("jobs", async () => true, {
 *   replyTimeout: 10000, allowLowerIntegrity: false,
 * });
 * await receiver.close();
 * ```
 */
export function listenCopyData(
  name: string,
  deliver: Deliver,
  settings: ListenSettings,
): Promise<ReceiverEndpoint> {
  const path = copyDataPath(name);
  const server = serveLocal(name, path, (cause) =>
    new NameTakenError(
      `Cannot listen for copydata on '${name}': another receiver listens under that name`,
      name,
      "copydata receiver",
      "copydata receiver",
      { cause },
    ));
  const connections = new Set<Endpoint>();
  /** Answers being computed or written; close lets them reach their senders first. */
  const replying = new Set<Promise<unknown>>();
  // One message at a time across every sender, like a window's thread.
  let turn: Promise<unknown> = Promise.resolve();
  const answerOf = (header: Uint8Array, data: Uint8Array): Promise<boolean> => {
    const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
    const delivered = deliver({ tag: view.getBigUint64(4, true), data });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const answered = Promise.race([
      delivered,
      new Promise<boolean>((
        resolve,
      ) => (timer = setTimeout(resolve, settings.replyTimeout, false))),
    ]).finally(() => clearTimeout(timer));
    return answered;
  };
  const serveConnection = async (connection: Endpoint) => {
    try {
      for (;;) {
        const message = await connection.read();
        if (message === null) break;
        if (message.byteLength < HEADER) continue; // not one of ours
        const data = message[12] === 1 ? await connection.read() : message.subarray(HEADER);
        if (data === null) break;
        const answer = turn.then(() => answerOf(message, data));
        turn = answer.catch(() => {});
        const replied = answer.then((handled) => {
          const reply = new Uint8Array(ANSWER);
          reply.set(message.subarray(0, 4));
          reply[4] = handled ? 1 : 0;
          return connection.write(reply);
        });
        replying.add(replied);
        try {
          await replied;
        } finally {
          replying.delete(replied);
        }
      }
    } catch {
      // The sender went away mid-message or the receiver is closing: drop this connection.
    } finally {
      connections.delete(connection);
      await connection.close();
    }
  };
  let closed = false;
  const accepting = acceptEach(server, () => closed, (connection) => {
    connections.add(connection);
    void serveConnection(connection);
  });
  let closing: Promise<void> | null = null;
  return Promise.resolve({
    hwnd: null,
    close: () => (closing ??= (async () => {
      closed = true;
      await server.close();
      await accepting.catch(() => {});
      await Promise.allSettled([...replying]);
      await Promise.all([...connections].map((connection) => connection.close()));
    })()),
  });
}

/**
 * Connects to a receiver, waiting up to `timeout` ms for it to appear.
 *
 * @param name The receiver's name (checked).
 * @param timeout Ms to wait for the receiver (0 = try once).
 * @returns The sender.
 * @example Using connectCopyData
 * ```ts
 * import { connectCopyData } from "./copydata.ts";
 * // const sender = await connectCopyData("jobs", 1000);
 * ```
 */
export async function connectCopyData(name: string, timeout: number): Promise<SenderEndpoint> {
  const path = copyDataPath(name);
  let endpoint: Endpoint;
  try {
    ({ endpoint } = await connectPipe(name, path, { mode: "message", timeout }));
  } catch (error) {
    if (error instanceof TimeoutError && error.cause instanceof NotFoundError) {
      throw new NotFoundError(
        `Cannot connect to copydata receiver '${name}': no receiver listens under that name`,
        name,
        { cause: error.cause },
      );
    }
    throw error;
  }
  return new SocketSender(endpoint, `copydata receiver '${name}'`);
}

class SocketSender implements SenderEndpoint {
  #seq = 0;
  readonly #waiting = new Map<number, (answer: boolean | Error) => void>();
  #reading = false;

  constructor(readonly endpoint: Endpoint, readonly what: string) {}

  async send(data: Uint8Array, tag: bigint, timeout: number): Promise<boolean> {
    const seq = (this.#seq = (this.#seq + 1) >>> 0);
    const split = data.byteLength > INLINE_LIMIT;
    const frame = new Uint8Array(HEADER + (split ? 0 : data.byteLength));
    const view = new DataView(frame.buffer);
    view.setUint32(0, seq, true);
    view.setBigUint64(4, tag, true);
    frame[12] = split ? 1 : 0;
    if (!split) frame.set(data, HEADER);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const answer = new Promise<boolean>((resolve, reject) => {
      this.#waiting.set(seq, (value) => (value instanceof Error ? reject(value) : resolve(value)));
      if (timeout !== Infinity) {
        timer = setTimeout(() => {
          this.#waiting.delete(seq);
          reject(
            new TimeoutError(
              `Cannot send to ${this.what}: no answer within ${timeout} ms (the receiver is busy or hung)`,
            ),
          );
        }, timeout);
      }
    });
    try {
      // Both writes queue at once, so nothing of another send can come between them.
      const written = split
        ? Promise.all([this.endpoint.write(frame), this.endpoint.write(data)])
        : this.endpoint.write(frame);
      await Promise.race([
        written.catch((error) => {
          throw error instanceof ClosedError
            ? new ClosedError(`Cannot send to ${this.what}: it is gone`, { cause: error })
            : error;
        }),
        answer,
      ]);
      void this.#readAnswers();
      return await answer;
    } finally {
      this.#waiting.delete(seq);
      clearTimeout(timer);
    }
  }

  /** Reads answers while some send waits for one; an answer nobody waits for is dropped. */
  async #readAnswers(): Promise<void> {
    if (this.#reading) return;
    this.#reading = true;
    try {
      while (this.#waiting.size > 0) {
        const reply = await this.endpoint.read();
        if (reply === null) throw new ClosedError(`Cannot send to ${this.what}: it is gone`);
        if (reply.byteLength !== ANSWER) continue;
        const seq = new DataView(reply.buffer, reply.byteOffset).getUint32(0, true);
        const settle = this.#waiting.get(seq);
        this.#waiting.delete(seq);
        settle?.(reply[4] === 1);
      }
    } catch (error) {
      for (const settle of this.#waiting.values()) settle(error as Error);
      this.#waiting.clear();
    } finally {
      this.#reading = false;
    }
  }

  close(): Promise<void> {
    return this.endpoint.close();
  }
}
