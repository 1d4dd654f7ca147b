/**
 * The meaning of an AST without positions or comments, for comparing a file
 * with its formatted form.
 *
 * @module
 */

import type { FileAst } from "../../dsl/ast.ts";

/**
 * Strips spans, comments and literal spellings that the formatter may change.
 *
 * @param ast A parsed file.
 * @returns Plain data that is equal for two files with the same meaning.
 * @example Comparing two files
 * ```ts
 * import { parse } from "../../dsl/parse.ts";
 * import { structure } from "./_structure.ts";
 * const same = JSON.stringify(structure(parse("topology a", 0).ast!)) ===
 *   JSON.stringify(structure(parse("topology  a # c", 0).ast!));
 * ```
 */
export function structure(ast: FileAst): unknown {
  return JSON.parse(
    JSON.stringify(ast, (key, value) => (key === "span" || key === "comments" ? undefined : value)),
  );
}
