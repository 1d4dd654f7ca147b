/**
 * The table of endpoint kinds and process properties. The grammar treats a
 * kind as any name; everything the checker, the model and the graph know about
 * a kind comes from here. Adding a kind (e.g. `copydata`) means adding one
 * entry to {@link KINDS} and its name to the editor grammar.
 *
 * @module
 */

/** A target platform. */
export type Platform = "windows" | "linux";

/**
 * All platforms, in the order diagnostics list them.
 * @example Listing platforms
 * ```ts
 * import { PLATFORMS } from "./kinds.ts";
 * console.log(PLATFORMS.join(", ")); // "windows, linux"
 * ```
 */
export const PLATFORMS: readonly Platform[] = ["windows", "linux"];

/**
 * The type of an option value. Sizes resolve to bytes and durations to
 * milliseconds; `forever` (for durations that allow it) resolves to `-1`.
 */
export type OptionType =
  | { type: "int"; min?: number; max?: number }
  | { type: "size"; min?: number; max?: number }
  | { type: "duration"; min?: number; max?: number; forever?: boolean }
  | { type: "string"; nonEmpty?: boolean }
  | { type: "bool" }
  | { type: "enum"; values: readonly string[] }
  | { type: "process" };

/** One option of an endpoint kind. */
export type OptionSpec = OptionType & {
  /** One line for docs and hovers. */
  doc: string;
  /** Filled in when the option is omitted; absent means "no value". */
  default?: number | string | boolean;
  required?: boolean;
  /** Platforms that have the option; absent means all. */
  platforms?: readonly Platform[];
  /** An example for "missing option" help, e.g. `size = 64KiB`. */
  example?: string;
};

/**
 * How flows through a kind assign roles.
 * - `data`: `from` writes and `to` reads.
 * - `stream`: the connection kinds (pipe, tcp); one side serves, the other is a client.
 * - `signal`: `from` signals and `to` waits.
 * - `shared`: everyone is a `user` (a mutex has no direction).
 */
export type FlowStyle = "data" | "stream" | "signal" | "shared";

/** Everything the tools know about one endpoint kind. */
export interface KindSpec {
  doc: string;
  platforms: readonly Platform[];
  /** Suggested instead when this kind is missing on a platform. */
  portable?: string;
  flow: FlowStyle;
  /** Limits on distinct processes per side; `max` 1 means a single reader etc. */
  readers?: { min?: number; max?: number };
  writers?: { min?: number; max?: number };
  /** For `data` kinds whose one writer serves its readers (dde): the writer starts first. */
  writerServes?: boolean;
  /** For `stream` kinds: how many server instances exist (`instances` option, or a fixed 1). */
  serverInstances?: { option: string } | { fixed: number };
  options: Readonly<Record<string, OptionSpec>>;
  /** Node shapes for `ipckit graph`: a Graphviz shape and Mermaid brackets. */
  graph: { dot: string; mermaid: readonly [string, string] };
}

/** Options that name Windows kernel objects, which have a session scope. */
const scope: OptionSpec = {
  type: "enum",
  values: ["local", "global"],
  default: "local",
  platforms: ["windows"],
  doc: "Windows object namespace: `local` (per session) or `global` (`Global\\`)",
};

const KB = 1024;

/** `bind` of the socket kinds: who owns the listening socket. */
const socketBinder: OptionSpec = {
  type: "enum",
  values: ["supervisor", "server"],
  default: "supervisor",
  doc:
    "who binds the socket: the supervisor (held across restarts, handed over as LISTEN_FDS / IPCKIT_SOCKETS) or the serving process itself",
};

/** `server` of the connection kinds: which side's process serves (or listens). */
function serverProcess(verb: "serving" | "listening"): OptionSpec {
  return { type: "process", doc: `the ${verb} process; by default the reading side` };
}

/** `size` of the mapping kinds. */
function mappingSize(example: string): OptionSpec {
  return {
    type: "size",
    min: 1,
    max: 2 ** 40,
    required: true,
    example,
    doc: "size of the mapping",
  };
}

/**
 * The endpoint kinds.
 *
 * @example Reading the default pipe mode
 * ```ts
 * import { KINDS } from "./kinds.ts";
 * console.log(KINDS.pipe?.options.mode?.default); // "byte"
 * ```
 */
