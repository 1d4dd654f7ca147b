import { describe, expect, it } from "vitest";
import { checkSource, format, parse, toMermaid, toProto, toTypeScript } from "../../dsl/mod.ts";
import { structure } from "./_structure.ts";
import { checkRel, readRel } from "./_harness.ts";

const check = (text: string) => checkSource("t.ipc", text, { platform: "linux" });
const codes = (text: string) => check(text).diagnostics.map((d) => d.code);

const CALC = `topology calc
record Pair { a: i64, b: i64 }
record Sum { value: i64 }
service calc { add(Pair): Sum }
process server { run = "bun s.ts" }
process client { run = "bun c.ts" }
`;

describe("RPC declarations", () => {
  it("numbers fields after the previous one and enum values from 0", () => {
    const t = checkRel("test/dsl/fixtures/rpc_types.ipc").topology!;
    expect(t.schema.package).toBe("rpc_types");
    expect(t.schema.enums["Color"]?.values).toEqual([
      { name: "red", number: 0 },
      { name: "green", number: 1 },
      { name: "blue", number: 5 },
    ]);
    const nested = t.schema.records["Nested"]!.fields;
    expect(nested.map((f) => [f.name, f.number])).toEqual([
      ["maybe", 10],
      ["color", 11],
      ["scalars", 12],
      ["many", 13],
      ["by_name", 14],
      ["tags", 15],
    ]);
    expect(nested[0]).toEqual({ name: "maybe", number: 10, type: "string", optional: true });
    expect(nested[3]).toEqual({ name: "many", number: 13, type: "Scalars", repeated: "list" });
    expect(nested[4]).toEqual({ name: "by_name", number: 14, type: "Nested", repeated: "map" });
  });

  it("records every method shape of a service", () => {
    const t = checkRel("test/dsl/fixtures/rpc_types.ipc").topology!;
    expect(
      t.schema.services["store"]?.methods.map((m) => [
        m.name,
        m.clientStreaming,
        m.serverStreaming,
      ]),
    ).toEqual([
      ["put", false, false],
      ["watch", false, true],
      ["upload", true, false],
      ["sync", true, true],
    ]);
    const store = t.endpoints.find((e) => e.name === "store")!;
    expect(store.kind).toBe("service");
    expect(store.options["max_message"]).toBe(16 * 1024 * 1024);
  });

  it("checks a service flow like a pipe: one serving process, servers start first", () => {
    const t = check(CALC + "client -> calc -> server\n").topology!;
    expect(t.flows).toEqual([
      expect.objectContaining({
        endpoint: "calc",
        from: ["client"],
        to: ["server"],
        server: "server",
      }),
    ]);
    expect(t.processes.find((p) => p.name === "client")?.after).toEqual(["server"]);
    expect(t.processes.find((p) => p.name === "client")?.uses).toEqual([
      { endpoint: "calc", role: "client" },
    ]);
    expect(codes(CALC + 'process other { run = "x" }\nclient -> calc -> server, other\n'))
      .toContain("E032");
    expect(
      codes(CALC.replace("process server", "process server[2]") + "client -> calc -> server\n"),
    )
      .toContain("E038");
  });

  it("reports each new mistake with its code", () => {
    const base = (body: string) =>
      `topology t\n${body}\nprocess s { run = "x" }\nprocess c { run = "y" }\nc -> svc -> s\n`;
    const svc = "service svc { go(R): R }";
    expect(codes(base(`record R { a: nope }\n${svc}`))).toEqual(["E050"]);
    expect(codes(base(`record R { a: i32 @3, b: i32 @3 }\n${svc}`))).toEqual(["E051"]);
    expect(codes(base(`record R { a: i32 @2, b: i32 @1, c: i32 }\n${svc}`))).toEqual(["E051"]);
    expect(codes(base(`enum E { a, b @0 }\nrecord R { e: E }\n${svc}`))).toEqual(["E051"]);
    expect(codes(base(`record R { a: list<stream i32> }\n${svc}`))).toEqual(["E052"]);
    expect(codes(base(`record R { a: i32 @19500 }\n${svc}`))).toEqual(["E053"]);
    expect(codes(base(`record R { a: i32 @4KiB }\n${svc}`))).toEqual(["E053"]);
    expect(codes(base(`enum E { a @1 }\nrecord R { e: E }\n${svc}`))).toEqual(["E053"]);
    expect(codes(base(`record R { a: map<i32, string> }\n${svc}`))).toEqual(["E054"]);
    expect(codes(base(`record R { a?: list<i32> }\n${svc}`))).toEqual(["E054"]);
    expect(codes(base(`record R { a: list<i32, i32> }\n${svc}`))).toEqual(["E054"]);
    expect(codes(base(`record R { a: i32 }\nservice svc { go(list<R>): R }`))).toEqual(["E055"]);
    expect(codes(base(`record R { a: i32, a: i64 }\n${svc}`))).toEqual(["E011"]);
    expect(codes(base(`record R { a: i32 }\nrecord R { b: i32 }\n${svc}`))).toEqual(["E011"]);
    expect(codes(base(`record R { a: i32 }\nservice svc { go(R): R, go(R): R }`))).toEqual([
      "E011",
    ]);
  });

  it("keeps `record`, `enum` and `service` reserved but lets `stream` and `recorder` be names", () => {
    expect(parse('topology t\nprocess record { run = "x" }', 0).diagnostics[0]?.help).toBe(
      "'record' is a keyword and cannot be used as a name",
    );
    expect(parse('topology t\nprocess recorder { run = "x" }\npipe stream', 0).ast).not.toBeNull();
    expect(parse("topology t\nrecord stream { a: i32 }\nrecord R { s: stream }", 0).ast).not
      .toBeNull();
  });

  it("formats records, enums and services canonically and idempotently", () => {
    const messy = `topology t
record   R {a:i32,b?:list<string>@4 # note
}
enum E{x,y@3}
service svc {max_message=1MiB
go(R):stream R, back(stream R): R}
`;
    const once = format(messy, 0).text!;
    expect(once).toBe(`topology t
record R {
  a: i32
  b?: list<string> @4 # note
}
enum E { x, y @3 }
service svc {
  max_message = 1MiB
  go(R): stream R
  back(stream R): R
}
`);
    expect(format(once, 0).text).toBe(once);
    expect(structure(parse(once, 0).ast!)).toEqual(structure(parse(messy, 0).ast!));
    const fixture = readRel("test/dsl/fixtures/rpc_types.ipc");
    expect(format(fixture, 0).text).toBe(fixture);
  });

  it("graphs a service with its methods", () => {
    const t = check(CALC + "client -> calc -> server\n").topology!;
    expect(toMermaid(t)).toContain('e0[["calc<br/>service<br/>add(Pair): Sum"]]');
  });
});

