// The Windows part of com_client.ts (see there).
import process from "node:process";
import { ComObject, ComRef, Currency, Decimal } from "../../mod.ts";
import { NativeLibrary, NativeMemory } from "../../lib/ffi/mod.ts";
import { parseGuid } from "../../lib/win32/com/guid.ts";
import { addRef, release } from "../../lib/win32/com/vtable.ts";
import { report } from "./_peers.ts";
import { attempt, show } from "./_com_values.ts";
import { processHandleCount } from "./_windows_handles.ts";
import { kernel32 } from "../../lib/win32/kernel32.ts";

// ---- Scripting.Dictionary -----------------------------------------------------------------
{
  using dict = ComObject.create({ name: "Scripting.Dictionary", context: "inproc" });
  dict.call("Add", "a", 1);
  dict.call("Add", "b", "two");
  report("count", dict.get("Count"));
  report("item", dict.get("Item", "b"));
  dict.set("Item", "a", 11);
  report("item_put", dict.get("Item", "a"));
  report("exists", [dict.call("Exists", "a"), dict.call("Exists", "zz")]);
  dict.call("Remove", "b");
  report("count_after_remove", dict.get("Count"));
  report("has", [dict.has("exists"), dict.has("Nope")]);

  using other = ComObject.create({ name: "Scripting.Dictionary" });
  other.call("Add", "inner", "yes");
  const items: Record<string, unknown> = {
    empty: undefined,
    null: null,
    true: true,
    false: false,
    i4: -123456,
    r8: 3.25,
    negzero: -0,
    i8: -(2n ** 62n),
    ui8: 2n ** 64n - 1n,
    cy: Currency.from("-922337203685477.5808"),
    dec: Decimal.from("-79228162514264337593543950.335"),
    date: new Date(2024, 1, 29, 13, 14, 15, 678),
    old_date: new Date(1850, 5, 1, 6, 30),
    str: "tëst-✓-𝄞\0end",
    empty_str: "",
    bom_and_lone_surrogate: "\uFEFFbom \uD800 \uFFFD",
    bytes: Uint8Array.of(0, 1, 255),
    no_bytes: new Uint8Array(0),
    list: [1, "x", [2, 3], null],
    grid: [[1, 2, 3], [4, 5, 6]],
    cube: [[[1, 2], [3, 4]], [[5, 6], [7, 8]]],
    jagged: [[1], [2, 3]],
    empty_list: [],
  };
  using store = ComObject.create({ name: "Scripting.Dictionary" });
  const roundTrip: Record<string, boolean> = {};
  for (const [name, value] of Object.entries(items)) {
    store.call("Add", name, value);
    const back = store.get("Item", name);
    roundTrip[name] = JSON.stringify(show(back)) === JSON.stringify(show(value));
    if (!roundTrip[name]) report(`mismatch_${name}`, { sent: show(value), got: show(back) });
  }
  report("items_round_trip", roundTrip);
  store.call("Add", "object", other);
  const inner = store.get("Item", "object") as ComObject;
  report("object_item", inner.get("Item", "inner"));
  inner.close();

  // Keys of every scalar type; Keys() and Items() come back as SAFEARRAYs.
  using keyed = ComObject.create({ name: "Scripting.Dictionary" });
  const keys = Object.entries(items).filter(([name]) =>
    ![
      "empty",
      "bytes",
      "no_bytes",
      "list",
      "grid",
      "cube",
      "jagged",
      "empty_list",
      "null",
      "bom_and_lone_surrogate",
    ]
      .includes(name)
  );
  const keyResults: Record<string, unknown> = {};
  for (const [name, key] of keys) {
    const result = attempt(() => keyed.call("Add", key, name));
    if ("error" in (result as object)) keyResults[name] = result;
    else keyResults[name] = keyed.get("Item", key) === name;
  }
  report("keys_lookup", keyResults);
  const keyList = keyed.call("Keys") as unknown[];
  const itemList = keyed.call("Items") as unknown[];
  report("keys_array", keyList.map(show));
  report("items_array", itemList);
  report("for_of_keys", [...keyed].map(show));
  const asyncKeys: unknown[] = [];
  for await (const key of keyed) asyncKeys.push(show(key));
  report("for_await_keys", asyncKeys.length === keyList.length);

  // Errors: unknown member, wrong argument count, values with no VARIANT form, a released object.
  report("unknown_member", attempt(() => dict.call("Nope")));
  report("bad_count", attempt(() => dict.call("Add", "only")));
  report("function_arg", attempt(() => dict.call("Add", "f", () => 1)));
  report("symbol_arg", attempt(() => dict.call("Add", Symbol("s"), 1)));
  report("object_arg", attempt(() => dict.call("Add", "o", { a: 1 })));
  report("put_without_value", attempt(() => dict.invoke("Item", { kind: "put" })));
  report("named_unknown", attempt(() => dict.invoke("Add", { args: ["k"], named: { Nope: 1 } })));
  report("duplicate_key", attempt(() => dict.call("Add", "a", 2)));
  const released = ComObject.create({ name: "Scripting.Dictionary" });
  released.close();
  released.close();
  report("released", attempt(() => released.call("Add", "k", 1)));
  report("released_iterate", attempt(() => [...released]));
  report("missing_class", attempt(() => ComObject.create({ name: "No.Such.ProgId" })));
  report("not_running", attempt(() => ComObject.open({ name: "Scripting.Dictionary" })));
  // A running object: published in the running object table here, found by GetActiveObject.
  // HRESULT RegisterActiveObject(IUnknown*, REFCLSID, DWORD flags, DWORD* cookie); RevokeActiveObject(DWORD, void*)
  const rot = new NativeLibrary(
    { windows: "oleaut32.dll" },
    {
      RegisterActiveObject: { args: ["pointer", "pointer", "u32", "pointer"], returns: "i32" },
      RevokeActiveObject: { args: ["u32", "pointer"], returns: "i32" },
    } as const,
  );
  using published = ComObject.create({ name: "Scripting.Dictionary" });
  published.call("Add", "running", true);
  using rotMemory = NativeMemory.alloc(20);
  rotMemory.bytes.set(parseGuid("{EE09B103-97E0-11CF-978F-00A02463E06F}"));
  const registered = rot.symbols.RegisterActiveObject(
    published.pointer,
    rotMemory.address,
    0,
    rotMemory.address + 16n,
  );
  {
    using running = ComObject.open({ name: "Scripting.Dictionary" });
    report("active_object", [registered, running.get("Item", "running")]);
  }
  rot.symbols.RevokeActiveObject(rotMemory.view.getUint32(16, true), 0n);
  report("revoked", attempt(() => ComObject.open({ name: "Scripting.Dictionary" })));
  using byMoniker = ComObject.open({ moniker: "new:Scripting.Dictionary" });
  byMoniker.call("Add", 1, 2);
  report("moniker_count", byMoniker.get("Count"));
  using byClsid = ComObject.create({ name: "{EE09B103-97E0-11CF-978F-00A02463E06F}" });
  report("clsid_count", byClsid.get("Count"));
}

