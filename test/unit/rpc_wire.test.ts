import { describe, expect, it } from "vitest";
import { RpcError } from "../../lib/rpc/errors.ts";
import { CompiledSchema } from "../../lib/rpc/schema.ts";
import {
  batch,
  FLAG,
  FRAME,
  frame,
  NO_TIMEOUT,
  openFrame,
  parseFrame,
  parseOpen,
  parseStatus,
  splitBatch,
  statusFrame,
} from "../../lib/rpc/wire.ts";

describe("RPC frames", () => {
  it("batches frames with u32 little-endian lengths and splits them back", () => {
    const a = openFrame(7, "add", 1500, new Uint8Array([8, 1]), true);
    const b = statusFrame(7, 5, "gone ✓");
    const message = batch([a, b]);
    expect([...message.subarray(0, 4)]).toEqual([a.length, 0, 0, 0]);
    const { frames, error } = splitBatch(message);
    expect(error).toBeNull();
    expect(frames.map((f) => [...f])).toEqual([[...a], [...b]]);
    const open = parseFrame(frames[0]!);
    expect(open).toMatchObject({ type: FRAME.OPEN, flags: FLAG.END | FLAG.MESSAGE, id: 7 });
    expect(parseOpen(open.body, true)).toEqual({
      method: "add",
      timeoutMs: 1500,
      message: new Uint8Array([8, 1]),
    });
    expect(parseStatus(parseFrame(frames[1]!).body)).toEqual({ code: 5, text: "gone ✓" });
  });

  it("rejects truncated batches, short frames, unknown types and truncated OPENs with invalid_argument", () => {
    const whole = batch([frame(FRAME.CANCEL, 0, 1)]);
    const cut = splitBatch(whole.subarray(0, whole.length - 1));
    expect(cut.frames).toEqual([]);
    expect(cut.error?.code).toBe("invalid_argument");
    expect(() => parseFrame(new Uint8Array(3))).toThrow(RpcError);
    expect(() => parseFrame(frame(42, 0, 1))).toThrow("unknown type 42");
    const open = parseFrame(openFrame(1, "method", NO_TIMEOUT, null, false));
    expect(() => parseOpen(open.body.subarray(0, 8), false)).toThrow("truncated OPEN");
  });
});

describe("RPC schema codecs", () => {
  const schema = new CompiledSchema({
    package: "t",
    records: {
      Node: {
        fields: [
          { name: "id", number: 1, type: "u64" },
          { name: "label", number: 2, type: "string", optional: true },
          { name: "next", number: 3, type: "Node" },
          { name: "kind", number: 4, type: "Kind" },
        ],
      },
    },
    enums: { Kind: { values: [{ name: "leaf", number: 0 }, { name: "branch", number: 1 }] } },
    services: {},
  });
  const codec = schema.codec("Node");

  it("gives a record that contains itself one level of defaults", () => {
    expect(codec.decode(new Uint8Array())).toEqual({
      id: 0n,
      next: { id: 0n, kind: "leaf" },
      kind: "leaf",
    });
  });

  it("reads an enum number it does not know as digits, and writes it back", () => {
    const bytes = new Uint8Array([0x20, 0x09]); // kind = 9
    expect(codec.decode(bytes)).toMatchObject({ kind: "9" });
    expect([...codec.encode({ id: 0n, kind: "9" })]).toEqual([0x20, 0x09]);
  });

  it("refuses values of the wrong type with a TypeError naming the field", () => {
    expect(() => codec.encode({ id: 1.5 })).toThrow(
      "Cannot encode number 1.5 as u64 field 'id' of 'Node'",
    );
    expect(() => codec.encode({ kind: "tree" })).toThrow("as enum 'Kind'");
    expect(() => codec.encode("x")).toThrow("Cannot encode string x as record 'Node'");
  });

  it("speaks proto3 JSON with the enum's proto names", () => {
    expect(codec.toJson({ id: 2n ** 64n - 1n, kind: "branch", label: "" })).toEqual({
      id: "18446744073709551615",
      label: "",
      kind: "KIND_BRANCH",
    });
    expect(codec.fromJson({ id: "5", kind: "KIND_BRANCH" })).toMatchObject({
      id: 5n,
      kind: "branch",
    });
  });
});
