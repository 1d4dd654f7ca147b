/**
 * DDE on Linux: DDEML's service/topic/item/advise model over Unix sockets.
 * A served service is one SOCK_SEQPACKET socket (a message-mode pipe of
 * pipe.ts, so a message of any size arrives whole) at
 * `<socket directory>/<service>.dde`; one connection is one conversation.
 * The wire protocol is in docs/mechanisms.md ("DDE"); in short, every
 * message starts `[op u8][seq u32]`, strings are `[length u16][UTF-8]`, and
 * data runs to the end of the message.
 *
 * - Discovery: `list()` reads the directory and asks each socket for its
 *   service and topics; a socket whose server died (connect refused) is
 *   removed there, by the next server of its name, or never left at all
 *   when the server exits normally.
 * - Advise loops carry credit: a server sends at most {@link ADVISE_WINDOW}
 *   updates a client has not yet taken, and `post()` waits beyond that, so
 *   a slow consumer slows the server and nothing is dropped.
 * - A server's death is a hang-up on the socket, which the reactor reports
 *   at once: no polling.
 *
 * @module
 */
import { readdirSync } from "node:fs";
import { ClosedError, NameTakenError, NotFoundError, TimeoutError } from "../errors.ts";
import { abortable } from "../_options.ts";
import type { Endpoint } from "../_pipe_common.ts";
import {
  type DdeAdviseMode,
  type DdeBackend,
  type DdeClientEvents,
  type DdeConversationEndpoint,
  type DdeConversationInfo,
  DdeDisconnectedError,
  type DdeFormat,
  type DdeReply,
  type DdeServerCallbacks,
  type DdeServiceEndpoint,
  type DdeServiceTopic,
  type DdeWait,
  STANDARD_DDE_FORMATS,
} from "../_dde_common.ts";
import { connectPipe } from "./pipe.ts";
import { acceptEach, serveLocal } from "./_local_server.ts";
import { removeIfStale, socketDirectory } from "./socket.ts";

/** Updates a server sends on one loop before the client has taken them. */
export const ADVISE_WINDOW = 64;

/** Message types (docs/mechanisms.md, "DDE wire protocol"). */
export const OP = {
  // client → server
  HELLO: 1,
  LIST: 2,
  REQUEST: 3,
  POKE: 4,
  EXECUTE: 5,
  ADVSTART: 6,
  ADVSTOP: 7,
  ADVACK: 8,
  // server → client
  ACK: 20,
  DATA: 21,
  NACK: 22,
  ADVDATA: 23,
  TOPICS: 24,
} as const;

const SUFFIX = ".dde";
/** Longer encoded names are shortened with a hash, to stay inside sun_path's 107 bytes. */
const MAX_FILE_STEM = 64;

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

/**
 * The socket path of a service: its lowercased name (DDE names ignore
 * case), percent-encoded; long names keep a prefix and a hash of the rest.
 *
 * @param service A checked service name.
 * @returns The socket path.
 * @example The path of a service
 * ```ts
 * import { ddePath } from "./dde.ts";
 * ddePath("Quotes"); // "/tmp/ipckit-1000/quotes.dde"
 * ```
 */
export function ddePath(service: string): string {
  let stem = encodeURIComponent(service.toLowerCase()).replace(/\./g, "%2E");
  if (stem.length > MAX_FILE_STEM) {
    let hash = 0x811c9dc5;
    for (const byte of utf8.encode(stem)) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
    stem = `${stem.slice(0, MAX_FILE_STEM - 9)}~${hash.toString(16).padStart(8, "0")}`;
  }
  return `${socketDirectory()}/${stem}${SUFFIX}`;
}

/**
 * Removes the socket file of a server of `service` that died without closing.
 *
 * @param service A checked service name.
 * @returns Whether a stale file was removed.
 * @example Reclaiming a dead server's socket
 * ```ts
 * import { reclaimDde } from "./dde.ts";
 * reclaimDde("quotes");
 * ```
 */