// ---- Scripting.FileSystemObject -----------------------------------------------------------
{
  using fso = ComObject.create({ name: "Scripting.FileSystemObject" });
  const temp = fso.call("GetSpecialFolder", 2) as ComObject;
  const root = fso.call("BuildPath", temp.get("Path"), `ipckit-com-${process.pid}`) as string;
  temp.close();
  if (fso.call("FolderExists", root)) fso.call("DeleteFolder", root, true);
  const folder = fso.call("CreateFolder", root) as ComObject;
  const names = ["a.txt", "b.txt"];
  for (const name of names) {
    const file = fso.call(
      "CreateTextFile",
      fso.call("BuildPath", root, name),
      true,
      true,
    ) as ComObject;
    file.call("WriteLine", `hello ${name}`);
    file.call("Write", "ünïcode ✓");
    file.call("Close");
    file.close();
  }
  // Named arguments: append (IOMode 8) without creating.
  const appender = fso.invoke("OpenTextFile", {
    args: [fso.call("BuildPath", root, "a.txt")],
    named: { IOMode: 8, Format: -1 },
  }) as ComObject;
  appender.call("Write", "!");
  appender.call("Close");
  appender.close();
  // Read as Unicode (Format -1, TristateTrue), as it was written.
  const reader = fso.call(
    "OpenTextFile",
    fso.call("BuildPath", root, "a.txt"),
    1,
    false,
    -1,
  ) as ComObject;
  report("file_text", reader.call("ReadAll"));
  reader.call("Close");
  reader.close();
  const files = folder.get("Files") as ComObject;
  const listed: string[] = [];
  for (const file of files) {
    listed.push((file as ComObject).get("Name") as string);
    (file as ComObject).close();
  }
  report("files", listed.sort());
  report("files_count", files.get("Count"));
  files.close();
  folder.close();
  report("type_mismatch", attempt(() => fso.call("BuildPath", "a", [1])));
  fso.call("DeleteFolder", root, true);
  report("folder_removed", !fso.call("FolderExists", root));
}

