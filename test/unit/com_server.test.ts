import { describe, expect, it } from "vitest";
import { MemberTable } from "../../lib/win32/com/server.ts";
import { checkProgId, clsidForProgId } from "../../lib/win32/com/_registration.ts";

describe("COM server DISPIDs (MemberTable)", () => {
  class Counter {
    count = 0;
    add(n: number) {
      return (this.count += n);
    }
  }

  it("assigns DISPIDs to own and inherited members in order, then events, and matches names regardless of case", () => {
    const table = new MemberTable(new Counter(), ["Changed"]);
    expect(table.lookup("count")).toEqual({ id: 1, name: "count" });
    expect(table.lookup("ADD")).toEqual({ id: 2, name: "add" });
    expect(table.lookup("changed")).toEqual({ id: 3, name: "Changed" });
    expect(table.lookup("constructor")).toBeUndefined();
    expect(table.lookup("toString")).toBeUndefined();
    expect(table.byId(2)).toEqual({ id: 2, name: "add" });
    expect(table.byId(99)).toBeUndefined();
  });

  it("gives a member added after publishing the next DISPID, and keeps every DISPID stable", () => {
    const target: Record<string, unknown> = { a: 1 };
    const table = new MemberTable(target);
    expect(table.lookup("late")).toBeUndefined();
    target.late = 2;
    expect(table.lookup("Late")).toEqual({ id: 2, name: "late" });
    delete target.a;
    expect(table.lookup("A")).toEqual({ id: 1, name: "a" });
    expect(table.lookup("late")?.id).toBe(2);
  });
});

describe("COM class registration names", () => {
  it("accepts ProgIDs as COM defines them and rejects others with a TypeError", () => {
    expect(checkProgId("Ipckit.Demo.1")).toBe("Ipckit.Demo.1");
    expect(() => checkProgId("1Bad")).toThrow(
      "Cannot use '1Bad' as a ProgID: use 1 to 39 letters, digits and periods, starting with a letter",
    );
    expect(() => checkProgId("Has_Underscore")).toThrow(TypeError);
    expect(() => checkProgId("A".repeat(40))).toThrow(TypeError);
    expect(() => checkProgId(42)).toThrow("Cannot use number as a ProgID: it must be a string");
  });

  it("derives one version-5 CLSID per ProgID, whatever its case", () => {
    const clsid = clsidForProgId("Ipckit.Demo");
    expect(clsid).toMatch(
      /^\{[0-9A-F]{8}-[0-9A-F]{4}-5[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}\}$/,
    );
    expect(clsidForProgId("IPCKIT.DEMO")).toBe(clsid);
    expect(clsidForProgId("Ipckit.Other")).not.toBe(clsid);
  });
});
