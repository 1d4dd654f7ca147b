/**
 * The names pass: declares parameters, endpoints, processes and import
 * namespaces; reports duplicates and unknown kinds; resolves every reference
 * in flows and values, with "did you mean" suggestions; checks the shape of
 * flows (stages alternate between processes and endpoints).
 *
 * @module
 */

import type { Entry, Expr, Ref, Span } from "../ast.ts";
import { diag } from "../diagnostics.ts";
import { suggest } from "../_suggest.ts";
import {
  type Ctx,
  type FlowSym,
  type ModuleInfo,
  type ParamSym,
  type ProcessSym,
  type StageElem,
  type Sym,
  type ValueContext,
  valueContext,
  visibleNames,
} from "./_context.ts";

const STREAMS = new Set(["stdin", "stdout", "stderr"]);

const describe = (s: Sym | ParamSym) =>
  s.sym === "endpoint"
    ? `${/^[aeiou]/.test(s.decl.kind.text) ? "an" : "a"} ${s.decl.kind.text} endpoint`
    : s.sym === "process"
    ? "a process"
    : s.sym === "namespace"
    ? "an import namespace"
    : "a parameter";

const keyText = (e: Entry) => (e.key.type === "name" ? e.key.text : e.key.value);

function declare(ctx: Ctx, name: string, sym: Sym, span: Span, what: string): void {
  const prev = ctx.symbols.get(name);
  if (prev) {
    const first = prev.sym === "namespace" ? prev.decl.span : prev.decl.name.span;
    ctx.diagnostics.push(diag.duplicate(span, what, name, first));
    return;
  }
  ctx.symbols.set(name, sym);
}

/**
 * Declares every name in every module. Runs before {@link resolveNames} so
 * that references may point forward.
 *
 * @param ctx Shared checker state, after guards are applied.
 * @returns Nothing; declarations go to `ctx.symbols` and `ctx.params`, findings to `ctx.diagnostics`.
 * @example Running the pass
 * ```ts
 * import type { Ctx } from "./_context.ts";
 * import { declareNames } from "./names.ts";
 * declare const ctx: Ctx;
 * declareNames(ctx);
 * ```
 */
export function declareNames(ctx: Ctx): void {
  const kindNames = Object.keys(ctx.kinds);
  for (const m of ctx.modules) {
    if (m.via) {
      const ns = m.prefix.slice(0, -1);
      const decl = findImport(ctx, m);
      if (decl) declare(ctx, ns, { sym: "namespace", name: ns, decl, module: m }, m.via, "import");
    }
    let order = 0;
    for (const item of m.items) {
      if (item.type === "param") {
        const name = m.prefix + item.name.text;
        const prev = ctx.params.get(name);
        if (prev) {
          ctx.diagnostics.push(
            diag.duplicate(item.name.span, "parameter", item.name.text, prev.decl.name.span),
          );
          continue;
        }
        ctx.params.set(name, {
          sym: "param",
          name,
          decl: item,
          module: m,
          order: order++,
          value: null,
          used: false,
        });
      } else if (item.type === "endpoint") {
        const kind = item.kind.text;
        const spec = ctx.kinds[kind] ?? null;
        if (!spec) {
          ctx.diagnostics.push(
            diag.unknownKind(item.kind.span, kind, kindNames, suggest(kind, kindNames)),
          );
        }
        const name = m.prefix + item.name.text;
        const sym: Sym = {
          sym: "endpoint",
          name,
          decl: item,
          module: m,
          spec,
          options: {},
          optionSpans: {},
          server: null,
        };
        declare(ctx, name, sym, item.name.span, "endpoint");
        if (ctx.symbols.get(name) === sym) ctx.endpoints.push(sym);
      } else if (item.type === "process") {
        const name = m.prefix + item.name.text;
        const sym: ProcessSym = {
          sym: "process",
          name,
          decl: item,
          module: m,
          replicas: 1,
          props: null,
          uses: new Map(),
          implicitAfter: new Map(),
          linked: false,
        };
        declare(ctx, name, sym, item.name.span, "process");
        if (ctx.symbols.get(name) === sym) ctx.processes.push(sym);
      }
    }
  }
}

function findImport(ctx: Ctx, m: ModuleInfo) {
  for (const parent of ctx.modules) {
    for (const item of parent.items) {
      if (
        item.type === "import" && m.via && item.span.file === m.via.file &&
        item.span.start === m.via.start
      ) return item;
    }
  }
  return undefined;
}

