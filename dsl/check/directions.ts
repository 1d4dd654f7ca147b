/**
 * The directions pass: assigns each process its role on each endpoint from the
 * flows and the kind table, and checks the direction rules (one mailslot
 * reader, one serving side per pipe, stdio links between two processes, …).
 * It also derives the start order that flows imply and rejects cycles in it.
 *
 * @module
 */

import type { Ref, Span } from "../ast.ts";
import { diag, type Label } from "../diagnostics.ts";
import type { Role } from "../model.ts";
import type { Ctx, EndpointSym, FlowSym, ProcessSym, StageElem } from "./_context.ts";

interface Use {
  proc: ProcessSym;
  ref: Ref;
}

/** Who is on each side of one endpoint, over all flows. */
export interface Sides {
  from: Use[];
  to: Use[];
  flows: FlowSym[];
  server: ProcessSym | null;
}

function distinct(uses: Use[]): Use[] {
  const seen = new Set<ProcessSym>();
  return uses.filter((u) => (seen.has(u.proc) ? false : (seen.add(u.proc), true)));
}

function addRole(p: ProcessSym, endpoint: string, role: Role): void {
  const roles = p.uses.get(endpoint) ?? new Set<Role>();
  roles.add(role);
  p.uses.set(endpoint, roles);
}

function stdioLink(ctx: Ctx, flow: FlowSym, fed: Map<string, Span>): void {
  const elems = flow.stages.flat();
  const notStream = elems.find((e) => e.kind !== "stdio");
  if (notStream) {
    ctx.diagnostics.push(diag.badStdio(
      notStream.ref.span,
      `'${notStream.ref.text}' is ${
        notStream.kind === "endpoint" ? "an endpoint" : "a process"
      }, not a stream; a stdio link joins two process streams`,
      "not a stdio stream",
    ));
    return;
  }
  if (flow.stages.length !== 2 || flow.stages.some((s) => s.length !== 1)) {
    ctx.diagnostics.push(diag.badStdio(
      flow.decl.span,
      "a stdio link joins exactly one stream to one other",
      "more than two streams",
    ));
    return;
  }
  const from = flow.stages[0]?.[0] as StageElem & { kind: "stdio" };
  const to = flow.stages[1]?.[0] as StageElem & { kind: "stdio" };
  let ok = true;
  if (from.stream === "stdin") {
    ctx.diagnostics.push(
      diag.badStdio(
        from.ref.span,
        `'${from.ref.text}' is an input and cannot feed a link`,
        "not an output",
      ),
    );
    ok = false;
  }
  if (to.stream !== "stdin") {
    ctx.diagnostics.push(
      diag.badStdio(
        to.ref.span,
        `'${to.ref.text}' is an output and cannot receive a link`,
        "not an input",
      ),
    );
    ok = false;
  }
  if (!ok) return;
  if (from.sym === to.sym) {
    ctx.diagnostics.push(
      diag.badStdio(
        flow.decl.span,
        `a stdio link joins '${from.sym.name}' to itself`,
        "same process on both sides",
      ),
    );
    return;
  }
  for (const e of [from, to]) {
    if (e.sym.replicas > 1) {
      ctx.diagnostics.push(diag.badStdio(
        e.ref.span,
        `'${e.sym.name}' has ${e.sym.replicas} replicas; a stdio link joins two single processes`,
        "replicated",
      ));
      ok = false;
    }
  }
  if (!ok) return;
  for (const e of [from, to]) {
    const key = `${e.sym.name}.${e.stream}`;
    const first = fed.get(key);
    if (first) {
      ctx.diagnostics.push(diag.stdioTwice(
        e.ref.span,
        `'${key}' is linked twice`,
        "linked again here",
        e.stream === "stdin"
          ? "a process has one stdin; merge the writers through an endpoint such as a mailslot"
          : "an output stream feeds one link; use an endpoint to fan out",
        first,
      ));
      ok = false;
    } else fed.set(key, e.ref.span);
  }
  if (!ok) return;
  from.sym.linked = true;
  to.sym.linked = true;
  ctx.stdio.push({ from, to, span: flow.decl.span });
}

function gather(ctx: Ctx): Map<EndpointSym, Sides> {
  const sides = new Map<EndpointSym, Sides>();
  const fed = new Map<string, Span>();
  for (const flow of ctx.flows) {
    if (!flow.ok) continue;
    if (flow.stages.some((s) => s.some((e) => e.kind === "stdio"))) {
      stdioLink(ctx, flow, fed);
      continue;
    }
    flow.stages.forEach((stage, i) => {
      if (stage[0]?.kind !== "endpoint") return;
      const procs = (j: number): Use[] =>
        (flow.stages[j] ?? []).flatMap((
          e,
        ) => (e.kind === "process" ? [{ proc: e.sym, ref: e.ref }] : []));
      const before = procs(i - 1);
      const after = procs(i + 1);
      const eps = stage.flatMap((e) => (e.kind === "endpoint" ? [e] : []));
      if (
        before.length > 0 && after.length > 0 && eps.every((e) => e.sym.spec?.flow === "shared")
      ) {
        const first = eps[0];
        if (first) {
          const users = distinct([...before, ...after]).map((u) => u.ref.text).join(", ");
          ctx.diagnostics.push(diag.mutexFlow(first.ref.span, first.ref.text, users));
        }
        return;
      }
      for (const e of eps) {
        const s = sides.get(e.sym) ?? { from: [], to: [], flows: [], server: null };
        s.from.push(...before);
        s.to.push(...after);
        if (!s.flows.includes(flow)) s.flows.push(flow);
        sides.set(e.sym, s);
      }
    });
  }
  return sides;
}