describe("ipckit gen", () => {
  it("writes the proto3 file of a program's records, enums and services", () => {
    const t = check(`topology calc-app
enum Op { add, dark_mode @4 }
record Pair { a: i64, b?: f64 @5, at: timestamp, op?: Op, tags: list<string>, by: map<string, Pair>, next?: Pair }
service calc { add(Pair): Pair, watch(stream Pair): stream Pair }
`).topology!;
    expect(toProto(t.schema, "calc.ipc")).toBe(
      `// Generated by \`ipckit gen proto calc.ipc\`. Do not edit.
syntax = "proto3";

package calc_app;

import "google/protobuf/timestamp.proto";

enum Op {
  OP_ADD = 0;
  OP_DARK_MODE = 4;
}

message Pair {
  int64 a = 1;
  optional double b = 5;
  google.protobuf.Timestamp at = 6;
  optional Op op = 7;
  repeated string tags = 8;
  map<string, Pair> by = 9;
  Pair next = 10;
}

service calc {
  rpc add(Pair) returns (Pair);
  rpc watch(stream Pair) returns (stream Pair);
}
`,
    );
  });

  it("keeps the generated TypeScript of the test and example services up to date", () => {
    const generated = [
      ["test/scenarios/rpc/lab.ipc", "test/scenarios/rpc/lab.rpc.ts", "../../../mod.ts"],
      [
        "test/scenarios/rpc/evolve_v1.ipc",
        "test/scenarios/rpc/evolve_v1.rpc.ts",
        "../../../mod.ts",
      ],
      [
        "test/scenarios/rpc/evolve_v2.ipc",
        "test/scenarios/rpc/evolve_v2.rpc.ts",
        "../../../mod.ts",
      ],
      ["examples/rpc_calc.ipc", "examples/rpc_calc/calc.rpc.ts", "../../mod.ts"],
    ] as const;
    for (const [source, output, from] of generated) {
      const t = checkRel(source).topology!;
      expect(toTypeScript(t.schema, source, from), `regenerate ${output}`).toBe(readRel(output));
    }
  });
});
