import { describe, expect, it } from "vitest";
import { checkSource, renderDiagnostic, SourceFiles, toJson } from "../../dsl/mod.ts";
import { diag } from "../../dsl/diagnostics.ts";

describe("diagnostic rendering", () => {
  it("shows tabs as spaces and control characters as visible symbols, with carets aligned", () => {
    const files = new SourceFiles();
    const id = files.add("t.ipc", "topology t\n\tshm\0 x\n");
    const d = diag.unknownName({ file: id, start: 17, end: 18 }, "process", "x");
    expect(renderDiagnostic(d, files)).toBe(`error[E010]: unknown process 'x'
 --> t.ipc:2:7
  |
2 |     shm\u2400 x
  |          ^ no process named 'x'
  |
  = help: declare the process before using it`);
  });

  it("points at the end of file for unterminated input and names the unclosed bracket", () => {
    const r = checkSource("u.ipc", "topology u\nshm a {\n  size = 1KiB\n", { platform: "linux" });
    const [d] = r.diagnostics;
    expect(d?.code).toBe("E001");
    expect(d?.message).toBe('expected "}", an option name, or ",", found end of file');
    expect(d?.help).toBe("add the missing `}`");
    expect(d?.secondary[0]?.message).toBe("unclosed");
  });

  it("explains a keyword used as a name", () => {
    const r = checkSource("k.ipc", "topology k\nprocess process {}\n", { platform: "linux" });
    expect(r.diagnostics[0]?.help).toBe("'process' is a keyword and cannot be used as a name");
  });

  it("asks for the topology header first", () => {
    const r = checkSource("h.ipc", "shm a { size = 1KiB }\n", { platform: "linux" });
    expect(r.diagnostics[0]?.message).toBe(`expected "topology", found 'shm'`);
    expect(r.diagnostics[0]?.help).toBe("every file starts with `topology <name>`");
  });

  it("rejects brackets nested deeper than the parser allows with a diagnostic", () => {
    const r = checkSource(
      "d.ipc",
      `topology d\nparam p = ${"(".repeat(5000)}1${")".repeat(5000)}\n`,
      {
        platform: "linux",
      },
    );
    expect(r.diagnostics.map((d) => d.code)).toEqual(["E001"]);
    expect(r.diagnostics[0]?.message).toBe("brackets nested more than 64 levels deep");
  });

  it("gives editors the same data as JSON with lines and columns", () => {
    const r = checkSource("j.ipc", "topology j\npipe p { mode = fast }\n", { platform: "linux" });
    const json = toJson(r.diagnostics, r.files);
    expect(json.find((d) => d.code === "E026")).toEqual({
      severity: "error",
      code: "E026",
      message: "'fast' is not a valid 'mode'",
      primary: {
        file: "j.ipc",
        start: 27,
        end: 31,
        line: 2,
        column: 17,
        endLine: 2,
        endColumn: 21,
        message: "not a valid choice",
      },
      secondary: [],
      help: "expected one of: byte, message",
    });
  });

  it("counts columns in code points, not UTF-16 units", () => {
    const r = checkSource("u.ipc", 'topology u\nprocess a { run = "𝄞", cwd = 1 }\n', {
      platform: "linux",
    });
    const d = toJson(r.diagnostics, r.files).find((x) => x.code === "E021");
    expect(d?.primary.column).toBe(30);
  });
});
