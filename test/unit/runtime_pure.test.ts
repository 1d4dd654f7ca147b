// The runtime's pure parts, without a child process: the plan, the
// supervisor's restart and backoff with a fake launcher, and the contract.
import { describe, expect, it } from "vitest";
import { checkSource, type Topology } from "../../dsl/mod.ts";
import {
  CONTRACT_VERSION,
  type ContractDocument,
  contractEnvironment,
  endpointVariable,
  readContract,
} from "../../lib/runtime/contract.ts";
import type { Instantiated } from "../../lib/runtime/instantiate.ts";
import { Output } from "../../lib/runtime/output.ts";
import { planTopology } from "../../lib/runtime/plan.ts";
import type { LaunchedChild, Launcher } from "../../lib/runtime/spawn.ts";
import { Supervisor } from "../../lib/runtime/supervise.ts";

function topology(text: string): Topology {
  const result = checkSource("t.ipc", text, { platform: "linux" });
  const errors = result.diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0 || !result.topology) throw new Error(JSON.stringify(errors));
  return result.topology;
}

const PIPELINE = `topology shop
pipe jobs { mode = message }
shm frames { size = 4KiB }
process api { run = ["api"] ready = notify }
process worker[2] { run = ["worker"] }
process audit { run = ["audit"] }
worker -> jobs -> api
api -> frames -> audit
`;

describe("planTopology", () => {
  it("expands replicas, names endpoints by topology, starts pipe servers before their clients", () => {
    const plan = planTopology(topology(PIPELINE));
    expect(plan.instances.map((i) => i.id)).toEqual(["api", "worker[0]", "worker[1]", "audit"]);
    expect(plan.endpoints.map((e) => [e.name, e.kind, e.libName])).toEqual([
      ["jobs", "pipe", "shop.jobs"],
      ["frames", "shm", "shop.frames"],
    ]);
    // Pipe clients wait for the server; shared memory implies no order.
    expect(plan.startWaves).toEqual([["api", "audit"], ["worker[0]", "worker[1]"]]);
    expect(plan.stopOrder).toEqual([...plan.startWaves.flat()].reverse());
    const worker = plan.instances.find((i) => i.id === "worker[1]")!;
    expect(worker.replica).toBe(1);
    expect(worker.dependsOn).toEqual(["api"]);
    expect(worker.uses.map((u) => [u.endpoint.name, u.role])).toEqual([["jobs", "client"]]);
  });

  it("an explicit path option is the library name", () => {
    const plan = planTopology(topology(`topology t
pipe p { path = "custom-name" }
process a { run = ["a"] }
process b { run = ["b"] }
a -> p -> b
`));
    expect(plan.endpoints[0]!.libName).toBe("custom-name");
  });
});

describe("the contract", () => {
  const document: ContractDocument = {
    version: CONTRACT_VERSION,
    topology: "shop",
    platform: "linux",
    process: "worker",
    instance: "worker[1]",
    replica: 1,
    endpoints: {
      "jobs": {
        kind: "pipe",
        name: "shop.jobs",
        osName: "/run/jobs.pipe",
        role: "client",
        options: {},
      },
      "ns.log-2": {
        kind: "mailslot",
        name: "shop.ns.log-2",
        osName: "/x",
        role: "writer",
        options: {},
      },
    },
    control: { name: "ipckit-ctl.shop.1", osName: "/ctl" },
  };

  it("encodes a document into variables and decodes it back unchanged", () => {
    const env = contractEnvironment(document);
    expect(env).toEqual({
      IPCKIT_TOPOLOGY: JSON.stringify(document),
      IPCKIT_INSTANCE: "worker[1]",
      IPCKIT_EP_JOBS: "/run/jobs.pipe",
      IPCKIT_EP_NS_LOG_2: "/x",
    });
    expect(readContract(env)).toEqual(document);
    expect(endpointVariable("ns.log-2")).toBe("IPCKIT_EP_NS_LOG_2");
  });

  it("refuses a missing, malformed, incomplete or other-version contract with a message that says why", () => {
    expect(() => readContract({})).toThrow(
      "Cannot attach to a topology: IPCKIT_TOPOLOGY is not set (start this program with 'ipckit run FILE')",
    );
    expect(() => readContract({ IPCKIT_TOPOLOGY: "{" })).toThrow(SyntaxError);
    expect(() => readContract({ IPCKIT_TOPOLOGY: "{}" })).toThrow(
      "Cannot attach to a topology: IPCKIT_TOPOLOGY lacks instance, endpoints or control",
    );
    expect(() => readContract({ IPCKIT_TOPOLOGY: JSON.stringify({ ...document, version: 99 }) }))
      .toThrow(`contract version 99 is not ${CONTRACT_VERSION}`);
  });
});