// ---- VBScript.RegExp ------------------------------------------------------------------------
{
  using re = ComObject.create({ name: "VBScript.RegExp" });
  re.set("Pattern", "(\\w+)@(\\w+)\\.com");
  re.set("Global", true);
  re.set("IgnoreCase", true);
  report("regexp_props", [re.get("Pattern"), re.get("Global"), re.get("IgnoreCase")]);
  const matches = re.call("Execute", "mail a@b.com or C@D.COM today") as ComObject;
  const found: unknown[] = [];
  for await (const match of matches) {
    const m = match as ComObject;
    // Wine's SubMatches has no _NewEnum (E_NOTIMPL): read it by index.
    const groups = m.get("SubMatches") as ComObject;
    const count = groups.get("Count") as number;
    found.push({
      value: m.get("Value"),
      at: m.get("FirstIndex"),
      groups: Array.from({ length: count }, (_, i) => groups.get("Item", i)),
    });
    groups.close();
    m.close();
  }
  report("matches", found);
  report("matches_count", matches.get("Count"));
  matches.close();
  report("regexp_test", re.call("Test", "nothing here"));
}

// ---- By-reference arguments and array shapes, through VBScript --------------------------------
{
  const result = attempt(() => {
    using sc = ComObject.create({ name: "MSScriptControl.ScriptControl" });
    sc.set("Language", "VBScript");
    sc.call(
      "AddCode",
      [
        "Sub Twice(ByRef x, ByRef s)",
        "  x = x * 2",
        '  s = s & "!"',
        "End Sub",
        "Function Grid()",
        "  Dim a(1, 2)",
        "  a(0, 0) = 1 : a(0, 1) = 2 : a(0, 2) = 3",
        "  a(1, 0) = 4 : a(1, 1) = 5 : a(1, 2) = 6",
        "  Grid = a",
        "End Function",
        "Function Dims(a)",
        '  Dims = UBound(a, 1) & "," & UBound(a, 2) & "," & a(1, 0)',
        "End Function",
      ].join("\r\n"),
    );
    using code = sc.get("CodeObject") as ComObject;
    const number = new ComRef(21);
    const text = new ComRef("hi");
    code.call("Twice", number, text);
    return [number.value, text.value, code.call("Grid"), code.call("Dims", [[1, 2, 3], [4, 5, 6]])];
  });
  report("script_control", result);
}

// ---- 100,000 calls: no growth of memory, handles or object references ---------------------------
{
  // PROCESS_MEMORY_COUNTERS_EX (x64): WorkingSetSize at 16, PagefileUsage at 56; 80 bytes.
  const counters = new Uint8Array(80);
  const view = new DataView(counters.buffer);
  const sample = () => {
    view.setUint32(0, 80, true);
    kernel32.symbols.K32GetProcessMemoryInfo(kernel32.symbols.GetCurrentProcess(), counters, 80);
    // PagefileUsage is the process's private commit (Windows reports the same in PrivateUsage,
    // which Wine leaves at 0); a leak of 25,000 BSTRs of 4,000 characters moves it by ~390 MB.
    return {
      workingSet: Number(view.getBigUint64(16, true)),
      privateBytes: Number(view.getBigUint64(56, true)),
      // Wine's GetProcessHandleCount always reports 0: counted in the system's handle table.
      handles: processHandleCount(),
    };
  };
  using store = ComObject.create({ name: "Scripting.Dictionary" });
  using inner = ComObject.create({ name: "Scripting.Dictionary" });
  const text = "x".repeat(4000);
  store.call("Add", "s", text);
  store.call("Add", "o", inner);
  store.call("Add", "g", [[1, "a"], [2, "b"]]);
  const refs = () => {
    addRef(inner.pointer);
    return release(inner.pointer);
  };
  const step = (i: number) => {
    switch (i % 4) {
      case 0:
        return store.set("Item", "s", text);
      case 1:
        return store.get("Item", "s");
      case 2:
        return (store.get("Item", "o") as ComObject).close();
      default:
        return store.get("Item", "g");
    }
  };
  for (let i = 0; i < 10_000; i++) step(i);
  const before = sample();
  const refsBefore = refs();
  const started = performance.now();
  for (let i = 0; i < 100_000; i++) step(i);
  const elapsed = performance.now() - started;
  const after = sample();
  report("loop", {
    private_growth_mb: (after.privateBytes - before.privateBytes) / 2 ** 20,
    working_set_growth_mb: (after.workingSet - before.workingSet) / 2 ** 20,
    handle_growth: after.handles - before.handles,
    references_same: refs() === refsBefore,
    calls_per_second: Math.round(100_000 / (elapsed / 1000)),
  });

  // The backstop: wrappers dropped without close() are released once collected. Only Bun can
  // force a collection from a script (Deno runs without --expose-gc).
  const bunGc = (globalThis as { Bun?: { gc(force: boolean): void } }).Bun?.gc;
  if (bunGc) {
    const baseline = refs();
    (() => {
      for (let i = 0; i < 200; i++) store.get("Item", "o");
    })();
    const held = refs() - baseline;
    for (let round = 0; round < 5 && refs() > baseline; round++) {
      bunGc(true);
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    report("finalized", { held, released: refs() === baseline });
  }
}

report("done", true);
