/**
 * `attach()`: how a JavaScript process started by `ipckit run` gets its
 * endpoints, reports readiness and learns that it should stop.
 *
 * @module
 */
import process from "node:process";
import { readFileSync } from "node:fs";
import { Channel, type ChannelReader, type ChannelWriter } from "../channel.ts";
import { ComObject, type ComServeOptions, ComServer } from "../com.ts";
import {
  CopyData,
  type CopyDataHandler,
  type CopyDataReceiver,
  type CopyDataSender,
} from "../copydata.ts";
import { DdeClient, DdeServer, type DdeTopicHandlers } from "../dde.ts";
import { Mailslot, type MailslotWriter } from "../mailslot.ts";
import { NamedPipe, type NamedPipeServer, type PipeConnection } from "../pipe.ts";
import type { Handlers, RpcClient, RpcSchema, RpcServer, ServiceDefinition } from "../rpc.ts";
import { SharedMemory } from "../shared_memory.ts";
import { Datagram, type DatagramSocket, Socket, type SocketListener } from "../socket.ts";
import { Event, Mutex, Semaphore } from "../sync.ts";
import { closeAfter, closeAll } from "../_cleanup.ts";
import type { WaitOptions } from "../_options.ts";
import { type ContractDocument, type ContractEndpoint, readContract } from "./contract.ts";

/**
 * The RPC module, loaded by {@link attach} only for a process that has a service endpoint: it
 * brings node:http, node:http2 and protobuf, the largest part of this module's imports (every
 * process of a topology loads this module at start; under Wine each start pays that load).
 */
let rpcModule: typeof import("../rpc.ts") | null = null;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * A process's view of the topology it runs in. Endpoints are opened on
 * request, by their topology names, in the role the topology gives them.
 *
 * @example A worker
 * ```ts
 * import { attach } from "./attach.ts";
 * await using t = await attach();
 * const jobs = await t.pipeClient("jobs");
 * t.ready();
 * for await (const job of jobs) console.log(job.byteLength);
 * ```
 */
export class AttachedTopology implements AsyncDisposable {
  readonly #control: PipeConnection;
  readonly #stop: Promise<void>;
  #stopRequested = false;
  readonly #owned: (Disposable | AsyncDisposable)[] = [];
  #closing: Promise<void> | null = null;