export const KINDS: Readonly<Record<string, KindSpec>> = {
  shm: {
    doc: "named shared memory",
    platforms: ["windows", "linux"],
    flow: "data",
    options: {
      size: mappingSize("size = 64KiB"),
      scope,
    },
    graph: { dot: "cylinder", mermaid: ["[(", ")]"] },
  },
  filemap: {
    doc: "a file-backed mapping",
    platforms: ["windows", "linux"],
    flow: "data",
    options: {
      path: {
        type: "string",
        nonEmpty: true,
        required: true,
        example: 'path = "data/frames.bin"',
        doc: "the backing file",
      },
      size: mappingSize("size = 16MiB"),
      writable: { type: "bool", default: true, doc: "map read-write (`true`) or read-only" },
      scope,
    },
    graph: { dot: "folder", mermaid: ["[/", "/]"] },
  },
  mutex: {
    doc: "a named mutex",
    platforms: ["windows", "linux"],
    flow: "shared",
    options: { scope },
    graph: { dot: "octagon", mermaid: ["{{", "}}"] },
  },
  semaphore: {
    doc: "a named counting semaphore",
    platforms: ["windows", "linux"],
    flow: "signal",
    writers: { min: 1 },
    readers: { min: 1 },
    options: {
      initial: { type: "int", min: 0, max: 2 ** 31 - 1, default: 0, doc: "initial count" },
      max: { type: "int", min: 1, max: 2 ** 31 - 1, default: 1, doc: "maximum count" },
      scope,
    },
    graph: { dot: "doubleoctagon", mermaid: ["{{", "}}"] },
  },
  event: {
    doc: "a named event",
    platforms: ["windows", "linux"],
    flow: "signal",
    writers: { min: 1 },
    readers: { min: 1 },
    options: {
      reset: {
        type: "enum",
        values: ["auto", "manual"],
        default: "auto",
        doc: "`auto` wakes one waiter and resets; `manual` stays set until reset",
      },
      initial: { type: "bool", default: false, doc: "start signalled" },
      scope,
    },
    graph: { dot: "diamond", mermaid: ["{", "}"] },
  },
  pipe: {
    doc: "a named pipe",
    platforms: ["windows", "linux"],
    flow: "stream",
    writers: { min: 1 },
    readers: { min: 1 },
    serverInstances: { option: "instances" },
    options: {
      mode: {
        type: "enum",
        values: ["byte", "message"],
        default: "byte",
        doc: "byte stream or whole messages",
      },
      instances: {
        type: "int",
        min: 1,
        max: 255,
        default: 1,
        doc: "how many server instances may exist at once (at most 255)",
      },
      in_buffer: { type: "size", min: 1, max: 2 ** 31, default: 64 * KB, doc: "input buffer" },
      out_buffer: { type: "size", min: 1, max: 2 ** 31, default: 64 * KB, doc: "output buffer" },
      direction: {
        type: "enum",
        values: ["duplex", "inbound", "outbound"],
        default: "duplex",
        doc: "data direction seen from the server",
      },
      server: serverProcess("serving"),
      path: {
        type: "string",
        nonEmpty: true,
        doc: "explicit OS name, e.g. '\\\\.\\pipe\\jobs'; by default derived from the name",
      },
    },
    graph: { dot: "cds", mermaid: [">", "]"] },
  },
  mailslot: {
    doc: "a mailslot: many writers, one reader",
    platforms: ["windows", "linux"],
    flow: "data",
    readers: { min: 1, max: 1 },
    writers: { min: 1 },
    options: {
      max_message: {
        type: "size",
        min: 1,
        max: 64 * KB * 1024,
        default: 64 * KB,
        doc: "largest message",
      },
      read_timeout: {
        type: "duration",
        min: 0,
        forever: true,
        default: -1,
        doc: "how long a read waits; `forever` by default",
      },
      path: {
        type: "string",
        nonEmpty: true,
        doc: "explicit OS name, e.g. '\\\\.\\mailslot\\log' or a broadcast '\\\\*\\mailslot\\log'",
      },
    },
    graph: { dot: "tab", mermaid: ["[\\", "\\]"] },
  },
  channel: {
    doc:
      "a shared-memory message ring: one writer, readers share (queue) or all see (broadcast) each message",
    platforms: ["windows", "linux"],
    flow: "data",
    writers: { min: 1, max: 1 },
    readers: { min: 1, max: 62 },
    options: {
      slot: {
        type: "size",
        min: 1,
        max: 2 ** 30,
        required: true,
        example: "slot = 256B",
        doc: "the largest message; larger ones are refused",
      },
      slots: {
        type: "int",
        min: 2,
        max: 2 ** 20,
        default: 64,
        doc: "how many messages the ring holds (a power of two)",
      },
      mode: {
        type: "enum",
        values: ["queue", "broadcast"],
        default: "queue",
        doc: "`queue`: each message to one reader; `broadcast`: every reader gets every message",
      },
    },
    graph: { dot: "box3d", mermaid: ["[[", "]]"] },
  },
  copydata: {
    doc: "data copy (WM_COPYDATA): many senders, one receiving process that answers each message",
    platforms: ["windows", "linux"],
    flow: "data",
    readers: { min: 1, max: 1 },
    writers: { min: 1 },
    options: {
      reply_timeout: {
        type: "duration",
        min: 0,
        default: 10_000,
        doc: "how long the receiver's handler may take to answer before the sender gets `false`",
      },
    },
    graph: { dot: "note", mermaid: ["[/", "\\]"] },
  },
  dde: {
    doc:
      "Dynamic Data Exchange: one serving process offers a service whose items its clients request, poke, execute and follow in advise loops",
    platforms: ["windows", "linux"],
    flow: "data",
    writers: { min: 1, max: 1 },
    readers: { min: 1 },
    writerServes: true,
    options: {
      service_name: {
        type: "string",
        nonEmpty: true,
        doc:
          "the DDE service name other programs connect to, e.g. 'Quotes'; by default `<topology>.<endpoint>`",
      },
    },
    graph: { dot: "house", mermaid: ["[\\", "/]"] },
  },
  tcp: {
    doc: "a TCP socket",
    platforms: ["windows", "linux"],
    flow: "stream",
    writers: { min: 1 },
    readers: { min: 1 },
    serverInstances: { fixed: 1 },
    options: {
      host: { type: "string", nonEmpty: true, default: "127.0.0.1", doc: "address to listen on" },
      port: {
        type: "int",
        min: 0,
        max: 65535,
        default: 0,
        doc: "port; 0 picks a free one and tells the participants",
      },
      server: serverProcess("listening"),
      bind: socketBinder,
    },
    graph: { dot: "ellipse", mermaid: ["([", "])"] },
  },
  unix: {
    doc:
      "a Unix stream socket (a path): Linux, and Windows where Winsock has AF_UNIX (Windows 10 1803 and later)",
    platforms: ["windows", "linux"],
    portable: "tcp",
    flow: "stream",
    writers: { min: 1 },
    readers: { min: 1 },
    serverInstances: { fixed: 1 },
    options: {
      path: {
        type: "string",
        nonEmpty: true,
        doc:
          "the socket file; by default `<name>.sock` beside the pipes (Linux) or in %TEMP% (Windows)",
      },
      server: serverProcess("listening"),
      bind: socketBinder,
    },
    graph: { dot: "ellipse", mermaid: ["([", "])"] },
  },
  service: {
    doc: "an RPC service: typed methods called over a message-mode named pipe",
    platforms: ["windows", "linux"],
    flow: "stream",
    writers: { min: 1 },
    readers: { min: 1 },
    serverInstances: { fixed: 1 },
    options: {
      max_message: {
        type: "size",
        min: 1,
        max: 2 ** 31 - 1,
        default: 4 * KB * 1024,
        doc: "largest request or response message; larger ones fail with `resource_exhausted`",
      },
      server: serverProcess("serving"),
    },
    graph: { dot: "component", mermaid: ["[[", "]]"] },
  },
  udp: {
    doc: "a UDP socket",
    platforms: ["windows", "linux"],
    flow: "data",
    readers: { min: 1, max: 1 },
    writers: { min: 1 },
    options: {
      host: { type: "string", nonEmpty: true, default: "127.0.0.1", doc: "address to bind" },
      port: { type: "int", min: 0, max: 65535, default: 0, doc: "port; 0 picks a free one" },
      max_datagram: {
        type: "size",
        min: 1,
        max: 65507,
        default: 65507,
        doc: "largest datagram",
      },
      bind: socketBinder,
    },
    graph: { dot: "ellipse", mermaid: ["((", "))"] },
  },
  com: {
    doc:
      "a COM automation object (Windows): one serving process publishes a JavaScript object under a ProgID, client processes call it",
    platforms: ["windows"],
    flow: "data",
    readers: { min: 1, max: 1 },
    writers: { min: 1 },
    options: {
      progid: {
        type: "string",
        nonEmpty: true,
        doc:
          "the ProgID clients name (`CreateObject`); by default `Ipckit.` and the endpoint's library name, keeping letters, digits and periods",
      },
    },
    graph: { dot: "component", mermaid: ["{{", "}}"] },
  },
};

