import { describe, expect, it } from "vitest";
import { checkSource, type Topology } from "../../dsl/mod.ts";
import { checkRel } from "./_harness.ts";

function topology(
  rel: string,
  platform: "linux" | "windows" = "linux",
  set: string[] = [],
): Topology {
  const r = checkRel(rel, { platform, set });
  expect(r.rendered).toBe("");
  if (!r.topology) throw new Error("no topology");
  return r.topology;
}

const proc = (t: Topology, name: string) => {
  const p = t.processes.find((x) => x.name === name);
  if (!p) throw new Error(`no process ${name}`);
  return p;
};

describe("normalized topology", () => {
  it("the reading side of a pipe serves it and clients start after the server", () => {
    const t = topology("examples/hello.ipc");
    expect(proc(t, "server").uses).toEqual([{ endpoint: "greeting", role: "server" }]);
    expect(proc(t, "client").uses).toEqual([{ endpoint: "greeting", role: "client" }]);
    expect(proc(t, "client").after).toEqual(["server"]);
    expect(proc(t, "server").ready).toEqual({ kind: "notify", timeoutMs: 10_000 });
    expect(t.flows).toEqual([
      expect.objectContaining({
        endpoint: "greeting",
        from: ["client"],
        to: ["server"],
        server: "server",
      }),
    ]);
  });

  it("a declared pipe server overrides the default and replicas expand to instances", () => {
    const t = topology("examples/workers.ipc");
    const worker = proc(t, "worker");
    expect(worker.replicas).toBe(3);
    expect(worker.instances.map((i) => i.name)).toEqual(["worker[0]", "worker[1]", "worker[2]"]);
    expect(worker.uses).toEqual([{ endpoint: "jobs", role: "client" }]);
    expect(proc(t, "dispatcher").uses).toEqual([{ endpoint: "jobs", role: "server" }]);
    expect(worker.restart).toEqual({ policy: "on-failure", max: 5, withinMs: 30_000 });
    expect(worker.backoff).toEqual({ initialMs: 200, maxMs: 5_000 });
    expect(worker.stopSignal).toBe("SIGINT");
    expect(worker.graceMs).toBe(2_000);
    expect(proc(t, "dispatcher").argv).toEqual(["bun", "examples/workers/dispatcher.ts"]);
    expect(proc(t, "dispatcher").ready).toEqual({
      kind: "log",
      pattern: "dispatcher listening",
      timeoutMs: 5_000,
    });
  });

  it("resolves options to bytes and milliseconds with defaults filled in", () => {
    const t = topology("examples/shm_pipeline.ipc", "windows");
    const buf = t.endpoints.find((e) => e.name === "frames_buf");
    expect(buf?.options).toEqual({ size: 8 * 1024 * 1024, scope: "local" });
    const linux = topology("examples/shm_pipeline.ipc", "linux");
    expect(linux.endpoints.find((e) => e.name === "frames_buf")?.options).toEqual({
      size: 8 * 1024 * 1024,
    });
    expect(proc(linux, "producer").uses).toEqual([
      { endpoint: "frame_ready", role: "signaller" },
      { endpoint: "frames_buf", role: "writer" },
      { endpoint: "frames_lock", role: "user" },
    ]);
    expect(proc(linux, "consumer").uses).toContainEqual({
      endpoint: "frame_ready",
      role: "waiter",
    });
  });

  it("mailslot writers start after the single reader; `when linux` keeps the Python writer", () => {
    const linux = topology("examples/mailslot_log.ipc", "linux");
    expect(proc(linux, "pylog").argv).toEqual(["python3", "examples/mailslot_log/pylog.py"]);
    expect(proc(linux, "app").after).toEqual(["collector"]);
    expect(proc(linux, "collector").uses).toEqual([{ endpoint: "log", role: "reader" }]);
    const windows = topology("examples/mailslot_log.ipc", "windows");
    expect(windows.processes.map((p) => p.name)).toEqual(["app", "audit", "collector"]);
    expect(proc(windows, "collector").env).toEqual({ WRITERS: "3" });
    expect(proc(linux, "collector").env).toEqual({ WRITERS: "4" });
    expect(windows.endpoints[0]?.options).toEqual({ max_message: 424, read_timeout: 5000 });
  });

  it("stdio links join two processes", () => {
    const t = topology("examples/stdio_pipeline.ipc");
    expect(t.stdioLinks.map(({ from, to }) => ({ from, to }))).toEqual([
      {
        from: { process: "generate", stream: "stdout" },
        to: { process: "count", stream: "stdin" },
      },
    ]);
    expect(proc(t, "count").env).toEqual({ COUNT_FORMAT: "json" });
  });

  it("imports are namespaced, guarded per platform, and evaluated per import", () => {
    const t = topology("test/dsl/fixtures/app_with_imports.ipc", "linux");
    expect(t.endpoints.map((e) => e.name)).toEqual(["jobs", "logs.log", "audit.log"]);
    expect(t.processes.map((p) => p.name)).toEqual([
      "api",
      "worker",
      "logs.collector",
      "audit.collector",
    ]);
    expect(t.params).toEqual({
      workers: 2,
      timeout: 5_000,
      label: "app",
      "logs.slot_size": 4096,
      "audit.slot_size": 4096,
    });
    const api = proc(t, "api");
    expect(api.argv).toEqual(["bun", "examples/app/api server.ts", "--label", "app"]);
    expect(api.ready).toEqual({ kind: "log", pattern: "listening", timeoutMs: 10_000 });
    expect(api.env).toEqual({ LABEL: "app-api", WORKERS: "2" });
    expect(api.restart).toEqual({ policy: "always" });
    expect(proc(t, "worker").restart).toEqual({ policy: "on-failure", max: 5, withinMs: 60_000 });
    expect(t.endpoints[0]?.options["instances"]).toBe(3);
    const windows = topology("test/dsl/fixtures/app_with_imports.ipc", "windows");
    expect(windows.processes.map((p) => p.name)).toContain("logs.event_log");
  });

  it("--set overrides parameters of every type, including imported ones", () => {
    const t = topology("test/dsl/fixtures/params.ipc", "linux", [
      "count=3",
      "chunk=1MiB",
      "wait=2s",
      "name=other jobs",
      "verbose=true",
    ]);
    expect(t.params).toEqual({
      count: 3,
      chunk: 1024 * 1024,
      wait: 2000,
      name: "other jobs",
      verbose: true,
    });
    expect(t.endpoints.find((e) => e.name === "ring")?.options["size"]).toBe(6 * 1024 * 1024);
    expect(t.endpoints.find((e) => e.name === "notes")?.options["read_timeout"]).toBe(3000);
    expect(proc(t, "writer").replicas).toBe(3);
    expect(proc(t, "writer").argv.at(-1)).toBe("other jobs");
    expect(proc(t, "writer").env).toEqual({ VERBOSE: "true" });
    const imported = topology("test/dsl/fixtures/app_with_imports.ipc", "linux", [
      "logs.slot_size=1KiB",
    ]);
    expect(imported.endpoints.find((e) => e.name === "logs.log")?.options["max_message"]).toBe(
      1024,
    );
    expect(imported.endpoints.find((e) => e.name === "audit.log")?.options["max_message"]).toBe(
      4096,
    );
  });

  it("--set reports unknown parameters with a suggestion and values of the wrong type", () => {
    const r = checkRel("test/dsl/fixtures/params.ipc", { set: ["cuont=3", "chunk=3s"] });
    expect(r.diagnostics.map((d) => [d.code, d.help])).toEqual([
      ["E004", "did you mean 'count'?"],
      ["E004", "'chunk' is declared as a size"],
    ]);
  });

  it("assigns roles for every kind along a chain", () => {
    const t = topology("test/dsl/fixtures/pipeline_chain.ipc");
    expect(proc(t, "parse").uses).toEqual([
      { endpoint: "cache", role: "reader" },
      { endpoint: "cache_lock", role: "user" },
      { endpoint: "metrics", role: "writer" },
      { endpoint: "parsed", role: "writer" },
      { endpoint: "raw", role: "server" },
      { endpoint: "slots", role: "waiter" },
      { endpoint: "tick", role: "waiter" },
    ]);
    expect(proc(t, "ingest").after).toEqual(["parse"]);
    expect(proc(t, "parse").after).toEqual(["store", "stats"]);
    const cache = t.endpoints.find((e) => e.name === "cache");
    expect(cache?.options).toEqual({
      path: "data/cache.bin",
      size: 16 * 1024 * 1024,
      writable: false,
    });
  });

  it("the model is plain data that survives JSON", () => {
    const t = topology("examples/workers.ipc");
    expect(JSON.parse(JSON.stringify(t))).toEqual(t);
  });

  it("reports every error in one run", () => {
    const r = checkSource(
      "x.ipc",
      "topology x\nshm a { size = 0B }\nshm a\npipe p { mode = fast }\nnope -> p -> x\n",
      {
        platform: "linux",
      },
    );
    expect(r.diagnostics.map((d) => d.code)).toEqual([
      "W002",
      "E023",
      "E011",
      "E026",
      "E010",
      "E010",
    ]);
    expect(r.topology).toBeNull();
  });
});
