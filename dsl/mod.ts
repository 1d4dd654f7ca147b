/**
 * The `.ipc` topology language: parser, checker, formatter and graph export.
 * Runtime-neutral: it runs unchanged in Node, Bun and Deno, imports no FFI and
 * reads files only through a function you pass in.
 *
 * @example Checking a topology and reading the model
 * ```ts
 * import { checkSource, renderAll } from "./mod.ts";
 * const text = `topology hello
 * pipe greet
 * process server { run = ["bun", "examples/hello/server.ts"], ready = notify }
 * process client { run = ["bun", "examples/hello/client.ts"] }
 * client -> greet -> server
 * `;
 * const result = checkSource("hello.ipc", text, { platform: "linux" });
 * console.log(renderAll(result.diagnostics, result.files, "hello.ipc"));
 * console.log(result.topology?.processes.map((p) => p.uses));
 * ```
 *
 * @module
 */

import { SourceFiles } from "./ast.ts";
import { type CheckOptions, checkProgram, type CheckResult } from "./check/index.ts";
import { loadProgram, type ReadFile } from "./imports.ts";

export * from "./ast.ts";
export * from "./diagnostics.ts";
export * from "./model.ts";
export { grammar, parse, parseExpr, type ParseResult } from "./parse.ts";
export {
  KINDS,
  type KindSpec,
  type OptionSpec,
  PLATFORMS,
  PROCESS_PROPERTIES,
  UNITS,
} from "./kinds.ts";
export { loadProgram, type Program, type ReadFile, resolveImport } from "./imports.ts";
export { type CheckOptions, checkProgram, type CheckResult } from "./check/index.ts";
export { format, type FormatResult } from "./format.ts";
export { toDot, toMermaid } from "./graph.ts";
export { protoEnumValue, protoIdent, toProto, toTypeScript } from "./codegen.ts";

/**
 * Loads, parses and checks a root file and its imports in one call.
 *
 * @param path The root file's display path; imports resolve against it.
 * @param text The root file's text.
 * @param options Platform, `--set` overrides, and `readFile` for imports (imports fail without it).
 * @returns The diagnostics, the topology when clean, and the file registry for rendering.
 * @example Checking text with an override
 * ```ts
 * import { checkSource } from "./mod.ts";
 * const r = checkSource("a.ipc", "topology a\nparam n = 1", { platform: "linux", set: ["n=2"] });
 * console.log(r.topology?.params); // { n: 2 } (plus a W004 warning: n is unused)
 * ```
 */
export function checkSource(
  path: string,
  text: string,
  options: CheckOptions & { readFile?: ReadFile },
): CheckResult & { files: SourceFiles } {
  const readFile = options.readFile ?? ((p: string) => {
    throw new Error(`no readFile given to load '${p}'`);
  });
  const program = loadProgram(path, text, readFile, new SourceFiles());
  return { ...checkProgram(program, options), files: program.files };
}
