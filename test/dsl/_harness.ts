/**
 * Shared helpers for the DSL tests: repository paths, the example corpus, and
 * a runner that checks a file the way `ipckit check` does.
 *
 * @module
 */

import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  type CheckResult,
  checkSource,
  KINDS,
  type KindSpec,
  type Platform,
  renderAll,
  type SourceFiles,
} from "../../dsl/mod.ts";

/**
 * The repository root.
 * @example Building a path
 * ```ts
 * import path from "node:path";
 * import { ROOT } from "./_harness.ts";
 * path.join(ROOT, "examples/hello.ipc");
 * ```
 */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/**
 * Reads a file relative to the repository root.
 *
 * @param rel A root-relative path with `/` separators.
 * @returns The text.
 * @example Reading an example
 * ```ts
 * import { readRel } from "./_harness.ts";
 * const text = readRel("examples/hello.ipc");
 * ```
 */
export function readRel(rel: string): string {
  return readFileSync(path.join(ROOT, rel), "utf8");
}

/**
 * Lists `.ipc` files in a root-relative directory.
 *
 * @param dir The directory.
 * @returns Root-relative paths, sorted.
 * @example Listing examples
 * ```ts
 * import { ipcFiles } from "./_harness.ts";
 * ipcFiles("examples"); // ["examples/hello.ipc", ...]
 * ```
 */
export function ipcFiles(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir)).filter((f) => f.endsWith(".ipc")).sort().map((f) =>
    `${dir}/${f}`
  );
}

/**
 * A Windows-only kind used to exercise E040 (COM has no Linux counterpart;
 * it is not a kind of the language yet); adding a kind is one table entry.
 * @example Extending the kind table
 * ```ts
 * import { KINDS } from "../../dsl/kinds.ts";
 * import { COM } from "./_harness.ts";
 * const kinds = { ...KINDS, com: COM };
 * ```
 */
export const COM: KindSpec = {
  doc: "a COM object published to other processes",
  platforms: ["windows"],
  portable: "pipe",
  flow: "data",
  readers: { min: 1, max: 1 },
  writers: { min: 1 },
  options: {},
  graph: { dot: "note", mermaid: ["[", "]"] },
};

/** Options read from a `# args: ...` first line. */
export interface FileArgs {
  platform: Platform;
  set: string[];
  kinds: Readonly<Record<string, KindSpec>>;
}

/**
 * Reads `# args: --platform windows --set n=2 --kinds com` from a file's first line.
 *
 * @param text The file text.
 * @returns The options (linux, no overrides and the standard kinds by default).
 * @example Reading options
 * ```ts
 * import { fileArgs } from "./_harness.ts";
 * fileArgs("# args: --platform windows\ntopology t").platform; // "windows"
 * ```
 */
export function fileArgs(text: string): FileArgs {
  const m = /^# args: (.*)$/m.exec(text.split("\n")[0] ?? "");
  const words = m?.[1]?.split(/\s+/) ?? [];
  const out: FileArgs = { platform: "linux", set: [], kinds: KINDS };
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    const v = words[i + 1] ?? "";
    if (w === "--platform") out.platform = v as Platform;
    if (w === "--set") out.set.push(v);
    if (w === "--kinds" && v === "com") out.kinds = { ...KINDS, com: COM };
  }
  return out;
}

/**
 * Checks a root-relative file, reading imports from disk.
 *
 * @param rel The file.
 * @param overrides Options that replace those from its `# args:` line.
 * @returns The result, its file registry and the rendered text.
 * @example Checking an example
 * ```ts
 * import { checkRel } from "./_harness.ts";
 * console.log(checkRel("examples/hello.ipc").rendered); // ""
 * ```
 */
export function checkRel(
  rel: string,
  overrides: Partial<FileArgs> = {},
): CheckResult & { files: SourceFiles; rendered: string } {
  const text = readRel(rel);
  const args = { ...fileArgs(text), ...overrides };
  const result = checkSource(rel, text, {
    ...args,
    readFile: (p) => readFileSync(path.join(ROOT, p), "utf8"),
  });
  return { ...result, rendered: renderAll(result.diagnostics, result.files, rel) };
}
