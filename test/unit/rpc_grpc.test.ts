import { describe, expect, it } from "vitest";
import { envelope, envelopes } from "../../lib/rpc/connect.ts";
import { grpcMessage, parseGrpcTimeout } from "../../lib/rpc/grpc.ts";

async function collect(chunks: Uint8Array[], limit = 1024): Promise<number[][]> {
  const out: number[][] = [];
  for await (
    const m of envelopes(
      (async function* () {
        yield* chunks;
      })(),
      limit,
    )
  ) {
    out.push([...m]);
  }
  return out;
}

describe("gRPC helpers", () => {
  it("reads grpc-timeout in every unit and refuses malformed ones", () => {
    expect(parseGrpcTimeout("250m")).toBe(250);
    expect(parseGrpcTimeout("2S")).toBe(2000);
    expect(parseGrpcTimeout("1M")).toBe(60_000);
    expect(parseGrpcTimeout("1H")).toBe(3_600_000);
    expect(parseGrpcTimeout("1500u")).toBeCloseTo(1.5);
    expect(parseGrpcTimeout("2000000n")).toBeCloseTo(2);
    for (const bad of [undefined, "", "5", "m", "123456789m", "5x", "-5m"]) {
      expect(parseGrpcTimeout(bad)).toBeNull();
    }
  });

  it("percent-encodes grpc-message as UTF-8 outside printable ASCII, and %", () => {
    expect(grpcMessage("plain text: ok")).toBe("plain text: ok");
    expect(grpcMessage("100% é\n")).toBe("100%25 %C3%A9%0A");
    expect(decodeURIComponent(grpcMessage("ünïcode 100%"))).toBe("ünïcode 100%");
  });

  it("splits envelopes across chunk boundaries and refuses compressed or oversize ones", async () => {
    const a = envelope(0, new Uint8Array([1, 2, 3]));
    const b = envelope(0, new Uint8Array([]));
    const joined = new Uint8Array([...a, ...b]);
    expect(await collect([joined.subarray(0, 2), joined.subarray(2, 7), joined.subarray(7)]))
      .toEqual([[1, 2, 3], []]);
    await expect(collect([envelope(1, new Uint8Array([9]))])).rejects.toMatchObject({
      code: "unimplemented",
    });
    await expect(collect([envelope(0, new Uint8Array(10))], 5)).rejects.toMatchObject({
      code: "resource_exhausted",
    });
    await expect(collect([a.subarray(0, 6)])).rejects.toMatchObject({ code: "invalid_argument" });
  });
});