  /** @internal Made by {@link attach}. */
  constructor(readonly document: ContractDocument, control: PipeConnection) {
    this.#control = control;
    this.#stop = (async () => {
      try {
        for await (const message of control) {
          const parsed = JSON.parse(decoder.decode(message)) as { type?: string };
          if (parsed.type === "stop") break;
        }
      } catch {
        // A broken control channel means the supervisor is gone: stop too.
      }
      this.#stopRequested = true;
    })();
  }

  /** The topology's name. */
  get name(): string {
    return this.document.topology;
  }

  /** This instance: `server`, or `worker[1]` for a replica. */
  get instance(): string {
    return this.document.instance;
  }

  /** The replica index (0 without replicas). */
  get replica(): number {
    return this.document.replica;
  }

  /** Whether the supervisor asked this process to stop. */
  get stopRequested(): boolean {
    return this.#stopRequested;
  }

  /**
   * Resolves when the supervisor asks this process to stop (or goes away).
   *
   * @returns A promise to await or race.
   */
  stopped(): Promise<void> {
    return this.#stop;
  }

  /**
   * Tells the supervisor this process is ready (for `ready = notify`).
   *
   * @returns A promise that resolves once the message is sent.
   */
  ready(): Promise<void> {
    return this.#control.write(encoder.encode(JSON.stringify({ type: "ready" })));
  }

  /**
   * An endpoint's description, as in the contract.
   *
   * @param name The endpoint's topology name.
   * @returns Its kind, names, role and options.
   */
  endpoint(name: string): ContractEndpoint {
    const endpoint = this.document.endpoints[name];
    if (!endpoint) {
      const known = Object.keys(this.document.endpoints).join(", ") || "none";
      throw new RangeError(
        `Cannot find endpoint '${name}' for ${this.instance}: its endpoints are ${known}`,
      );
    }
    return endpoint;
  }

  /**
   * The pipe in this process's role: a server (iterate it for connections)
   * or a connection to the server.
   *
   * @param name The endpoint's topology name.
   * @returns A NamedPipeServer when this process serves it, else a PipeConnection.
   */
  pipe(name: string): Promise<NamedPipeServer | PipeConnection> {
    return this.endpoint(name).role === "server"
      ? Promise.resolve(this.pipeServer(name))
      : this.pipeClient(name);
  }

  /**
   * Serves a pipe this process is the server of.
   *
   * @param name The endpoint's topology name.
   * @returns The server; closed with the topology object.
   */
  pipeServer(name: string): NamedPipeServer {
    const endpoint = this.#expect(name, "pipe", ["server"]);
    const instances = Number(endpoint.options["instances"] ?? 0);
    const options = {
      mode: endpoint.options["mode"] === "message" ? "message" as const : "byte" as const,
      ...(instances > 0 ? { instances } : {}),
    };
    // The supervisor holds the pipe and hands it over under the pipe's name (NamedPipe.hold).
    const handedOver = Socket.inherited().some((s) => s.name === endpoint.name);
    const server = handedOver
      ? NamedPipe.adopt(endpoint.name, options)
      : NamedPipe.serve({ name: endpoint.name, ...options });
    this.#owned.push(server);
    return server;
  }

  /**
   * Connects to a pipe this process is a client of.
   *
   * @param name The endpoint's topology name.
   * @param options `timeout` (ms to wait for the server, default 10 000), `signal`.
   * @returns The connection.
   */
  async pipeClient(name: string, options: WaitOptions = {}): Promise<PipeConnection> {
    const endpoint = this.#expect(name, "pipe", ["client"]);
    const connection = await NamedPipe.connect({
      name: endpoint.name,
      timeout: options.timeout ?? 10_000,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    this.#owned.push(connection);
    return connection;
  }

  /**
   * Serves an RPC service this process is the server of (docs/rpc.md). The
   * declarations come from the topology; the handlers' types from
   * `ipckit gen ts`.
   *
   * @param name The service's topology name.
   * @param handlers One function per method; missing ones answer `unimplemented`.
   * @returns The server; closed with the topology object.
   * @example
   * ```ts
   * import { attach } from "./attach.ts";
   * interface Calc {
   *   add: { kind: "unary"; request: { a: number; b: number }; response: { sum: number } };
   * }
   * await using t = await attach();
   * t.serve<Calc>("calc", { add: ({ a, b }) => ({ sum: a + b }) });
   * await t.ready();
   * ```
   */
  serve<M>(name: string, handlers: Handlers<M>): RpcServer {
    const { endpoint, definition } = this.#service<M>(name, "server");
    const server = rpcModule!.rpc.serve(definition, handlers, {
      name: endpoint.name,
      maxMessageSize: Number(endpoint.options["max_message"]),
    });
    this.#owned.push(server);
    return server;
  }

  /**
   * Connects to an RPC service this process is a client of.
   *
   * @param name The service's topology name.
   * @param timeout Milliseconds to wait for the server (default 10 000).
   * @returns The client: one function per method.
   * @example
   * ```ts
   * import { attach } from "./attach.ts";
   * interface Calc {
   *   add: { kind: "unary"; request: { a: number; b: number }; response: { sum: number } };
   * }
   * await using t = await attach();
   * const calc = await t.client<Calc>("calc");
   * console.log(await calc.add({ a: 1, b: 2 }));
   * ```
   */
  async client<M>(name: string, timeout = 10_000): Promise<RpcClient<M>> {
    const { endpoint, definition } = this.#service<M>(name, "client");
    const client = await rpcModule!.rpc.connect(definition, {
      name: endpoint.name,
      timeout,
      maxMessageSize: Number(endpoint.options["max_message"]),
    });
    this.#owned.push(client);
    return client;
  }

  #service<M>(
    name: string,
    role: string,
  ): { endpoint: ContractEndpoint; definition: ServiceDefinition<M> } {
    const endpoint = this.#expect(name, "service", [role]);
    const file = String(endpoint.options["schema_file"]);
    const schema = JSON.parse(readFileSync(file, "utf8")) as RpcSchema;
    return { endpoint, definition: { service: name, schema } };
  }

  /**
   * Opens the topology's shared memory (the supervisor created it).
   *
   * @param name The endpoint's topology name.
   * @returns The mapping; read-only for processes that only read it.
   */
  sharedMemory(name: string): SharedMemory {
    const endpoint = this.#expect(name, "shm", ["reader", "writer", "user"]);
    const shm = SharedMemory.open({ name: endpoint.name, readonly: endpoint.role === "reader" });
    this.#owned.push(shm);
    return shm;
  }

  /**
   * Attaches to the topology's channel (the supervisor created it and holds
   * it, so a restarted process reattaches): its writer end when this process
   * writes to it, its reader end when it reads.
   *
   * @param name The endpoint's topology name.
   * @returns A ChannelWriter or a ChannelReader, closed with the topology object.
   */
  channel(name: string): ChannelWriter | ChannelReader {
    return this.endpoint(name).role === "writer"
      ? this.channelWriter(name)
      : this.channelReader(name);
  }

  /**
   * Attaches as the writer of a channel this process writes to.
   *
   * @param name The endpoint's topology name.
   * @returns The writer end.
   */
  channelWriter(name: string): ChannelWriter {
    const endpoint = this.#expect(name, "channel", ["writer"]);
    return this.#own(Channel.open({ name: endpoint.name, role: "writer" }));
  }

  /**
   * Attaches as a reader of a channel this process reads.
   *
   * @param name The endpoint's topology name.
   * @returns The reader end.
   */
  channelReader(name: string): ChannelReader {
    const endpoint = this.#expect(name, "channel", ["reader"]);
    return this.#own(Channel.open({ name: endpoint.name, role: "reader" }));
  }

  /**
   * Opens the topology's mutex.
   *
   * @param name The endpoint's topology name.
   * @returns The mutex.
   */
  mutex(name: string): Mutex {
    return this.#own(Mutex.open({ name: this.#expect(name, "mutex").name }));
  }

  /**
   * Opens the topology's event.
   *
   * @param name The endpoint's topology name.
   * @returns The event.
   */
  event(name: string): Event {
    return this.#own(Event.open({ name: this.#expect(name, "event").name }));
  }

  /**
   * Opens the topology's semaphore.
   *
   * @param name The endpoint's topology name.
   * @returns The semaphore.
   */
  semaphore(name: string): Semaphore {
    return this.#own(Semaphore.open({ name: this.#expect(name, "semaphore").name }));
  }

  /**
   * Creates the mailslot this process reads (its one reader).
   *
   * @param name The endpoint's topology name.
   * @returns The mailslot, with the topology's maximum message size and read timeout.
   */
  mailslotReader(name: string): Mailslot {
    const endpoint = this.#expect(name, "mailslot", ["reader"]);
    const maxMessageSize = Number(endpoint.options["max_message"] ?? 0);
    const readTimeout = Number(endpoint.options["read_timeout"] ?? -1);
    return this.#own(Mailslot.listen({
      name: endpoint.name,
      ...(maxMessageSize > 0 ? { maxMessageSize } : {}),
      ...(readTimeout >= 0 ? { readTimeout } : {}),
    }));
  }

  /**
   * Connects to a mailslot this process writes to.
   *
   * @param name The endpoint's topology name.
   * @param options `timeout` (ms to wait for the reader, default 10 000), `signal`.
   * @returns The writer.
   */
  async mailslotWriter(name: string, options: WaitOptions = {}): Promise<MailslotWriter> {
    const endpoint = this.#expect(name, "mailslot", ["writer"]);
    return this.#own(
      await Mailslot.connect({
        name: endpoint.name,
        timeout: options.timeout ?? 10_000,
        ...(options.signal ? { signal: options.signal } : {}),
      }),
    );
  }

  /**
   * Listens on the copydata endpoint this process receives (its one
   * receiver), with the topology's reply timeout.
   *
   * @param name The endpoint's topology name.
   * @param handler Answers each message (true/false to its sender); without one, iterate the receiver.
   * @returns The receiver; closed with the topology object.
   */
  async copyDataReceiver(name: string, handler?: CopyDataHandler): Promise<CopyDataReceiver> {
    const endpoint = this.#expect(name, "copydata", ["reader"]);
    const replyTimeout = Number(endpoint.options["reply_timeout"] ?? -1);
    const receiver = await CopyData.listen({
      name: endpoint.name,
      ...(handler ? { handler } : {}),
      ...(replyTimeout >= 0 ? { replyTimeout } : {}),
    });
    this.#owned.push(receiver);
    return receiver;
  }

  /**
   * Connects to the receiver of a copydata endpoint this process sends to.
   *
   * @param name The endpoint's topology name.
   * @param timeout Milliseconds to wait for the receiver (default 10 000).
   * @returns The sender; closed with the topology object.
   */
  async copyDataSender(name: string, timeout = 10_000): Promise<CopyDataSender> {
    const endpoint = this.#expect(name, "copydata", ["writer"]);
    const sender = await CopyData.connect({ name: endpoint.name, timeout });
    this.#owned.push(sender);
    return sender;
  }

  /**
   * Publishes `target` as the COM object of a `com` endpoint this process
   * serves (Windows), under the endpoint's ProgID; unregistered when the
   * topology object closes.
   *
   * @param name The endpoint's topology name.
   * @param target The object clients call.
   * @param options Event names and the reply timeout (the ProgID is the endpoint's).
   * @returns The server.
   */
  async comServer(
    name: string,
    target: object,
    options: Omit<ComServeOptions, "name"> = {},
  ): Promise<ComServer> {
    const endpoint = this.#expect(name, "com", ["reader"]);
    const server = await ComServer.serve(target, { ...options, name: endpoint.osName });
    this.#owned.push(server);
    return server;
  }

  /**
   * The COM object of a `com` endpoint this process calls (Windows): the
   * serving process's object, created through its class factory by ProgID.
   *
   * @param name The endpoint's topology name.
   * @returns The object; released when the topology object closes.
   */
  comObject(name: string): ComObject {
    const endpoint = this.#expect(name, "com", ["writer"]);
    const object = ComObject.create({ name: endpoint.osName, context: "local" });
    this.#owned.push(object);
    return object;
  }

  /**
   * Serves the dde endpoint this process is the server of (the `from` side
   * of its flows), under its service name.
   *
   * @param name The endpoint's topology name.
   * @param topics The topics on offer, each with its handlers.
   * @returns The server; closed with the topology object.
   * @example A quote server
   * ```ts
   * import { attach } from "./attach.ts";
   * await using t = await attach();
   * const quotes = await t.ddeServer("quotes", { prices: { request: () => "1.0842" } });
   * await t.ready();
   * await quotes.post("prices", "EURUSD");
   * ```
   */
  async ddeServer(
    name: string,
    topics: Readonly<Record<string, DdeTopicHandlers>>,
  ): Promise<DdeServer> {
    const endpoint = this.#expect(name, "dde", ["writer"]);
    return this.#own(await DdeServer.serve({ service: endpoint.name, topics }));
  }

  /**
   * Opens a conversation with the server of a dde endpoint this process is
   * a client of (the `to` side of its flows).
   *
   * @param name The endpoint's topology name.
   * @param topic The topic to open.
   * @param options `timeout` (ms to wait for the server, default 10 000), `signal`.
   * @returns The conversation; closed with the topology object.
   * @example Following a price
   * ```ts
   * import { attach } from "./attach.ts";
   * await using t = await attach();
   * const prices = await t.ddeClient("quotes", "prices");
   * for await (const { data } of prices.advise("EURUSD")) console.log(data);
   * ```
   */
  async ddeClient(name: string, topic: string, options: WaitOptions = {}): Promise<DdeClient> {
    const endpoint = this.#expect(name, "dde", ["reader"]);
    return this.#own(
      await DdeClient.connect({
        service: endpoint.name,
        topic,
        timeout: options.timeout ?? 10_000,
        ...(options.signal ? { signal: options.signal } : {}),
      }),
    );
  }

  /**
   * A TCP or UDP endpoint's address (the supervisor chose the port when the
   * topology said `port = 0`).
   *
   * @param name The endpoint's topology name.
   * @returns Host, port and this process's role.
   */
  socketAddress(name: string): { host: string; port: number; role: string } {
    const endpoint = this.endpoint(name);
    if (endpoint.kind !== "tcp" && endpoint.kind !== "udp") {
      throw new TypeError(`Cannot use ${endpoint.kind} '${name}' as a socket address`);
    }
    return {
      host: String(endpoint.options["host"]),
      port: Number(endpoint.options["port"]),
      role: endpoint.role,
    };
  }

  /**
   * The listening socket of a TCP endpoint this process serves: the one the
   * supervisor bound and handed over (`bind = supervisor`, the default),
   * or a new one on the endpoint's address (`bind = server`).
   *
   * @param name The endpoint's topology name.
   * @returns The listener.
   */
  async tcpListener(name: string): Promise<SocketListener> {
    const endpoint = this.#expect(name, "tcp", ["server"]);
    if (endpoint.options["bind"] === "server") {
      return this.#own(
        await Socket.listen({
          host: String(endpoint.options["host"]),
          port: Number(endpoint.options["port"]),
        }),
      );
    }
    return this.#own(Socket.adopt({ name }));
  }

  /**
   * The listening socket of a unix endpoint this process serves: the one the
   * supervisor bound and handed over (`bind = supervisor`, the default), or
   * a new one on the endpoint's path (`bind = server`). Its clients connect
   * with `Socket.connect({ path: topology.endpoint(name).options.path })`.
   *
   * @param name The endpoint's topology name.
   * @returns The listener.
   * @example Answering each client once
   * ```ts
   * import { attach } from "./attach.ts";
   * await using topology = await attach();
   * const server = await topology.unixListener("control");
   * for await (const conn of server) await conn.write("hello").then(() => conn.close());
   * ```
   */
  async unixListener(name: string): Promise<SocketListener> {
    const endpoint = this.#expect(name, "unix", ["server"]);
    if (endpoint.options["bind"] === "server") {
      return this.#own(await Socket.listen({ path: String(endpoint.options["path"]) }));
    }
    return this.#own(Socket.adopt({ name }));
  }

  /**
   * The socket of a UDP endpoint this process reads: handed over by the
   * supervisor, or bound here with `bind = server`.
   *
   * @param name The endpoint's topology name.
   * @returns The datagram socket.
   */
  async udpSocket(name: string): Promise<DatagramSocket> {
    const endpoint = this.#expect(name, "udp", ["reader"]);
    if (endpoint.options["bind"] === "server") {
      return this.#own(
        await Datagram.listen({
          host: String(endpoint.options["host"]),
          port: Number(endpoint.options["port"]),
        }),
      );
    }
    return this.#own(Datagram.adopt({ name }));
  }

  /**
   * Closes every endpoint opened through this object, and the control
   * channel: all of them, even when one fails. Idempotent.
   *
   * @returns Resolves once all are closed.
   * @throws AggregateError with every close that failed.
   */
  close(): Promise<void> {
    return this.#closing ??= closeAll(
      [...this.#owned.splice(0).reverse(), this.#control],
      `the endpoints of ${this.instance}`,
    );
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #own<T extends Disposable | AsyncDisposable>(object: T): T {
    this.#owned.push(object);
    return object;
  }

  #expect(name: string, kind: string, roles?: string[]): ContractEndpoint {
    const endpoint = this.endpoint(name);
    if (endpoint.kind !== kind) {
      throw new TypeError(`Cannot open ${endpoint.kind} '${name}' as a ${kind}`);
    }
    if (roles && !roles.includes(endpoint.role)) {
      throw new TypeError(
        `Cannot open ${kind} '${name}' as ${
          roles.join(" or ")
        }: ${this.instance} is its ${endpoint.role}`,
      );
    }
    return endpoint;
  }
}

