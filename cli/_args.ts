/**
 * A small argv parser shared by the subcommands: positionals, `--flag`,
 * `--name value`, `--name=value`, and repeatable options.
 *
 * @module
 */

/** How each option is read. */
export type OptionKinds = Record<string, "bool" | "string" | "list">;

/** Parsed arguments. */
export interface Args {
  positionals: string[];
  bools: Set<string>;
  strings: Map<string, string>;
  lists: Map<string, string[]>;
}

/**
 * Parses argv against a table of option kinds.
 *
 * @param argv The arguments after the subcommand.
 * @param kinds Each option's kind, without the leading `--`.
 * @returns The parsed arguments, or a message for the user.
 * @example Parsing check arguments
 * ```ts
 * import { parseArgs } from "./_args.ts";
 * const a = parseArgs(["x.ipc", "--set", "n=2"], { set: "list" });
 * if ("args" in a) console.log(a.args.lists.get("set")); // ["n=2"]
 * ```
 */
export function parseArgs(
  argv: readonly string[],
  kinds: OptionKinds,
): { args: Args } | { error: string } {
  const args: Args = { positionals: [], bools: new Set(), strings: new Map(), lists: new Map() };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? "";
    if (a === "--") {
      args.positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith("--") || a === "-") {
      if (a === "-h") {
        args.bools.add("help");
        continue;
      }
      args.positionals.push(a);
      continue;
    }
    const eq = a.indexOf("=");
    const name = a.slice(2, eq === -1 ? undefined : eq);
    const kind = name === "help" ? "bool" : kinds[name];
    if (!kind) return { error: `unknown option '--${name}'` };
    if (kind === "bool") {
      if (eq !== -1) return { error: `option '--${name}' takes no value` };
      args.bools.add(name);
      continue;
    }
    let value: string | undefined = eq === -1 ? argv[++i] : a.slice(eq + 1);
    if (value === undefined) return { error: `option '--${name}' needs a value` };
    if (kind === "string") args.strings.set(name, value);
    else args.lists.set(name, [...(args.lists.get(name) ?? []), value]);
    value = undefined;
  }
  return { args };
}
