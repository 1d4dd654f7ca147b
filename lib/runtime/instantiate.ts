/**
 * Instantiation: the supervisor creates the topology's kernel objects before
 * any process starts and holds them until the run ends, so a restarted
 * process reattaches to the same shared memory and synchronization objects.
 * TCP and UDP sockets are bound here too (unless `bind = server`) and
 * handed to their serving process at each start, so a restart refuses no
 * connection; pipe names are held here the same way (NamedPipe.hold).
 * Mailslots are created by their serving process (the plan starts it first)
 * and named by the supervisor.
 *
 * @module
 */
import { closeSync, fstatSync, ftruncateSync, openSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { createServer } from "node:net";
import process from "node:process";
import { dirname, join, resolve } from "node:path";
import { Channel } from "../channel.ts";
import { ComServer } from "../com.ts";
import { progIdForEndpoint } from "../win32/com/_registration.ts";
import { CopyData } from "../copydata.ts";
import { DdeServer } from "../dde.ts";
import { Mailslot } from "../mailslot.ts";
import { type HeldSocket, Socket } from "../socket.ts";
import { type HeldPipe, NamedPipe, type NamedPipeServer, type PipeConnection } from "../pipe.ts";
import { platform } from "../ffi/mod.ts";
import { SharedMemory } from "../shared_memory.ts";
import { Event, Mutex, Semaphore } from "../sync.ts";
import { closeAfter, closeAll } from "../_cleanup.ts";
import type { Plan, PlannedEndpoint } from "./plan.ts";
import type { SchemaModel } from "../../dsl/mod.ts";

const decoder = new TextDecoder();

/** The supervisor's control channel: one message-mode pipe all children connect to. */
export class ControlChannel {
  /** Called for every message a child sends, with the instance it named in its hello. */
  onMessage: (instance: string, message: { type?: string }, connection: PipeConnection) => void =
    () => {};
  readonly #server: NamedPipeServer;
  readonly #connections = new Set<PipeConnection>();

  /** @param name The library name of the control pipe. */
  constructor(readonly name: string) {
    this.#server = NamedPipe.serve({ name, mode: "message" });
    void this.#acceptLoop();
  }

  /** The OS name children connect to. */
  get osName(): string {
    return this.#server.path;
  }

  async #acceptLoop(): Promise<void> {
    try {
      for await (const connection of this.#server) {
        this.#connections.add(connection);
        void this.#serve(connection);
      }
    } catch {
      // The server was closed at the end of the run.
    }
  }

  async #serve(connection: PipeConnection): Promise<void> {
    let instance: string | null = null;
    try {
      for await (const bytes of connection) {
        let message: { type?: string; instance?: string };
        try {
          message = JSON.parse(decoder.decode(bytes));
        } catch {
          continue; // Ignore what is not JSON; a foreign client must not crash the run.
        }
        if (message.type === "hello" && typeof message.instance === "string") {
          instance = message.instance;
        }
        if (instance !== null) this.onMessage(instance, message, connection);
      }
    } catch {
      // The child went away.
    } finally {
      this.#connections.delete(connection);
      await connection.close().catch(() => {});
    }
  }

  /** Closes the channel and every child connection. */
  async close(): Promise<void> {
    await this.#server.close().catch(() => {});
    for (const connection of this.#connections) await connection.close().catch(() => {});
  }
}

/** The instantiated topology: OS names, resolved options, held objects. */
export interface Instantiated {
  control: ControlChannel;
  /** OS name of each endpoint, by topology name. */
  osNames: Map<string, string>;
  /** Options after instantiation (e.g. a TCP port chosen for `port = 0`). */
  options: Map<string, Record<string, number | string | boolean>>;
  /** Sockets the supervisor bound, by endpoint name, for their serving process. */
  sockets: Map<string, HeldSocket | HeldPipe>;
  /** Releases every held object (the end of the run), all of them even when one fails; idempotent. */
  close(): Promise<void>;
}

/**
 * Creates and holds the plan's endpoints, and opens the control channel.
 * On failure, whatever was already created is released before the error
 * is rethrown, so a failed start leaves nothing behind.
 *
 * @param plan The plan.
 * @returns The held endpoints.
 * @example
 * ```ts
 * import { instantiate } from "./instantiate.ts";
 * // await using held = await instantiate(plan); ... await held.close();
 * ```
 */
export async function instantiate(plan: Plan): Promise<Instantiated> {
  const held: Disposable[] = [];
  const osNames = new Map<string, string>();
  const options = new Map<string, Record<string, number | string | boolean>>();
  const sockets = new Map<string, HeldSocket | HeldPipe>();
  let control: ControlChannel | null = null;
  try {
    for (const endpoint of plan.endpoints) {
      const resolved = { ...endpoint.options };
      osNames.set(
        endpoint.name,
        await create(endpoint, resolved, held, sockets, plan.topology.schema),
      );
      options.set(endpoint.name, resolved);
    }
    control = new ControlChannel(`ipckit-ctl.${plan.topology.name}.${process.pid}`);
  } catch (error) {
    return await closeAfter(error, held.reverse(), `the endpoints of '${plan.topology.name}'`);
  }
  const channel = control;
  let closing: Promise<void> | null = null;
  return {
    control: channel,
    osNames,
    options,
    sockets,
    close() {
      return closing ??= closeAll([
        () => channel.close(),
        ...held.splice(0).reverse(),
        // A server or reader that was killed could not remove its socket file; nothing may outlive the run.
        ...plan.endpoints.map((endpoint) => () => {
          if (endpoint.kind === "pipe" || endpoint.kind === "service") {
            NamedPipe.reclaim(endpoint.libName);
          }
          if (endpoint.kind === "mailslot") Mailslot.reclaim(endpoint.libName);
          if (endpoint.kind === "copydata") CopyData.reclaim(endpoint.libName);
          // A server that was killed left its per-user ProgID registration behind.
          if (endpoint.kind === "com") ComServer.reclaim(osNames.get(endpoint.name)!);
          if (endpoint.kind === "dde") DdeServer.reclaim(endpoint.libName);
          // A unix socket's file, left by a killed server that bound it itself (bind = server).
          if (endpoint.kind === "unix" && platform === "linux") {
            NamedPipe.reclaim(String(options.get(endpoint.name)?.["path"]));
          }
        }),
      ], `the endpoints of '${plan.topology.name}'`);
    },
  };
}

