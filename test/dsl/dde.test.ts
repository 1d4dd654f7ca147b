// The dde kind: one serving process (the `from` side) and its clients,
// which start after it, on both platforms.
import { describe, expect, it } from "vitest";
import { checkSource, KINDS, renderAll } from "../../dsl/mod.ts";

function check(text: string, platform: "linux" | "windows") {
  const result = checkSource("t.ipc", text, {
    platform,
    set: [],
    kinds: KINDS,
    readFile: () => "",
  });
  return { ...result, rendered: renderAll(result.diagnostics, result.files, "t.ipc") };
}

describe("dde kind", () => {
  it("a server and its clients check clean on both platforms: writer and readers, the server first", () => {
    const text = `topology t
dde quotes { service_name = "Quotes" }
process feed { run = "bun feed.ts" }
process a { run = "bun a.ts" }
process b { run = "bun b.ts" }
feed -> quotes -> a, b
`;
    for (const platform of ["linux", "windows"] as const) {
      const result = check(text, platform);
      expect(result.rendered).toBe("");
      const quotes = result.topology?.endpoints.find((e) => e.name === "quotes");
      expect(quotes?.options["service_name"]).toBe("Quotes");
      const byName = new Map(result.topology?.processes.map((p) => [p.name, p]));
      expect(byName.get("feed")?.uses).toEqual([{ endpoint: "quotes", role: "writer" }]);
      expect(byName.get("a")?.uses).toEqual([{ endpoint: "quotes", role: "reader" }]);
      expect(byName.get("a")?.after).toEqual(["feed"]);
      expect(byName.get("b")?.after).toEqual(["feed"]);
      expect(byName.get("feed")?.after).toEqual([]);
    }
  });

  it("a second serving process is E045 with the dde help", () => {
    const result = check(
      `topology t
dde quotes
process s1 { run = "bun s1.ts" }
process s2 { run = "bun s2.ts" }
process c { run = "bun c.ts" }
s1 -> quotes -> c
s2 -> quotes
`,
      "linux",
    );
    expect(result.diagnostics.map((d) => d.code)).toEqual(["E045"]);
    expect(result.rendered).toContain("error[E045]: dde 'quotes' has more than one writer");
    expect(result.rendered).toContain(
      "= help: a dde endpoint has exactly one serving process, on the `from` side of its flows (its clients are on the `to` side); give another server its own dde endpoint",
    );
  });

  it("a server without clients is E031", () => {
    const result = check(
      `topology t
dde quotes
process s { run = "bun s.ts" }
s -> quotes
`,
      "windows",
    );
    expect(result.diagnostics.map((d) => d.code)).toEqual(["E031"]);
  });
});
