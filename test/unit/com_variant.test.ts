import { describe, expect, it } from "vitest";
import { ComError, HRESULT, hresultName } from "../../lib/win32/com/error.ts";
import { formatGuid, IID_IDispatch, isGuid, parseGuid } from "../../lib/win32/com/guid.ts";
import {
  checkVariantValue,
  Currency,
  dateToVariantTime,
  Decimal,
  decodeVariant,
  encodeVariant,
  MISSING,
  rectangularShape,
  SCode,
  VARIANT_SIZE,
  variantTimeToDate,
  VT,
} from "../../lib/win32/com/variant.ts";

function roundTrip(value: unknown): { vt: number; back: unknown } {
  const view = new DataView(new ArrayBuffer(VARIANT_SIZE));
  encodeVariant(view, 0, value);
  return { vt: view.getUint16(0, true), back: decodeVariant(view, 0) };
}

describe("VARIANT scalars", () => {
  it("round-trips every scalar type with the VARTYPE the table promises", () => {
    expect(roundTrip(undefined)).toEqual({ vt: VT.EMPTY, back: undefined });
    expect(roundTrip(null)).toEqual({ vt: VT.NULL, back: null });
    expect(roundTrip(true)).toEqual({ vt: VT.BOOL, back: true });
    expect(roundTrip(false)).toEqual({ vt: VT.BOOL, back: false });
    expect(roundTrip(-2147483648)).toEqual({ vt: VT.I4, back: -2147483648 });
    expect(roundTrip(2147483648)).toEqual({ vt: VT.R8, back: 2147483648 });
    expect(roundTrip(1.5)).toEqual({ vt: VT.R8, back: 1.5 });
    expect(Object.is(roundTrip(-0).back, -0)).toBe(true);
    expect(roundTrip(-(2n ** 63n))).toEqual({ vt: VT.I8, back: -(2n ** 63n) });
    expect(roundTrip(2n ** 64n - 1n)).toEqual({ vt: VT.UI8, back: 2n ** 64n - 1n });
    expect(roundTrip(new Currency(-9223372036854775808n)).back).toEqual(
      new Currency(-9223372036854775808n),
    );
    expect(roundTrip(MISSING)).toEqual({
      vt: VT.ERROR,
      back: new SCode(HRESULT.DISP_E_PARAMNOTFOUND),
    });
  });

  it("keeps DECIMAL exact at its limits", () => {
    for (
      const text of [
        "79228162514264337593543950335",
        "-7.9228162514264337593543950335",
        "0.0000000000000000000000000001",
        "-0.10",
      ]
    ) {
      const { vt, back } = roundTrip(Decimal.from(text));
      expect(vt).toBe(VT.DECIMAL);
      expect((back as Decimal).toString()).toBe(text);
    }
    expect(() => Decimal.from("79228162514264337593543950336")).toThrow(RangeError);
    expect(() => new Decimal(1n, 29)).toThrow(RangeError);
  });

  it("writes dates as OLE automation dates from local wall-clock time", () => {
    expect(dateToVariantTime(new Date(1899, 11, 30))).toBe(0);
    expect(dateToVariantTime(new Date(1900, 0, 1))).toBe(2);
    expect(dateToVariantTime(new Date(1899, 11, 29, 6))).toBe(-1.25);
    expect(dateToVariantTime(new Date(1899, 11, 29, 18))).toBe(-1.75);
    expect(variantTimeToDate(-1.25)).toEqual(new Date(1899, 11, 29, 6));
    for (
      const date of [
        new Date(2026, 11, 1, 10, 41, 33, 123),
        new Date(1601, 0, 1),
        new Date(9999, 11, 31, 23, 59, 59, 999),
      ]
    ) {
      expect(roundTrip(date)).toEqual({ vt: VT.DATE, back: date });
    }
    const early = new Date(0);
    early.setFullYear(50, 5, 1);
    expect(variantTimeToDate(dateToVariantTime(early))).toEqual(early);
  });
});

describe("Currency and Decimal", () => {
  it("parse and print exactly", () => {
    expect(Currency.from("922337203685477.5807").scaled).toBe(9223372036854775807n);
    expect(Currency.from(-1.5).toString()).toBe("-1.5000");
    expect(Currency.from(3n).toString()).toBe("3.0000");
    expect(() => Currency.from("1.00001")).toThrow(RangeError);
    expect(() => Currency.from("abc")).toThrow(TypeError);
    expect(Decimal.from(0.1).toString()).toBe("0.1");
    expect(Decimal.from("-0.001").unscaled).toBe(-1n);
    expect(JSON.stringify({ c: Currency.from("2.5") })).toBe('{"c":"2.5000"}');
  });
});

describe("VARIANT values refused before any native call", () => {
  it("names the argument and the kind", () => {
    expect(() => checkVariantValue(() => 1, "argument 1")).toThrow(
      new TypeError("Cannot pass argument 1 to COM: a function has no VARIANT form"),
    );
    expect(() => checkVariantValue(Symbol("s"), "argument 0")).toThrow(TypeError);
    expect(() => checkVariantValue([1, [2, Symbol("x")]], "argument 0")).toThrow(
      /argument 0\[1\]\[1\]/,
    );
    expect(() => checkVariantValue({ a: 1 })).toThrow(/a Object has no VARIANT form/);
    expect(() => checkVariantValue(2n ** 64n)).toThrow(RangeError);
    expect(() => checkVariantValue(new Date(NaN))).toThrow(RangeError);
    expect(() => checkVariantValue([1, "a", [new Uint8Array(2)], null])).not.toThrow();
  });
});

describe("array shapes", () => {
  it("treats rectangular nesting as dimensions and jagged nesting as nested arrays", () => {
    expect(rectangularShape([])).toEqual([0]);
    expect(rectangularShape([1, 2])).toEqual([2]);
    expect(rectangularShape([[1, 2, 3], [4, 5, 6]])).toEqual([2, 3]);
    expect(rectangularShape([[[1], [2]], [[3], [4]]])).toEqual([2, 2, 1]);
    expect(rectangularShape([[1], [2, 3]])).toEqual([2]);
    expect(rectangularShape([[1], 2])).toEqual([2]);
    expect(rectangularShape([[], []])).toEqual([2, 0]);
  });
});

describe("GUIDs and HRESULTs", () => {
  it("parses, formats and recognises GUIDs", () => {
    expect(formatGuid(IID_IDispatch)).toBe("{00020400-0000-0000-C000-000000000046}");
    expect([...parseGuid("{EE09B103-97E0-11CF-978F-00A02463E06F}").subarray(0, 4)]).toEqual([
      0x03,
      0xb1,
      0x09,
      0xee,
    ]);
    expect(isGuid("Scripting.Dictionary")).toBe(false);
    expect(() => parseGuid("nope")).toThrow(TypeError);
  });

  it("builds ComError messages from EXCEPINFO", () => {
    const error = new ComError(-2147352571, {
      operation: "Invoke 'Add'",
      argumentIndex: 1,
      description: "Type mismatch.",
      source: "Microsoft VBScript runtime error",
    });
    expect(error.hresult).toBe(HRESULT.DISP_E_TYPEMISMATCH);
    expect(error.code).toBe("DISP_E_TYPEMISMATCH");
    expect(error.message).toBe(
      "Invoke 'Add' failed: DISP_E_TYPEMISMATCH at argument 1: Type mismatch (source: Microsoft VBScript runtime error)",
    );
    expect(hresultName(0x8004d00e)).toBe("0x8004D00E");
  });
});
