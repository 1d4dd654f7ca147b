/**
 * State shared by the checker passes. Each pass reads what earlier passes
 * filled in and adds its own findings; none of them stops at the first error.
 *
 * @module
 */

import type {
  EndpointDecl,
  EnumDecl,
  FileAst,
  FlowDecl,
  ImportDecl,
  Item,
  ParamDecl,
  ProcessDecl,
  RecordDecl,
  Ref,
  SourceFiles,
  Span,
} from "../ast.ts";
import type { Diagnostic } from "../diagnostics.ts";
import type { KindSpec, Platform } from "../kinds.ts";
import type { Readiness, RestartPolicy, Role, SchemaModel } from "../model.ts";

/** One loaded file instance; a file imported twice is two modules. */
export interface ModuleInfo {
  file: number;
  /** `""` for the root, `"ns."` (or `"a.b."`) for imports. */
  prefix: string;
  ast: FileAst;
  /** Items that survive the platform guards, flattened. */
  items: Item[];
  /** The import statement that loaded this module; `null` for the root. */
  via: Span | null;
}

/** A checked value; `error` poisons dependants without further diagnostics. */
export type Value =
  | { t: "int" | "size" | "duration"; v: number; span: Span }
  | { t: "string"; v: string; span: Span }
  | { t: "bool"; v: boolean; span: Span }
  | { t: "list"; items: Value[]; span: Span }
  | { t: "map"; entries: { key: string; keySpan: Span; value: Value }[]; span: Span }
  | { t: "word"; v: string; span: Span }
  | { t: "call"; name: string; nameSpan: Span; args: CallArg[]; span: Span }
  | { t: "process"; sym: ProcessSym; span: Span }
  | { t: "error"; span: Span };

/** An evaluated call argument. */
export interface CallArg {
  name: string | null;
  nameSpan: Span | null;
  value: Value;
  span: Span;
}

/** A declared parameter. */
export interface ParamSym {
  sym: "param";
  name: string;
  decl: ParamDecl;
  module: ModuleInfo;
  /** Position in its module, so a parameter can only use earlier ones. */
  order: number;
  value: Value | null;
  used: boolean;
}

/** A declared endpoint. */
export interface EndpointSym {
  sym: "endpoint";
  name: string;
  decl: EndpointDecl;
  module: ModuleInfo;
  spec: KindSpec | null;
  /** Resolved options (filled by the options pass). */
  options: Record<string, number | string | boolean>;
  /** Where each explicitly given option was written. */
  optionSpans: Record<string, Span>;
  /** The process named by a `server` option. */
  server: ProcessSym | null;
}

/** Evaluated process properties. */
export interface ProcessProps {
  argv: string[];
  cwd?: string;
  env: Record<string, string>;
  restart: RestartPolicy;
  backoff: { initialMs: number; maxMs: number };
  ready: Readiness;
  stopSignal: "SIGTERM" | "SIGINT" | "SIGKILL";
  graceMs: number;
  after: { sym: ProcessSym; span: Span }[];
}

/** A declared process. */
export interface ProcessSym {
  sym: "process";
  name: string;
  decl: ProcessDecl;
  module: ModuleInfo;
  replicas: number;
  props: ProcessProps | null;
  /** Roles gathered by the directions pass. */
  uses: Map<string, Set<Role>>;
  /** Start-order dependencies implied by flows, with the reference that implies each. */
  implicitAfter: Map<ProcessSym, Span>;
  linked: boolean;
}

/** An import alias; its name is a namespace. */
export interface NamespaceSym {
  sym: "namespace";
  name: string;
  decl: ImportDecl;
  module: ModuleInfo;
}

/** A declared record or enum (types live in a name space of their own). */
export interface TypeSym {
  sym: "record" | "enum";
  name: string;
  decl: RecordDecl | EnumDecl;
  module: ModuleInfo;
}

/** Anything a flow or a value can name. */
export type Sym = EndpointSym | ProcessSym | NamespaceSym;