export function reclaimDde(service: string): boolean {
  return removeIfStale(ddePath(service));
}

/** Builds one protocol message. */
class MessageWriter {
  readonly #parts: Uint8Array[] = [];
  #length = 0;

  constructor(op: number, seq: number) {
    const head = new Uint8Array(5);
    head[0] = op;
    new DataView(head.buffer).setUint32(1, seq, true);
    this.#push(head);
  }

  #push(part: Uint8Array): this {
    this.#parts.push(part);
    this.#length += part.byteLength;
    return this;
  }

  u8(value: number): this {
    return this.#push(new Uint8Array([value]));
  }

  u32(value: number): this {
    const part = new Uint8Array(4);
    new DataView(part.buffer).setUint32(0, value, true);
    return this.#push(part);
  }

  string(value: string): this {
    const bytes = utf8.encode(value);
    const length = new Uint8Array(2);
    new DataView(length.buffer).setUint16(0, bytes.byteLength, true);
    return this.#push(length).#push(bytes);
  }

  /** The rest of the message. */
  rest(bytes: Uint8Array): this {
    return this.#push(bytes);
  }

  done(): Uint8Array {
    const out = new Uint8Array(this.#length);
    let at = 0;
    for (const part of this.#parts) {
      out.set(part, at);
      at += part.byteLength;
    }
    return out;
  }
}

/** Reads one protocol message; a short message throws RangeError (a peer that is not ours). */
class MessageReader {
  readonly op: number;
  readonly seq: number;
  #at = 5;
  readonly #view: DataView;

  constructor(readonly bytes: Uint8Array) {
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.op = this.#view.getUint8(0);
    this.seq = this.#view.getUint32(1, true);
  }

  u8(): number {
    return this.#view.getUint8(this.#at++);
  }

  u32(): number {
    const value = this.#view.getUint32(this.#at, true);
    this.#at += 4;
    return value;
  }

