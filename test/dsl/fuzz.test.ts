import { describe, expect, it } from "vitest";
import { mutate, prng, runCase } from "./_mutate.ts";
import { ipcFiles, readRel } from "./_harness.ts";

// `npm run fuzz` runs 100,000 cases; this runs a few thousand on every test run.
const CASES = Number(process.env["DSL_FUZZ_CASES"] ?? 3000);
const SEED = Number(process.env["DSL_FUZZ_SEED"] ?? 20240601);

describe("mutation fuzzer", () => {
  it(`${CASES} mutants of the corpus end in diagnostics, never an exception or a hang`, () => {
    const corpus = [
      ...ipcFiles("examples"),
      ...ipcFiles("test/dsl/fixtures"),
      ...ipcFiles("test/dsl/golden"),
    ]
      .map(readRel);
    const rnd = prng(SEED);
    const failures: string[] = [];
    let slowest = 0;
    for (let i = 0; i < CASES; i++) {
      const source = corpus[i % corpus.length] ?? "";
      const { text, op } = mutate(source, rnd);
      const r = runCase(text);
      slowest = Math.max(slowest, r.ms);
      if (!r.ok) {
        failures.push(`case ${i} (${op}): ${r.error}\n--- input ---\n${JSON.stringify(text)}`);
      }
      if (r.ms > 5000) failures.push(`case ${i} (${op}) took ${Math.round(r.ms)} ms`);
      if (failures.length >= 3) break;
    }
    expect(failures).toEqual([]);
    expect(slowest).toBeLessThan(5000);
  });
});
