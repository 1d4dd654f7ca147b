import { existsSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CODES } from "../../dsl/mod.ts";
import { checkRel, ipcFiles, readRel, ROOT } from "./_harness.ts";

// Each test/dsl/golden/<CODE>.ipc is a minimal input that produces <CODE>;
// <CODE>.txt is its exact rendered output. UPDATE_GOLDEN=1 rewrites the .txt files.
const GOLDEN = "test/dsl/golden";
const update = !!process.env["UPDATE_GOLDEN"];

describe("golden diagnostics", () => {
  it("has one golden input for every diagnostic code", () => {
    const inputs = readdirSync(path.join(ROOT, GOLDEN)).filter((f) => f.endsWith(".ipc"));
    expect(inputs.map((f) => f.replace(".ipc", "")).sort()).toEqual(Object.keys(CODES).sort());
  });

  for (const file of ipcFiles(GOLDEN)) {
    const code = path.basename(file, ".ipc");
    it(`${code} renders exactly as recorded`, () => {
      const result = checkRel(file);
      expect(result.diagnostics.map((d) => d.code)).toContain(code);
      const expected = file.replace(/\.ipc$/, ".txt");
      if (update || !existsSync(path.join(ROOT, expected))) {
        writeFileSync(path.join(ROOT, expected), result.rendered);
      }
      expect(result.rendered).toBe(readRel(expected));
    });
  }
});

describe("docs/language.md", () => {
  it("documents every diagnostic code with its golden example and output", () => {
    const docs = readRel("docs/language.md");
    for (const [code, title] of Object.entries(CODES)) {
      expect(docs).toContain(`### ${code}: ${title}\n`);
      expect(docs).toContain(readRel(`${GOLDEN}/${code}.txt`).trimEnd());
    }
  });
});