  string(): string {
    const length = this.#view.getUint16(this.#at, true);
    const end = this.#at + 2 + length;
    if (end > this.bytes.byteLength) throw new RangeError("DDE message: string past its end");
    const value = utf8Decoder.decode(this.bytes.subarray(this.#at + 2, end));
    this.#at = end;
    return value;
  }

  /** The rest of the message (a view into it; the message is not reused). */
  rest(): Uint8Array {
    return this.bytes.subarray(this.#at);
  }
}

const registered = new Map<string, DdeFormat>();

function format(name: string): DdeFormat {
  const standard = STANDARD_DDE_FORMATS[name];
  if (standard !== undefined) return { id: standard, name };
  let found = registered.get(name);
  if (!found) {
    // Process-local ids in the range Windows gives registered formats; the name is what travels.
    found = { id: 0xc000 + registered.size, name };
    registered.set(name, found);
  }
  return found;
}

function wireFormat(reader: MessageReader): DdeFormat {
  return format(reader.string());
}

/** A hot or warm loop of one conversation, on the server side. */
interface Link {
  readonly id: number;
  readonly item: string;
  readonly format: DdeFormat;
  readonly mode: DdeAdviseMode;
  /** Updates sent and not yet acknowledged by the client. */
  unacked: number;
  /** Sends waiting for credit. */
  readonly waiting: Set<() => void>;
  /** The end of the chain of sends, which keeps updates in order. */
  chain: Promise<void>;
  ended: boolean;
}

/** One client's conversation, on the server side. */
class ServedConversation {
  readonly links = new Map<number, Link>();
  #nextLink = 1;
  /** Transactions are answered one after another, in arrival order. */
  #turn: Promise<void> = Promise.resolve();
  info: DdeConversationInfo | null = null;

  constructor(
    readonly connection: Endpoint,
    readonly service: string,
    readonly topics: readonly string[],
    readonly callbacks: DdeServerCallbacks,
    readonly id: number,
  ) {}

  /** Reads until the client leaves; resolves when the conversation is over. */
  async serve(): Promise<void> {
    try {
      for (;;) {
        const bytes = await this.connection.read();
        if (bytes === null || bytes.byteLength < 5) break;
        const message = new MessageReader(bytes);
        if (message.op === OP.ADVACK) {
          this.#credit(message.u32(), message.u32());
          continue;
        }
        if (!this.info) {
          if (!(await this.#greet(message))) break;
          continue;
        }
        const turn = this.#turn.then(() => this.#answer(message));
        this.#turn = turn.catch(() => {});
      }
    } catch {
      // A peer that broke the protocol, or a connection torn down: end the conversation.
    } finally {
      await this.end();
    }
  }

  /** The first message: HELLO (a conversation) or LIST (discovery). */
  async #greet(message: MessageReader): Promise<boolean> {
    if (message.op === OP.LIST) {
      const reply = new MessageWriter(OP.TOPICS, message.seq).string(this.service)
        .u32(this.topics.length);
      for (const topic of this.topics) reply.string(topic);
      await this.connection.write(reply.done());
      return false;
    }
    if (message.op !== OP.HELLO) return false;
    const asked = message.string().toLowerCase();
    const topic = this.topics.find((t) => t.toLowerCase() === asked);
    if (topic === undefined) {
      await this.connection.write(new MessageWriter(OP.NACK, message.seq).u8(0).done());
      return false;
    }
    this.info = { id: this.id, topic };
    await this.connection.write(new MessageWriter(OP.ACK, message.seq).done());
    this.callbacks.connected(this.info);
    return true;
  }

  async #answer(message: MessageReader): Promise<void> {
    const info = this.info!;
    const seq = message.seq;
    const write = (reply: DdeReply<Uint8Array | void>, op = OP.ACK) =>
      this.connection.write(
        reply.ok
          ? reply.value instanceof Uint8Array
            ? new MessageWriter(OP.DATA, seq).rest(reply.value).done()
            : new MessageWriter(op, seq).done()
          : new MessageWriter(OP.NACK, seq).u8(reply.busy ? 1 : 0).done(),
      );
    switch (message.op) {
      case OP.REQUEST: {
        const item = message.string();
        return write(await this.callbacks.request(info, item, wireFormat(message)));
      }
      case OP.POKE: {
        const item = message.string();
        const fmt = wireFormat(message);
        return write(await this.callbacks.poke(info, item, fmt, message.rest().slice()));
      }
      case OP.EXECUTE:
        return write(await this.callbacks.execute(info, utf8Decoder.decode(message.rest())));
      case OP.ADVSTART: {
        const mode: DdeAdviseMode = message.u8() === 1 ? "warm" : "hot";
        const item = message.string();
        const fmt = wireFormat(message);
        const reply = await this.callbacks.adviseStart(info, item, fmt, mode);
        if (!reply.ok) return write(reply);
        const link: Link = {
          id: this.#nextLink++,
          item,
          format: fmt,
          mode,
          unacked: 0,
          waiting: new Set(),
          chain: Promise.resolve(),
          ended: false,
        };
        // Queued before the link exists, so no update can overtake the acknowledgement.
        const acked = this.connection.write(new MessageWriter(OP.ACK, seq).u32(link.id).done());
        this.links.set(link.id, link);
        return acked;
      }
      case OP.ADVSTOP: {
        const link = this.links.get(message.u32());
        if (link) {
          this.#endLink(link);
          this.callbacks.adviseStop(info, link.item, link.format);
        }
        return write({ ok: true, value: undefined });
      }
      default:
        throw new RangeError(`DDE message: unknown op ${message.op}`);
    }
  }

  #credit(linkId: number, taken: number): void {
    const link = this.links.get(linkId);
    if (!link) return;
    link.unacked = Math.max(0, link.unacked - taken);
    for (const wake of link.waiting) wake();
  }

  #endLink(link: Link): void {
    link.ended = true;
    this.links.delete(link.id);
    for (const wake of link.waiting) wake();
    link.waiting.clear();
  }

  /**
   * Sends one update on every loop of this conversation on `item`.
   * Hot data is asked for at once, so each post gets the value of its moment.
   */
  post(item: string, wait: DdeWait): Promise<void>[] {
    const info = this.info;
    if (!info) return [];
    const lower = item.toLowerCase();
    const sends: Promise<void>[] = [];
    for (const link of this.links.values()) {
      if (link.item.toLowerCase() !== lower) continue;
      const data = link.mode === "hot"
        ? this.callbacks.adviseRequest(info, link.item, link.format)
        : Promise.resolve(null);
      const send = link.chain.then(async () => {
        const reply = await data;
        if (reply !== null && !reply.ok) return; // nothing to say for this link (DDEML: a NULL ADVREQ)
        while (!link.ended && link.unacked >= ADVISE_WINDOW) {
          let wake!: () => void;
          const credit = new Promise<void>((resolve) => link.waiting.add(wake = resolve));
          try {
            await abortable(credit, wait.signal);
          } finally {
            link.waiting.delete(wake);
          }
        }
        if (link.ended) return;
        link.unacked++;
        const message = new MessageWriter(OP.ADVDATA, link.id);
        await this.connection.write(
          reply === null ? message.u8(0).done() : message.u8(1).rest(reply.value).done(),
        );
      });
      link.chain = send.catch(() => {});
      sends.push(send);
    }
    return sends;
  }

  #ended: Promise<void> | null = null;

  /** Ends the conversation: loops, then the connection. */
  end(): Promise<void> {
    return (this.#ended ??= (async () => {
      for (const link of [...this.links.values()]) this.#endLink(link);
      if (this.info) this.callbacks.disconnected(this.info);
      await this.connection.close();
    })());
  }
}

