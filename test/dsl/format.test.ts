import { describe, expect, it } from "vitest";
import { format } from "../../dsl/format.ts";
import { parse } from "../../dsl/parse.ts";
import { ipcFiles, readRel } from "./_harness.ts";
import { structure } from "./_structure.ts";

const CORPUS = [
  ...ipcFiles("examples"),
  ...ipcFiles("test/dsl/fixtures"),
  ...ipcFiles("test/dsl/golden"),
]
  .filter((f) => !f.endsWith("E001.ipc"));

const comments = (text: string) => parse(text, 0).ast?.comments.map((c) => c.text) ?? [];

describe("ipckit fmt", () => {
  for (const file of CORPUS) {
    it(`${file}: idempotent, keeps every comment, keeps the meaning`, () => {
      const source = readRel(file);
      const once = format(source, 0).text;
      expect(once).not.toBeNull();
      const twice = format(once ?? "", 0).text;
      expect(twice).toBe(once);
      expect(comments(once ?? "")).toEqual(comments(source));
      expect(structure(parse(once ?? "", 0).ast!)).toEqual(structure(parse(source, 0).ast!));
    });
  }

  it("the examples are already in canonical form", () => {
    for (const file of ipcFiles("examples")) {
      const source = readRel(file);
      expect(format(source, 0).text).toBe(source);
    }
  });

  it("normalises spacing, keeps comments in place and at most one blank line", () => {
    const source = `# lead
topology   c   # after header


param n=3 # trailing param
shm a {
   # inside
   size = 1KiB, # t1
   scope = local
   # dangling
}
process p[n] { run = [ "a", # x
  "b" ], env = { A = "1" } }
when linux { # g
  process q { run = "x" }  # tq

  q -> a
}
when windows process z {run="z"}
p,q->a->q # flow
# end
`;
    expect(format(source, 0).text).toBe(`# lead
topology c # after header

param n = 3 # trailing param
shm a {
  # inside
  size = 1KiB # t1
  scope = local
  # dangling
}
process p[n] {
  run = [
    "a", # x
    "b",
  ]
  env = { A = "1" }
}
when linux {
  # g
  process q { run = "x" } # tq

  q -> a
}
when windows process z { run = "z" }
p, q -> a -> q # flow
# end
`);
  });

  it("breaks a long list one item per line", () => {
    const items = Array.from({ length: 12 }, (_, i) => `"argument-${i}"`).join(", ");
    const text = format(`topology t\nprocess p { run = [${items}] }\n`, 0).text ?? "";
    expect(text.split("\n")).toContain('    "argument-11",');
    expect(format(text, 0).text).toBe(text);
  });

  it("returns a syntax error instead of formatting broken input", () => {
    const r = format("topology t\nshm a {", 0);
    expect(r.text).toBeNull();
    expect(r.diagnostics[0]?.code).toBe("E001");
  });
});
