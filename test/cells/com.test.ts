import { expect, it } from "vitest";
import { inCells, LINUX_CELLS, runScenario, WINDOWS_CELLS } from "./_driver.ts";

// The COM client (engineer com-client). The COM server's tests live in their own file.
inCells(WINDOWS_CELLS, (cell) => {
  it("COM client: Scripting.Dictionary with every VARIANT type, FileSystemObject, VBScript.RegExp, by-reference arguments and array shapes through VBScript, typed errors, 100,000 calls without growth", async () => {
    const run = await runScenario(cell, "test/scenarios/com_client.ts");
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const r = run.results;
    expect(r).toMatchObject({
      count: 2,
      item: "two",
      item_put: 11,
      exists: [true, false],
      count_after_remove: 1,
      has: [true, false],
      object_item: "yes",
      for_await_keys: true,
      unknown_member: { error: "ComError", code: "DISP_E_UNKNOWNNAME" },
      bad_count: { error: "ComError", code: "DISP_E_BADPARAMCOUNT" },
      function_arg: { error: "TypeError" },
      symbol_arg: { error: "TypeError" },
      object_arg: { error: "TypeError" },
      put_without_value: { error: "TypeError" },
      named_unknown: { error: "ComError", code: "DISP_E_UNKNOWNNAME" },
      duplicate_key: { error: "ComError" },
      released: { error: "ClosedError" },
      released_iterate: { error: "ClosedError" },
      missing_class: { error: "NotFoundError" },
      not_running: { error: "NotFoundError" },
      active_object: [0, true],
      revoked: { error: "NotFoundError" },
      moniker_count: 1,
      clsid_count: 0,
      file_text: "hello a.txt\r\nünïcode ✓!",
      files: ["a.txt", "b.txt"],
      files_count: 2,
      type_mismatch: { error: "ComError", code: "DISP_E_TYPEMISMATCH", argument: 1 },
      folder_removed: true,
      regexp_props: ["(\\w+)@(\\w+)\\.com", true, true],
      matches: [
        { value: "a@b.com", at: 5, groups: ["a", "b"] },
        { value: "C@D.COM", at: 16, groups: ["C", "D"] },
      ],
      matches_count: 2,
      regexp_test: false,
      // ByRef x doubled, ByRef s appended to; a VBScript Dim a(1, 2) reads as 2 rows of 3; a JS
      // 2×3 array has UBound 1 and 2 in VBScript, and a(1, 0) is the second row's first element.
      script_control: { ok: [42, "hi!", [[1, 2, 3], [4, 5, 6]], "1,2,4"] },
      done: true,
    });
    // Every VARIANT type round-trips as a Dictionary item.
    expect(Object.values(r.items_round_trip as Record<string, boolean>).every(Boolean)).toBe(true);
    expect(Object.keys(r.items_round_trip as object)).toHaveLength(23);
    // As keys: Wine's scrrun hashes strings, numbers and dates only, and refuses the other key
    // types (E_NOTIMPL, or 0x800A0005 for VT_I8); every key it takes comes back exactly.
    const keys = r.keys_lookup as Record<string, unknown>;
    for (const name of ["i4", "r8", "negzero", "date", "old_date", "str", "empty_str"]) {
      expect(keys[name]).toBe(true);
    }
    for (const [name, outcome] of Object.entries(keys)) {
      if (outcome !== true) {
        expect(["true", "false", "i8", "ui8", "cy", "dec"]).toContain(name);
        expect(outcome).toMatchObject({ error: "ComError" });
      }
    }
    const accepted = [
      -123456,
      3.25,
      "-0",
      "date:2024-2-29 13:14:15.678",
      "date:1850-6-1 06:30:00.0",
      "tëst-✓-𝄞\u0000end",
      "",
    ];
    expect(r.keys_array).toEqual(accepted);
    expect(r.for_of_keys).toEqual(accepted);
    expect(r.items_array).toEqual(["i4", "r8", "negzero", "date", "old_date", "str", "empty_str"]);
    // 100,000 calls (BSTRs in and out, objects returned and released, SAFEARRAYs returned):
    // no growth in private memory beyond the JS heap's noise (a BSTR leak would be ~390 MB), no
    // handles, and the returned object's reference count is where it was.
    const loop = r.loop as Record<string, number | boolean>;
    expect(loop.private_growth_mb).toBeLessThan(48);
    // A leak per call would show 100,000; the runtimes open a few handles lazily meanwhile
    // (windows-bun: 3 in one run, counted in the system's handle table under Wine).
    expect(loop.handle_growth).toBeLessThanOrEqual(16);
    expect(loop.references_same).toBe(true);
    // 200 wrappers dropped unclosed hold 200 references until collected, then none (Bun can
    // force a collection; Deno runs without --expose-gc, so its cell has no such line).
    if (cell === "windows-bun") expect(r.finalized).toEqual({ held: 200, released: true });
    else expect(r.finalized).toBeUndefined();
  });
});

inCells(LINUX_CELLS, (cell) => {
  it("COM client: every entry point throws UnsupportedPlatformError naming the platform", async () => {
    const run = await runScenario(cell, "test/scenarios/com_client.ts");
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.results).toEqual({
      create: { error: "UnsupportedPlatformError" },
      open: { error: "UnsupportedPlatformError" },
      moniker: { error: "UnsupportedPlatformError" },
      message: "Cannot create a COM object on linux: COM exists only on Windows",
      typed: true,
      done: true,
    });
  });
});