function serve(
  service: string,
  topics: readonly string[],
  callbacks: DdeServerCallbacks,
): Promise<DdeServiceEndpoint> {
  try {
    return Promise.resolve(serveNow(service, topics, callbacks));
  } catch (error) {
    return Promise.reject(error);
  }
}

function serveNow(
  service: string,
  topics: readonly string[],
  callbacks: DdeServerCallbacks,
): DdeServiceEndpoint {
  const path = ddePath(service);
  const server = serveLocal(service, path, (cause) =>
    new NameTakenError(
      `Cannot serve DDE service '${service}': another server offers it`,
      service,
      "DDE service",
      "DDE service",
      { cause },
    ));
  const conversations = new Set<ServedConversation>();
  let nextId = 1;
  let closed = false;
  const accepting = acceptEach(server, () => closed, (connection) => {
    const conversation = new ServedConversation(
      connection,
      service,
      topics,
      callbacks,
      nextId++,
    );
    conversations.add(conversation);
    void conversation.serve().finally(() => conversations.delete(conversation));
  });
  let closing: Promise<void> | null = null;
  return {
    post: async (topic: string, item: string, wait: DdeWait) => {
      if (closed) throw new ClosedError(`Cannot post to DDE service '${service}': it is closed`);
      const sends: Promise<void>[] = [];
      for (const conversation of conversations) {
        if (conversation.info?.topic === topic) sends.push(...conversation.post(item, wait));
      }
      await Promise.all(sends);
    },
    close: () => (closing ??= (async () => {
      closed = true;
      await server.close();
      await accepting.catch(() => {});
      await Promise.all([...conversations].map((conversation) => conversation.end()));
    })()),
  };
}

/** A transaction waiting for its answer, on the client side. */
interface Pending {
  /** Runs in the reader, before any later message is looked at. */
  settle(message: MessageReader): void;
  fail(error: Error): void;
}

/** An open loop, on the client side. */
interface ClientLink {
  readonly item: string;
  readonly format: DdeFormat;
  /** Updates received and not yet taken by the consumer. */
  held: number;
  /** Updates taken and not yet acknowledged to the server. */
  taken: number;
}

/** One conversation, on the client side. */
class Conversation implements DdeConversationEndpoint {
  #seq = 0;
  readonly #pending = new Map<number, Pending>();
  /** Open loops: link id → item and format, and the reverse. */
  readonly #links = new Map<number, ClientLink>();
  readonly #linkOf = new Map<string, number>();
  #gone: Error | null = null;
  #closing: Promise<void> | null = null;