const ROLE_WORDS = {
  data: ["writer", "reader"],
  stream: ["writer", "reader"],
  signal: ["signaller", "waiter"],
  shared: ["user", "user"],
} as const;

function checkEndpoint(ctx: Ctx, ep: EndpointSym, s: Sides): void {
  const spec = ep.spec;
  if (!spec) return;
  const kind = ep.decl.kind.text;
  const name = ep.decl.name.text;
  const writers = distinct(s.from);
  const readers = distinct(s.to);
  const [writerWord, readerWord] = ROLE_WORDS[spec.flow];
  let ok = true;

  if (
    (spec.readers?.min ?? 0) > 0 && readers.length === 0 && !(spec.flow === "stream" && ep.server)
  ) {
    const w = writers[0]?.ref.text ?? "<process>";
    ctx.diagnostics.push(
      diag.missingSide(
        ep.decl.name.span,
        kind,
        ep.name,
        readerWord,
        `${w} -> ${name} -> <${readerWord}>`,
      ),
    );
    ok = false;
  }
  if (
    (spec.writers?.min ?? 0) > 0 && writers.length === 0 && !(spec.flow === "stream" && ep.server)
  ) {
    const r = readers[0]?.ref.text ?? "<process>";
    ctx.diagnostics.push(
      diag.missingSide(
        ep.decl.name.span,
        kind,
        ep.name,
        writerWord,
        `<${writerWord}> -> ${name} -> ${r}`,
      ),
    );
    ok = false;
  }
  const maxReaders = spec.readers?.max;
  if (maxReaders !== undefined) {
    const second = readers[maxReaders];
    const first = readers[0];
    if (second && first) {
      ctx.diagnostics.push(
        diag.tooManyReaders(second.ref.span, kind, ep.name, readerWord, first.ref.span),
      );
      ok = false;
    } else if (first && first.proc.replicas > maxReaders) {
      const d = diag.tooManyReaders(
        first.ref.span,
        kind,
        ep.name,
        readerWord,
        first.proc.decl.name.span,
      );
      d.primary.message =
        `'${first.ref.text}' has ${first.proc.replicas} replicas, each a ${readerWord}`;
      const sec = d.secondary[0];
      if (sec) sec.message = "replicated here";
      ctx.diagnostics.push(d);
      ok = false;
    }
  }

  const maxWriters = spec.writers?.max;
  if (maxWriters !== undefined) {
    const second = writers[maxWriters];
    const first = writers[0];
    if (second && first) {
      ctx.diagnostics.push(diag.tooManyWriters(second.ref.span, kind, ep.name, first.ref.span));
      ok = false;
    } else if (first && first.proc.replicas > maxWriters) {
      const d = diag.tooManyWriters(first.ref.span, kind, ep.name, first.proc.decl.name.span);
      d.primary.message = `'${first.ref.text}' has ${first.proc.replicas} replicas, each a writer`;
      const sec = d.secondary[0];
      if (sec) sec.message = "replicated here";
      ctx.diagnostics.push(d);
      ok = false;
    }
  }

  if (spec.flow === "stream") {
    checkServer(ctx, ep, s, writers, readers);
    return;
  }
  if (!ok && spec.flow !== "data") return;
  const [wRole, rRole]: [Role, Role] = spec.flow === "data"
    ? ["writer", "reader"]
    : spec.flow === "signal"
    ? ["signaller", "waiter"]
    : ["user", "user"];
  for (const u of writers) addRole(u.proc, ep.name, wRole);
  for (const u of readers) addRole(u.proc, ep.name, rRole);
  // A serving writer (dde) must exist before its clients connect.
  const serving = spec.writerServes && writers.length === 1 ? writers[0] : undefined;
  if (serving) {
    for (const r of readers) {
      if (r.proc !== serving.proc) r.proc.implicitAfter.set(serving.proc, r.ref.span);
    }
  }
  // A single reader (mailslot, udp) must exist before anyone writes to it.
  if (maxReaders === 1 && readers.length === 1) {
    const reader = readers[0];
    if (reader) {
      for (const w of writers) {
        if (w.proc !== reader.proc) w.proc.implicitAfter.set(reader.proc, w.ref.span);
      }
    }
  }
}

