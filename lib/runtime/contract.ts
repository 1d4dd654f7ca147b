/**
 * The environment contract between `ipckit run` and the processes it starts
 * (docs/env-contract.md). Any language can join: read `IPCKIT_TOPOLOGY`
 * (JSON) or the one-per-endpoint `IPCKIT_EP_<NAME>` variables.
 *
 * @module
 */
import type { Role } from "../../dsl/mod.ts";

/** The version of the contract; bumped on incompatible changes. */
export const CONTRACT_VERSION = 1;

/** One endpoint as a child sees it. */
export interface ContractEndpoint {
  kind: string;
  /** The name to pass to ipckit's library (`NamedPipe.connect({ name })`, …). */
  name: string;
  /** The OS-level name: `\\.\pipe\hello.greeting`, `/hello.frames`, a socket path, `127.0.0.1:4000`. */
  osName: string;
  /** This process's role in the endpoint's flows. */
  role: Role;
  /** Resolved options (sizes in bytes, durations in ms). */
  options: Record<string, number | string | boolean>;
}

/** The JSON in `IPCKIT_TOPOLOGY`. */
export interface ContractDocument {
  version: number;
  topology: string;
  platform: "windows" | "linux";
  /** The process name, e.g. `worker`. */
  process: string;
  /** The instance, e.g. `worker[1]` (or `worker` without replicas). */
  instance: string;
  replica: number;
  /** Endpoints by their topology name. */
  endpoints: Record<string, ContractEndpoint>;
  /**
   * The supervisor's control channel: a message-mode named pipe (library
   * name and OS name). Messages are UTF-8 JSON objects: the child sends
   * `{"type":"hello","instance":…,"pid":…}` then `{"type":"ready"}`; the
   * supervisor sends `{"type":"stop"}` to request an orderly exit.
   */
  control: { name: string; osName: string };
}

/**
 * The variable name for one endpoint: `IPCKIT_EP_` + the name in upper case,
 * every character other than A–Z and 0–9 replaced by `_`.
 *
 * @param endpoint The topology's endpoint name, e.g. `ns.log`.
 * @returns e.g. `IPCKIT_EP_NS_LOG`.
 * @example
 * ```ts
 * import { endpointVariable } from "./contract.ts";
 * endpointVariable("frame-ready"); // "IPCKIT_EP_FRAME_READY"
 * ```
 */
export function endpointVariable(endpoint: string): string {
  return `IPCKIT_EP_${endpoint.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
}

/**
 * The environment variables that hand a process its endpoints.
 *
 * @param document The contract document for this process.
 * @returns `IPCKIT_TOPOLOGY` and one `IPCKIT_EP_*` per endpoint.
 * @example
 * ```ts
 * import { contractEnvironment } from "./contract.ts";
 * // const env = { ...process.env, ...contractEnvironment(document) };
 * ```
 */
export function contractEnvironment(document: ContractDocument): Record<string, string> {
  const env: Record<string, string> = {
    IPCKIT_TOPOLOGY: JSON.stringify(document),
    IPCKIT_INSTANCE: document.instance,
  };
  for (const [name, endpoint] of Object.entries(document.endpoints)) {
    env[endpointVariable(name)] = endpoint.osName;
  }
  return env;
}

/**
 * Reads and validates the contract document from an environment.
 *
 * @param env The environment (e.g. `process.env`).
 * @returns The document.
 * @example
 * ```ts
 * import { readContract } from "./contract.ts";
 * import process from "node:process";
 * // const document = readContract(process.env);
 * ```
 */
export function readContract(env: Record<string, string | undefined>): ContractDocument {
  const text = env["IPCKIT_TOPOLOGY"];
  if (text === undefined) {
    throw new Error(
      "Cannot attach to a topology: IPCKIT_TOPOLOGY is not set (start this program with 'ipckit run FILE')",
    );
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new SyntaxError("Cannot attach to a topology: IPCKIT_TOPOLOGY is not valid JSON", {
      cause: error,
    });
  }
  const d = document as Partial<ContractDocument>;
  if (
    typeof d !== "object" || d === null || typeof d.instance !== "string" ||
    typeof d.endpoints !== "object" || typeof d.control?.name !== "string"
  ) {
    throw new TypeError(
      "Cannot attach to a topology: IPCKIT_TOPOLOGY lacks instance, endpoints or control",
    );
  }
  if (d.version !== CONTRACT_VERSION) {
    throw new RangeError(
      `Cannot attach to a topology: contract version ${d.version} is not ${CONTRACT_VERSION} (mismatched ipckit versions)`,
    );
  }
  return d as ContractDocument;
}
