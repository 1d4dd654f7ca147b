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
 */
export function structure(ast: FileAst): unknown {
  return JSON.parse(
    JSON.stringify(ast, (key, value) => (key === "span" || key === "comments" ? undefined : value)),
  );
}