async function create(
  endpoint: PlannedEndpoint,
  resolved: Record<string, number | string | boolean>,
  held: Disposable[],
  sockets: Map<string, HeldSocket | HeldPipe>,
  schema: SchemaModel,
): Promise<string> {
  const name = endpoint.libName;
  switch (endpoint.kind) {
    case "shm": {
      const shm = SharedMemory.create({ name, size: Number(resolved["size"]) });
      held.push(shm);
      return shm.osName;
    }
    case "channel": {
      const channel = Channel.create({
        name,
        slotSize: Number(resolved["slot"]),
        slots: Number(resolved["slots"]),
        mode: resolved["mode"] === "broadcast" ? "broadcast" : "queue",
      });
      held.push(channel);
      return channel.osName;
    }
    case "filemap": {
      // The file must exist with at least `size` bytes before anyone maps it.
      const path = resolve(String(resolved["path"]));
      const fd = openSync(path, "a+");
      try {
        if (fstatSync(fd).size < Number(resolved["size"])) {
          ftruncateSync(fd, Number(resolved["size"]));
        }
      } finally {
        closeSync(fd);
      }
      resolved["path"] = path;
      return path;
    }
    case "mutex": {
      const mutex = Mutex.create({ name });
      held.push(mutex);
      return mutex.osName;
    }
    case "semaphore": {
      const semaphore = Semaphore.create({
        name,
        initial: Number(resolved["initial"]),
        max: Number(resolved["max"]),
      });
      held.push(semaphore);
      return semaphore.osName;
    }
    case "event": {
      const event = Event.create({
        name,
        manualReset: resolved["reset"] === "manual",
        initial: resolved["initial"] === true,
      });
      held.push(event);
      return event.osName;
    }
    case "pipe": {
      // The supervisor holds the name for each run of the server (NamedPipe.hold), so clients
      // that connect during a restart wait: Linux in the held socket's backlog, Windows for
      // the next server's instance.
      const pipe = NamedPipe.hold(name, {
        mode: resolved["mode"] === "message" ? "message" : "byte",
      });
      held.push(pipe);
      sockets.set(endpoint.name, pipe);
      return NamedPipe.path(name);
    }
    case "service": {
      // The serving process makes the pipe; every participant reads the declarations from a
      // file held for the run (in the environment they would hit Windows' 32 KiB variable limit).
      const file = join(tmpdir(), `ipckit-${process.pid}-${name}.schema.json`);
      writeFileSync(file, JSON.stringify(schema));
      held.push({ [Symbol.dispose]: () => rmSync(file, { force: true }) });
      resolved["schema_file"] = file;
      return NamedPipe.path(name);
    }
    case "mailslot":
      return Mailslot.path(name);
    case "copydata":
      return CopyData.osName(name);
    case "com": {
      // The serving process registers the object; every participant gets the ProgID.
      const progId = String(resolved["progid"] ?? "") || progIdForEndpoint(name);
      resolved["progid"] = progId;
      return progId;
    }
    case "dde":
      // The serving process registers the service; a name of the DDE namespace, not a kernel object.
      return DdeServer.osName(name);
    case "unix": {
      const path = resolved["path"] === undefined ? unixPath(name) : String(resolved["path"]);
      resolved["path"] = path;
      if (resolved["bind"] !== "server") {
        // Bound once, here, like tcp: clients wait in its backlog while the server restarts.
        const socket = await Socket.hold({ path });
        held.push(socket);
        sockets.set(endpoint.name, socket);
      }
      return path;
    }
    case "tcp":
    case "udp": {
      const host = String(resolved["host"]);
      if (resolved["bind"] !== "server") {
        // Bound once, here: port 0 needs no probe, and the socket outlives its server's restarts.
        const socket = await Socket.hold({
          host,
          port: Number(resolved["port"]),
          type: endpoint.kind === "tcp" ? "stream" : "datagram",
        });
        held.push(socket);
        sockets.set(endpoint.name, socket);
        resolved["port"] = socket.port;
      } else if (Number(resolved["port"]) === 0) {
        // The process binds it: the port is probed here and bound there (another program
        // could take it in between; bind = "supervisor" has no such window).
        resolved["port"] = await freePort(host);
      }
      return `${host}:${resolved["port"]}`;
    }
    default:
      throw new TypeError(
        `Cannot instantiate endpoint '${endpoint.name}': kind '${endpoint.kind}' is not supported by this runtime`,
      );
  }
}

/** A unix endpoint's default socket file: beside the pipes (Linux), in %TEMP% (Windows). */
function unixPath(name: string): string {
  return platform === "windows"
    ? join(tmpdir(), `${name}.sock`)
    : join(dirname(NamedPipe.path(name)), `${name}.sock`);
}

/** A TCP port that is free on `host` right now (the OS picks it). */
function freePort(host: string): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}
