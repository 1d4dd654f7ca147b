/**
 * Dynamic Data Exchange: a server registers a service and offers topics; a
 * client opens a conversation on a service and topic and, in it, requests
 * an item's data, pokes data into an item, executes commands, and follows
 * items through advise loops (hot: each change comes with its data; warm:
 * a notice, then the client requests). Formats are clipboard formats:
 * `CF_TEXT`, `CF_UNICODETEXT` (read and written as strings) and registered
 * formats by name (bytes).
 *
 * Windows: DDEML (DdeInitializeW, DdeNameService, DdeConnect,
 * DdeClientTransaction, DdePostAdvise) on the message-loop thread, so other
 * Windows programs that speak DDE are servers and clients like any other.
 * Linux: the same service/topic/item/advise model over Unix sockets, one
 * socket per service (docs/mechanisms.md has the protocol); a service only a
 * Windows program could offer is simply not found.
 *
 * @example A quote server and a client that follows a hot advise loop
 * ```ts
 * import { DdeClient, DdeServer } from "./dde.ts";
 * let price = "1.0842";
 * await using server = await DdeServer.serve({
 *   service: "quotes",
 *   topics: { prices: { request: (item) => (item === "EURUSD" ? price : null) } },
 * });
 * await using client = await DdeClient.connect({ service: "quotes", topic: "prices" });
 * console.log(await client.request("EURUSD")); // "1.0842"
 * const loop = client.advise("EURUSD", { mode: "hot" });
 * await loop.started;
 * price = "1.0843";
 * await server.post("prices", "EURUSD");
 * for await (const update of loop) {
 *   console.log(update.data); // "1.0843"
 *   break; // sends XTYP_ADVSTOP
 * }
 * ```
 *
 * @module
 */
import { platform } from "./ffi/mod.ts";
import { ClosedError, UnsupportedPlatformError } from "./errors.ts";
import { checkTimeout, withDeadline } from "./_options.ts";
import {
  type BinaryInput,
  checkDdeFormat,
  checkDdeName,
  type DdeAdviseMode,
  type DdeBackend,
  type DdeConversationEndpoint,
  type DdeConversationInfo,
  DdeDisconnectedError,
  type DdeFormat,
  DdeRefusedError,
  type DdeReply,
  type DdeServerCallbacks,
  type DdeServiceEndpoint,
  type DdeServiceTopic,
  type DdeWait,
  decodeDdeData,
  encodeDdeData,
} from "./_dde_common.ts";
import { ddeBackend as posixBackend, ddePath, reclaimDde } from "./posix/dde.ts";
import { ddeBackend as windowsBackend } from "./win32/dde.ts";

export {
  type DdeAdviseMode,
  DdeDisconnectedError,
  DdeRefusedError,
  type DdeServiceTopic,
} from "./_dde_common.ts";

const backend: DdeBackend | null = platform === "windows"
  ? windowsBackend
  : platform === "linux"
  ? posixBackend
  : null;

function os(): DdeBackend {
  if (!backend) {
    throw new UnsupportedPlatformError(
      `Cannot use DDE on ${platform}: ipckit has it on Windows (DDEML) and Linux (Unix sockets)`,
    );
  }
  return backend;
}

/** The default `timeout` of {@link DdeClient.connect}, in ms. */
const CONNECT_TIMEOUT = 5000;
/** The default `timeout` of {@link DdeClient.list}, in ms: a first use under Wine starts DDEML in 2 s. */
const LIST_TIMEOUT = 5000;

/** Text formats, whose data read and write as strings. */
export type DdeTextFormat = "CF_TEXT" | "CF_UNICODETEXT";

