/**
 * Platform rules: `when` guards (applied first, so guarded-out items vanish
 * before names are resolved), then kinds, options and OS names that the target
 * platform lacks.
 *
 * @module
 */

import type { Item } from "../ast.ts";
import { diag } from "../diagnostics.ts";
import type { LoadedModule } from "../imports.ts";
import { type Platform, PLATFORMS } from "../kinds.ts";
import { suggest } from "../_suggest.ts";
import type { Ctx } from "./_context.ts";

const spanKey = (s: { file: number; start: number }) => `${s.file}:${s.start}`;

/**
 * Flattens `when` guards for the target platform and fills `ctx.modules`.
 * Modules imported under a guard that excludes the platform are dropped too.
 *
 * @param ctx Shared checker state.
 * @param loaded The parsed program's modules, root first.
 * @returns Nothing; the kept modules go to `ctx.modules`.
 * @example Running the pass
 * ```ts
 * import type { Ctx } from "./_context.ts";
 * import type { LoadedModule } from "../imports.ts";
 * import { applyGuards } from "./platform.ts";
 * declare const ctx: Ctx;
 * declare const modules: LoadedModule[];
 * applyGuards(ctx, modules);
 * ```
 */
export function applyGuards(ctx: Ctx, loaded: readonly LoadedModule[]): void {
  const activeImports = new Set<string>();
  for (const m of loaded) {
    if (m.via && !activeImports.has(spanKey(m.via))) continue;
    const items: Item[] = [];
    const visit = (list: Item[]) => {
      for (const item of list) {
        if (item.type !== "when") {
          items.push(item);
          if (item.type === "import") activeImports.add(spanKey(item.span));
          continue;
        }
        const p = item.platform.text;
        if (!PLATFORMS.includes(p as Platform)) {
          ctx.diagnostics.push(diag.unknownPlatform(item.platform.span, p, suggest(p, PLATFORMS)));
        }
        if (p === ctx.platform) visit(item.items);
        else recordDropped(ctx, m.prefix, item.items, p);
      }
    };
    visit(m.ast.items);
    ctx.modules.push({ file: m.file, prefix: m.prefix, ast: m.ast, items, via: m.via });
  }
}

function recordDropped(ctx: Ctx, prefix: string, items: Item[], platform: string): void {
  for (const item of items) {
    if (item.type === "endpoint" || item.type === "process" || item.type === "param") {
      ctx.dropped.set(prefix + item.name.text, platform as Platform);
    } else if (item.type === "when") {
      recordDropped(ctx, prefix, item.items, platform);
    }
  }
}

// `\\server\pipe\name` and `\\server\mailslot\name`; group 1 is the server part.
const UNC = /^\\\\([^\\]+)\\(pipe|mailslot)\\(.+)$/i;

/**
 * Reports kinds, options and OS names the target platform does not have, and
 * broadcast mailslots with messages over 424 bytes.
 *
 * @param ctx Shared checker state, after the options pass.
 * @returns Nothing; findings go to `ctx.diagnostics`.
 * @example Running the pass
 * ```ts
 * import type { Ctx } from "./_context.ts";
 * import { checkPlatform } from "./platform.ts";
 * declare const ctx: Ctx;
 * checkPlatform(ctx);
 * ```
 */
export function checkPlatform(ctx: Ctx): void {
  const platform = ctx.platform;
  for (const ep of ctx.endpoints) {
    const spec = ep.spec;
    if (!spec) continue;
    const kind = ep.decl.kind.text;
    if (!spec.platforms.includes(platform)) {
      ctx.diagnostics.push(
        diag.kindNotOnPlatform(ep.decl.kind.span, kind, platform, spec.portable),
      );
    }
    // Whether Winsock has AF_UNIX is known only where the topology runs.
    if (kind === "unix" && platform === "windows") {
      ctx.diagnostics.push(diag.unixOnWindows(ep.decl.kind.span, ep.name));
    }
    for (const entry of ep.decl.options ?? []) {
      const key = entry.key.type === "name" ? entry.key.text : entry.key.value;
      const o = spec.options[key];
      if (o?.platforms && !o.platforms.includes(platform)) {
        ctx.diagnostics.push(diag.optionNotOnPlatform(entry.key.span, kind, key, platform));
      }
    }
    const path = ep.options["path"];
    const pathSpan = ep.optionSpans["path"];
    if (typeof path !== "string" || !pathSpan || (kind !== "pipe" && kind !== "mailslot")) continue;
    const unc = UNC.exec(path);
    if (platform === "windows") {
      if (!unc || unc[2]?.toLowerCase() !== kind) {
        ctx.diagnostics.push(diag.nameNotOnPlatform(
          pathSpan,
          `'${path}' is not a ${kind} name on windows`,
          `not a \\\\.\\${kind}\\ name`,
          `write '\\\\.\\${kind}\\${ep.decl.name.text}', or leave out \`path\` to derive it from the name`,
        ));
        continue;
      }
    } else if (unc && unc[1] !== ".") {
      const broadcast = unc[1] === "*";
      ctx.diagnostics.push(diag.nameNotOnPlatform(
        pathSpan,
        broadcast
          ? `broadcast mailslot names do not exist on linux`
          : `remote ${kind} names like '\\\\${unc[1]}\\${kind}\\…' do not exist on linux`,
        broadcast ? "broadcast name" : "remote name",
        `on linux a ${kind} is local; use '\\\\.\\${kind}\\${
          unc[3]
        }' or guard this endpoint with \`when windows\``,
      ));
      continue;
    }
    const maxMessage = ep.options["max_message"];
    if (
      kind === "mailslot" && unc?.[1] === "*" && typeof maxMessage === "number" && maxMessage > 424
    ) {
      ctx.diagnostics.push(diag.broadcastTooLarge(
        ep.optionSpans["max_message"] ?? ep.decl.name.span,
        ep.name,
        maxMessage,
        pathSpan,
      ));
    }
  }
}
