/**
 * A seeded mutation fuzzer over `.ipc` sources, shared by the vitest fuzz test
 * and `tools/fuzz_dsl.ts`. Every case must end in a result with rendered
 * diagnostics; anything thrown is a bug.
 *
 * @module
 */

import { checkSource, format, renderAll, SourceFiles, toJson } from "../../dsl/mod.ts";
import { structure } from "./_structure.ts";
import { parse } from "../../dsl/parse.ts";

/**
 * A small deterministic PRNG (mulberry32), so a failing case can be replayed by seed.
 *
 * @param seed Any 32-bit integer.
 * @returns A function returning floats in [0, 1).
 * @example Drawing numbers
 * ```ts
 * import { prng } from "./_mutate.ts";
 * const rnd = prng(42);
 * rnd(); // same value on every run
 * ```
 */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TOKEN = /\s+|#[^\n]*|"(?:\\.|[^"\\\n])*"|'[^'\n]*'|->|[A-Za-z_][\w-]*|\d[\w.]*|./gs;
const VOCAB = [
  "topology",
  "import",
  "as",
  "param",
  "process",
  "when",
  "linux",
  "windows",
  "true",
  "false",
  "shm",
  "pipe",
  "mailslot",
  "mutex",
  "event",
  "semaphore",
  "tcp",
  "udp",
  "filemap",
  "{",
  "}",
  "[",
  "]",
  "(",
  ")",
  "=",
  ",",
  "->",
  ".",
  ":",
  "+",
  "-",
  "*",
  "/",
  "stdout",
  "stdin",
  "0",
  "64KiB",
  "30s",
  "'\\\\*\\mailslot\\x'",
  '"x"',
  "server",
  "size",
  "instances",
  "run",
  "ready",
  "notify",
  "on-failure(max = 2)",
  'log("x")',
  "worker[3]",
  "\n",
  "#c\n",
];
const ODD = [
  "\0",
  "\u00e9",
  "\u2028",
  "\ud83d\ude00",
  "\ufeff",
  "\t",
  "\r",
  "\x7f",
  "\\",
  '"',
  "'",
  "\u{10ffff}",
];

/**
 * Produces one mutant of a source text.
 *
 * @param source A valid `.ipc` text.
 * @param rnd The random source.
 * @returns The mutated text and a short description of what was done.
 * @example Mutating a file
 * ```ts
 * import { mutate, prng } from "./_mutate.ts";
 * const { text, op } = mutate("topology t\nshm a { size = 1KiB }", prng(1));
 * ```
 */
export function mutate(source: string, rnd: () => number): { text: string; op: string } {
  const tokens = source.match(TOKEN) ?? [];
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const at = () => Math.floor(rnd() * Math.max(1, tokens.length));
  const ops = [
    "delete",
    "duplicate",
    "swap",
    "insert",
    "bytes",
    "truncate",
    "nest",
    "huge",
    "unicode",
    "repeat",
  ] as const;
  const op = pick(ops);
  const t = [...tokens];
  switch (op) {
    case "delete":
      for (let n = 1 + Math.floor(rnd() * 3); n > 0; n--) t.splice(at(), 1);
      break;
    case "duplicate": {
      const i = at();
      t.splice(i, 0, t[i] ?? "");
      break;
    }
    case "swap": {
      const i = at();
      const j = at();
      [t[i], t[j]] = [t[j] ?? "", t[i] ?? ""];
      break;
    }
    case "insert":
      for (let n = 1 + Math.floor(rnd() * 3); n > 0; n--) t.splice(at(), 0, pick(VOCAB), " ");
      break;
    case "bytes": {
      const bytes = Array.from(
        { length: 1 + Math.floor(rnd() * 8) },
        () => rnd() < 0.5 ? pick(ODD) : String.fromCharCode(Math.floor(rnd() * 128)),
      ).join("");
      t.splice(at(), 0, bytes);
      break;
    }
    case "truncate":
      return { text: source.slice(0, Math.floor(rnd() * source.length)), op };
    case "nest": {
      const depth = pick([10, 50, 70, 200, 2000]);
      const open = pick(["(", "[", "{"]);
      const close = open === "(" ? ")" : open === "[" ? "]" : "}";
      const inner = rnd() < 0.5 ? "1" : "";
      t.splice(
        at(),
        0,
        open.repeat(depth) + inner + close.repeat(rnd() < 0.8 ? depth : depth >> 1),
      );
      break;
    }
    case "huge": {
      const nums = t.map((x, i) => (/^\d/.test(x) ? i : -1)).filter((i) => i >= 0);
      const digits = "9".repeat(16 + Math.floor(rnd() * 400));
      if (nums.length > 0) t[pick(nums)] = digits + pick(["", "KiB", "TiB", "ms", "h", ".5"]);
      else t.splice(at(), 0, digits);
      break;
    }
    case "unicode": {
      const names = t.map((x, i) => (/^[A-Za-z_]/.test(x) ? i : -1)).filter((i) => i >= 0);
      if (names.length > 0) t[pick(names)] = pick(["tëst-✓", "𝄞", "名前", "é", "\0x"]);
      break;
    }
    case "repeat": {
      const i = at();
      const chunk = t.slice(i, i + 1 + Math.floor(rnd() * 6)).join("");
      t.splice(i, 0, chunk.repeat(2 + Math.floor(rnd() * 50)));
      break;
    }
  }
  return { text: t.join(""), op };
}

/** What one fuzz case found. */
export interface CaseResult {
  ok: boolean;
  ms: number;
  error?: string;
}

/**
 * Runs one fuzz case: check on both platforms, render, JSON, and (when the
 * mutant parses) format twice and compare meaning.
 *
 * @param text The mutant.
 * @returns Whether every step ended in data, not an exception, and how long it took.
 * @example Running one case
 * ```ts
 * import { runCase } from "./_mutate.ts";
 * console.log(runCase("topology t\nshm").ok); // true
 * ```
 */
export function runCase(text: string): CaseResult {
  const start = performance.now();
  try {
    for (const platform of ["linux", "windows"] as const) {
      const r = checkSource("fuzz.ipc", text, { platform, set: ["n=2"] });
      if (r.diagnostics.length > 0) {
        const rendered = renderAll(r.diagnostics, r.files, "fuzz.ipc");
        if (!rendered.includes("[E") && !rendered.includes("[W")) {
          throw new Error("empty rendering");
        }
        JSON.stringify(toJson(r.diagnostics, r.files));
      }
      if (r.topology === null && !r.diagnostics.some((d) => d.severity === "error")) {
        throw new Error("no topology and no error");
      }
    }
    const files = new SourceFiles();
    const once = format(text, files.add("fuzz.ipc", text));
    if (once.text !== null) {
      const twice = format(once.text, 1);
      if (twice.text !== once.text) throw new Error("fmt is not idempotent");
      const a = parse(text, 0).ast;
      const b = parse(once.text, 0).ast;
      if (!a || !b || JSON.stringify(structure(a)) !== JSON.stringify(structure(b))) {
        throw new Error("fmt changed the meaning");
      }
    }
    return { ok: true, ms: performance.now() - start };
  } catch (e) {
    return {
      ok: false,
      ms: performance.now() - start,
      error: e instanceof Error ? `${e.message}\n${e.stack}` : String(e),
    };
  }
}