function checkServer(ctx: Ctx, ep: EndpointSym, s: Sides, writers: Use[], readers: Use[]): void {
  const spec = ep.spec;
  if (!spec) return;
  const kind = ep.decl.kind.text;
  let server: Use | null = null;
  if (ep.server) {
    const declared = ep.server;
    server = [...readers, ...writers].find((u) => u.proc === declared) ?? null;
    if (!server) {
      ctx.diagnostics.push(
        diag.serverNotInFlow(
          ep.optionSpans["server"] ?? ep.decl.name.span,
          kind,
          ep.name,
          declared.name,
        ),
      );
      return;
    }
  } else {
    const [first, second] = readers;
    if (second && first) {
      ctx.diagnostics.push(diag.twoServers(second.ref.span, kind, ep.name, first.ref.span));
      return;
    }
    server = first ?? null;
  }
  if (!server) return;
  s.server = server.proc;
  const limit = "fixed" in (spec.serverInstances ?? { fixed: 1 })
    ? (spec.serverInstances as { fixed: number } | undefined)?.fixed ?? 1
    : Number(ep.options[(spec.serverInstances as { option: string }).option] ?? 1);
  if (server.proc.replicas > limit) {
    const option = spec.serverInstances && "option" in spec.serverInstances
      ? spec.serverInstances.option
      : null;
    const d = diag.moreServersThanInstances(
      server.ref.span,
      kind,
      ep.name,
      server.proc.name,
      server.proc.replicas,
      limit,
    );
    const at = option ? ep.optionSpans[option] : undefined;
    if (at) d.secondary.push({ span: at, message: "instances set here" });
    ctx.diagnostics.push(d);
  }
  const direction = ep.options["direction"];
  const dirSpan = ep.optionSpans["direction"];
  if (dirSpan && (direction === "inbound" || direction === "outbound")) {
    const serverReads = readers.some((u) => u.proc === server.proc);
    const serverWrites = writers.some((u) => u.proc === server.proc);
    if (direction === "inbound" && serverWrites && !serverReads) {
      ctx.diagnostics.push(
        diag.pipeDirection(dirSpan, ep.name, "inbound", server.proc.name, "writes to it"),
      );
    } else if (direction === "outbound" && serverReads && !serverWrites) {
      ctx.diagnostics.push(
        diag.pipeDirection(dirSpan, ep.name, "outbound", server.proc.name, "reads from it"),
      );
    }
  }
  addRole(server.proc, ep.name, "server");
  for (const u of [...writers, ...readers]) {
    if (u.proc === server.proc) continue;
    addRole(u.proc, ep.name, "client");
    u.proc.implicitAfter.set(server.proc, u.ref.span);
  }
}

function checkCycles(ctx: Ctx): void {
  const state = new Map<ProcessSym, "visiting" | "done">();
  const path: { proc: ProcessSym; span: Span }[] = [];
  const deps = (p: ProcessSym): { proc: ProcessSym; span: Span }[] => [
    ...(p.props?.after ?? []).map((a) => ({ proc: a.sym, span: a.span })),
    ...[...p.implicitAfter].map(([proc, span]) => ({ proc, span })),
  ];
  const visit = (p: ProcessSym): boolean => {
    state.set(p, "visiting");
    for (const d of deps(p)) {
      if (d.proc === p) continue;
      const st = state.get(d.proc);
      if (st === "visiting") {
        const from = path.findIndex((e) => e.proc === d.proc);
        const ring = [...path.slice(from), { proc: p, span: d.span }];
        const names = [...ring.map((e) => e.proc.name), d.proc.name];
        const secondary: Label[] = ring.slice(0, -1).map((e, k) => ({
          span: e.span,
          message: `'${e.proc.name}' starts after '${names[k + 1]}'`,
        }));
        ctx.diagnostics.push(diag.startCycle(d.span, names.reverse(), secondary));
        return true;
      }
      if (st === undefined) {
        path.push({ proc: p, span: d.span });
        const found = visit(d.proc);
        path.pop();
        if (found) return true;
      }
    }
    state.set(p, "done");
    return false;
  };
  for (const p of ctx.processes) if (!state.has(p) && visit(p)) return;
}

/**
 * Assigns roles and checks direction rules for every endpoint and stdio link.
 *
 * @param ctx Shared checker state, after the options pass.
 * @returns The sides of every used endpoint, for the warnings pass and the model.
 * @example Running the pass
 * ```ts
 * import type { Ctx } from "./_context.ts";
 * import { checkDirections } from "./directions.ts";
 * declare const ctx: Ctx;
 * const sides = checkDirections(ctx);
 * ```
 */
export function checkDirections(ctx: Ctx): Map<EndpointSym, Sides> {
  const sides = gather(ctx);
  for (const [ep, s] of sides) checkEndpoint(ctx, ep, s);
  checkCycles(ctx);
  return sides;
}