  constructor(
    readonly connection: Endpoint,
    readonly service: string,
    readonly topic: string,
    readonly events: DdeClientEvents,
  ) {}

  /** Reads replies and updates until the server leaves or this side closes. */
  async run(): Promise<void> {
    try {
      for (;;) {
        const bytes = await this.connection.read();
        if (bytes === null) break;
        if (bytes.byteLength < 5) continue;
        const message = new MessageReader(bytes);
        if (message.op === OP.ADVDATA) {
          this.#update(message);
          continue;
        }
        const pending = this.#pending.get(message.seq);
        this.#pending.delete(message.seq);
        pending?.settle(message);
      }
    } catch {
      // The connection broke: the server is gone, as at end of stream.
    }
    this.#gone = new DdeDisconnectedError(this.service, this.topic);
    for (const pending of this.#pending.values()) pending.fail(this.#gone);
    this.#pending.clear();
    if (!this.#closing) {
      this.events.disconnected();
      await this.connection.close();
    }
  }

  #update(message: MessageReader): void {
    const linkId = message.seq;
    const link = this.#links.get(linkId);
    if (!link) return; // stopped meanwhile
    const data = message.u8() === 1 ? message.rest().slice() : null;
    link.held++;
    void this.events.adviseData(link.item, link.format, data).then(() => {
      link.held--;
      link.taken++;
      // Acknowledged in batches, and whenever the consumer has caught up: the server,
      // which stops at ADVISE_WINDOW unacknowledged updates, can never wait on updates taken.
      if (link.taken < ADVISE_WINDOW / 4 && link.held > 0) return;
      const taken = link.taken;
      link.taken = 0;
      if (this.#closing || this.#gone || this.#links.get(linkId) !== link) return;
      return this.connection.write(
        new MessageWriter(OP.ADVACK, 0).u32(linkId).u32(taken).done(),
      );
    }).catch(() => {}); // the conversation ended meanwhile
  }

  /** Sends one transaction and waits for its answer. */
  #transact<T>(
    message: (seq: number) => Uint8Array,
    settle: (reply: MessageReader) => T,
    wait: DdeWait,
    abandoned?: (reply: MessageReader) => void,
  ): Promise<T> {
    if (this.#gone) return Promise.reject(this.#gone);
    const seq = this.#seq = (this.#seq + 1) >>> 0;
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        // A late answer is dropped (or undone, for a loop the caller gave up on).
        this.#pending.set(seq, { settle: (reply) => abandoned?.(reply), fail: () => {} });
        reject(wait.signal.reason);
      };
      if (wait.signal.aborted) return reject(wait.signal.reason);
      wait.signal.addEventListener("abort", onAbort, { once: true });
      const done = () => wait.signal.removeEventListener("abort", onAbort);
      this.#pending.set(seq, {
        settle: (reply) => {
          done();
          try {
            resolve(settle(reply));
          } catch (error) {
            reject(error);
          }
        },
        fail: (error) => {
          done();
          reject(error);
        },
      });
      this.connection.write(message(seq)).catch((error) => {
        this.#pending.delete(seq);
        done();
        reject(this.#gone ?? error);
      });
    });
  }

  request(item: string, fmt: DdeFormat, wait: DdeWait): Promise<DdeReply<Uint8Array>> {
    return this.#transact(
      (seq) => new MessageWriter(OP.REQUEST, seq).string(item).string(fmt.name).done(),
      (reply) => reply.op === OP.DATA ? { ok: true, value: reply.rest().slice() } : refusal(reply),
      wait,
    );
  }

  poke(item: string, fmt: DdeFormat, data: Uint8Array, wait: DdeWait): Promise<DdeReply<void>> {
    return this.#transact(
      (seq) => new MessageWriter(OP.POKE, seq).string(item).string(fmt.name).rest(data).done(),
      acknowledged,
      wait,
    );
  }

  execute(command: string, wait: DdeWait): Promise<DdeReply<void>> {
    return this.#transact(
      (seq) => new MessageWriter(OP.EXECUTE, seq).rest(utf8.encode(command)).done(),
      acknowledged,
      wait,
    );
  }

  adviseStart(
    item: string,
    fmt: DdeFormat,
    mode: DdeAdviseMode,
    wait: DdeWait,
  ): Promise<DdeReply<void>> {
    return this.#transact(
      (seq) =>
        new MessageWriter(OP.ADVSTART, seq).u8(mode === "warm" ? 1 : 0).string(item)
          .string(fmt.name).done(),
      (reply) => {
        if (reply.op !== OP.ACK) return refusal(reply);
        // Registered here, in the reader, before any update of the loop is read.
        const linkId = reply.u32();
        this.#links.set(linkId, { item, format: fmt, held: 0, taken: 0 });
        this.#linkOf.set(linkKey(item, fmt), linkId);
        return { ok: true, value: undefined };
      },
      wait,
      (reply) => {
        if (reply.op === OP.ACK) void this.#stopLink(reply.u32()).catch(() => {});
      },
    );
  }

  adviseStop(item: string, fmt: DdeFormat): Promise<void> {
    const key = linkKey(item, fmt);
    const linkId = this.#linkOf.get(key);
    if (linkId === undefined) return Promise.resolve();
    this.#linkOf.delete(key);
    return this.#stopLink(linkId);
  }

  #stopLink(linkId: number): Promise<void> {
    this.#links.delete(linkId);
    const never = new AbortController();
    return this.#transact(
      (seq) => new MessageWriter(OP.ADVSTOP, seq).u32(linkId).done(),
      () => {},
      { timeout: Infinity, signal: never.signal },
    );
  }

  close(): Promise<void> {
    return (this.#closing ??= (async () => {
      for (const pending of this.#pending.values()) {
        pending.fail(
          new ClosedError(`Conversation with '${this.service}|${this.topic}' was closed`),
        );
      }
      this.#pending.clear();
      await this.connection.close();
    })());
  }
}