/** A process property. Values are checked by check/options.ts. */
export interface PropertySpec {
  doc: string;
  /** What the value looks like, for docs and type errors. */
  shape: string;
}

/**
 * The properties of a `process` block.
 *
 * @example Listing property names
 * ```ts
 * import { PROCESS_PROPERTIES } from "./kinds.ts";
 * console.log(Object.keys(PROCESS_PROPERTIES).includes("run")); // true
 * ```
 */
export const PROCESS_PROPERTIES: Readonly<Record<string, PropertySpec>> = {
  run: {
    shape: "a string or a list of strings",
    doc: "the command; a string is split like a shell would",
  },
  cwd: { shape: "a string", doc: "working directory" },
  env: { shape: '{ NAME = "value" }', doc: "extra environment variables" },
  restart: {
    shape: "never, always or on-failure(max = 5, within = 30s)",
    doc: "restart policy",
  },
  backoff: { shape: "{ initial = 100ms, max = 10s }", doc: "delay between restarts, doubling" },
  ready: {
    shape: 'notify, none or log("pattern"), each with an optional timeout',
    doc: "when the process counts as started",
  },
  stop: { shape: "SIGTERM, SIGINT or SIGKILL", doc: "signal sent to stop the process" },
  grace: { shape: "a duration", doc: "time between the stop signal and SIGKILL" },
  after: { shape: "a process or a list of processes", doc: "processes to start first" },
};

