import { describe, expect, it } from "vitest";
import { KINDS } from "../../dsl/kinds.ts";
import { ipcFiles, readRel } from "./_harness.ts";

// A tokenizer for the TextMate subset the grammar uses: `match` (+ `captures`),
// `begin`/`end` (+ nested `patterns`), `include: "#rule"` and pattern groups.
interface Rule {
  name?: string;
  match?: string;
  captures?: Record<string, { name: string }>;
  begin?: string;
  end?: string;
  patterns?: Rule[];
  include?: string;
}
interface Grammar {
  scopeName: string;
  patterns: Rule[];
  repository: Record<string, Rule>;
}
interface Token {
  text: string;
  scopes: string[];
}

const grammar = JSON.parse(readRel("editors/vscode/syntaxes/ipc.tmLanguage.json")) as Grammar;

function flatten(rules: Rule[]): Rule[] {
  return rules.flatMap((r) => {
    if (r.include) {
      const target = grammar.repository[r.include.slice(1)];
      if (!target) throw new Error(`unknown include ${r.include}`);
      return flatten([target]);
    }
    if (!r.match && !r.begin && r.patterns) return flatten(r.patterns);
    return [r];
  });
}

function tokenizeLine(line: string): Token[] {
  const tokens: Token[] = [];
  const stack: Rule[] = [];
  let pos = 0;
  const scopes = () => [grammar.scopeName, ...stack.flatMap((r) => (r.name ? [r.name] : []))];
  const emit = (text: string, extra: string[] = []) => {
    if (text) tokens.push({ text, scopes: [...scopes(), ...extra] });
  };
  while (pos <= line.length) {
    const top = stack[stack.length - 1];
    const rules = flatten(top ? top.patterns ?? [] : grammar.patterns);
    let best: { rule: Rule | null; m: RegExpExecArray } | null = null;
    if (top?.end) {
      const re = new RegExp(top.end, "gd");
      re.lastIndex = pos;
      const m = re.exec(line);
      if (m) best = { rule: null, m };
    }
    for (const rule of rules) {
      const re = new RegExp(rule.match ?? rule.begin ?? "", "gd");
      re.lastIndex = pos;
      const m = re.exec(line);
      if (m && m[0].length > 0 && (!best || m.index < best.m.index)) best = { rule, m };
    }
    if (!best) {
      emit(line.slice(pos));
      break;
    }
    const { rule, m } = best;
    emit(line.slice(pos, m.index));
    if (rule === null) {
      emit(m[0]);
      stack.pop();
    } else if (rule.begin) {
      stack.push(rule);
      emit(m[0]);
    } else if (rule.captures) {
      let at = m.index;
      const indices = m.indices ?? [];
      for (let g = 1; g < m.length; g++) {
        const span = indices[g];
        if (!span) continue;
        emit(line.slice(at, span[0]), rule.name ? [rule.name] : []);
        emit(line.slice(span[0], span[1]), [
          ...(rule.name ? [rule.name] : []),
          rule.captures[String(g)]?.name ?? "",
        ]);
        at = span[1];
      }
      emit(line.slice(at, m.index + m[0].length), rule.name ? [rule.name] : []);
    } else {
      emit(m[0], rule.name ? [rule.name] : []);
    }
    pos = m.index + Math.max(1, m[0].length);
    if (m[0].length === 0) break;
  }
  return tokens;
}

const tokenize = (text: string) => text.split("\n").flatMap(tokenizeLine);
const scopeOf = (tokens: Token[], text: string) =>
  tokens.find((t) => t.text === text)?.scopes.at(-1);

describe("VS Code TextMate grammar", () => {
  it("scopes keywords, kinds, units, strings, comments and arrows in hello.ipc", () => {
    const tokens = tokenize(readRel("examples/hello.ipc"));
    expect(scopeOf(tokens, "topology")).toBe("keyword.control.ipc");
    expect(scopeOf(tokens, "process")).toBe("keyword.control.ipc");
    expect(scopeOf(tokens, "pipe")).toBe("storage.type.kind.ipc");
    expect(scopeOf(tokens, "# Two processes exchange a greeting over a named pipe.")).toBe(
      "comment.line.number-sign.ipc",
    );
    expect(tokens.find((t) => t.text === "bun")?.scopes).toContain("string.quoted.double.ipc");
    expect(scopeOf(tokens, "->")).toBe("keyword.operator.arrow.ipc");
    expect(scopeOf(tokens, "notify")).toBe("support.constant.ipc");
  });

  it("splits numbers from their units and marks calls, platforms and streams", () => {
    const tokens = tokenize(readRel("examples/shm_pipeline.ipc"));
    expect(scopeOf(tokens, "1")).toBe("constant.numeric.ipc");
    expect(scopeOf(tokens, "MiB")).toBe("keyword.other.unit.ipc");
    expect(scopeOf(tokens, "on-failure")).toBe("entity.name.function.ipc");
    expect(scopeOf(tokens, "linux")).toBeUndefined();
    const mailslot = tokenize(readRel("examples/mailslot_log.ipc"));
    expect(scopeOf(mailslot, "linux")).toBe("support.constant.platform.ipc");
    expect(scopeOf(mailslot, "mailslot")).toBe("storage.type.kind.ipc");
    const stdio = tokenize(readRel("examples/stdio_pipeline.ipc"));
    expect(scopeOf(stdio, "stdout")).toBe("variable.language.stream.ipc");
  });

  it("does not treat a '#' inside a string as a comment", () => {
    const tokens = tokenize(`process a { run = "echo #1" } # real`);
    expect(tokens.find((t) => t.text.includes("#1"))?.scopes).toContain("string.quoted.double.ipc");
    expect(scopeOf(tokens, "# real")).toBe("comment.line.number-sign.ipc");
  });

  it("gives every non-blank character of every example a scope", () => {
    for (const file of ipcFiles("examples")) {
      const unscoped = tokenize(readRel(file)).filter((t) =>
        t.scopes.length === 1 && t.text.trim() !== ""
      );
      expect(unscoped, file).toEqual([]);
    }
  });

  it("lists every endpoint kind of dsl/kinds.ts", () => {
    const rule = grammar.repository["kind"]?.match ?? "";
    for (const kind of Object.keys(KINDS)) expect(rule).toContain(kind);
  });
});
