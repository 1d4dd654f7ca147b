/**
 * Typed RPC between processes: services declared in `.ipc` (docs/rpc.md),
 * messages in Protocol Buffers proto3, calls multiplexed over one ipckit
 * message-mode named pipe per client (both OSes). `ipckit gen ts FILE` writes
 * the {@link ServiceDefinition} and the TypeScript types of a file's services.
 *
 * @example A server and a client
 * ```ts
 * import { rpc, type ServiceDefinition } from "./rpc.ts";
 * interface Calc {
 *   add: { kind: "unary"; request: { a: number; b: number }; response: { sum: number } };
 * }
 * declare const calc: ServiceDefinition<Calc>; // from `ipckit gen ts calc.ipc`
 * await using server = rpc.serve(calc, { add: ({ a, b }) => ({ sum: a + b }) }, { name: "calc" });
 * await using client = await rpc.connect(calc, { name: "calc", timeout: 5000 });
 * console.log(await client.add({ a: 1, b: 2 })); // { sum: 3 }
 * ```
 *
 * @module
 */
import http from "node:http";
import http2 from "node:http2";
import { NamedPipe, type NamedPipeServer, type PipeConnection } from "./pipe.ts";
import { ClosedError } from "./errors.ts";
import { connectListener } from "./rpc/connect.ts";
import { grpcListener } from "./rpc/grpc.ts";
import { RpcError } from "./rpc/errors.ts";
import { CompiledSchema, type RpcMethod, type RpcSchema } from "./rpc/schema.ts";
import {
  type AnyHandler,
  type CallContext,
  type CallOptions,
  ClientSession,
  failedStream,
  ServerSession,
} from "./rpc/session.ts";

export { codeName, RPC_CODES, type RpcCode, RpcError } from "./rpc/errors.ts";
export { procedurePath } from "./rpc/connect.ts";
export type { RpcField, RpcMethod, RpcSchema } from "./rpc/schema.ts";
export type { CallContext, CallOptions } from "./rpc/session.ts";

/** The shape of a method: who streams. */
export type MethodKind = "unary" | "server_streaming" | "client_streaming" | "bidi_streaming";

/** The TypeScript types of one method, as `ipckit gen ts` writes them. */
export interface MethodTypes {
  kind: MethodKind;
  request: unknown;
  response: unknown;
}

/**
 * A service as the library needs it: its name and the schema it is declared
 * in. `types` only carries the method types for TypeScript; it is never read.
 */
export interface ServiceDefinition<M = Record<string, MethodTypes>> {
  readonly service: string;
  readonly schema: RpcSchema;
  readonly types?: M;
}

/** What the server-side function of one method looks like, by shape. */
export type Handler<T extends MethodTypes> = T["kind"] extends "unary" ? (
    request: T["request"],
    context: CallContext,
  ) => T["response"] | Promise<T["response"]>
  : T["kind"] extends "server_streaming" ? (
      request: T["request"],
      context: CallContext,
    ) => AsyncIterable<T["response"]> | Iterable<T["response"]>
  : T["kind"] extends "client_streaming" ? (
      requests: AsyncIterable<T["request"]>,
      context: CallContext,
    ) => T["response"] | Promise<T["response"]>
  : (
    requests: AsyncIterable<T["request"]>,
    context: CallContext,
  ) => AsyncIterable<T["response"]> | Iterable<T["response"]>;

/** Handlers for some or all methods of a service (a missing one answers `unimplemented`). */
export type Handlers<M> = { [K in keyof M]?: M[K] extends MethodTypes ? Handler<M[K]> : never };

/** What calling one method looks like on the client, by shape. */
export type ClientMethod<T extends MethodTypes> = T["kind"] extends "unary"
  ? (request: T["request"], options?: CallOptions) => Promise<T["response"]>
  : T["kind"] extends "server_streaming"
    ? (request: T["request"], options?: CallOptions) => AsyncIterable<T["response"]>
  : T["kind"] extends "client_streaming" ? (
      requests: AsyncIterable<T["request"]> | Iterable<T["request"]>,
      options?: CallOptions,
    ) => Promise<T["response"]>
  : (
    requests: AsyncIterable<T["request"]> | Iterable<T["request"]>,
    options?: CallOptions,
  ) => AsyncIterable<T["response"]>;