function unknown(ctx: Ctx, m: ModuleInfo, ref: Ref, what: string, candidates: Iterable<string>) {
  const qualified = m.prefix + ref.text;
  const dropped = ctx.dropped.get(qualified);
  const help = dropped
    ? `'${ref.text}' is only declared \`when ${dropped}\`; guard this use the same way`
    : undefined;
  const visible = visibleNames(candidates, m.prefix);
  ctx.diagnostics.push(
    diag.unknownName(ref.span, what, ref.text, suggest(ref.text, visible), help),
  );
}

function resolveFlowRef(ctx: Ctx, m: ModuleInfo, ref: Ref): StageElem | null {
  const sym = ctx.symbols.get(m.prefix + ref.text);
  if (sym?.sym === "endpoint") return { kind: "endpoint", sym, ref };
  if (sym?.sym === "process") return { kind: "process", sym, ref };
  if (sym?.sym === "namespace") {
    ctx.diagnostics.push(diag.wrongNameKind(
      ref.span,
      ref.text,
      "an endpoint or a process",
      "an import namespace",
      `name something inside it, e.g. \`${ref.text}.<name>\``,
    ));
    return null;
  }
  const last = ref.parts[ref.parts.length - 1]?.text ?? "";
  if (ref.parts.length > 1 && STREAMS.has(last)) {
    const base = ref.parts.slice(0, -1).map((p) => p.text).join(".");
    const owner = ctx.symbols.get(m.prefix + base);
    if (owner?.sym === "process") {
      return { kind: "stdio", sym: owner, stream: last as "stdin" | "stdout" | "stderr", ref };
    }
    if (owner) {
      ctx.diagnostics.push(diag.wrongNameKind(
        ref.span,
        base,
        "a process",
        describe(owner),
        "only processes have stdin, stdout and stderr",
      ));
      return null;
    }
  }
  const candidates = [...ctx.symbols.values()].filter((s) => s.sym !== "namespace").map((s) =>
    s.name
  );
  unknown(ctx, m, ref, "endpoint or process", candidates);
  return null;
}

function checkShape(ctx: Ctx, flow: FlowSym): boolean {
  const classes: ("P" | "E" | "S")[] = [];
  for (const stage of flow.stages) {
    const kinds = new Set(stage.map((e) => e.kind));
    if (kinds.has("stdio")) return true; // stdio links are checked by the directions pass
    if (kinds.size > 1) {
      const ep = stage.find((e) => e.kind === "endpoint");
      const pr = stage.find((e) => e.kind === "process");
      ctx.diagnostics.push(diag.badFlow(
        ep?.ref.span ?? flow.decl.span,
        `'${ep?.ref.text}' is an endpoint but '${pr?.ref.text}' in the same list is a process`,
        "endpoint among processes",
        "each list between arrows holds only processes or only endpoints: `a, b -> log -> logger`",
      ));
      return false;
    }
    classes.push(kinds.has("process") ? "P" : "E");
  }
  for (let i = 1; i < classes.length; i++) {
    if (classes[i] !== classes[i - 1]) continue;
    const prev = flow.decl.stages[i - 1];
    const cur = flow.decl.stages[i];
    if (!prev || !cur) continue;
    const span = { file: prev.span.file, start: prev.span.start, end: cur.span.end };
    if (classes[i] === "P") {
      ctx.diagnostics.push(diag.badFlow(
        span,
        "a flow joins two processes without an endpoint",
        "no endpoint between these processes",
        "put an endpoint between them (`a -> jobs -> b`) or link their stdio (`a.stdout -> b.stdin`)",
      ));
    } else {
      ctx.diagnostics.push(diag.badFlow(
        span,
        "a flow joins two endpoints without a process",
        "no process between these endpoints",
        "a process must sit between two endpoints: `a -> in -> relay -> out -> b`",
      ));
    }
    return false;
  }
  return true;
}

function lookupParam(ctx: Ctx, m: ModuleInfo, ref: Ref, current: ParamSym | null): void {
  const name = m.prefix + ref.text;
  const p = ctx.params.get(name);
  if (p) {
    if (current && p.module === current.module && p.order >= current.order) {
      ctx.diagnostics.push(diag.unknownName(
        ref.span,
        "parameter",
        ref.text,
        undefined,
        p === current
          ? `a parameter cannot use itself`
          : `'${ref.text}' is declared further down; a parameter can only use the ones above it`,
      ));
      return;
    }
    p.used = true;
    ctx.refs.set(ref, p);
    return;
  }
  const sym = ctx.symbols.get(name);
  if (sym) {
    ctx.diagnostics.push(diag.wrongNameKind(
      ref.span,
      ref.text,
      "a parameter",
      describe(sym),
      "values can use parameters (`param n = 4`) but not endpoints or processes",
    ));
    return;
  }
  unknown(ctx, m, ref, "parameter", ctx.params.keys());
}

