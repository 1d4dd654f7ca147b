import { describe, expect, it } from "vitest";
import { struct } from "../../lib/ffi/struct.ts";
import { decodeC, decodeWide, encodeC, encodeWide } from "../../lib/ffi/strings.ts";
import {
  COPYDATASTRUCT,
  MSG,
  OVERLAPPED,
  POINT,
  PROCESS_INFORMATION,
  SECURITY_ATTRIBUTES,
  STARTUPINFOW,
  WNDCLASSEXW,
} from "../../lib/win32/structs.ts";

describe("struct layout follows Win64 alignment", () => {
  it.each([
    ["OVERLAPPED", OVERLAPPED.size, 32],
    ["SECURITY_ATTRIBUTES", SECURITY_ATTRIBUTES.size, 24],
    ["STARTUPINFOW", STARTUPINFOW.size, 104],
    ["PROCESS_INFORMATION", PROCESS_INFORMATION.size, 24],
    ["COPYDATASTRUCT", COPYDATASTRUCT.size, 24],
    ["MSG", MSG.size, 48],
    ["WNDCLASSEXW", WNDCLASSEXW.size, 80],
  ])("%s is %i bytes (expected %i)", (_name, size, expected) => {
    expect(size).toBe(expected);
  });

  it("places fields at their aligned offsets", () => {
    expect(OVERLAPPED.offsetOf("hEvent")).toBe(24);
    expect(STARTUPINFOW.offsetOf("wShowWindow")).toBe(64);
    expect(STARTUPINFOW.offsetOf("lpReserved2")).toBe(72);
    expect(STARTUPINFOW.offsetOf("hStdError")).toBe(96);
    expect(MSG.offsetOf("pt")).toBe(36);
    expect(COPYDATASTRUCT.offsetOf("lpData")).toBe(16);
  });

  it("reads and writes scalar fields little-endian, 64-bit ones as bigint", () => {
    const view = new DataView(new ArrayBuffer(OVERLAPPED.size * 2));
    OVERLAPPED.set(view, "hEvent", 0x1122334455667788n, OVERLAPPED.size);
    OVERLAPPED.set(view, "Offset", 0xdeadbeef, OVERLAPPED.size);
    expect(OVERLAPPED.get(view, "hEvent", OVERLAPPED.size)).toBe(0x1122334455667788n);
    expect(view.getUint8(OVERLAPPED.size + 24)).toBe(0x88);
    expect(OVERLAPPED.get(view, "Offset", OVERLAPPED.size)).toBe(0xdeadbeef);
    expect(OVERLAPPED.get(view, "hEvent")).toBe(0n);
  });

  it("lays out arrays and nested structs", () => {
    const layout = struct({ tag: "u8", points: [POINT, 3], tail: "u16" });
    expect(layout.offsetOf("points")).toBe(4);
    expect(layout.offsetOf("tail")).toBe(28);
    expect(layout.size).toBe(32);
  });

  it("rejects unknown fields with a TypeError", () => {
    expect(() => OVERLAPPED.offsetOf("nope" as "hEvent")).toThrow(TypeError);
  });
});

describe("string codecs", () => {
  const sample = "tëst-✓-𝄞";

  it("encodes UTF-16LE with surrogate pairs and a NUL terminator", () => {
    const bytes = encodeWide(sample);
    expect(bytes.byteLength).toBe((sample.length + 1) * 2);
    // 'ë' = U+00EB, little-endian; '𝄞' = D834 DD1E.
    expect([...bytes.subarray(2, 4)]).toEqual([0xeb, 0x00]);
    expect([...bytes.subarray(14, 18)]).toEqual([0x34, 0xd8, 0x1e, 0xdd]);
    expect([...bytes.subarray(-2)]).toEqual([0, 0]);
  });

  it("round-trips wide strings, stopping at the first NUL", () => {
    expect(decodeWide(encodeWide(sample))).toBe(sample);
    const padded = new Uint8Array(64);
    padded.set(encodeWide(sample));
    expect(decodeWide(padded)).toBe(sample);
    expect(decodeWide(encodeWide("x".repeat(10_000)))).toHaveLength(10_000);
  });

  it("round-trips C strings as UTF-8 and refuses embedded NUL", () => {
    expect(decodeC(encodeC(sample))).toBe(sample);
    expect(encodeC("a").byteLength).toBe(2);
    expect(() => encodeC("a\0b")).toThrow(TypeError);
  });
});