/** A connected client: one function per method, plus `call` and `close`. */
export type RpcClient<M> =
  & { [K in Exclude<keyof M, Reserved>]: M[K] extends MethodTypes ? ClientMethod<M[K]> : never }
  & RpcConnection;

/** Method names that the client object uses itself; call those through `call()`. */
type Reserved = "call" | "close" | "then" | "service";
const RESERVED = new Set<string>(["call", "close", "then", "service"]);

/** Options of {@link rpc.serve}. */
export interface RpcServeOptions {
  /** The pipe name (default: the service's name). */
  name?: string;
  /** The largest request or response, in bytes (default 4 MiB). */
  maxMessageSize?: number;
}

/** Options of {@link rpc.listen}: a TCP address, or a Unix socket `path`, and the protocol. */
export interface RpcListenOptions {
  /**
   * `connect` (the default): the Connect protocol over HTTP/1.1, for curl and
   * any HTTP client. `grpc`: the gRPC protocol over cleartext HTTP/2, for
   * stock gRPC clients.
   */
  protocol?: "connect" | "grpc";
  /** The address to listen on (default `127.0.0.1`). */
  host?: string;
  /** The TCP port; 0 (the default) picks a free one. */
  port?: number;
  /** A Unix socket path instead of TCP. */
  path?: string;
  /** The largest request or response, in bytes (default 4 MiB). */
  maxMessageSize?: number;
}

/** Options of {@link rpc.connect}. */
export interface RpcConnectOptions {
  /** The pipe name (default: the service's name). */
  name?: string;
  /** Milliseconds to wait for the server (default 5000). */
  timeout?: number;
  /** Aborts the wait for the server. */
  signal?: AbortSignal;
  /** The largest request or response, in bytes (default 4 MiB). */
  maxMessageSize?: number;
}

const DEFAULT_MAX_MESSAGE = 4 * 1024 * 1024;
const compiled = new WeakMap<RpcSchema, CompiledSchema>();

function compile(definition: ServiceDefinition<unknown>): {
  schema: CompiledSchema;
  methods: RpcMethod[];
} {
  if (
    definition === null || typeof definition !== "object" ||
    typeof definition.service !== "string" || typeof definition.schema !== "object"
  ) {
    throw new TypeError("Cannot use this service definition: expected { service, schema }");
  }
  const service = definition.schema.services[definition.service];
  if (!service) {
    throw new TypeError(
      `Cannot find service '${definition.service}' in schema '${definition.schema.package}'`,
    );
  }
  let schema = compiled.get(definition.schema);
  if (!schema) {
    schema = new CompiledSchema(definition.schema);
    compiled.set(definition.schema, schema);
  }
  return { schema, methods: service.methods };
}

function maxMessage(value: number | undefined): number {
  const size = value ?? DEFAULT_MAX_MESSAGE;
  if (!(Number.isInteger(size) && size >= 1 && size <= 0x7fffffff)) {
    throw new RangeError(`Cannot use a message limit of ${size} bytes: use 1 to 2147483647`);
  }
  return size;
}

/**
 * A running RPC server: accepts clients on its pipe and serves each on its
 * own connection until closed.
 *
 * @example
 * ```ts
 * import { rpc, type ServiceDefinition } from "./rpc.ts";
 * declare const calc: ServiceDefinition;
 * await using server = rpc.serve(calc, {}, { name: "calc" });
 * console.log(server.path);
 * ```
 */
export class RpcServer implements AsyncDisposable {
  readonly #pipe: NamedPipeServer;
  readonly #sessions = new Set<ServerSession>();
  readonly #accepting: Promise<void>;
  #closing: Promise<void> | null = null;
  #served = false;
  #idleWaiters: (() => void)[] = [];