function refusal(reply: MessageReader): { ok: false; busy: boolean } {
  if (reply.op !== OP.NACK) throw new RangeError(`DDE message: unexpected op ${reply.op}`);
  return { ok: false, busy: reply.u8() === 1 };
}

function acknowledged(reply: MessageReader): DdeReply<void> {
  return reply.op === OP.ACK ? { ok: true, value: undefined } : refusal(reply);
}

function linkKey(item: string, fmt: DdeFormat): string {
  return `${item.toLowerCase()}\0${fmt.name}`;
}

/** Opens a connection to a service's socket, or NotFoundError once the wait ends without one. */
async function reach(service: string, wait: DdeWait): Promise<Endpoint> {
  const path = ddePath(service);
  try {
    const { endpoint } = await connectPipe(service, path, {
      mode: "message",
      timeout: wait.timeout,
      signal: wait.signal,
    });
    return endpoint;
  } catch (error) {
    const ourDeadline = error instanceof TimeoutError &&
      (error.cause instanceof NotFoundError || error === wait.signal.reason);
    if (!ourDeadline) throw error;
    removeIfStale(path);
    throw new NotFoundError(
      `Cannot connect to DDE service '${service}': no server offers it${
        wait.timeout > 0 ? ` (waited ${wait.timeout} ms)` : ""
      }`,
      service,
      { cause: error },
    );
  }
}

/** Sends the first message of a connection and reads its answer. */
async function handshake(
  connection: Endpoint,
  first: Uint8Array,
  wait: DdeWait,
): Promise<MessageReader | null> {
  const reading = (async () => {
    await connection.write(first);
    const reply = await connection.read();
    return reply === null || reply.byteLength < 5 ? null : new MessageReader(reply);
  })();
  try {
    return await abortable(reading, wait.signal);
  } catch (error) {
    reading.catch(() => {});
    await connection.close();
    throw error;
  }
}

