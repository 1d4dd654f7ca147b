/**
 * The runtime behind `ipckit run`: plan, instantiate, spawn, supervise,
 * tear down; and `attach()` for the processes it starts.
 *
 * @example Running a topology from code
 * ```ts
 * import { planTopology, runTopology } from "./mod.ts";
 * // const outcome = await runTopology(planTopology(topology), { json: false, color: false, write: console.log });
 * ```
 *
 * @module
 */
export {
  describePlan,
  type Plan,
  type PlannedEndpoint,
  type PlannedInstance,
  planTopology,
} from "./plan.ts";
export { attach, AttachedTopology, type AttachOptions } from "./attach.ts";
export {
  CONTRACT_VERSION,
  type ContractDocument,
  type ContractEndpoint,
  endpointVariable,
} from "./contract.ts";
export { type RunOptions, runTopology } from "./run.ts";
export type { RunOutcome } from "./supervise.ts";
