// What ships, and the README's first scripts run as a new user would run them.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
const BIN = join(ROOT, "node_modules", ".bin");
const scratch = mkdtempSync(join(tmpdir(), "ipckit-package-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The README's fenced ts block whose import line is `from "<from>"`. */
function readmeScript(from: string): string {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const block = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!)
    .find((text) => text.includes(`from "${from}";`));
  if (!block) throw new Error(`README.md has no script importing "${from}"`);
  return block;
}

describe("the npm package", () => {
  it("npm pack ships the library, the DSL, the CLI and the docs, and nothing else", () => {
    const packed = JSON.parse(
      execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
        cwd: ROOT,
        encoding: "utf8",
      }),
    )[0].files.map((f: { path: string }) => f.path).sort();
    const tracked = execFileSync(
      "git",
      ["ls-files", "mod.ts", "lib", "dsl", "cli", "bin", "docs", "README.md", "package.json"],
      { cwd: ROOT, encoding: "utf8" },
    ).split("\n").filter((f) => f !== "" && f !== "dsl/build_grammar.ts");
    expect(packed).toEqual(tracked.sort());
  });

  it("bun and deno are optional peers, so installing the library downloads neither", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
    expect(Object.keys(pkg.dependencies)).not.toContain("bun");
    expect(Object.keys(pkg.dependencies)).not.toContain("deno");
    expect(Object.keys(pkg.peerDependencies).sort()).toEqual(["bun", "deno"]);
    expect(pkg.peerDependenciesMeta).toEqual({
      bun: { optional: true },
      deno: { optional: true },
    });
  });
});

describe("README: the first script", () => {
  it("Bun: `bun add ipckit && bun first.ts` with the package npm pack makes from this tree", () => {
    const project = join(scratch, "bun-project");
    const installed = join(project, "node_modules", "ipckit");
    mkdirSync(installed, { recursive: true });
    // `bun add ipckit` cannot reach a published ipckit here: install the packed tarball instead.
    const tarball = execFileSync(
      "npm",
      ["pack", "--ignore-scripts", "--pack-destination", scratch],
      {
        cwd: ROOT,
        encoding: "utf8",
      },
    ).trim().split("\n").at(-1)!;
    execFileSync("tar", ["-xzf", join(scratch, tarball), "-C", installed, "--strip-components=1"]);
    // What the install does next: the package's dependencies, here from this tree's node_modules.
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
    for (const dependency of Object.keys(pkg.dependencies)) {
      const target = join(project, "node_modules", dependency);
      mkdirSync(dirname(target), { recursive: true });
      symlinkSync(join(ROOT, "node_modules", dependency), target);
    }
    writeFileSync(join(project, "first.ts"), readmeScript("ipckit"));
    const run = spawnSync(join(BIN, "bun"), ["first.ts"], { cwd: project, encoding: "utf8" });
    expect(run.stderr).toBe("");
    expect(run.stdout).toBe("hello through a named pipe\n");
    expect(run.status).toBe(0);
  });

  it("Deno: `deno run -A first.ts` with jsr:@ipckit/ipckit mapped to this tree's mod.ts", () => {
    // JSR is out of reach here: an import map points the jsr: specifier at the local tree.
    const project = join(scratch, "deno-project");
    mkdirSync(project, { recursive: true });
    writeFileSync(join(project, "first.ts"), readmeScript("jsr:@ipckit/ipckit"));
    writeFileSync(
      join(project, "import_map.json"),
      // The package's own imports (its npm dependencies) resolve as JSR would resolve them.
      JSON.stringify({
        imports: {
          ...JSON.parse(readFileSync(join(ROOT, "deno.json"), "utf8")).imports,
          "jsr:@ipckit/ipckit": join(ROOT, "mod.ts"),
        },
      }),
    );
    const run = spawnSync(
      join(BIN, "deno"),
      ["run", "-A", "--import-map=import_map.json", "first.ts"],
      { cwd: project, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } },
    );
    // The first run downloads the npm dependencies into Deno's cache, as a user's would.
    expect(run.stderr.split("\n").filter((l) => l !== "" && !l.startsWith("Download "))).toEqual(
      [],
    );
    expect(run.stdout).toBe("hello through a named pipe\n");
    expect(run.status).toBe(0);
  });
});
