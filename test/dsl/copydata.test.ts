// The copydata kind: one receiving process and any number of senders,
// checked like a mailslot, on both platforms.
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

describe("copydata kind", () => {
  it("senders and one receiver check clean on both platforms, with roles writer and reader", () => {
    const text = `topology t
copydata jobs { reply_timeout = 2s }
process a { run = "bun a.ts" }
process b { run = "bun b.ts" }
process r { run = "bun r.ts" }
a, b -> jobs -> r
`;
    for (const platform of ["linux", "windows"] as const) {
      const result = check(text, platform);
      expect(result.rendered).toBe("");
      const jobs = result.topology?.endpoints.find((e) => e.name === "jobs");
      expect(jobs?.options["reply_timeout"]).toBe(2000);
    }
  });

  it("a second receiving process is E030 with the copydata help", () => {
    const result = check(
      `topology t
copydata jobs
process a { run = "bun a.ts" }
process r1 { run = "bun r1.ts" }
process r2 { run = "bun r2.ts" }
a -> jobs -> r1
a -> jobs -> r2
`,
      "linux",
    );
    expect(result.diagnostics.map((d) => d.code)).toEqual(["E030"]);
    expect(result.rendered).toContain("error[E030]: copydata 'jobs' has more than one reader");
    expect(result.rendered).toContain(
      "= help: a copydata endpoint has exactly one receiving process, whose answers go back to the senders; give each receiver its own copydata endpoint",
    );
  });

  it("a receiver without senders is E031", () => {
    const result = check(
      `topology t
copydata jobs
process r { run = "bun r.ts" }
jobs -> r
`,
      "windows",
    );
    expect(result.diagnostics.map((d) => d.code)).toContain("E031");
  });
});
