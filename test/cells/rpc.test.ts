import { spawnSync } from "node:child_process";
import { beforeAll, expect, it } from "vitest";
import { ALL_CELLS, inCells, LINUX_CELLS, runScenario } from "./_driver.ts";

/** The load cases, which the scenario runs with its own runtime as the client. */
const LOAD = { concurrent_matched: 10_000, stream_in_order: 100_000, fuzz_then_valid: "answered" };

/** What one side's client suite must report (test/scenarios/rpc/lab_client.ts). */
const SUITE = {
  unary: "42",
  server_streaming: ["0", "1", "2", "3", "4"],
  client_streaming: "10",
  bidi_streaming: ["2", "4", "6", "8"],
  round_trip: "equal",
  absent_optional: "absent",
  cancel_stream: { cancelled: true, finally_ran: true, reason: "canceled" },
  abort: "Error: caller gave up",
  abort_observed: { cancelled: true, finally_ran: true, reason: "canceled" },
  deadline: "TimeoutError",
  fast_while_slow: "2",
  slow_released: "slow",
  throw_rpc_error: "not_found: no such job",
  throw_error: "unknown: boom",
  unknown_method: "unimplemented: Cannot call 'missing': no such method",
  after_unknown_method: "2",
  oversize_local: "MessageTooLargeError",
  oversize_server:
    "resource_exhausted: Cannot accept a 3146146-byte request: the limit is 2097152 bytes",
  after_oversize: "3",
  // Status codes by call id: 3 invalid_argument, 12 unimplemented, 8 resource_exhausted.
  bad_frames: {
    "0": "status 3",
    "5": "status 3",
    "6": "status 3",
    "7": "status 12",
    "8": "status 3",
    "9": "status 8",
    "10": "message 2",
  },
  fuzz_new_connection: "100",
  old_client_new_server: { name: "ada (seen by v2: email '', plan free)", age: 37 },
  new_client_old_server: { name: "bob (seen by v1)", age: 41, email: "", plan: "free" },
};

function suiteOf(results: Record<string, unknown>, side: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(results)) {
    if (key.startsWith(`${side}.`)) out[key.slice(side.length + 1)] = value;
  }
  return out;
}

inCells(ALL_CELLS, (cell) => {
  // Bun cells run the load cases as a Bun client of a Deno server, Deno cells the reverse.
  it("RPC between Bun and Deno, each serving the other: every method shape and field type, cancellation, deadlines, errors, bad frames, schema evolution; 10,000 concurrent calls, a 100,000-item stream and a 10,000-frame fuzz; idle CPU under 2%", async () => {
    const run = await runScenario(cell, "test/scenarios/rpc_interop.ts", [], {
      timeoutMs: 300_000,
    });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.results["remote_server.exit"]).toEqual({ code: 0, served: true });
    expect(run.results["remote_client.exit"]).toBe(0);
    expect(run.results["idle_cpu_percent"]).toBeLessThan(2);
    for (const side of ["local_client", "remote_client"]) {
      const suite = suiteOf(run.results, side);
      expect(suite, side).toMatchObject(SUITE);
      if (side === "local_client") expect(suite).toMatchObject(LOAD);
      // The server's deadline and the client's cancel race; either way the handler was told.
      expect((suite["deadline_observed"] as { reason: string }).reason).toMatch(
        /^(deadline_exceeded|canceled) with deadline$/,
      );
    }
  });

  it(
    `examples/rpc_calc.ipc under ipckit run: a Bun server and a Deno client compute, stream and sum${
      LINUX_CELLS.includes(cell)
        ? ", and so does a Python client with python3-grpcio over the server's gRPC endpoint"
        : " (the Python client and its gRPC endpoint are Linux-only: left out on Windows)"
    }; the server exits when its clients are done, nothing is left`,
    async () => {
      const linux = LINUX_CELLS.includes(cell);
      if (linux) {
        const provision = spawnSync("bash", ["tools/interop/provision.sh"], { stdio: "inherit" });
        expect(provision.status).toBe(0);
      }
      const run = await runScenario(cell, "cli/main.ts", ["run", "examples/rpc_calc.ipc"]);
      expect(run.code, run.stdout + run.stderr).toBe(0);
      const clients = linux ? ["client", "pyclient"] : ["client"];
      for (const client of clients) {
        for (
          const line of [
            "6 \\* 7 = 42",
            `1 / 0: ${
              client === "client" ? "invalid_argument" : "INVALID_ARGUMENT"
            }: Cannot divide by zero`,
            "running total of 1\\.\\.100: 5050 after 100",
            "sum of 1\\.\\.20 in two ranges: 210 \\(20 numbers\\)",
          ]
        ) expect(run.stdout).toMatch(new RegExp(`${client}\\s+\\| ${line}`));
      }
      expect(run.stdout).toMatch(/server\s+\| clients done; server exiting/);
      if (!linux) expect(run.stdout).not.toMatch(/pyclient/);
      const left = await runScenario(cell, "test/scenarios/runtime/leftovers.ts", [
        "pipe:rpc_calc.calc",
      ]);
      expect(left.code, left.stderr).toBe(0);
      expect(left.results["gone.pipe.rpc_calc.calc"]).toBe(true);
    },
  );
});

