import { describe, expect, it } from "vitest";
import { checkTag, checkTimeout, MAX_TAG } from "../../lib/_copydata_common.ts";

describe("copydata tags", () => {
  it("accepts 0..2^64-1 as bigint or safe integer, 0 when absent", () => {
    expect(checkTag(undefined)).toBe(0n);
    expect(checkTag(0)).toBe(0n);
    expect(checkTag(Number.MAX_SAFE_INTEGER)).toBe(BigInt(Number.MAX_SAFE_INTEGER));
    expect(checkTag(MAX_TAG)).toBe(2n ** 64n - 1n);
  });

  it("refuses an oversize or negative tag with RangeError and other types with TypeError", () => {
    expect(() => checkTag(2n ** 64n)).toThrow(
      new RangeError(
        "Cannot use tag 18446744073709551616 for copydata: it must be from 0 to 2^64-1",
      ),
    );
    expect(() => checkTag(-1n)).toThrow(RangeError);
    expect(() => checkTag(-1)).toThrow(RangeError);
    expect(() => checkTag(1.5)).toThrow(TypeError);
    expect(() => checkTag("1")).toThrow(
      new TypeError(
        "Cannot use string as a copydata tag: pass a bigint (or an integer) from 0 to 2^64-1",
      ),
    );
  });
});

describe("copydata timeouts", () => {
  it("takes ms >= 0 or Infinity and the default when absent", () => {
    expect(checkTimeout(undefined, 5, "send")).toBe(5);
    expect(checkTimeout(0, 5, "send")).toBe(0);
    expect(checkTimeout(Infinity, 5, "send")).toBe(Infinity);
  });

  it("refuses negative, NaN and non-number timeouts with RangeError", () => {
    expect(() => checkTimeout(-1, 5, "send to copydata receiver 'x'")).toThrow(
      new RangeError(
        "Cannot send to copydata receiver 'x' with timeout -1: use ms >= 0 or Infinity",
      ),
    );
    expect(() => checkTimeout(NaN, 5, "send")).toThrow(RangeError);
    expect(() => checkTimeout("1", 5, "send")).toThrow(RangeError);
  });
});
