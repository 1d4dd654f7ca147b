/**
 * The warnings pass: things that are legal but probably wrong. Warnings never
 * fail `ipckit check`.
 *
 * @module
 */

import { diag, type Label } from "../diagnostics.ts";
import type { Ctx, EndpointSym, ProcessSym } from "./_context.ts";
import type { Sides } from "./directions.ts";

/**
 * Reports unsynchronised shared memory, unused endpoints and parameters, and
 * processes that take part in no flow.
 *
 * @param ctx Shared checker state, after the directions pass.
 * @param sides The endpoint sides gathered by the directions pass.
 * @returns Nothing; warnings go to `ctx.diagnostics`.
 * @example Running the pass
 * ```ts
 * import type { Ctx } from "./_context.ts";
 * import { checkDirections } from "./directions.ts";
 * import { checkWarnings } from "./warnings.ts";
 * declare const ctx: Ctx;
 * checkWarnings(ctx, checkDirections(ctx));
 * ```
 */
export function checkWarnings(ctx: Ctx, sides: Map<EndpointSym, Sides>): void {
  // Anything named in a flow counts as used, even if that flow had errors,
  // so one mistake does not also produce "unused" warnings.
  const mentioned = new Set<EndpointSym | ProcessSym>();
  for (const flow of ctx.flows) {
    for (const stage of flow.stages) for (const e of stage) mentioned.add(e.sym);
  }

  for (const [ep, s] of sides) {
    if (ep.spec === null || ep.decl.kind.text !== "shm") continue;
    const writers = [...new Map(s.from.map((u) => [u.proc, u])).values()];
    const count = writers.reduce((n, u) => n + u.proc.replicas, 0);
    if (count < 2) continue;
    const guarded = s.flows.some((f) =>
      f.stages.some((stage) =>
        stage.some((e) =>
          e.kind === "endpoint" && (e.sym.spec?.flow === "shared" || e.sym.spec?.flow === "signal")
        )
      )
    );
    if (guarded) continue;
    const names = writers.map((u) =>
      u.proc.replicas > 1 ? `'${u.ref.text}' ×${u.proc.replicas}` : `'${u.ref.text}'`
    );
    const secondary: Label[] = writers.map((u) => ({ span: u.ref.span, message: "writes here" }));
    ctx.diagnostics.push(
      diag.unsyncedShm(
        ep.decl.name.span,
        ep.name,
        count,
        names,
        writers.map((u) => u.ref.text),
        secondary,
      ),
    );
  }

  // A file of services and no processes is an interface for `ipckit gen` and rpc.serve.
  const interfaceOnly = ctx.processes.length === 0;
  for (const ep of ctx.endpoints) {
    if (interfaceOnly && ep.decl.methods) continue;
    if (!mentioned.has(ep) && !sides.has(ep)) {
      ctx.diagnostics.push(diag.unusedEndpoint(ep.decl.name.span, ep.decl.kind.text, ep.name));
    }
  }
  for (const p of ctx.processes) {
    if (!mentioned.has(p) && !p.linked && p.uses.size === 0) {
      ctx.diagnostics.push(diag.idleProcess(p.decl.name.span, p.name));
    }
  }
  for (const p of ctx.params.values()) {
    if (!p.used) ctx.diagnostics.push(diag.unusedParam(p.decl.name.span, p.name));
  }
}