/** The options of every call that can wait. */
export interface DdeWaitOptions {
  /** How long to wait, in ms (default Infinity); then the call rejects with TimeoutError. */
  timeout?: number;
  /** Ends the wait; the call rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** Options of {@link DdeClient.request}. */
export interface DdeRequestOptions extends DdeWaitOptions {
  /** The format asked for: `"CF_UNICODETEXT"` (default), `"CF_TEXT"` or a registered format's name. */
  format?: string;
}

/** Options of {@link DdeClient.request} for a text format. */
export interface DdeTextRequestOptions extends DdeWaitOptions {
  /** `"CF_UNICODETEXT"` (default) or `"CF_TEXT"`. */
  format?: DdeTextFormat;
}

/** Options of {@link DdeClient.poke}. */
export interface DdePokeOptions extends DdeWaitOptions {
  /**
   * The data's format: `"CF_UNICODETEXT"` (default), `"CF_TEXT"` or a
   * registered format's name. A string is sent as text in the text formats
   * and as UTF-8 in any other.
   */
  format?: string;
}

/** Options of {@link DdeClient.advise}. */
export interface DdeAdviseOptions {
  /** `"hot"` (default): each update carries the data; `"warm"`: a notice only, then request it. */
  mode?: DdeAdviseMode;
  /** The format of the updates: `"CF_UNICODETEXT"` (default), `"CF_TEXT"` or a registered format. */
  format?: string;
  /** How long the server may take to accept the loop, in ms (default Infinity). */
  timeout?: number;
  /** Ends the loop: a pending `next()` rejects with the signal's reason, and XTYP_ADVSTOP is sent. */
  signal?: AbortSignal;
}

/** Options of {@link DdeAdviseOptions} for a text format. */
export interface DdeTextAdviseOptions extends DdeAdviseOptions {
  /** `"CF_UNICODETEXT"` (default) or `"CF_TEXT"`. */
  format?: DdeTextFormat;
}

/** Options of {@link DdeClient.connect}. */
export interface DdeConnectOptions {
  /** The service (the server's registered name; compared case-insensitively, as DDE does). */
  service: string;
  /** The topic. */
  topic: string;
  /**
   * How long to wait for a server to offer the service and topic, in ms
   * (default 5000; 0 looks once). Then the call rejects with NotFoundError.
   */
  timeout?: number;
  /** Ends the wait; the call rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** Options of {@link DdeClient.list}. */
export interface DdeListOptions {
  /** Only this service (case-insensitive). */
  service?: string;
  /** Only this topic (case-insensitive). */
  topic?: string;
  /** How long servers have to answer, in ms (default 5000); servers that stay silent are left out. */
  timeout?: number;
  /** Ends the call; it rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** One update of an advise loop. */
export interface DdeUpdate<T extends string | Uint8Array = string | Uint8Array> {
  /** The item. */
  readonly item: string;
  /** The format's name. */
  readonly format: string;
  /** The item's data (hot loops); null for a warm loop's notice (request the item to read it). */
  readonly data: T | null;
}

/** What a server's handler sees of the transaction it answers. */
export interface DdeContext {
  /** The conversation, numbered by the server (unique while it lasts). */
  readonly conversation: number;
  /** The topic of the conversation. */
  readonly topic: string;
}

/** What a request or advise handler sees. */
export interface DdeItemContext extends DdeContext {
  /** The format asked for (`"CF_UNICODETEXT"`, `"CF_TEXT"` or a registered name). */
  readonly format: string;
}

/** What an advise-start handler sees. */
export interface DdeAdviseContext extends DdeItemContext {
  /** Whether the client wants the data with each update (hot) or a notice (warm). */
  readonly mode: DdeAdviseMode;
}

/** A value a request handler answers with; `null`, `undefined` or `false` refuses the request. */
export type DdeAnswer = string | BinaryInput | null | undefined | false;

/**
 * How a server serves one topic. A handler that is missing refuses its
 * transactions. A handler that throws refuses the transaction, and its
 * error is rethrown as an uncaught error (as in {@link CopyData}). A handler
 * may answer with a promise and await anything first, `post()` included;
 * its conversation waits for the answer and other conversations go on (on
 * Windows the DDEML callback answers CBR_BLOCK and is asked again; a hot
 * loop's `request` inside `post()` is awaited, up to 10 s).
 */
export interface DdeTopicHandlers {
  /**
   * The item's current data in `context.format` (XTYP_REQUEST, and
   * XTYP_ADVREQ for hot advise loops after {@link DdeServer.post}). A
   * string is encoded as the text format asks (UTF-8 for other formats).
   */
  request?(item: string, context: DdeItemContext): DdeAnswer | Promise<DdeAnswer>;
  /**
   * Takes data a client sends for an item (XTYP_POKE). Text formats arrive
   * as strings, others as bytes. `false` refuses.
   */
  poke?(
    item: string,
    data: string | Uint8Array,
    context: DdeItemContext,
  ): boolean | void | Promise<boolean | void>;
  /** Runs a command (XTYP_EXECUTE). `false` refuses. */
  execute?(command: string, context: DdeContext): boolean | void | Promise<boolean | void>;
  /**
   * Whether to start an advise loop on the item (XTYP_ADVSTART). Without
   * this handler, loops are accepted on topics that have a `request` handler.
   */
  adviseStart?(
    item: string,
    context: DdeAdviseContext,
  ): boolean | void | Promise<boolean | void>;
  /** An advise loop ended because its client stopped it (XTYP_ADVSTOP). */
  adviseStop?(item: string, context: DdeItemContext): void;
}

/** Options of {@link DdeServer.serve}. */
export interface DdeServeOptions {
  /** The service name (DdeNameService); DDE compares names case-insensitively. */
  service: string;
  /** The topics on offer, each with its handlers. */
  topics: Readonly<Record<string, DdeTopicHandlers>>;
}

function checkOptionsObject(options: unknown, call: string, example: string): void {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`Cannot call ${call}: pass an options object, e.g. ${example}`);
  }
}

function checkSignal(signal: unknown, what: string): void {
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError(`Cannot ${what}: signal must be an AbortSignal`);
  }
}

