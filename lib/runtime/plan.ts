/**
 * Planning: from a checked topology to the endpoints to create, the process
 * instances to run, their start order and the reverse stop order.
 *
 * @module
 */
import type { EndpointModel, ProcessModel, Role, StdioLink, Topology } from "../../dsl/mod.ts";

/** An endpoint with the name the library creates it under. */
export interface PlannedEndpoint {
  /** The topology's name for it (qualified for imports: `ns.log`). */
  name: string;
  kind: string;
  options: Record<string, number | string | boolean>;
  /**
   * The name handed to the library (`SharedMemory.create(libName)`, …):
   * `<topology>.<endpoint>`, or the explicit `path` (dde: `service_name`) option when given.
   */
  libName: string;
}

/** One running copy of a process. */
export interface PlannedInstance {
  /** `server`, or `worker[0]`, `worker[1]`, … for replicas. */
  id: string;
  process: ProcessModel;
  replica: number;
  /** Instances that must be ready before this one starts. */
  dependsOn: string[];
  /** The endpoints this instance uses, with its role in each. */
  uses: { endpoint: PlannedEndpoint; role: Role }[];
}

/** What `ipckit run` will do, in order. */
export interface Plan {
  topology: Topology;
  endpoints: PlannedEndpoint[];
  instances: PlannedInstance[];
  /** Instances grouped by start wave: each wave starts when the previous one is ready. */
  startWaves: string[][];
  /** Instance ids in stop order (the reverse of the start order). */
  stopOrder: string[];
  stdioLinks: StdioLink[];
}

/** The library name of an endpoint: namespaced by topology so runs of different topologies never collide. */
function libNameOf(topology: Topology, endpoint: EndpointModel): string {
  // A pipe's or mailslot's `path`, a dde endpoint's `service_name`.
  const path = endpoint.options["path"] ?? endpoint.options["service_name"];
  if (typeof path === "string" && path !== "") return path;
  return `${topology.name}.${endpoint.name}`;
}

/**
 * Plans a checked topology.
 *
 * @param topology The model from the checker (no errors).
 * @returns The plan. Throws a RangeError if the start order has a cycle
 *   (the checker reports those as E039, so this means a checker bug).
 * @example
 * ```ts
 * import { planTopology } from "./plan.ts";
 * import { checkSource } from "../../dsl/mod.ts";
 * const { topology } = checkSource("x.ipc", "topology x\nprocess a { run = \"true\" }\n", { platform: "linux" });
 * if (topology) console.log(planTopology(topology).startWaves); // [["a"]]
 * ```
 */
export function planTopology(topology: Topology): Plan {
  const endpoints = topology.endpoints.map((e): PlannedEndpoint => ({
    name: e.name,
    kind: e.kind,
    options: e.options,
    libName: libNameOf(topology, e),
  }));
  const endpointByName = new Map(endpoints.map((e) => [e.name, e]));
  const idsOfProcess = new Map(
    topology.processes.map((p) => [p.name, p.instances.map((i) => i.name)]),
  );
  const instances: PlannedInstance[] = topology.processes.flatMap((p) =>
    p.instances.map((instance): PlannedInstance => ({
      id: instance.name,
      process: p,
      replica: instance.replica,
      dependsOn: p.after.flatMap((name) => idsOfProcess.get(name) ?? []),
      uses: p.uses.flatMap(({ endpoint, role }) => {
        const planned = endpointByName.get(endpoint);
        return planned ? [{ endpoint: planned, role }] : [];
      }),
    }))
  );

  // Waves by longest dependency chain (Kahn's algorithm, level by level).
  const remaining = new Map(instances.map((i) => [i.id, new Set(i.dependsOn)]));
  const startWaves: string[][] = [];
  while (remaining.size > 0) {
    const wave = [...remaining].filter(([, deps]) => deps.size === 0).map(([id]) => id);
    if (wave.length === 0) {
      throw new RangeError(
        `Cannot order the start of topology '${topology.name}': ${
          [...remaining.keys()].join(", ")
        } wait on each other`,
      );
    }
    for (const id of wave) remaining.delete(id);
    for (const deps of remaining.values()) for (const id of wave) deps.delete(id);
    startWaves.push(wave);
  }
  return {
    topology,
    endpoints,
    instances,
    startWaves,
    stopOrder: startWaves.flat().reverse(),
    stdioLinks: topology.stdioLinks,
  };
}

/**
 * The plan as text, for `ipckit run --dry-run`.
 *
 * @param plan The plan.
 * @returns Lines describing endpoints, start waves and stop order.
 * @example
 * ```ts
 * import { describePlan, planTopology } from "./plan.ts";
 * // console.log(describePlan(planTopology(topology)));
 * ```
 */
export function describePlan(plan: Plan): string {
  const lines = [
    `topology ${plan.topology.name} (${plan.topology.platform})`,
    "",
    "endpoints (created first, held until the end):",
  ];
  for (const e of plan.endpoints) {
    const options = Object.entries(e.options).map(([k, v]) => `${k}=${v}`).join(", ");
    lines.push(`  ${e.kind} ${e.name} as '${e.libName}'${options ? ` {${options}}` : ""}`);
  }
  if (plan.endpoints.length === 0) lines.push("  (none)");
  lines.push("", "start order (each wave starts when the previous one is ready):");
  plan.startWaves.forEach((wave, i) => {
    const described = wave.map((id) => {
      const instance = plan.instances.find((x) => x.id === id)!;
      const ready = instance.process.ready.kind === "log"
        ? `log /${instance.process.ready.pattern}/`
        : instance.process.ready.kind;
      return `${id} (ready: ${ready}; ${instance.process.argv.join(" ")})`;
    });
    lines.push(`  ${i + 1}. ${described.join("\n     ")}`);
  });
  for (const link of plan.stdioLinks) {
    lines.push(`  stdio: ${link.from.process}.${link.from.stream} -> ${link.to.process}.stdin`);
  }
  lines.push("", `stop order: ${plan.stopOrder.join(", ")}`);
  return lines.join("\n");
}
