/**
 * The checker: runs the passes in order (guards, names, types, options, directions,
 * platform, warnings), collects every diagnostic, and builds the normalized
 * {@link Topology} when there are no errors.
 *
 * @module
 */

import type { Span } from "../ast.ts";
import { type Diagnostic, sortDiagnostics } from "../diagnostics.ts";
import type { Program } from "../imports.ts";
import { KINDS, type KindSpec, type Platform } from "../kinds.ts";
import type { FlowModel, ParamValue, ProcessModel, Role, Topology } from "../model.ts";
import type { Ctx, EndpointSym, Override } from "./_context.ts";
import { checkDirections, type Sides } from "./directions.ts";
import { declareNames, resolveNames } from "./names.ts";
import { checkOptions } from "./options.ts";
import { applyGuards, checkPlatform } from "./platform.ts";
import { checkTypes } from "./types.ts";
import { checkWarnings } from "./warnings.ts";

/** Options for {@link checkProgram}. */
export interface CheckOptions {
  platform: Platform;
  /** `--set` overrides as `name=value` strings (names may be qualified: `ns.n=3`). */
  set?: readonly string[];
  /** The endpoint kind table; defaults to `KINDS`. Tests and extensions may add kinds. */
  kinds?: Readonly<Record<string, KindSpec>>;
}

/** The outcome of a check. */
export interface CheckResult {
  /** Errors and warnings, sorted by file and position. */
  diagnostics: Diagnostic[];
  /** The normalized topology, or `null` when there are errors. */
  topology: Topology | null;
}

function parseOverrides(program: Program, set: readonly string[]): Override[] {
  if (set.length === 0) return [];
  const text = set.join("\n");
  const file = program.files.add("<--set>", text);
  const out: Override[] = [];
  let offset = 0;
  for (const line of set) {
    const eq = line.indexOf("=");
    const span: Span = { file, start: offset, end: offset + line.length };
    const name = (eq === -1 ? line : line.slice(0, eq)).trim();
    out.push({
      name,
      value: eq === -1 ? "" : line.slice(eq + 1).trim(),
      span,
      nameSpan: { file, start: offset, end: offset + (eq === -1 ? line.length : eq) },
      valueSpan: { file, start: eq === -1 ? span.end : offset + eq + 1, end: span.end },
    });
    offset += line.length + 1;
  }
  return out;
}

/**
 * Checks a loaded program for one platform.
 *
 * @param program The root file and its imports, from `loadProgram`.
 * @param options The target platform, `--set` overrides and optionally a kind table.
 * @returns All diagnostics, and the topology when there are no errors.
 * @example Checking a small topology for Linux
 * ```ts
 * import { loadProgram } from "../imports.ts";
 * import { checkProgram } from "./index.ts";
 * const program = loadProgram("a.ipc", "topology a\nshm buf { size = 4KiB }", () => "");
 * const result = checkProgram(program, { platform: "linux" });
 * console.log(result.diagnostics.map((d) => d.code)); // ["W002"]
 * ```
 */
export function checkProgram(program: Program, options: CheckOptions): CheckResult {
  const diagnostics = [...program.diagnostics];
  if (diagnostics.some((d) => d.code === "E001" || d.code === "E002")) {
    return { diagnostics: sortDiagnostics(diagnostics), topology: null };
  }
  const ctx: Ctx = {
    platform: options.platform,
    files: program.files,
    kinds: options.kinds ?? KINDS,
    diagnostics,
    modules: [],
    params: new Map(),
    symbols: new Map(),
    endpoints: [],
    processes: [],
    flows: [],
    dropped: new Map(),
    overrides: [],
    refs: new Map(),
    stdio: [],
    types: new Map(),
    schema: { package: "", records: {}, enums: {}, services: {} },
  };
  ctx.overrides = parseOverrides(program, options.set ?? []);
  applyGuards(ctx, program.modules);
  declareNames(ctx);
  resolveNames(ctx);
  checkTypes(ctx);
  checkOptions(ctx);
  const sides = checkDirections(ctx);
  checkPlatform(ctx);
  checkWarnings(ctx, sides);
  const sorted = sortDiagnostics(ctx.diagnostics);
  const failed = sorted.some((d) => d.severity === "error");
  return { diagnostics: sorted, topology: failed ? null : buildTopology(ctx, sides) };
}

function buildTopology(ctx: Ctx, sides: Map<EndpointSym, Sides>): Topology {
  const params: Record<string, ParamValue> = {};
  for (const p of ctx.params.values()) {
    const v = p.value;
    if (
      v &&
      (v.t === "int" || v.t === "size" || v.t === "duration" || v.t === "string" || v.t === "bool")
    ) {
      params[p.name] = v.v;
    }
  }
  const flows: FlowModel[] = [];
  for (const [ep, s] of sides) {
    const first = s.flows[0];
    const flow: FlowModel = {
      endpoint: ep.name,
      from: [...new Set(s.from.map((u) => u.proc.name))],
      to: [...new Set(s.to.map((u) => u.proc.name))],
      span: first ? first.decl.span : ep.decl.span,
    };
    if (s.server) flow.server = s.server.name;
    flows.push(flow);
  }
  const processes: ProcessModel[] = ctx.processes.map((p) => {
    const props = p.props;
    const after = new Set<string>();
    for (const a of props?.after ?? []) after.add(a.sym.name);
    for (const a of p.implicitAfter.keys()) if (a !== p) after.add(a.name);
    const uses: { endpoint: string; role: Role }[] = [];
    for (const endpoint of [...p.uses.keys()].sort()) {
      for (const role of p.uses.get(endpoint) ?? []) uses.push({ endpoint, role });
    }
    const model: ProcessModel = {
      name: p.name,
      replicas: p.replicas,
      instances: Array.from({ length: p.replicas }, (_, i) => ({
        name: p.replicas === 1 ? p.name : `${p.name}[${i}]`,
        replica: i,
      })),
      argv: props?.argv ?? [],
      env: props?.env ?? {},
      restart: props?.restart ?? { policy: "never" },
      backoff: props?.backoff ?? { initialMs: 100, maxMs: 10_000 },
      ready: props?.ready ?? { kind: "none" },
      stopSignal: props?.stopSignal ?? "SIGTERM",
      graceMs: props?.graceMs ?? 5_000,
      after: [...after],
      uses,
      span: p.decl.span,
    };
    if (props?.cwd !== undefined) model.cwd = props.cwd;
    return model;
  });
  return {
    name: ctx.modules[0]?.ast.name.text ?? "",
    platform: ctx.platform,
    params,
    endpoints: ctx.endpoints.map((ep) => ({
      name: ep.name,
      kind: ep.decl.kind.text,
      options: { ...ep.options },
      span: ep.decl.span,
    })),
    processes,
    flows,
    stdioLinks: ctx.stdio.map((l) => ({
      from: {
        process: l.from.sym.name,
        stream: l.from.kind === "stdio" && l.from.stream !== "stdin" ? l.from.stream : "stdout",
      },
      to: { process: l.to.sym.name, stream: "stdin" as const },
      span: l.span,
    })),
    schema: ctx.schema,
  };
}