/** A live server answers a handshake at once; even a timeout of 0 leaves it this long. */
const HANDSHAKE_GRACE = 1000;

/**
 * The handshake's deadline: the caller's, but at least {@link HANDSHAKE_GRACE}
 * ms from now (the server was found within the caller's timeout; only its
 * answer is left). The caller's abort still ends it at once.
 */
function handshakeWait(wait: DdeWait, deadline: number, service: string): DdeWait & {
  done(): void;
} {
  const controller = new AbortController();
  const onAbort = () => {
    if (!(wait.signal.reason instanceof TimeoutError)) controller.abort(wait.signal.reason);
  };
  if (wait.signal.aborted) onAbort();
  wait.signal.addEventListener("abort", onAbort);
  const ms = Math.max(deadline - performance.now(), HANDSHAKE_GRACE);
  const timer = Number.isFinite(ms)
    ? setTimeout(() =>
      controller.abort(
        new TimeoutError(
          `Cannot connect to DDE service '${service}': its server did not answer within ${
            Math.round(ms)
          } ms`,
        ),
      ), ms)
    : undefined;
  return {
    timeout: ms,
    signal: controller.signal,
    done: () => {
      clearTimeout(timer);
      wait.signal.removeEventListener("abort", onAbort);
    },
  };
}

async function connect(
  service: string,
  topic: string,
  events: DdeClientEvents,
  wait: DdeWait,
): Promise<DdeConversationEndpoint> {
  const deadline = performance.now() + wait.timeout;
  const connection = await reach(service, wait);
  const answer = handshakeWait(wait, deadline, service);
  let reply;
  try {
    reply = await handshake(
      connection,
      new MessageWriter(OP.HELLO, 0).string(topic).done(),
      answer,
    );
  } finally {
    answer.done();
  }
  if (reply?.op !== OP.ACK) {
    await connection.close();
    throw new NotFoundError(
      `Cannot connect to DDE service '${service}': it does not offer topic '${topic}'`,
      `${service}|${topic}`,
    );
  }
  const conversation = new Conversation(connection, service, topic, events);
  void conversation.run();
  return conversation;
}

async function list(
  service: string | null,
  topic: string | null,
  wait: DdeWait,
): Promise<DdeServiceTopic[]> {
  const directory = socketDirectory();
  const only = service === null ? null : ddePath(service);
  const paths = readdirSync(directory)
    .filter((file) => file.endsWith(SUFFIX))
    .map((file) => `${directory}/${file}`)
    .filter((path) => only === null || path === only);
  const found = await Promise.all(paths.map(async (path) => {
    if (removeIfStale(path)) return [];
    let connection: Endpoint | null = null;
    try {
      ({ endpoint: connection } = await connectPipe(path, path, {
        mode: "message",
        timeout: 0,
      }));
      const reply = await handshake(connection, new MessageWriter(OP.LIST, 0).done(), wait);
      if (reply?.op !== OP.TOPICS) return [];
      const name = reply.string();
      const topics: DdeServiceTopic[] = [];
      for (let i = reply.u32(); i > 0; i--) topics.push({ service: name, topic: reply.string() });
      return topics;
    } catch {
      return []; // gone meanwhile, or silent until the deadline: not on offer
    } finally {
      await connection?.close();
    }
  }));
  wait.signal.throwIfAborted();
  const lower = topic?.toLowerCase();
  return found.flat().filter((entry) => lower === undefined || entry.topic.toLowerCase() === lower);
}

/**
 * The Linux DDE backend (lib/dde.ts dispatches to it).
 *
 * @example Serving through the backend directly
 * ```ts
 * import { ddeBackend } from "./dde.ts";
 * console.log(ddeBackend.format("CF_TEXT").id); // 1
 * ```
 */
export const ddeBackend: DdeBackend = {
  format,
  encodeAnsi: (text) => utf8.encode(text),
  decodeAnsi: (bytes) => utf8Decoder.decode(bytes),
  serve,
  connect,
  list,
};
