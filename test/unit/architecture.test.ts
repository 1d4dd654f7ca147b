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

/** Every file `entry` loads at run time (type-only imports are erased), and the bare specifiers it reaches. */
function closure(entry: string): { files: Set<string>; bare: Set<string> } {
  const files = new Set<string>();
  const bare = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    // Comment lines (JSDoc examples) import nothing.
    const text = readFileSync(join(ROOT, file), "utf8").replace(/^\s*(\/\/|\*).*$/gm, "");
    for (
      const m of text.matchAll(
        /(?:import|export)\s(?!type\s)[^'"]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g,
      )
    ) {
      const specifier = m[1] ?? m[2]!;
      if (specifier.startsWith(".")) visit(relative(ROOT, resolve(ROOT, dirname(file), specifier)));
      else bare.add(specifier);
    }
  };
  visit(entry);
  return { files, bare };
}

const ENTRY_POINTS = {
  ".": "./mod.ts",
  "./attach": "./lib/runtime/attach.ts",
  "./runtime": "./lib/runtime/mod.ts",
  "./dsl": "./dsl/mod.ts",
};

describe("entry points", () => {
  it("mod.ts is the library alone: no supervisor, no DSL, no node:net", () => {
    const { files, bare } = closure("mod.ts");
    expect([...files].filter((f) => f.startsWith("lib/runtime/") || f.startsWith("dsl/")))
      .toEqual([]);
    expect([...bare].filter((s) => s === "node:net" || s === "ohm-js")).toEqual([]);
  });

  it("./attach loads no supervisor, planner or DSL, and ./dsl loads no library", () => {
    const attach = closure("lib/runtime/attach.ts").files;
    expect([...attach].filter((f) => f.startsWith("lib/runtime/") || f.startsWith("dsl/")))
      .toEqual(["lib/runtime/attach.ts", "lib/runtime/contract.ts"]);
    expect([...closure("dsl/mod.ts").files].filter((f) => !f.startsWith("dsl/"))).toEqual([]);
  });

  it("no entry point exports two things named Topology", () => {
    const exported = (file: string) =>
      [...readFileSync(join(ROOT, file), "utf8").matchAll(/\b(\w+)\b/g)].map((m) => m[1]);
    expect(exported("mod.ts")).not.toContain("Topology");
    expect(exported("lib/runtime/mod.ts")).not.toContain("Topology");
  });

  it("deno.json and package.json publish the same entry points", () => {
    const deno = JSON.parse(readFileSync(join(ROOT, "deno.json"), "utf8"));
    const npm = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
    expect(deno.exports).toEqual(ENTRY_POINTS);
    const npmExports = Object.fromEntries(
      Object.entries(npm.exports as Record<string, { default?: string }>)
        .filter(([key]) => key !== "./package.json")
        .map(([key, value]) => [key, value.default]),
    );
    expect(npmExports).toEqual(ENTRY_POINTS);
    // TypeScript consumers read the same .ts sources (types = default).
    for (const [key, target] of Object.entries(npm.exports as Record<string, { types?: string }>)) {
      if (key !== "./package.json") expect(target.types).toBe(ENTRY_POINTS[key as "."]);
    }
  });
});