/** What this runtime's own fetch and node:http2 client see, in every cell. */
const IN_PROCESS = {
  fetch_json: [200, { n: "42" }],
  fetch_proto: [200, "-4"],
  fetch_error: [404, { code: "not_found", message: "gone" }],
  fetch_stream: [[0, {}], [0, { n: "1" }], [0, { n: "2" }], [2, {}]],
  h2_unary: { status: "0", message: "", responses: ["42"] },
  h2_server_stream: { status: "0", message: "", responses: ["0", "1", "2"] },
  h2_client_stream: { status: "0", message: "", responses: ["3"] },
  h2_bidi: { status: "0", message: "", responses: ["2", "4"] },
  h2_unknown: {
    status: "12",
    message: "Cannot call '/lab.lab/nope': no such method",
    responses: [],
  },
  h2_deadline: { status: "4", message: "Call passed its deadline of 100 ms", responses: [] },
  done: true,
};

/** What programs that are not ours see (Linux cells: the Windows cells have no curl or Python). */
const EXTERNAL = {
  curl_tcp: '{"n":"42"}',
  curl_unix: '{"n":"2"}',
  curl_error: '{"code":"not_found","message":"no such job"} 404',
  py_json_tcp: [200, { n: "42" }],
  py_json_unix: [200, { n: "9007199254740994" }],
  py_error: [403, { code: "permission_denied", message: "not yours" }],
  py_unknown_method: [501, "unimplemented"],
  py_stream: [200, "application/connect+json", ["0", "1", "2", "3", "4"], {}],
  py_proto: [200, "application/proto", "-9223372036854775806"],
  deadline: [504, { code: "deadline_exceeded", message: "Call passed its deadline of 200 ms" }],
  grpc_unary: "42",
  grpc_server_stream: ["0", "1", "2", "3", "4"],
  grpc_client_stream: "10",
  grpc_bidi: ["2", "4", "6", "8"],
  grpc_error: ["NOT_FOUND", "no such job: é 100%"],
  grpc_unknown_method: "UNIMPLEMENTED",
  grpc_deadline: "DEADLINE_EXCEEDED",
  grpc_cancel: [["0", "1", "2"], true, true, "canceled"],
  grpc_after_errors: "2",
  grpc_unix: "9007199254740994",
};

inCells(ALL_CELLS, (cell) => {
  const linux = LINUX_CELLS.includes(cell);
  beforeAll(() => {
    if (!linux) return;
    // curl, python3-protobuf and python3-grpcio from Debian, installed by the project's own script.
    const provision = spawnSync("bash", ["tools/interop/provision.sh"], { stdio: "inherit" });
    expect(provision.status).toBe(0);
  });

  it(
    `Connect over HTTP/1.1 and gRPC over HTTP/2: fetch and node:http2 clients call every method shape, get typed errors and deadlines${
      linux
        ? "; curl, a standard-library Python client, a python3-protobuf client and Debian's python3-grpcio (TCP and a Unix socket) call them too, and a grpcio cancel stops the handler"
        : ""
    }`,
    async () => {
      const run = await runScenario(cell, "test/scenarios/rpc_http.ts");
      expect(run.stderr).toBe("");
      expect(run.code).toBe(0);
      const { grpc_deadline_observed: observed, ...results } = run.results;
      expect(results).toEqual(linux ? { ...IN_PROCESS, ...EXTERNAL } : IN_PROCESS);
      // grpcio's own deadline and the server's race; either way the handler was told.
      if (linux) {
        expect(observed).toEqual([
          true,
          expect.stringMatching(/^(deadline_exceeded|canceled) with deadline$/),
        ]);
      }
    },
  );
});

// The limit is Windows' (32 KiB per variable; Linux allows 128 KiB), and the supervisor passes the
// environment through ipckit's own spawn, the same code in both runtimes: one Windows cell runs it,
// to keep within the test-time budget (about 20 s a run there).
inCells(["windows-bun"], (cell) => {
  it("a service with 47 KB of declarations (past Windows' 32 KiB per environment variable) runs under ipckit run: the schema travels in a file, removed at the end of the run", async () => {
    const run = await runScenario(cell, "test/scenarios/rpc_big_schema.ts");
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.results["exit"]).toBe(0);
    const echoed = run.results["echoed"] as Record<string, string>;
    expect(Object.keys(echoed)).toHaveLength(20);
    expect(echoed).toMatchObject({ field_0: "first", field_1: "0n", field_2: "", field_19: "19n" });
    expect(run.results["schema_files_left"]).toEqual([]);
  });
});
