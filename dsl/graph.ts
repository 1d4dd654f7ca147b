/**
 * Graph export for `ipckit graph`: processes as boxes (replicas stacked and
 * counted), endpoints shaped by kind (shapes come from the kind table), flows
 * as edges labelled with each process's role, stdio links as dashed edges.
 *
 * @module
 */

import { KINDS, type KindSpec } from "./kinds.ts";
import type { Topology } from "./model.ts";

interface Node {
  id: string;
  label: string;
  kind: "process" | "endpoint";
  shape: string;
  mermaid: readonly [string, string];
  replicas: number;
}

interface Edge {
  from: string;
  to: string;
  label: string;
  dashed: boolean;
}

function layout(
  t: Topology,
  kinds: Readonly<Record<string, KindSpec>>,
): { nodes: Node[]; edges: Edge[] } {
  const nodes: Node[] = [];
  const ids = new Map<string, string>();
  t.processes.forEach((p, i) => {
    const id = `p${i}`;
    ids.set(`p:${p.name}`, id);
    nodes.push({
      id,
      label: p.replicas > 1 ? `${p.name} ×${p.replicas}` : p.name,
      kind: "process",
      shape: p.replicas > 1 ? "box3d" : "box",
      mermaid: ["[", "]"],
      replicas: p.replicas,
    });
  });
  t.endpoints.forEach((e, i) => {
    const id = `e${i}`;
    ids.set(`e:${e.name}`, id);
    const g = kinds[e.kind]?.graph ?? { dot: "ellipse", mermaid: ["(", ")"] as const };
    nodes.push({
      id,
      label: `${e.name}\n${e.kind}${methodList(t, e.name)}`,
      kind: "endpoint",
      shape: g.dot,
      mermaid: g.mermaid,
      replicas: 1,
    });
  });
  const role = (proc: string, endpoint: string, fallback: string) => {
    const roles =
      t.processes.find((p) => p.name === proc)?.uses.filter((u) => u.endpoint === endpoint) ?? [];
    return roles.map((r) => r.role).join("/") || fallback;
  };
  const edges: Edge[] = [];
  for (const f of t.flows) {
    const e = ids.get(`e:${f.endpoint}`) ?? "";
    for (const p of f.from) {
      edges.push({
        from: ids.get(`p:${p}`) ?? "",
        to: e,
        label: role(p, f.endpoint, "writer"),
        dashed: false,
      });
    }
    for (const p of f.to) {
      edges.push({
        from: e,
        to: ids.get(`p:${p}`) ?? "",
        label: role(p, f.endpoint, "reader"),
        dashed: false,
      });
    }
  }
  for (const l of t.stdioLinks) {
    edges.push({
      from: ids.get(`p:${l.from.process}`) ?? "",
      to: ids.get(`p:${l.to.process}`) ?? "",
      label: `${l.from.stream} → ${l.to.stream}`,
      dashed: true,
    });
  }
  return { nodes, edges };
}

const dotString = (s: string) =>
  `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;

/** A service's methods, one per line, `name(In): stream Out`; empty for other kinds. */
function methodList(t: Topology, endpoint: string): string {
  const service = t.schema.services[endpoint];
  if (!service) return "";
  const lines = service.methods.map((m) =>
    `${m.name}(${m.clientStreaming ? "stream " : ""}${m.input}): ${
      m.serverStreaming ? "stream " : ""
    }${m.output}`
  );
  return lines.map((l) => `\n${l}`).join("");
}

/**
 * Renders a checked topology as Graphviz DOT.
 *
 * @param t The topology from `checkProgram`.
 * @param kinds The kind table (for node shapes).
 * @returns DOT source, ending with a newline.
 * @example Rendering DOT
 * ```ts
 * import { checkSource, toDot } from "./mod.ts";
 * const r = checkSource("a.ipc", "topology a", { platform: "linux" });
 * if (r.topology) console.log(toDot(r.topology));
 * ```
 */
export function toDot(t: Topology, kinds: Readonly<Record<string, KindSpec>> = KINDS): string {
  const { nodes, edges } = layout(t, kinds);
  const out = [
    `digraph ${dotString(t.name)} {`,
    "  rankdir=LR;",
    '  node [fontname="Helvetica"];',
    '  edge [fontname="Helvetica", fontsize=10];',
  ];
  for (const n of nodes) {
    const style = n.kind === "process" ? ', style="rounded,filled", fillcolor="#eef3fb"' : "";
    out.push(`  ${n.id} [label=${dotString(n.label)}, shape=${n.shape}${style}];`);
  }
  for (const e of edges) {
    out.push(
      `  ${e.from} -> ${e.to} [label=${dotString(e.label)}${e.dashed ? ", style=dashed" : ""}];`,
    );
  }
  out.push("}");
  return out.join("\n") + "\n";
}

const mermaidLabel = (s: string) => `"${s.replace(/"/g, "#quot;").replace(/\n/g, "<br/>")}"`;

/**
 * Renders a checked topology as a Mermaid flowchart.
 *
 * @param t The topology from `checkProgram`.
 * @param kinds The kind table (for node shapes).
 * @returns Mermaid source, ending with a newline.
 * @example Rendering Mermaid
 * ```ts
 * import { checkSource, toMermaid } from "./mod.ts";
 * const r = checkSource("a.ipc", "topology a", { platform: "linux" });
 * if (r.topology) console.log(toMermaid(r.topology));
 * ```
 */
export function toMermaid(t: Topology, kinds: Readonly<Record<string, KindSpec>> = KINDS): string {
  const { nodes, edges } = layout(t, kinds);
  const out = ["flowchart LR", `  %% topology ${t.name} (${t.platform})`];
  for (const n of nodes) {
    out.push(`  ${n.id}${n.mermaid[0]}${mermaidLabel(n.label)}${n.mermaid[1]}`);
  }
  for (const e of edges) {
    out.push(`  ${e.from} ${e.dashed ? "-.->" : "-->"}|${mermaidLabel(e.label)}| ${e.to}`);
  }
  return out.join("\n") + "\n";
}