function lookupProcess(ctx: Ctx, m: ModuleInfo, ref: Ref): void {
  const sym = ctx.symbols.get(m.prefix + ref.text);
  if (sym?.sym === "process") {
    ctx.refs.set(ref, sym);
    return;
  }
  if (sym) {
    ctx.diagnostics.push(diag.wrongNameKind(
      ref.span,
      ref.text,
      "a process",
      describe(sym),
      "name one of the topology's processes",
    ));
    return;
  }
  unknown(ctx, m, ref, "process", ctx.processes.map((p) => p.name));
}

/**
 * Resolves the references inside one value expression, by context.
 *
 * @param ctx Shared checker state.
 * @param m The module the expression is in.
 * @param expr The expression.
 * @param context How identifiers are read.
 * @param current The parameter being declared, if any (only earlier ones are visible).
 * @returns Nothing; resolutions go to `ctx.refs`, findings to `ctx.diagnostics`.
 * @example Resolving a value
 * ```ts
 * import type { Ctx, ModuleInfo } from "./_context.ts";
 * import { resolveValue } from "./names.ts";
 * import { parseExpr } from "../parse.ts";
 * declare const ctx: Ctx;
 * declare const m: ModuleInfo;
 * resolveValue(ctx, m, parseExpr("workers * 2", 0)!, "value");
 * ```
 */
export function resolveValue(
  ctx: Ctx,
  m: ModuleInfo,
  expr: Expr,
  context: ValueContext,
  current: ParamSym | null = null,
): void {
  switch (expr.type) {
    case "ref":
      if (context === "word" && expr.parts.length === 1) return;
      if (context === "timeout" && expr.text === "forever") return;
      if (context === "process" || context === "processes") lookupProcess(ctx, m, expr);
      else lookupParam(ctx, m, expr, current);
      return;
    case "list":
      for (const item of expr.items) {
        resolveValue(ctx, m, item, context === "processes" ? "process" : "value", current);
      }
      return;
    case "map":
      for (const e of expr.entries) resolveValue(ctx, m, e.value, "value", current);
      return;
    case "call":
      for (const a of expr.args) resolveValue(ctx, m, a.value, "value", current);
      return;
    case "binary":
      resolveValue(ctx, m, expr.left, "value", current);
      resolveValue(ctx, m, expr.right, "value", current);
      return;
    case "paren":
      resolveValue(ctx, m, expr.inner, context === "word" ? "value" : context, current);
      return;
    default:
      return;
  }
}

/**
 * Resolves flow and value references in every module and checks flow shapes.
 *
 * @param ctx Shared checker state, after {@link declareNames}.
 * @returns Nothing; resolved flows go to `ctx.flows`, findings to `ctx.diagnostics`.
 * @example Running the pass
 * ```ts
 * import type { Ctx } from "./_context.ts";
 * import { resolveNames } from "./names.ts";
 * declare const ctx: Ctx;
 * resolveNames(ctx);
 * ```
 */
export function resolveNames(ctx: Ctx): void {
  for (const m of ctx.modules) {
    for (const item of m.items) {
      switch (item.type) {
        case "param": {
          const sym = ctx.params.get(m.prefix + item.name.text);
          const current = sym?.decl === item ? sym : null;
          resolveValue(ctx, m, item.value, "value", current);
          break;
        }
        case "endpoint":
          for (const e of item.options ?? []) {
            resolveValue(ctx, m, e.value, valueContext(ctx, item.kind.text, keyText(e)));
          }
          break;
        case "process":
          if (item.replicas) resolveValue(ctx, m, item.replicas, "value");
          for (const e of item.props ?? []) {
            resolveValue(ctx, m, e.value, valueContext(ctx, "process", keyText(e)));
          }
          break;
        case "flow": {
          const flow: FlowSym = { decl: item, module: m, stages: [], ok: true };
          for (const stage of item.stages) {
            const elems: StageElem[] = [];
            for (const ref of stage.refs) {
              const el = resolveFlowRef(ctx, m, ref);
              if (el) elems.push(el);
              else flow.ok = false;
            }
            flow.stages.push(elems);
          }
          if (flow.ok) flow.ok = checkShape(ctx, flow);
          ctx.flows.push(flow);
          break;
        }
        default:
          break;
      }
    }
  }
}