  /** @internal Made by {@link rpc.serve}. */
  constructor(
    pipe: NamedPipeServer,
    schema: CompiledSchema,
    methods: Map<string, { method: RpcMethod; handler: AnyHandler }>,
    maxMessageSize: number,
  ) {
    this.#pipe = pipe;
    this.#accepting = (async () => {
      try {
        for await (const connection of pipe) {
          const session = new ServerSession(connection, schema, methods, maxMessageSize);
          this.#sessions.add(session);
          this.#served = true;
          void session.done.then(async () => {
            this.#sessions.delete(session);
            await connection.close().catch(() => {});
            this.#checkIdle();
          });
        }
      } catch {
        // The pipe server failed or closed; close() reports nothing more to do.
      }
    })();
  }

  /** The pipe's name. */
  get name(): string {
    return this.#pipe.name;
  }

  /** How many clients are connected now. */
  get connections(): number {
    return this.#sessions.size;
  }

  /**
   * Resolves once a client has connected and every client has disconnected
   * again: for a server that serves its clients and then exits.
   *
   * @returns A promise of the moment the server is idle.
   * @example Serving until the clients are done
   * ```ts
   * import { rpc, type ServiceDefinition } from "./rpc.ts";
   * declare const calc: ServiceDefinition;
   * await using server = rpc.serve(calc, {}, { name: "calc" });
   * await server.idle();
   * ```
   */
  idle(): Promise<void> {
    return new Promise((resolve) => {
      this.#idleWaiters.push(resolve);
      this.#checkIdle();
    });
  }

  #checkIdle(): void {
    if (!this.#served || this.#sessions.size > 0) return;
    for (const wake of this.#idleWaiters.splice(0)) wake();
  }

  /** The OS path clients connect to (`\\.\pipe\…` or a socket path). */
  get path(): string {
    return this.#pipe.path;
  }

  /**
   * Stops accepting clients, cancels calls in flight (their handlers see
   * `context.signal` abort) and closes every connection. Idempotent.
   *
   * @returns Resolves once everything is closed.
   * @example
   * ```ts
   * import type { RpcServer } from "./rpc.ts";
   * declare const server: RpcServer;
   * await server.close();
   * ```
   */
  close(): Promise<void> {
    return (this.#closing ??= (async () => {
      await this.#pipe.close();
      await Promise.all([...this.#sessions].map((s) => s.close()));
      await this.#accepting;
    })());
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * A service served for clients outside the topology (docs/rpc.md): with the
 * Connect protocol over HTTP/1.1 (`curl`, any HTTP client, Connect
 * libraries), or with gRPC over cleartext HTTP/2 (stock gRPC clients).
 *
 * @example
 * ```ts
 * import { rpc, type ServiceDefinition } from "./rpc.ts";
 * declare const calc: ServiceDefinition;
 * await using server = await rpc.listen(calc, {}, { port: 0 });
 * console.log(server.url); // e.g. "http://127.0.0.1:40123"
 * ```
 */
export class RpcHttpServer implements AsyncDisposable {
  readonly #server: http.Server | http2.Http2Server;
  readonly #cancelAll: (reason: RpcError) => void;
  readonly #dropConnections: () => void;
  #closing: Promise<void> | null = null;
  #connections = 0;
  #served = false;
  #idleWaiters: (() => void)[] = [];

  /** @internal Made by {@link rpc.listen}. */
  constructor(
    server: http.Server | http2.Http2Server,
    cancelAll: (reason: RpcError) => void,
    dropConnections: () => void,
    readonly protocol: "connect" | "grpc",
    readonly path: string | null,
  ) {
    this.#server = server;
    this.#cancelAll = cancelAll;
    this.#dropConnections = dropConnections;
    server.on("connection", (socket: { once(event: "close", listener: () => void): void }) => {
      this.#connections++;
      this.#served = true;
      socket.once("close", () => {
        this.#connections--;
        this.#checkIdle();
      });
    });
  }

  /** How many client connections are open now (HTTP/2: one per channel; HTTP/1.1: per socket). */
  get connections(): number {
    return this.#connections;
  }

  /**
   * Resolves once a client has connected and every connection has closed
   * again: for a server that serves its clients and then exits (an HTTP/1.1
   * client that keeps its connection alive counts until it closes it).
   *
   * @returns A promise of the moment the server is idle.
   * @example Serving one gRPC client, then exiting
   * ```ts
   * import { rpc, type ServiceDefinition } from "./rpc.ts";
   * declare const calc: ServiceDefinition;
   * await using server = await rpc.listen(calc, {}, { protocol: "grpc", port: 50051 });
   * await server.idle();
   * ```
   */
  idle(): Promise<void> {
    return new Promise((resolve) => {
      this.#idleWaiters.push(resolve);
      this.#checkIdle();
    });
  }

  #checkIdle(): void {
    if (!this.#served || this.#connections > 0) return;
    for (const wake of this.#idleWaiters.splice(0)) wake();
  }

  /** The TCP address, or `null` on a Unix socket. */
  get address(): { host: string; port: number } | null {
    const a = this.#server.address();
    return a && typeof a === "object" ? { host: a.address, port: a.port } : null;
  }

  /**
   * `http://host:port` on TCP (a gRPC client's target is `host:port`); on a
   * Unix socket, `http://localhost` (connect through {@link RpcHttpServer.path}).
   */
  get url(): string {
    const a = this.address;
    return a
      ? `http://${a.host.includes(":") ? `[${a.host}]` : a.host}:${a.port}`
      : "http://localhost";
  }

  /**
   * Stops listening, cancels calls in flight and closes connections. Idempotent.
   *
   * @returns Resolves once closed.
   * @example
   * ```ts
   * import type { RpcHttpServer } from "./rpc.ts";
   * declare const server: RpcHttpServer;
   * await server.close();
   * ```
   */
  close(): Promise<void> {
    return (this.#closing ??= new Promise<void>((resolve) => {
      this.#cancelAll(new RpcError("unavailable", "The server is closing"));
      this.#server.close(() => resolve());
      this.#dropConnections();
    }));
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * One client connection: calls any method by name. The typed functions of an
 * {@link RpcClient} call through it.
 *
 * @example
 * ```ts
 * import type { RpcConnection } from "./rpc.ts";
 * declare const client: RpcConnection;
 * const sum = await client.call("add", { a: 1, b: 2 });
 * ```
 */
export class RpcConnection implements AsyncDisposable {
  readonly #session: ClientSession;
  readonly #methods: Map<string, RpcMethod>;
  #closing: Promise<void> | null = null;

  /** @internal Made by {@link rpc.connect}. */
  constructor(readonly service: string, session: ClientSession, methods: RpcMethod[]) {
    this.#session = session;
    this.#methods = new Map(methods.map((m) => [m.name, m]));
  }

  /**
   * Calls a method by name. Unary and client-streaming calls resolve to the
   * response; server- and bidi-streaming calls return an async iterable of
   * responses (stopping the iteration early cancels the call).
   *
   * @param method The method's name.
   * @param input The request, or an iterable of requests for client-streaming shapes.
   * @param options Timeout (sent to the server as the deadline) and signal.
   * @returns The response, or the responses.
   * @example
   * ```ts
   * import type { RpcConnection } from "./rpc.ts";
   * declare const client: RpcConnection;
   * for await (const tick of client.call("watch", {}) as AsyncIterable<unknown>) console.log(tick);
   * ```
   */
  call(
    method: string,
    input: unknown,
    options?: CallOptions,
  ): Promise<unknown> | AsyncIterable<unknown> {
    const m = this.#methods.get(method);
    if (this.#closing) {
      const error = new ClosedError(`Cannot call '${method}': the client is closed`);
      if (m?.serverStreaming) return failedStream(error);
      return Promise.reject(error);
    }
    if (!m) {
      return Promise.reject(
        new TypeError(`Cannot call '${method}': service '${this.service}' has no such method`),
      );
    }
    const responses = this.#session.call(m, input, options);
    return m.serverStreaming ? responses : responses.first();
  }

  /**
   * Closes the connection; calls in flight reject with `unavailable`. Idempotent.
   *
   * @returns Resolves once closed.
   * @example
   * ```ts
   * import type { RpcConnection } from "./rpc.ts";
   * declare const client: RpcConnection;
   * await client.close();
   * ```
   */
  close(): Promise<void> {
    return (this.#closing ??= this.#session.close());
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

function bindMethods<M>(connection: RpcConnection, methods: RpcMethod[]): RpcClient<M> {
  for (const m of methods) {
    if (RESERVED.has(m.name)) continue;
    Object.defineProperty(connection, m.name, {
      value: (input: unknown, options?: CallOptions) => connection.call(m.name, input, options),
      enumerable: true,
    });
  }
  return connection as RpcClient<M>;
}

function handlerTable(
  definition: ServiceDefinition<unknown>,
  methods: RpcMethod[],
  handlers: unknown,
): Map<string, { method: RpcMethod; handler: AnyHandler }> {
  if (handlers === null || typeof handlers !== "object") {
    throw new TypeError("Cannot serve without handlers: pass an object of functions");
  }
  const table = new Map<string, { method: RpcMethod; handler: AnyHandler }>();
  for (const [name, handler] of Object.entries(handlers as Record<string, unknown>)) {
    const method = methods.find((m) => m.name === name);
    if (!method) {
      throw new TypeError(
        `Cannot serve handler '${name}': service '${definition.service}' has no such method`,
      );
    }
    if (typeof handler !== "function") {
      throw new TypeError(`Cannot serve handler '${name}': it is not a function`);
    }
    table.set(name, { method, handler: handler as AnyHandler });
  }
  return table;
}

/**
 * Serving and calling services over ipckit named pipes.
 *
 * @example
 * ```ts
 * import { rpc } from "./rpc.ts";
 * console.log(typeof rpc.serve, typeof rpc.connect);
 * ```
 */
export class rpc {
  private constructor() {}

  /**
   * Serves a service on a message-mode named pipe. Each client gets a
   * connection of its own and may have many calls in flight; each call's
   * handler runs as its own task. Fails with NameTakenError when the name is
   * held.
   *
   * @param definition The service (from `ipckit gen ts`).
   * @param handlers One function per method; missing ones answer `unimplemented`.
   * @param options The pipe name and the message limit.
   * @returns The server.
   * @example
   * ```ts
   * import { rpc, RpcError, type ServiceDefinition } from "./rpc.ts";
   * interface Calc {
   *   divide: { kind: "unary"; request: { a: number; b: number }; response: { value: number } };
   * }
   * declare const calc: ServiceDefinition<Calc>;
   * await using server = rpc.serve(calc, {
   *   divide: ({ a, b }) => {
   *     if (b === 0) throw new RpcError("invalid_argument", "Cannot divide by zero");
   *     return { value: a / b };
   *   },
   * });
   * ```
   */
  static serve<M>(
    definition: ServiceDefinition<M>,
    handlers: Handlers<M>,
    options: RpcServeOptions = {},
  ): RpcServer {
    const { schema, methods } = compile(definition);
    const limit = maxMessage(options.maxMessageSize);
    const table = handlerTable(definition, methods, handlers);
    const pipe = NamedPipe.serve({ name: options.name ?? definition.service, mode: "message" });
    return new RpcServer(pipe, schema, table, limit);
  }

  /**
   * Serves a service for clients outside the topology, on TCP or a Unix
   * socket, with one of two protocols (docs/rpc.md):
   * - `protocol: "connect"` (the default): the Connect protocol over
   *   HTTP/1.1. Unary methods answer a `POST` of `application/json` or
   *   `application/proto` to `/<package>.<service>/<method>`
   *   ({@link procedurePath}); streaming methods use Connect's envelopes
   *   (`application/connect+json`, `application/connect+proto`).
   * - `protocol: "grpc"`: gRPC over cleartext HTTP/2 (h2c), every method
   *   shape, for stock gRPC clients (`grpc.insecure_channel("host:port")`,
   *   `unix:/path`), with `grpc-timeout` deadlines and no compression.
   *
   * @param definition The service (from `ipckit gen ts`).
   * @param handlers One function per method; missing ones answer `unimplemented`.
   * @param options The protocol, the address (`host`/`port`, or a Unix socket `path`) and the message limit.
   * @returns The server, once it listens.
   * @example Calling it with curl
   * ```ts
   * import { rpc, type ServiceDefinition } from "./rpc.ts";
   * declare const calc: ServiceDefinition;
   * await using server = await rpc.listen(calc, {}, { port: 8080 });
   * // curl -H 'content-type: application/json' -d '{"a":1,"b":2}' http://127.0.0.1:8080/calc.calc/add
   * ```
   * @example Serving gRPC
   * ```ts
   * import { rpc, type ServiceDefinition } from "./rpc.ts";
   * declare const calc: ServiceDefinition;
   * await using server = await rpc.listen(calc, {}, { protocol: "grpc", port: 50051 });
   * // Python: grpc.insecure_channel("127.0.0.1:50051").unary_unary("/calc.calc/add", ...)
   * ```
   */
  static async listen<M>(
    definition: ServiceDefinition<M>,
    handlers: Handlers<M>,
    options: RpcListenOptions = {},
  ): Promise<RpcHttpServer> {
    const { schema, methods } = compile(definition);
    const limit = maxMessage(options.maxMessageSize);
    const table = handlerTable(definition, methods, handlers);
    const protocol = options.protocol ?? "connect";
    let server: http.Server | http2.Http2Server;
    let cancelAll: (reason: RpcError) => void;
    let dropConnections: () => void;
    if (protocol === "grpc") {
      const grpc = grpcListener(schema, definition.service, table, limit);
      const h2 = http2.createServer();
      const sessions = new Set<http2.ServerHttp2Session>();
      h2.on("session", (session) => {
        sessions.add(session);
        session.once("close", () => sessions.delete(session));
      });
      h2.on("stream", grpc.listener);
      server = h2;
      cancelAll = grpc.cancelAll;
      dropConnections = () => {
        for (const session of sessions) session.destroy();
      };
    } else if (protocol === "connect") {
      const connect = connectListener(schema, definition.service, table, limit);
      const h1 = http.createServer(connect.listener);
      server = h1;
      cancelAll = connect.cancelAll;
      dropConnections = () => h1.closeAllConnections();
    } else {
      throw new TypeError(`Cannot listen with protocol '${protocol}': use "connect" or "grpc"`);
    }
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      const ready = () => {
        server.off("error", reject);
        resolve();
      };
      if (options.path !== undefined) server.listen(options.path, ready);
      else server.listen(options.port ?? 0, options.host ?? "127.0.0.1", ready);
    });
    return new RpcHttpServer(server, cancelAll, dropConnections, protocol, options.path ?? null);
  }

  /**
   * Connects to a served service, waiting up to `timeout` ms for the server.
   *
   * @param definition The service (from `ipckit gen ts`).
   * @param options The pipe name, the wait, a signal and the message limit.
   * @returns The client: one function per method.
   * @example
   * ```ts
   * import { rpc, type ServiceDefinition } from "./rpc.ts";
   * interface Clock {
   *   ticks: { kind: "server_streaming"; request: { count: number }; response: { at: Date } };
   * }
   * declare const clock: ServiceDefinition<Clock>;
   * await using client = await rpc.connect(clock, { name: "clock" });
   * for await (const tick of client.ticks({ count: 3 }, { timeout: 1000 })) console.log(tick.at);
   * ```
   */
  static async connect<M>(
    definition: ServiceDefinition<M>,
    options: RpcConnectOptions = {},
  ): Promise<RpcClient<M>> {
    const { schema, methods } = compile(definition);
    const limit = maxMessage(options.maxMessageSize);
    const name = options.name ?? definition.service;
    const signal = options.signal;
    signal?.throwIfAborted();
    const connecting = NamedPipe.connect({ name, timeout: options.timeout ?? 5000 });
    let connection: PipeConnection;
    if (signal) {
      let onAbort = () => {};
      const aborted = new Promise<never>((_, reject) => {
        onAbort = () => reject(signal.reason);
        signal.addEventListener("abort", onAbort, { once: true });
      });
      try {
        connection = await Promise.race([connecting, aborted]);
      } catch (error) {
        void connecting.then((c) => c.close(), () => {});
        throw error;
      } finally {
        signal.removeEventListener("abort", onAbort);
      }
    } else {
      connection = await connecting;
    }
    const session = new ClientSession(connection, schema, limit, `service '${definition.service}'`);
    return bindMethods<M>(new RpcConnection(definition.service, session, methods), methods);
  }
}
