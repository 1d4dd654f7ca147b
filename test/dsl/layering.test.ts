import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "./_harness.ts";

function tsFiles(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir)).flatMap((f) => {
    const rel = `${dir}/${f}`;
    if (statSync(path.join(ROOT, rel)).isDirectory()) return tsFiles(rel);
    return f.endsWith(".ts") ? [rel] : [];
  });
}

const imports = (rel: string) =>
  [
    ...readFileSync(path.join(ROOT, rel), "utf8").matchAll(
      /^\s*(?:import|export)[^"']*from\s+["']([^"']+)["']/gm,
    ),
  ]
    .map((m) => m[1] ?? "");

describe("layering", () => {
  it("dsl/ imports only itself and ohm-js (no FFI, no runtime APIs)", () => {
    for (const file of tsFiles("dsl").filter((f) => !f.endsWith("build_grammar.ts"))) {
      for (const spec of imports(file)) {
        const ok = spec === "ohm-js" ||
          (spec.startsWith(".") &&
            path.resolve(path.dirname(path.join(ROOT, file)), spec).startsWith(
              path.join(ROOT, "dsl"),
            ));
        expect(ok, `${file} imports ${spec}`).toBe(true);
      }
      expect(readFileSync(path.join(ROOT, file), "utf8"), file).not.toMatch(/\b(Deno|Bun)\.\w/);
    }
  });

  it("cli/ uses node: built-ins, dsl/ and lib/ (for the runtime), never Deno.* or Bun.*", () => {
    for (const file of tsFiles("cli")) {
      for (const spec of imports(file)) {
        expect(
          spec.startsWith("node:") || spec.startsWith("./") || spec.startsWith("../dsl/") ||
            spec.startsWith("../lib/"),
          `${file}: ${spec}`,
        )
          .toBe(true);
      }
      expect(readFileSync(path.join(ROOT, file), "utf8"), file).not.toMatch(/\b(Deno|Bun)\.\w/);
    }
  });
});
