/**
 * The checked, normalized topology that the runtime consumes. It is produced
 * by {@link check} only when a topology has no errors, so every reference in
 * it resolves and every option has been validated and defaulted.
 *
 * Names: imported declarations are qualified with their namespace
 * (`common.log`). Endpoint names are ipckit-level names, not OS names: the
 * library derives the OS name (`\\.\pipe\<name>`, `/dev/shm/<name>`, the Linux
 * socket directory, …) when it instantiates the endpoint, because only it knows
 * those conventions. An explicit `path` option, when given, is in `options`.
 *
 * @module
 */

import type { Span } from "./ast.ts";
import type { Platform } from "./kinds.ts";

export type { Platform, Span };

/** An endpoint kind name, a key of `KINDS` in dsl/kinds.ts. */
export type EndpointKind = string;

/** A parameter value after `--set` overrides; sizes in bytes, durations in ms. */
export type ParamValue = number | string | boolean;

/** How a process takes part in a flow through one endpoint. */
export type Role = "server" | "client" | "reader" | "writer" | "signaller" | "waiter" | "user";

/** A checked topology for one platform. */
export interface Topology {
  /** The name after `topology` in the root file. */
  name: string;
  platform: Platform;
  /** Parameter values after overrides, qualified like other names. */
  params: Record<string, ParamValue>;
  endpoints: EndpointModel[];
  processes: ProcessModel[];
  flows: FlowModel[];
  stdioLinks: StdioLink[];
  /** The RPC types and services the program declares (empty maps when none). */
  schema: SchemaModel;
}

/**
 * The RPC declarations of a program, as plain data: what `ipckit gen`
 * prints and what the RPC library builds its Protocol Buffers descriptors
 * from. Type names are qualified like other names (`common.Point`).
 */
export interface SchemaModel {
  /** The root topology's name; the proto package. */
  package: string;
  records: Record<string, RecordModel>;
  enums: Record<string, EnumModel>;
  services: Record<string, ServiceModel>;
}

/** A built-in scalar type of a field. */
export type ScalarType =
  | "bool"
  | "i32"
  | "i64"
  | "u32"
  | "u64"
  | "f32"
  | "f64"
  | "string"
  | "bytes"
  | "timestamp"
  | "duration";

/** One field of a record. */
export interface FieldModel {
  name: string;
  /** The stable field number on the wire. */
  number: number;
  /** A {@link ScalarType}, or the qualified name of a record or enum. */
  type: string;
  /** `list<type>` or `map<string, type>`; absent for a single value. */
  repeated?: "list" | "map";
  /** Declared `name?:`: absent and default are told apart. */
  optional?: boolean;
}

/** A `record`: a message type. */
export interface RecordModel {
  fields: FieldModel[];
}

/** An `enum`; the first value is number 0 (the default). */
export interface EnumModel {
  values: { name: string; number: number }[];
}

/** One method of a service. */
export interface MethodModel {
  name: string;
  /** The qualified name of the request record. */
  input: string;
  /** The qualified name of the response record. */
  output: string;
  /** `stream` before the argument: the client sends many messages. */
  clientStreaming: boolean;
  /** `stream` before the result: the server sends many messages. */
  serverStreaming: boolean;
}

/** A `service`: its methods in declaration order. */
export interface ServiceModel {
  methods: MethodModel[];
}

/** One endpoint with resolved options. */
export interface EndpointModel {
  /** ipckit-level name, qualified for imports: `"ns.log"`. */
  name: string;
  kind: EndpointKind;
  /**
   * Every option of the kind that applies on the platform, defaults filled in.
   * Sizes are bytes, durations milliseconds (`-1` means forever), `server` is a
   * process name.
   */
  options: Record<string, number | string | boolean>;
  span: Span;
}

/** The restart policy of a process. */
export type RestartPolicy =
  | { policy: "never" }
  | { policy: "on-failure"; max: number; withinMs: number }
  | { policy: "always" };

/** When a process counts as started. */
export type Readiness =
  | { kind: "notify"; timeoutMs: number }
  | { kind: "log"; pattern: string; timeoutMs: number }
  | { kind: "none" };

/** One process declaration (all its replicas). */
export interface ProcessModel {
  /** Qualified name, e.g. `"worker"` or `"ns.worker"`. */
  name: string;
  replicas: number;
  /** One per replica: `worker` when there is one, else `worker[0]`, `worker[1]`, … */
  instances: { name: string; replica: number }[];
  /** The command; a string command is split shell-style (quotes honoured), never run by a shell. */
  argv: string[];
  cwd?: string;
  env: Record<string, string>;
  restart: RestartPolicy;
  /** Delay before a restart: starts at `initialMs`, doubles, capped at `maxMs`. */
  backoff: { initialMs: number; maxMs: number };
  ready: Readiness;
  stopSignal: "SIGTERM" | "SIGINT" | "SIGKILL";
  graceMs: number;
  /**
   * Processes to start (and see ready) first: the explicit `after` list plus
   * the order that flows imply (mailslot readers before writers, servers
   * before clients). Events and semaphores imply no order: the supervisor
   * creates them before anything starts, and a signal set early stays set.
   */
  after: string[];
  /** Every endpoint this process uses, with its role; sorted by endpoint name. */
  uses: { endpoint: string; role: Role }[];
  span: Span;
}

/** Who uses one endpoint, merged over all flow statements that mention it. */
export interface FlowModel {
  endpoint: string;
  /** Processes on the left of the endpoint (writers, signallers, clients by default). */
  from: string[];
  /** Processes on the right (readers, waiters, servers by default). */
  to: string[];
  /** For stream kinds (pipe, tcp): the serving process. */
  server?: string;
  /** The first flow statement that mentions the endpoint. */
  span: Span;
}

/** An anonymous pipe from one process's stdout or stderr to another's stdin. */
export interface StdioLink {
  from: { process: string; stream: "stdout" | "stderr" };
  to: { process: string; stream: "stdin" };
  span: Span;
}