/**
 * Defaults applied to every process.
 * @example Reading the default grace period
 * ```ts
 * import { PROCESS_DEFAULTS } from "./kinds.ts";
 * console.log(PROCESS_DEFAULTS.graceMs); // 5000
 * ```
 */
export const PROCESS_DEFAULTS = {
  backoffInitialMs: 100,
  backoffMaxMs: 10_000,
  readyTimeoutMs: 10_000,
  graceMs: 5_000,
  stopSignal: "SIGTERM",
  maxReplicas: 1024,
} as const;

/**
 * Parameter types, for `param name: type = value`.
 * @example Listing parameter types
 * ```ts
 * import { PARAM_TYPES } from "./kinds.ts";
 * console.log(PARAM_TYPES.includes("size")); // true
 * ```
 */
export const PARAM_TYPES = ["int", "size", "duration", "string", "bool"] as const;

/**
 * Unit multipliers: sizes to bytes, durations to milliseconds.
 * @example Converting a unit
 * ```ts
 * import { UNITS } from "./kinds.ts";
 * console.log(UNITS.MiB?.factor); // 1048576
 * ```
 */
export const UNITS: Readonly<Record<string, { type: "size" | "duration"; factor: number }>> = {
  B: { type: "size", factor: 1 },
  KB: { type: "size", factor: 1000 },
  MB: { type: "size", factor: 1000 ** 2 },
  GB: { type: "size", factor: 1000 ** 3 },
  KiB: { type: "size", factor: KB },
  MiB: { type: "size", factor: KB ** 2 },
  GiB: { type: "size", factor: KB ** 3 },
  TiB: { type: "size", factor: KB ** 4 },
  ms: { type: "duration", factor: 1 },
  s: { type: "duration", factor: 1000 },
  m: { type: "duration", factor: 60_000 },
  h: { type: "duration", factor: 3_600_000 },
};