/** A caller's wait options, possibly with explicit undefineds. */
type LooseWait = { timeout?: number | undefined; signal?: AbortSignal | undefined } | undefined;

/** Runs `run` under the caller's timeout and signal, as one {@link DdeWait}. */
function waiting<T>(
  options: LooseWait,
  what: string,
  run: (wait: DdeWait) => Promise<T>,
  defaultTimeout = Infinity,
): Promise<T> {
  const timeout = options?.timeout ?? defaultTimeout;
  checkTimeout(timeout, what);
  checkSignal(options?.signal, what);
  const signal = options?.signal;
  return withDeadline(
    signal ? { timeout, signal } : { timeout },
    what,
    (signal) => run({ timeout, signal }),
    defaultTimeout,
  );
}

function reportHandlerError(error: unknown): void {
  queueMicrotask(() => {
    throw error;
  });
}

const REFUSED = { ok: false, busy: false } as const;
const DONE = { ok: true, value: undefined } as const;

/**
 * A registered DDE service. Clients connect to it by service and topic;
 * its handlers answer their transactions, and {@link DdeServer.post} tells
 * their advise loops that an item changed.
 *
 * Under Wine (not Windows), a serving process answers about 65,000
 * transactions in its lifetime: Wine's DDE code keeps one memory block per
 * request answer, update, poke and execute, in a table of 65,536, and once
 * it is full DDEML refuses requests (docs/mechanisms.md, DDE, "Who frees
 * what").
 *
 * @example Serving a topic
 * ```ts
 * import { DdeServer } from "./dde.ts";
 * const rates = new Map([["EURUSD", "1.0842"]]);
 * await using server = await DdeServer.serve({
 *   service: "quotes",
 *   topics: {
 *     prices: {
 *       request: (item) => rates.get(item) ?? null,
 *       poke: (item, data) => void rates.set(item, String(data)),
 *       execute: (command) => command === "[reset]",
 *     },
 *   },
 * });
 * rates.set("EURUSD", "1.0843");
 * await server.post("prices", "EURUSD");
 * ```
 */
export class DdeServer implements AsyncDisposable {
  #endpoint: DdeServiceEndpoint | null = null;
  #closing: Promise<void> | null = null;
  readonly #topics: Map<string, { name: string; handlers: DdeTopicHandlers }>;