/** Options of {@link attach}. */
export interface AttachOptions extends WaitOptions {
  /** The environment to read (default `process.env`). */
  readonly env?: Record<string, string | undefined>;
}

/**
 * Attaches to the topology this process was started in by `ipckit run`:
 * reads the environment contract and connects to the supervisor's control
 * channel.
 *
 * @param options `env`, `timeout` (ms to reach the supervisor, default 10 000), `signal`.
 * @returns The topology view.
 * @example
 * ```ts
 * import { attach } from "./attach.ts";
 * const t = await attach();
 * const server = t.pipeServer("greeting");
 * await t.ready();
 * ```
 */
export async function attach(options: AttachOptions = {}): Promise<AttachedTopology> {
  const document = readContract(options.env ?? process.env);
  // #service() accepts only endpoints of kind "service": whenever serve()/client() get past it,
  // the module is here.
  if (Object.values(document.endpoints).some((endpoint) => endpoint.kind === "service")) {
    rpcModule ??= await import("../rpc.ts");
  }
  const control = await NamedPipe.connect({
    name: document.control.name,
    timeout: options.timeout ?? 10_000,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  try {
    await control.write(
      encoder.encode(
        JSON.stringify({ type: "hello", instance: document.instance, pid: process.pid }),
      ),
    );
  } catch (error) {
    return await closeAfter(error, [control], "the control channel");
  }
  return new AttachedTopology(document, control);
}
