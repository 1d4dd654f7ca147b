/**
 * Loading a root `.ipc` file and everything it imports. Files are read through
 * an injected function, so this module runs unchanged in Node, Bun and Deno.
 *
 * @module
 */

import { type FileAst, type Item, SourceFiles, type Span } from "./ast.ts";
import { diag, type Diagnostic, type Label } from "./diagnostics.ts";
import { parse } from "./parse.ts";

/** Reads a file's text; throws when it cannot (the message becomes the cause). */
export type ReadFile = (path: string) => string;

/** One file instance in a program: the root, or an import under a namespace. */
export interface LoadedModule {
  file: number;
  path: string;
  /** `""` for the root, `"ns."` for `import "x.ipc" as ns`, `"ns.sub."` below it. */
  prefix: string;
  ast: FileAst;
  /** The span of the import statement that loaded this file; `null` for the root. */
  via: Span | null;
}

/** The root file and its imports, parsed. */
export interface Program {
  files: SourceFiles;
  /** The root first, then imports depth-first; files that failed to parse are absent. */
  modules: LoadedModule[];
  diagnostics: Diagnostic[];
}

/** One line for a failed read; system error codes become words, paths are left out. */
function describeReadError(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  if (code === "ENOENT" || (e instanceof Error && e.name === "NotFound")) return "no such file";
  if (code === "EISDIR") return "it is a directory";
  if (code === "EACCES" || (e instanceof Error && e.name === "PermissionDenied")) {
    return "permission denied";
  }
  return e instanceof Error ? e.message.split("\n")[0] ?? "" : String(e);
}

/** Imports deeper than this are reported rather than followed. */
const MAX_MODULES = 256;

/**
 * Resolves an import path against the importing file, with `/` or `\` separators.
 *
 * @param from The importing file's path.
 * @param spec The path written in the import.
 * @returns The path of the imported file.
 * @example Resolving a sibling file
 * ```ts
 * import { resolveImport } from "./imports.ts";
 * resolveImport("examples/a.ipc", "lib/b.ipc"); // "examples/lib/b.ipc"
 * ```
 */
export function resolveImport(from: string, spec: string): string {
  if (/^([A-Za-z]:)?[\\/]/.test(spec)) return spec;
  const sep = from.includes("\\") && !from.includes("/") ? "\\" : "/";
  const parts = from.split(/[\\/]/);
  parts.pop();
  for (const p of spec.split(/[\\/]/)) {
    if (p === "" || p === ".") continue;
    if (p === ".." && parts.length > 0 && parts[parts.length - 1] !== "..") {
      if (parts.length === 1 && parts[0] === "") continue;
      parts.pop();
    } else parts.push(p);
  }
  return parts.join(sep) || ".";
}

function importsOf(items: Item[]): { path: string; alias: string | null; span: Span }[] {
  const out: { path: string; alias: string | null; span: Span }[] = [];
  for (const item of items) {
    if (item.type === "import") {
      out.push({ path: item.path.value, alias: item.alias?.text ?? null, span: item.span });
    } else if (item.type === "when") {
      out.push(...importsOf(item.items));
    }
  }
  return out;
}

/**
 * Parses a root source and, recursively, the files it imports.
 *
 * Imports inside `when` guards are loaded for every platform; the checker drops
 * what a guard excludes. A namespace is the `as` alias, else the imported
 * file's topology name.
 *
 * @param path The root file's display path (imports resolve against it).
 * @param text The root file's text.
 * @param readFile Reads imported files.
 * @param files A registry to add the files to (a new one by default).
 * @returns The parsed program and any E001, E002 or E003 diagnostics.
 * @example Loading a file without imports
 * ```ts
 * import { loadProgram } from "./imports.ts";
 * const program = loadProgram("a.ipc", "topology a", () => {
 *   throw new Error("no imports expected");
 * });
 * console.log(program.modules.length); // 1
 * ```
 */
export function loadProgram(
  path: string,
  text: string,
  readFile: ReadFile,
  files: SourceFiles = new SourceFiles(),
): Program {
  const program: Program = { files, modules: [], diagnostics: [] };
  // Stack of files being loaded, with the span of the import that entered each.
  const stack: { path: string; span: Span | null }[] = [];

  const load = (p: string, source: string, prefix: string, via: Span | null) => {
    const file = files.add(p, source);
    const parsed = parse(source, file);
    program.diagnostics.push(...parsed.diagnostics);
    if (!parsed.ast) return;
    const ast = parsed.ast;
    program.modules.push({ file, path: p, prefix, ast, via });
    stack.push({ path: p, span: via });
    for (const imp of importsOf(ast.items)) {
      const target = resolveImport(p, imp.path);
      const cycleAt = stack.findIndex((s) => s.path === target);
      if (cycleAt !== -1) {
        const chain = [...stack.slice(cycleAt).map((s) => s.path), target];
        const secondary: Label[] = stack.slice(cycleAt + 1).flatMap((s) =>
          s.span ? [{ span: s.span, message: `imports '${s.path}'` }] : []
        );
        program.diagnostics.push(diag.importCycle(imp.span, chain, secondary));
        continue;
      }
      if (program.modules.length >= MAX_MODULES) {
        program.diagnostics.push(
          diag.cannotRead(imp.span, imp.path, `more than ${MAX_MODULES} imported files`),
        );
        continue;
      }
      let importedText: string;
      try {
        importedText = readFile(target);
      } catch (e) {
        program.diagnostics.push(diag.cannotRead(imp.span, target, describeReadError(e)));
        continue;
      }
      // The namespace is the alias, or the imported topology's own name.
      const alias = imp.alias ?? /^\s*(?:#[^\n]*\n\s*)*topology\s+([A-Za-z_][\w-]*)/.exec(
        importedText,
      )?.[1] ?? "imported";
      load(target, importedText, `${prefix}${alias}.`, imp.span);
    }
    stack.pop();
  };

  load(path, text, "", null);
  return program;
}