  private constructor(
    /** The service name. */
    readonly service: string,
    topics: Readonly<Record<string, DdeTopicHandlers>>,
  ) {
    this.#topics = new Map(
      Object.entries(topics).map(([name, handlers]) => [name.toLowerCase(), { name, handlers }]),
    );
  }

  /**
   * Registers a service and serves its topics.
   *
   * @param options `service`, `topics` (topic name → handlers).
   * @returns The server, serving once the promise resolves.
   * @throws NameTakenError when a live server holds the service name.
   * @example Serving one topic
   * ```ts
   * import { DdeServer } from "./dde.ts";
   * await using server = await DdeServer.serve({
   *   service: "lab",
   *   topics: { status: { request: () => "ready" } },
   * });
   * ```
   */
  static async serve(options: DdeServeOptions): Promise<DdeServer> {
    checkOptionsObject(
      options,
      "DdeServer.serve()",
      "{ service: 'quotes', topics: { prices: {…} } }",
    );
    const service = checkDdeName(options.service, "service", "serve DDE");
    const what = `serve DDE service '${service}'`;
    const topics = options.topics;
    if (typeof topics !== "object" || topics === null || Array.isArray(topics)) {
      throw new TypeError(`Cannot ${what}: topics must be an object of topic name → handlers`);
    }
    const names = Object.keys(topics);
    if (names.length === 0) throw new TypeError(`Cannot ${what}: no topic given`);
    const seen = new Set<string>();
    for (const name of names) {
      checkDdeName(name, "topic", what);
      if (seen.has(name.toLowerCase())) {
        throw new TypeError(
          `Cannot ${what}: topic '${name}' is given twice (DDE names ignore case)`,
        );
      }
      seen.add(name.toLowerCase());
      const handlers = topics[name];
      if (typeof handlers !== "object" || handlers === null) {
        throw new TypeError(`Cannot ${what}: the handlers of topic '${name}' must be an object`);
      }
      for (const [key, value] of Object.entries(handlers)) {
        if (typeof value !== "function") {
          throw new TypeError(
            `Cannot ${what}: handler '${key}' of topic '${name}' is not a function`,
          );
        }
      }
    }
    const server = new DdeServer(service, topics);
    const b = os();
    server.#endpoint = await b.serve(service, names, server.#callbacks(b));
    return server;
  }

  /**
   * Where a service lives at the OS level: the service name itself on
   * Windows (DDEML's string handle), its socket path on Linux.
   *
   * @param service The service name.
   * @returns The OS name.
   * @example The OS name of a service
   * ```ts
   * import { DdeServer } from "./dde.ts";
   * console.log(DdeServer.osName("quotes")); // "quotes" on Windows, "/run/user/1000/ipckit/quotes.dde" on Linux
   * ```
   */
  static osName(service: string): string {
    checkDdeName(service, "service", "name a DDE service");
    return platform === "linux" ? ddePath(service) : service;
  }

  /**
   * Removes what a server of `service` that was killed left behind: on
   * Linux its socket file (when no live server answers there); on Windows
   * nothing is left (DDEML's names die with their process).
   *
   * @param service The service name.
   * @returns Whether something was removed.
   * @example Reclaiming after a crash
   * ```ts
   * import { DdeServer } from "./dde.ts";
   * DdeServer.reclaim("quotes");
   * ```
   */
  static reclaim(service: string): boolean {
    checkDdeName(service, "service", "reclaim a DDE service");
    return platform === "linux" ? reclaimDde(service) : false;
  }

  /** Whether `close()` has been called. */
  get closed(): boolean {
    return this.#closing !== null;
  }

  #handlers(topic: string): DdeTopicHandlers {
    return this.#topics.get(topic.toLowerCase())?.handlers ?? {};
  }

  #callbacks(b: DdeBackend): DdeServerCallbacks {
    const context = (c: DdeConversationInfo): DdeContext => ({
      conversation: c.id,
      topic: this.#topics.get(c.topic.toLowerCase())?.name ?? c.topic,
    });
    const answer = async (
      c: DdeConversationInfo,
      item: string,
      format: DdeFormat,
    ): Promise<DdeReply<Uint8Array>> => {
      const request = this.#handlers(c.topic).request;
      if (!request) return REFUSED;
      try {
        const value = await request(item, { ...context(c), format: format.name });
        if (value === null || value === undefined || value === false) return REFUSED;
        return {
          ok: true,
          value: encodeDdeData(value, format, b, `answer item '${item}'`),
        };
      } catch (error) {
        reportHandlerError(error);
        return REFUSED;
      }
    };
    const yesNo = async (
      run: () => boolean | void | Promise<boolean | void>,
    ): Promise<DdeReply<void>> => {
      try {
        return (await run()) === false ? REFUSED : DONE;
      } catch (error) {
        reportHandlerError(error);
        return REFUSED;
      }
    };
    return {
      connected: () => {},
      disconnected: () => {},
      request: answer,
      adviseRequest: answer,
      poke: (c, item, format, data) => {
        const poke = this.#handlers(c.topic).poke;
        if (!poke) return Promise.resolve(REFUSED);
        return yesNo(() =>
          poke(item, decodeDdeData(data, format, b), { ...context(c), format: format.name })
        );
      },
      execute: (c, command) => {
        const execute = this.#handlers(c.topic).execute;
        if (!execute) return Promise.resolve(REFUSED);
        return yesNo(() => execute(command, context(c)));
      },
      adviseStart: (c, item, format, mode) => {
        const handlers = this.#handlers(c.topic);
        const start = handlers.adviseStart;
        if (!start) return Promise.resolve(handlers.request ? DONE : REFUSED);
        return yesNo(() => start(item, { ...context(c), format: format.name, mode }));
      },
      adviseStop: (c, item, format) => {
        try {
          this.#handlers(c.topic).adviseStop?.(item, { ...context(c), format: format.name });
        } catch (error) {
          reportHandlerError(error);
        }
      },
    };
  }

  /**
   * Tells every advise loop on `topic` and `item` that the item changed
   * (DdePostAdvise): hot loops get the `request` handler's answer, warm
   * loops a notice. Resolves when every update is on its way; a client
   * that has not yet taken earlier updates holds it back (nothing is
   * dropped), until `timeout` or `signal`.
   *
   * @param topic One of the served topics.
   * @param item The item that changed.
   * @param options `timeout` (default Infinity), `signal`.
   * @returns When the updates are sent.
   * @example Posting a change
   * ```ts
   * import { DdeServer } from "./dde.ts";
   * let level = 0;
   * await using server = await DdeServer.serve({
   *   service: "tank",
   *   topics: { sensors: { request: () => String(level) } },
   * });
   * level = 42;
   * await server.post("sensors", "level");
   * ```
   */
  post(topic: string, item: string, options?: DdeWaitOptions): Promise<void> {
    const what = `post item '${item}' of DDE service '${this.service}'`;
    checkDdeName(topic, "topic", what);
    checkDdeName(item, "item", what);
    if (this.#closing) {
      return Promise.reject(
        new ClosedError(`Cannot ${what}: the server is closed`),
      );
    }
    const served = this.#topics.get(topic.toLowerCase());
    if (!served) {
      throw new TypeError(`Cannot ${what}: the service does not offer topic '${topic}'`);
    }
    const endpoint = this.#endpoint!;
    return waiting(options, what, (wait) => endpoint.post(served.name, item, wait));
  }

  /**
   * Unregisters the service and ends every conversation (their clients'
   * loops end with {@link DdeDisconnectedError}). Idempotent.
   *
   * @returns When the service is gone.
   * @example Closing
   * ```ts
   * import { DdeServer } from "./dde.ts";
   * const server = await DdeServer.serve({ service: "lab", topics: { status: {} } });
   * await server.close();
   * ```
   */
  close(): Promise<void> {
    return (this.#closing ??= this.#endpoint?.close() ?? Promise.resolve());
  }

  /** Same as {@link DdeServer.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** One update waiting for its consumer, and the backend's promise to settle when it is taken. */
interface Queued {
  update: DdeUpdate;
  taken: () => void;
}

/**
 * One advise loop: an async iterable of updates. Breaking out of a
 * `for await` (or `stop()`) ends it and sends XTYP_ADVSTOP. It ends with
 * {@link DdeDisconnectedError} when the server goes away, after the updates
 * already received.
 *
 * @example Following an item
 * ```ts
 * import { DdeClient } from "./dde.ts";
 * await using client = await DdeClient.connect({ service: "quotes", topic: "prices" });
 * for await (const { data } of client.advise("EURUSD")) console.log(data);
 * ```
 */
export class DdeAdviseLoop<T extends string | Uint8Array = string | Uint8Array>
  implements AsyncIterableIterator<DdeUpdate<T>>, AsyncDisposable {
  readonly #queue: Queued[] = [];
  #waiter: { resolve: () => void } | null = null;
  /** Why the loop ended: null while it runs; "done" for a normal end. */
  #end: "done" | { error: unknown } | null = null;
  #stopping: Promise<void> | null = null;
  #accepted = false;
  /**
   * Resolves when the server accepted the loop (XTYP_ADVSTART); rejects with
   * {@link DdeRefusedError} when it refused, or with the loop's end.
   */
  readonly started: Promise<void>;

  readonly #stopLoop: () => Promise<void>;
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort = () => {
    this._finish({ error: this.#signal!.reason });
    void this.#stop();
  };

  /** @internal Made by {@link DdeClient.advise}. */
  constructor(
    /** The item. */
    readonly item: string,
    /** The format's name. */
    readonly format: string,
    /** Hot or warm. */
    readonly mode: DdeAdviseMode,
    start: Promise<void>,
    stop: () => Promise<void>,
    signal: AbortSignal | undefined,
  ) {
    this.#stopLoop = stop;
    this.#signal = signal;
    this.started = start.then(
      () => {
        this.#accepted = true;
      },
      (error) => {
        this._finish({ error });
        throw error;
      },
    );
    this.started.catch(() => {}); // the error is the iterator's to report
    if (signal?.aborted) this.#onAbort();
    else signal?.addEventListener("abort", this.#onAbort, { once: true });
  }

  /** @internal An update arrived; resolves when the consumer took it. */
  _push(update: DdeUpdate): Promise<void> {
    if (this.#end) return Promise.resolve();
    return new Promise((taken) => {
      this.#queue.push({ update, taken });
      this.#wake();
    });
  }

  /** @internal Ends the loop ("done", or an error every later `next()` rejects with). */
  _finish(end: "done" | { error: unknown }): void {
    if (this.#end) return;
    this.#end = end;
    this.#signal?.removeEventListener("abort", this.#onAbort);
    if (end === "done") {
      // Nobody will take what is queued: release the backend's acknowledgements.
      for (const queued of this.#queue.splice(0)) queued.taken();
    }
    this.#wake();
  }

  #wake(): void {
    const waiter = this.#waiter;
    this.#waiter = null;
    waiter?.resolve();
  }

  /**
   * The next update; `done` when the loop was stopped or the client closed.
   *
   * @returns The update.
   */
  async next(): Promise<IteratorResult<DdeUpdate<T>, undefined>> {
    for (;;) {
      if (this.#end === "done") return { done: true, value: undefined };
      const queued = this.#queue.shift();
      if (queued) {
        queued.taken();
        return { done: false, value: queued.update as DdeUpdate<T> };
      }
      if (this.#end) {
        const { error } = this.#end;
        throw error;
      }
      await new Promise<void>((resolve) => (this.#waiter = { resolve }));
    }
  }

  /**
   * Stops the loop (XTYP_ADVSTOP); what `for await` calls on `break`.
   *
   * @returns `done`.
   */
  async return(): Promise<IteratorResult<DdeUpdate<T>, undefined>> {
    await this.stop();
    return { done: true, value: undefined };
  }

  /**
   * Stops the loop: sends XTYP_ADVSTOP (once the server accepted it) and
   * drops updates not yet taken. Idempotent.
   *
   * @returns When the stop is sent.
   * @example Stopping a loop
   * ```ts
   * import { DdeClient } from "./dde.ts";
   * await using client = await DdeClient.connect({ service: "quotes", topic: "prices" });
   * const loop = client.advise("EURUSD");
   * await loop.stop();
   * ```
   */
  stop(): Promise<void> {
    this._finish("done");
    return this.#stop();
  }

  #stop(): Promise<void> {
    return (this.#stopping ??= this.started.then(
      () => this.#stopLoop(),
      () => {}, // never started: nothing to stop
    ).catch(() => {
      // The conversation ended meanwhile: the loop is gone with it.
    }));
  }

  /** The loop itself. */
  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Same as {@link DdeAdviseLoop.stop}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  /** Whether the server accepted the loop and it has not ended. */
  get active(): boolean {
    return this.#accepted && this.#end === null;
  }
}

/**
 * A conversation with a DDE server on one service and topic.
 *
 * @example Request, poke, execute
 * ```ts
 * import { DdeClient } from "./dde.ts";
 * await using client = await DdeClient.connect({ service: "quotes", topic: "prices", timeout: 1000 });
 * const price = await client.request("EURUSD", { timeout: 1000 }); // string
 * await client.poke("EURUSD", "1.0850");
 * await client.execute("[reset]");
 * ```
 */
export class DdeClient implements AsyncDisposable {
  #endpoint: DdeConversationEndpoint | null = null;
  #closing: Promise<void> | null = null;
  #gone: DdeDisconnectedError | null = null;
  /** Open loops by `item\0format` (case-insensitive item, as DDEML links are). */
  readonly #loops = new Map<string, DdeAdviseLoop>();
  /** Transactions in flight, ended at close. */
  readonly #pending = new Set<AbortController>();
  readonly #backend: DdeBackend;

  private constructor(
    /** The service. */
    readonly service: string,
    /** The topic. */
    readonly topic: string,
    backend: DdeBackend,
  ) {
    this.#backend = backend;
  }

  /**
   * Opens a conversation (DdeConnect), waiting up to `timeout` ms for a
   * server to offer the service and topic.
   *
   * @param options `service`, `topic`, `timeout` (default 5000), `signal`.
   * @returns The conversation.
   * @throws NotFoundError when no server offers them by the deadline (on
   *   Linux, also for a service only a Windows program could offer).
   * @example Connecting
   * ```ts
   * import { DdeClient } from "./dde.ts";
   * await using client = await DdeClient.connect({ service: "quotes", topic: "prices" });
   * ```
   */
  static async connect(options: DdeConnectOptions): Promise<DdeClient> {
    checkOptionsObject(options, "DdeClient.connect()", "{ service: 'quotes', topic: 'prices' }");
    const service = checkDdeName(options.service, "service", "connect to DDE");
    const what = `connect to DDE service '${service}'`;
    const topic = checkDdeName(options.topic, "topic", what);
    const b = os();
    const client = new DdeClient(service, topic, b);
    client.#endpoint = await waiting(
      options,
      `${what} with topic '${topic}'`,
      (wait) => b.connect(service, topic, client.#events(), wait),
      CONNECT_TIMEOUT,
    );
    return client;
  }

  /**
   * The services and topics on offer (DdeConnectList).
   *
   * @param options `service`, `topic` (filters, case-insensitive), `timeout` (default 5000), `signal`.
   * @returns One entry per service and topic.
   * @example Listing topics of a service
   * ```ts
   * import { DdeClient } from "./dde.ts";
   * const offered = await DdeClient.list({ service: "quotes" });
   * console.log(offered.map(({ topic }) => topic));
   * ```
   */
  static list(options: DdeListOptions = {}): Promise<DdeServiceTopic[]> {
    checkOptionsObject(options, "DdeClient.list()", "{ service: 'quotes' }");
    const service = options.service === undefined
      ? null
      : checkDdeName(options.service, "service", "list DDE services");
    const topic = options.topic === undefined
      ? null
      : checkDdeName(options.topic, "topic", "list DDE services");
    const b = os();
    return waiting(
      options,
      "list DDE services",
      (wait) => b.list(service, topic, wait),
      LIST_TIMEOUT,
    );
  }

  #events() {
    return {
      adviseData: (item: string, format: DdeFormat, data: Uint8Array | null) => {
        const loop = this.#loops.get(loopKey(item, format.name));
        if (!loop) return Promise.resolve(); // stopped meanwhile
        return loop._push({
          item: loop.item,
          format: format.name,
          data: data === null ? null : decodeDdeData(data, format, this.#backend),
        });
      },
      disconnected: () => {
        this.#gone = new DdeDisconnectedError(this.service, this.topic);
        for (const loop of this.#loops.values()) loop._finish({ error: this.#gone });
        this.#loops.clear();
      },
    };
  }

  #check(what: string): DdeConversationEndpoint {
    if (this.#closing) {
      throw new ClosedError(`Cannot ${what}: the conversation is closed`);
    }
    if (this.#gone) throw this.#gone;
    return this.#endpoint!;
  }

  /** Runs a transaction under the caller's wait; close ends it with ClosedError. */
  #transact<T>(
    options: LooseWait,
    what: string,
    run: (endpoint: DdeConversationEndpoint, wait: DdeWait) => Promise<T>,
  ): Promise<T> {
    let endpoint: DdeConversationEndpoint;
    try {
      endpoint = this.#check(what);
    } catch (error) {
      return Promise.reject(error);
    }
    const closing = new AbortController();
    this.#pending.add(closing);
    const combined = options?.signal
      ? AbortSignal.any([options.signal, closing.signal])
      : closing.signal;
    return waiting(
      { timeout: options?.timeout, signal: combined },
      what,
      (wait) => run(endpoint, wait),
    ).catch((error: unknown): never => {
      throw this.#gone && !(error instanceof DdeRefusedError) && error !== options?.signal?.reason
        ? this.#gone
        : error;
    }).finally(() => this.#pending.delete(closing));
  }

  #refused<T>(
    reply: DdeReply<T>,
    transaction: "request" | "poke" | "execute" | "advise",
    subject: string,
  ): T {
    if (reply.ok) return reply.value;
    throw new DdeRefusedError(
      transaction,
      this.service,
      this.topic,
      subject,
      reply.busy,
      reply.note,
    );
  }

  /**
   * Requests an item's data (XTYP_REQUEST).
   *
   * @param item The item.
   * @param options `format` (default `"CF_UNICODETEXT"`), `timeout` (default Infinity), `signal`.
   * @returns A string for the text formats, else the bytes.
   * @throws DdeRefusedError when the server does not give the item in that format.
   * @example Requesting text and bytes
   * ```ts
   * import { DdeClient } from "./dde.ts";
   * await using client = await DdeClient.connect({ service: "quotes", topic: "prices" });
   * const text = await client.request("EURUSD");
   * const table = await client.request("EURUSD", { format: "XlTable" }); // Uint8Array
   * ```
   */
  request(item: string, options?: DdeTextRequestOptions): Promise<string>;
  request(item: string, options: DdeRequestOptions): Promise<string | Uint8Array>;
  request(item: string, options?: DdeRequestOptions): Promise<string | Uint8Array> {
    try {
      const what = `request item '${item}' of '${this.service}|${this.topic}'`;
      checkDdeName(item, "item", `request from '${this.service}|${this.topic}'`);
      const format = this.#backend.format(checkDdeFormat(options?.format, what));
      return this.#transact(options, what, async (endpoint, wait) => {
        const bytes = this.#refused(await endpoint.request(item, format, wait), "request", item);
        return decodeDdeData(bytes, format, this.#backend);
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Sends data for an item (XTYP_POKE).
   *
   * @param item The item.
   * @param data A string (text in the text formats, UTF-8 in others) or bytes.
   * @param options `format` (default `"CF_UNICODETEXT"`), `timeout` (default Infinity), `signal`.
   * @returns When the server took it.
   * @throws DdeRefusedError when the server refused it.
   * @example Poking text and bytes
   * ```ts
   * import { DdeClient } from "./dde.ts";
   * await using client = await DdeClient.connect({ service: "lab", topic: "setpoints" });
   * await client.poke("temperature", "21.5");
   * await client.poke("profile", new Uint8Array([1, 2, 3]), { format: "application/x-profile" });
   * ```
   */
  poke(item: string, data: string | BinaryInput, options?: DdePokeOptions): Promise<void> {
    try {
      const what = `poke item '${item}' of '${this.service}|${this.topic}'`;
      checkDdeName(item, "item", `poke into '${this.service}|${this.topic}'`);
      const format = this.#backend.format(checkDdeFormat(options?.format, what));
      const bytes = encodeDdeData(data, format, this.#backend, what);
      return this.#transact(options, what, async (endpoint, wait) => {
        this.#refused(await endpoint.poke(item, format, bytes, wait), "poke", item);
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Sends a command (XTYP_EXECUTE).
   *
   * @param command The command, e.g. `"[open(\"book.xls\")]"`.
   * @param options `timeout` (default Infinity), `signal`.
   * @returns When the server ran it.
   * @throws DdeRefusedError when the server refused it.
   * @example Executing a command
   * ```ts
   * import { DdeClient } from "./dde.ts";
   * await using client = await DdeClient.connect({ service: "lab", topic: "control" });
   * await client.execute("[start]");
   * ```
   */
  execute(command: string, options?: DdeWaitOptions): Promise<void> {
    try {
      const what = `execute a command in '${this.service}|${this.topic}'`;
      if (typeof command !== "string" || command.includes("\0")) {
        throw new TypeError(`Cannot ${what}: the command must be a string without NUL`);
      }
      return this.#transact(options, what, async (endpoint, wait) => {
        this.#refused(await endpoint.execute(command, wait), "execute", command);
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Starts an advise loop on an item (XTYP_ADVSTART) and returns it as an
   * async iterable of updates. The loop is requested at once; its
   * `started` promise says when the server accepted it. Updates are
   * delivered in order, none dropped: the server waits while this client
   * holds updates it has not taken. Breaking out of `for await` sends
   * XTYP_ADVSTOP.
   *
   * @param item The item.
   * @param options `mode` (`"hot"` default, or `"warm"`), `format` (default `"CF_UNICODETEXT"`), `timeout`, `signal`.
   * @returns The loop; the first `next()` rejects with DdeRefusedError when the server refused it.
   * @example A warm loop: notices, then requests
   * ```ts
   * import { DdeClient } from "./dde.ts";
   * await using client = await DdeClient.connect({ service: "quotes", topic: "prices" });
   * for await (const { item } of client.advise("EURUSD", { mode: "warm" })) {
   *   console.log(await client.request(item));
   * }
   * ```
   */
  advise(item: string, options?: DdeTextAdviseOptions): DdeAdviseLoop<string>;
  advise(item: string, options: DdeAdviseOptions): DdeAdviseLoop<string | Uint8Array>;
  advise(item: string, options?: DdeAdviseOptions): DdeAdviseLoop {
    const what = `advise on item '${item}' of '${this.service}|${this.topic}'`;
    checkDdeName(item, "item", `advise on '${this.service}|${this.topic}'`);
    const format = this.#backend.format(checkDdeFormat(options?.format, what));
    const mode = options?.mode ?? "hot";
    if (mode !== "hot" && mode !== "warm") {
      throw new TypeError(`Cannot ${what}: mode must be "hot" or "warm", not '${String(mode)}'`);
    }
    checkTimeout(options?.timeout, what);
    checkSignal(options?.signal, what);
    this.#check(what);
    const key = loopKey(item, format.name);
    if (this.#loops.has(key)) {
      throw new TypeError(
        `Cannot ${what}: this conversation already has a loop on it in ${format.name} (stop it first)`,
      );
    }
    let loop: DdeAdviseLoop | null = null;
    const start = this.#transact(
      { timeout: options?.timeout, signal: options?.signal },
      what,
      async (endpoint, wait) => {
        this.#refused(await endpoint.adviseStart(item, format, mode, wait), "advise", item);
      },
    );
    loop = new DdeAdviseLoop(item, format.name, mode, start, async () => {
      if (this.#loops.get(key) === loop) this.#loops.delete(key);
      if (!this.#closing && !this.#gone) await this.#endpoint!.adviseStop(item, format);
    }, options?.signal);
    this.#loops.set(key, loop);
    loop.started.catch(() => {
      if (this.#loops.get(key) === loop) this.#loops.delete(key);
    });
    return loop;
  }

  /** Whether `close()` has been called. */
  get closed(): boolean {
    return this.#closing !== null;
  }

  /**
   * Ends the conversation (DdeDisconnect). Open loops end (`done`);
   * transactions in flight reject with ClosedError. Idempotent.
   *
   * @returns When the conversation is closed.
   * @example Closing
   * ```ts
   * import { DdeClient } from "./dde.ts";
   * const client = await DdeClient.connect({ service: "quotes", topic: "prices" });
   * await client.close();
   * ```
   */
  close(): Promise<void> {
    return (this.#closing ??= (async () => {
      const closed = new ClosedError(
        `Conversation with '${this.service}|${this.topic}' was closed`,
      );
      for (const pending of this.#pending) pending.abort(closed);
      for (const loop of this.#loops.values()) loop._finish("done");
      this.#loops.clear();
      await this.#endpoint?.close();
    })());
  }

  /** Same as {@link DdeClient.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

function loopKey(item: string, format: string): string {
  return `${item.toLowerCase()}\0${format}`;
}