/** A resolved reference inside a flow stage. */
export type StageElem =
  | { kind: "process"; sym: ProcessSym; ref: Ref }
  | { kind: "endpoint"; sym: EndpointSym; ref: Ref }
  | { kind: "stdio"; sym: ProcessSym; stream: "stdin" | "stdout" | "stderr"; ref: Ref };

/** A flow statement with its references resolved. */
export interface FlowSym {
  decl: FlowDecl;
  module: ModuleInfo;
  stages: StageElem[][];
  /** False when a reference failed or the shape is wrong; later passes skip it. */
  ok: boolean;
}

/** A `--set` override as given on the command line. */
export interface Override {
  name: string;
  value: string;
  /** Span in the `<--set>` pseudo-file, for diagnostics. */
  span: Span;
  nameSpan: Span;
  valueSpan: Span;
}

/** Everything the passes share. */
export interface Ctx {
  platform: Platform;
  files: SourceFiles;
  kinds: Readonly<Record<string, KindSpec>>;
  diagnostics: Diagnostic[];
  modules: ModuleInfo[];
  params: Map<string, ParamSym>;
  symbols: Map<string, Sym>;
  endpoints: EndpointSym[];
  processes: ProcessSym[];
  flows: FlowSym[];
  /** Qualified names removed by a `when` guard, for better "unknown name" help. */
  dropped: Map<string, Platform>;
  overrides: Override[];
  /** What each value reference resolved to (filled by the names pass). */
  refs: Map<Ref, ParamSym | ProcessSym>;
  stdio: { from: StageElem; to: StageElem; span: Span }[];
  /** Records and enums by qualified name (filled by the types pass). */
  types: Map<string, TypeSym>;
  /** The checked RPC declarations (filled by the types pass). */
  schema: SchemaModel;
}

/** How identifiers inside a value are read. */
export type ValueContext =
  | "value" // identifiers are parameters
  | "word" // a bare identifier or a call is a keyword-like choice; call arguments are values
  | "process" // identifiers are processes
  | "processes" // a process or a list of processes
  | "timeout" // like value, but the bare word `forever` is allowed
  | "skip"; // unknown option: not looked at

/**
 * Decides how identifiers in an option's value are read.
 *
 * @param ctx Shared state (for the kind table).
 * @param owner The endpoint kind, or `"process"` for process properties.
 * @param key The option or property name.
 * @returns The context for that value.
 * @example Reading how `server` values are resolved
 * ```ts
 * import type { Ctx } from "./_context.ts";
 * import { valueContext } from "./_context.ts";
 * declare const ctx: Ctx;
 * valueContext(ctx, "pipe", "server"); // "process"
 * ```
 */
export function valueContext(ctx: Ctx, owner: string, key: string): ValueContext {
  if (owner === "process") {
    switch (key) {
      case "restart":
      case "ready":
      case "stop":
        return "word";
      case "after":
        return "processes";
      case "run":
      case "cwd":
      case "env":
      case "backoff":
      case "grace":
        return "value";
      default:
        return "skip";
    }
  }
  const spec = ctx.kinds[owner]?.options[key];
  if (!spec) return "skip";
  if (spec.type === "enum") return "word";
  if (spec.type === "process") return "process";
  if (spec.type === "duration" && spec.forever) return "timeout";
  return "value";
}

/**
 * Strips a module prefix from qualified names, for suggestions in that module.
 *
 * @param names Qualified names.
 * @param prefix The module prefix.
 * @returns The names visible from that module, as written there.
 * @example Names seen from an imported module
 * ```ts
 * import { visibleNames } from "./_context.ts";
 * visibleNames(["a", "ns.log"], "ns."); // ["log"]
 * ```
 */
export function visibleNames(names: Iterable<string>, prefix: string): string[] {
  const out: string[] = [];
  for (const n of names) if (n.startsWith(prefix)) out.push(n.slice(prefix.length));
  return out;
}