/** A launcher whose children exit with the given codes, one per start, at once. */
function fakeLauncher(codes: number[]) {
  const starts: string[] = [];
  const launcher: Launcher = (instance) => {
    starts.push(instance.id);
    const code = codes.shift() ?? 0;
    const child: LaunchedChild = {
      pid: 1000 + starts.length,
      exited: Promise.resolve({ code, signal: null }),
      signal: () => {},
      terminate: () => Promise.resolve(),
    };
    return child;
  };
  return { launcher, starts };
}

function supervise(text: string, codes: number[]) {
  const plan = planTopology(topology(text));
  const events: Record<string, unknown>[] = [];
  const output = new Output({
    json: true,
    color: false,
    write: (line) => events.push(JSON.parse(line)),
    clock: () => 0,
  }, plan.instances.map((i) => i.id));
  const endpoints = {
    control: { onMessage: () => {} },
    osNames: new Map(),
    options: new Map(),
    close: () => Promise.resolve(),
  } as unknown as Instantiated;
  const { launcher, starts } = fakeLauncher(codes);
  const supervisor = new Supervisor(plan, endpoints, launcher, output);
  return { run: supervisor.run(), events, starts };
}

describe("Supervisor with a fake launcher", () => {
  it("restarts on failure with doubling backoff and gives up past the restart limit", async () => {
    const { run, events, starts } = supervise(
      `topology t
process p {
  run = ["p"]
  restart = on-failure(max = 3, within = 60s)
  backoff = { initial = 1ms, max = 60s }
}
`,
      [1, 1, 1, 1, 1],
    );
    // The backoff resets only after a run outlives its maximum (60 s): never here, however slow.
    const outcome = await run;
    expect(starts).toEqual(["p", "p", "p", "p"]);
    expect(events.filter((e) => e["event"] === "restarting").map((e) => [e["inMs"], e["attempt"]]))
      .toEqual([[1, 1], [2, 2], [4, 3]]);
    expect(outcome.exitCode).toBe(1);
    expect(outcome.reason).toMatch(
      /^p exited 4 times within .* \(restart limit: 3\); last: exit code 1$/,
    );
  });

  it("a run that exits 0 under on-failure is done; never does not restart a failure", async () => {
    const ok = supervise(
      `topology t
process p { run = ["p"] restart = on-failure backoff = { initial = 1ms, max = 60s } }
`,
      [1, 0],
    );
    expect(await ok.run).toEqual({ exitCode: 0, reason: "every process exited with code 0" });
    expect(ok.starts).toEqual(["p", "p"]);
    const never = supervise(`topology t\nprocess p { run = ["p"] }\n`, [3]);
    expect((await never.run).reason).toBe(
      "p failed (exit code 3) and its restart policy is 'never'",
    );
    expect(never.starts).toEqual(["p"]);
  });

  it("dependents start only after their dependency is done or ready", async () => {
    const { run, starts } = supervise(PIPELINE.replace("ready = notify", "ready = none"), []);
    await run;
    expect(starts[0]).toBe("api");
    expect(starts.slice(1).sort()).toEqual(["audit", "worker[0]", "worker[1]"]);
  });
});
