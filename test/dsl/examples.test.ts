import { describe, expect, it } from "vitest";
import { checkRel, ipcFiles } from "./_harness.ts";

const CORPUS = [
  ...ipcFiles("examples"),
  ...ipcFiles("test/dsl/fixtures").filter((f) =>
    // Import-only building blocks are checked through the files that import them.
    !/cycle_|logging/.test(f)
  ),
];

describe("example corpus", () => {
  it("contains the ten documented examples", () => {
    expect(ipcFiles("examples").map((f) => f.split("/").pop())).toEqual([
      "channel_fanout.ipc",
      "com_automation.ipc",
      "copydata.ipc",
      "dde_quotes.ipc",
      "hello.ipc",
      "mailslot_log.ipc",
      "rpc_calc.ipc",
      "shm_pipeline.ipc",
      "stdio_pipeline.ipc",
      "tcp_echo.ipc",
      "workers.ipc",
    ]);
  });

  for (const file of CORPUS) {
    // COM exists only on Windows: that example's E040 on linux is tested in test/cells/com_server.test.ts.
    const platforms = file.endsWith("com_automation.ipc")
      ? ["windows"] as const
      : ["linux", "windows"] as const;
    for (const platform of platforms) {
      it(`${file} checks clean on ${platform}`, () => {
        const r = checkRel(file, { platform });
        expect(r.rendered).toBe("");
        expect(r.topology).not.toBeNull();
      });
    }
  }

  it("every example command names a participant under examples/<name>/", () => {
    for (const file of ipcFiles("examples")) {
      const name = file.split("/").pop()?.replace(".ipc", "");
      const t =
        checkRel(file, { platform: file.endsWith("com_automation.ipc") ? "windows" : "linux" })
          .topology;
      for (const p of t?.processes ?? []) {
        expect(p.argv.some((a) => a.startsWith(`examples/${name}/`))).toBe(true);
      }
    }
  });
});
