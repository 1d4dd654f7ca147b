import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "./_harness.ts";

function ipckit(...args: string[]) {
  const r = spawnSync(process.execPath, [path.join(ROOT, "bin/ipckit.mjs"), ...args], {
    cwd: ROOT,
    encoding: "utf8",
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("ipckit CLI (node bin/ipckit.mjs, running under bun)", () => {
  it("check exits 0 on a clean example and prints a summary", () => {
    const r = ipckit("check", "examples/hello.ipc", "--platform", "linux");
    expect(r).toEqual({
      code: 0,
      stdout: "ok: examples/hello.ipc (topology hello, linux): 1 endpoint, 2 processes, 1 flow\n",
      stderr: "",
    });
  });

  it("check and graph check for the platform given by --platform", () => {
    expect(ipckit("check", "examples/hello.ipc", "--platform", "windows").stdout).toBe(
      "ok: examples/hello.ipc (topology hello, windows): 1 endpoint, 2 processes, 1 flow\n",
    );
    const graph = ipckit(
      "graph",
      "examples/mailslot_log.ipc",
      "--platform",
      "windows",
      "--format",
      "mermaid",
    );
    expect(graph.stdout).toContain("%% topology mailslot_log (windows)");
    expect(graph.stdout).not.toContain("pylog");
  });

  it("check exits 0 with warnings printed, 1 with errors", () => {
    const warn = ipckit("check", "test/dsl/golden/W003.ipc");
    expect(warn.code).toBe(0);
    expect(warn.stderr).toContain("warning[W003]");
    const err = ipckit("check", "test/dsl/golden/E030.ipc");
    expect(err.code).toBe(1);
    expect(err.stderr).toBe(readFileSync(path.join(ROOT, "test/dsl/golden/E030.txt"), "utf8"));
  });

  it("check --format json prints diagnostics as data on stdout", () => {
    const r = ipckit("check", "test/dsl/golden/E026.ipc", "--format", "json");
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ ok: false, errors: 1, warnings: 0 });
    expect(out.diagnostics[0]).toMatchObject({ code: "E026", primary: { line: 2, column: 20 } });
  });

  it("check applies --set and reports bad overrides", () => {
    expect(ipckit("check", "examples/workers.ipc", "--set", "workers=300").code).toBe(1);
    expect(ipckit("check", "examples/workers.ipc", "--set", "workers=8").code).toBe(0);
    const bad = ipckit("check", "examples/workers.ipc", "--set", "wrokers=8");
    expect(bad.stderr).toContain("= help: did you mean 'workers'?");
  });

  it("usage errors exit 2 and missing files exit 1, without stack traces", () => {
    expect(ipckit("check").code).toBe(2);
    expect(ipckit("check", "x.ipc", "--platform", "macos").code).toBe(2);
    expect(ipckit("bogus").code).toBe(2);
    const missing = ipckit("check", "nope.ipc");
    expect(missing).toEqual({
      code: 1,
      stdout: "",
      stderr: "error: cannot read 'nope.ipc': no such file\n",
    });
  });

  it("fmt --check and --write", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "ipckit-fmt-"));
    const file = path.join(dir, "a.ipc");
    writeFileSync(file, "topology a\nshm  b {size=1KiB}\n");
    expect(ipckit("fmt", "--check", file).code).toBe(1);
    expect(ipckit("fmt", "--write", file).code).toBe(0);
    expect(readFileSync(file, "utf8")).toBe("topology a\nshm b { size = 1KiB }\n");
    expect(ipckit("fmt", "--check", file).code).toBe(0);
    expect(ipckit("fmt", "--check", "examples/workers.ipc").code).toBe(0);
  });

  it("graph prints dot and mermaid with replicas and kind shapes", () => {
    const dot = ipckit("graph", "examples/workers.ipc", "--format", "dot");
    expect(dot.code).toBe(0);
    expect(dot.stdout).toContain('p1 [label="worker ×3", shape=box3d');
    expect(dot.stdout).toContain('e0 [label="jobs\\npipe", shape=cds];');
    expect(dot.stdout).toContain('p0 -> e0 [label="server"];');
    const mermaid = ipckit("graph", "examples/stdio_pipeline.ipc", "--format", "mermaid");
    expect(mermaid.stdout).toContain('p0 -.->|"stdout → stdin"| p1');
  });

  it("every subcommand has --help", () => {
    for (const cmd of ["check", "fmt", "graph"]) {
      const r = ipckit(cmd, "--help");
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Usage: ipckit ${cmd}`));
    }
  });
});
