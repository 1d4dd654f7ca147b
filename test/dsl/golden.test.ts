import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CODES } from "../../dsl/mod.ts";
import { checkRel, ipcFiles, readRel, ROOT } from "./_harness.ts";

// Each test/dsl/golden/<CODE>.ipc is a minimal input that produces <CODE>;
// <CODE>.txt is its exact rendered output. UPDATE_GOLDEN=1 (re)writes the .txt files;
// without it a missing .txt is a failure: a test never creates its own expectation.
const GOLDEN = "test/dsl/golden";
const update = process.env["UPDATE_GOLDEN"] === "1";

/** Compares `actual` with the file at `expectedPath`, writing the file only in update mode. */
function expectGolden(actual: string, expectedPath: string, updating: boolean): void {
  if (updating) writeFileSync(expectedPath, actual);
  else if (!existsSync(expectedPath)) {
    throw new Error(
      `Missing golden file '${expectedPath}': run UPDATE_GOLDEN=1 npx vitest run test/dsl/golden.test.ts and review it`,
    );
  }
  expect(actual).toBe(readFileSync(expectedPath, "utf8"));
}

describe("golden files", () => {
  it("a missing expectation fails and is not written outside update mode", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "ipckit-golden-"));
    try {
      const missing = path.join(dir, "E999.txt");
      expect(() => expectGolden("error[E999]: …\n", missing, false)).toThrow(
        /^Missing golden file '.*E999\.txt': run UPDATE_GOLDEN=1/,
      );
      expect(existsSync(missing)).toBe(false);
      expectGolden("error[E999]: …\n", missing, true);
      expect(readFileSync(missing, "utf8")).toBe("error[E999]: …\n");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

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
      expectGolden(result.rendered, path.join(ROOT, file.replace(/\.ipc$/, ".txt")), update);
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
