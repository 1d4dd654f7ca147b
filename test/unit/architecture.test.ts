// The layering rules of the tree: cli → runtime → {dsl, lib}; lib/ffi imports
// nothing of ours; only lib/ffi knows Deno from Bun.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");

function sourceFiles(dir: string): string[] {
  const abs = join(ROOT, dir);
  try {
    statSync(abs);
  } catch {
    return [];
  }
  return readdirSync(abs, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))
    .map((f) => join(dir, f));
}

/** Project-relative targets of a file's relative imports. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), "utf8");
  const specifiers = [
    ...text.matchAll(
      /(?:import|export)\s[^'"]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g,
    ),
  ]
    .map((m) => m[1] ?? m[2]!)
    .filter((s) => s.startsWith("."));
  return specifiers.map((s) => relative(ROOT, resolve(ROOT, dirname(file), s)));
}

const layer = (path: string) =>
  path.startsWith("lib/ffi/")
    ? "ffi"
    : path.startsWith("lib/runtime/")
    ? "runtime"
    : path.startsWith("lib/")
    ? "lib"
    : path.startsWith("dsl/")
    ? "dsl"
    : path.startsWith("cli/")
    ? "cli"
    : path === "mod.ts"
    ? "mod"
    : "other";

// What each layer may import (besides itself).
const ALLOWED: Record<string, string[]> = {
  ffi: [],
  lib: ["ffi"],
  dsl: [],
  runtime: ["lib", "ffi", "dsl"],
  cli: ["runtime", "dsl", "lib", "ffi"],
  mod: ["lib", "ffi", "runtime"],
};

describe("architecture", () => {
  const files = ["mod.ts", ...sourceFiles("lib"), ...sourceFiles("dsl"), ...sourceFiles("cli")];

  it("finds the source tree", () => {
    expect(files.filter((f) => f.startsWith("lib/ffi/")).length).toBeGreaterThan(5);
  });

  it("imports point one way only: cli → runtime → {dsl, lib}, lib/ffi imports nothing of ours", () => {
    const violations: string[] = [];
    for (const file of files) {
      const from = layer(file);
      for (const target of importsOf(file)) {
        const to = layer(target);
        if (to === from || to === "other") continue;
        if (!ALLOWED[from]?.includes(to)) {
          violations.push(`${file} (${from}) imports ${target} (${to})`);
        }
      }
    }
    expect(violations).toEqual([]);
  });

  it("only lib/ffi tells Deno from Bun", () => {
    const offenders = files
      .filter((f) => !f.startsWith("lib/ffi/"))
      .filter((f) =>
        /globalThis\.(Bun|Deno)\b|\bDeno\.[a-zA-Z]|["']bun:ffi["']|\bBun\.[a-z]/.test(
          readFileSync(join(ROOT, f), "utf8").replace(/^\s*(\/\/|\*).*$/gm, ""),
        )
      );
    expect(offenders).toEqual([]);
  });
});
