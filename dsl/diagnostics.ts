/**
 * Diagnostics: the {@link Diagnostic} type, one small factory per code, a
 * rustc-style text renderer and a JSON form for editors.
 *
 * Factories are the only place that words a message, so the wording of each
 * code lives in one spot (as in ohm's `errors.js`).
 *
 * @module
 */

import type { SourceFile, SourceFiles, Span } from "./ast.ts";

/** `error` fails a check; `warning` is printed but the check passes. */
export type Severity = "error" | "warning";

/** A span with the text printed under it. */
export interface Label {
  span: Span;
  message: string;
}

/** One finding, with a stable code, where it is, and how to fix it. */
export interface Diagnostic {
  severity: Severity;
  /** `E0xx` for errors, `W0xx` for warnings; stable across releases. */
  code: string;
  message: string;
  primary: Label;
  secondary: Label[];
  help: string;
}

/**
 * Every code with its one-line title; docs/language.md and the golden tests
 * are checked against this table.
 *
 * @example Looking up a title
 * ```ts
 * import { CODES } from "./diagnostics.ts";
 * console.log(CODES.E030); // "too many readers"
 * ```
 */
export const CODES = {
  E001: "syntax error",
  E002: "cannot read imported file",
  E003: "import cycle",
  E004: "invalid --set override",
  E010: "unknown name",
  E011: "duplicate name",
  E012: "unknown endpoint kind",
  E013: "wrong kind of name",
  E014: "malformed flow",
  E020: "unknown option",
  E021: "type mismatch",
  E022: "wrong or unknown unit",
  E023: "value out of range",
  E024: "missing required option",
  E025: "duplicate option",
  E026: "invalid choice",
  E027: "invalid command",
  E030: "too many readers",
  E031: "missing side of a flow",
  E032: "more than one serving process",
  E033: "declared server does not use the endpoint",
  E034: "stdio link does not join two processes",
  E035: "stdio stream linked twice",
  E036: "a mutex carries no data",
  E037: "pipe direction contradicts the flow",
  E038: "more servers than instances",
  E039: "start-order cycle",
  E040: "endpoint kind not available on platform",
  E041: "option not available on platform",
  E042: "name not valid on platform",
  E043: "unknown platform",
  E044: "broadcast mailslot message too large",
  E045: "too many writers",
  E050: "unknown type",
  E051: "duplicate field number",
  E052: "stream where none is allowed",
  E053: "field number out of range",
  E054: "invalid type",
  E055: "method type is not a record",
  W001: "shared memory written without synchronisation",
  W002: "unused endpoint",
  W003: "process with no flows",
  W004: "unused parameter",
  W005: "Unix socket on windows",
} as const;

/** A known diagnostic code. */
export type Code = keyof typeof CODES;

function make(
  code: Code,
  message: string,
  primary: Label,
  help: string,
  secondary: Label[] = [],
): Diagnostic {
  return {
    severity: code.startsWith("W") ? "warning" : "error",
    code,
    message,
    primary,
    secondary,
    help,
  };
}

const quote = (s: string) => `'${s}'`;
const didYouMean = (s: string | undefined) => (s === undefined ? "" : `did you mean '${s}'? `);

/**
 * Factories, one per situation; each returns a complete {@link Diagnostic}.
 *
 * @example Building an unknown-name error
 * ```ts
 * import { diag } from "./diagnostics.ts";
 * const d = diag.unknownName({ file: 0, start: 0, end: 6 }, "process", "wroker", "worker");
 * console.log(d.code, d.help); // E010 did you mean 'worker'? ...
 * ```
 */
export const diag = {
  /** E001 from a failed parse. */
  syntax(span: Span, expected: string, found: string, help: string, secondary: Label[] = []) {
    return make(
      "E001",
      `expected ${expected}, found ${found}`,
      { span, message: `expected ${expected}` },
      help,
      secondary,
    );
  },
  /** E001 for input nested deeper than the parser allows. */
  tooDeep(span: Span, limit: number) {
    return make(
      "E001",
      `brackets nested more than ${limit} levels deep`,
      { span, message: "too deep here" },
      "flatten the expression or split it into parameters",
    );
  },
  /** E002 */
  cannotRead(span: Span, path: string, cause: string) {
    return make(
      "E002",
      `cannot read imported file '${path}': ${cause}`,
      { span, message: "imported here" },
      "import paths are relative to the importing file",
    );
  },
  /** E003 */
  importCycle(span: Span, chain: string[], secondary: Label[]) {
    return make(
      "E003",
      `import cycle: ${chain.join(" -> ")}`,
      { span, message: "this import closes the cycle" },
      "move the shared declarations into a third file that both import",
      secondary,
    );
  },
  /** E004 */
  badSet(span: Span, what: string, help: string) {
    return make("E004", `invalid --set override: ${what}`, {
      span,
      message: "in this override",
    }, help);
  },
  /** E010 */
  unknownName(span: Span, what: string, name: string, suggestion?: string, extraHelp?: string) {
    return make(
      "E010",
      `unknown ${what} ${quote(name)}`,
      { span, message: `no ${what} named ${quote(name)}` },
      extraHelp ?? (didYouMean(suggestion) || `declare the ${what} before using it`).trim(),
    );
  },
  /** E011 */
  duplicate(span: Span, what: string, name: string, first: Span) {
    return make(
      "E011",
      `${quote(name)} is defined twice`,
      { span, message: `${what} redefined here` },
      "names of endpoints, processes and imports share one namespace; rename one of them",
      [{ span: first, message: "first defined here" }],
    );
  },
  /** E012 */
  unknownKind(span: Span, kind: string, known: readonly string[], suggestion?: string) {
    return make(
      "E012",
      `unknown endpoint kind ${quote(kind)}`,
      { span, message: "not an endpoint kind" },
      `${didYouMean(suggestion)}the kinds are: ${known.join(", ")}`,
    );
  },
  /** E013 */
  wrongNameKind(span: Span, name: string, expected: string, found: string, help: string) {
    return make(
      "E013",
      `${quote(name)} is ${found}, expected ${expected}`,
      { span, message: `expected ${expected}` },
      help,
    );
  },
  /** E020 */
  unknownOption(span: Span, where: string, option: string, known: readonly string[], s?: string) {
    return make(
      "E020",
      `unknown option ${quote(option)} for ${where}`,
      { span, message: "unknown option" },
      `${didYouMean(s)}${
        known.length === 0 ? `${where} takes no options` : `valid options: ${known.join(", ")}`
      }`,
    );
  },
  /** E021 */
  typeMismatch(span: Span, expected: string, found: string, help: string) {
    return make(
      "E021",
      `expected ${expected}, found ${found}`,
      { span, message: `expected ${expected}` },
      help,
    );
  },
  /** E022 */
  badUnit(span: Span, message: string, label: string, help: string) {
    return make("E022", message, { span, message: label }, help);
  },
  /** E023 */
  outOfRange(span: Span, message: string, label: string, help: string, secondary: Label[] = []) {
    return make("E023", message, { span, message: label }, help, secondary);
  },
  /** E024 */
  missingOption(span: Span, where: string, option: string, example: string) {
    return make(
      "E024",
      `${where} needs option ${quote(option)}`,
      { span, message: `missing ${quote(option)}` },
      `add it, e.g. \`${example}\``,
    );
  },
  /** E025 */
  duplicateOption(span: Span, option: string, first: Span) {
    return make(
      "E025",
      `option ${quote(option)} is given twice`,
      { span, message: "given again here" },
      "remove one of them",
      [{ span: first, message: "first given here" }],
    );
  },
  /** E026 */
  badChoice(span: Span, what: string, value: string, choices: readonly string[], s?: string) {
    return make(
      "E026",
      `${quote(value)} is not a valid ${what}`,
      { span, message: "not a valid choice" },
      `${didYouMean(s)}expected one of: ${choices.join(", ")}`,
    );
  },
  /** E027 */
  badCommand(span: Span, why: string) {
    return make(
      "E027",
      `invalid command: ${why}`,
      { span, message: why },
      'write the command as a list, e.g. `run = ["bun", "examples/x/y.ts"]`',
    );
  },
  /** E030 */
  tooManyReaders(span: Span, kind: string, name: string, role: string, first: Span) {
    return make(
      "E030",
      `${kind} ${quote(name)} has more than one ${role}`,
      { span, message: `another ${role} here` },
      kind === "mailslot"
        ? "a mailslot has exactly one reading process (the server); use a named pipe for request/response"
        : kind === "copydata"
        ? "a copydata endpoint has exactly one receiving process, whose answers go back to the senders; give each receiver its own copydata endpoint"
        : `a ${kind} has exactly one ${role}; give the others their own ${kind}`,
      [{ span: first, message: `first ${role} here` }],
    );
  },
  /** E045 */
  tooManyWriters(span: Span, kind: string, name: string, first: Span) {
    return make(
      "E045",
      `${kind} ${quote(name)} has more than one writer`,
      { span, message: "another writer here" },
      kind === "dde"
        ? "a dde endpoint has exactly one serving process, on the `from` side of its flows (its clients are on the `to` side); give another server its own dde endpoint"
        : `a ${kind} has exactly one writing process (a restarted writer takes its place); give the other writer its own ${kind}`,
      [{ span: first, message: "first writer here" }],
    );
  },
  /** E031 */
  missingSide(span: Span, kind: string, name: string, role: string, example: string) {
    return make(
      "E031",
      `${kind} ${quote(name)} has no ${role}`,
      { span, message: `no ${role} in any flow` },
      `add a flow with a ${role}, e.g. \`${example}\``,
    );
  },
  /** E032 */
  twoServers(span: Span, kind: string, name: string, first: Span) {
    return make(
      "E032",
      `${kind} ${quote(name)} has more than one serving process`,
      { span, message: "would also serve" },
      `the reading side serves by default; declare the server, e.g. \`${kind} ${name} { server = <process> }\``,
      [{ span: first, message: "serves" }],
    );
  },
  /** E033 */
  serverNotInFlow(span: Span, kind: string, name: string, server: string) {
    return make(
      "E033",
      `${quote(server)} is declared the server of ${kind} ${quote(name)} but no flow connects it`,
      { span, message: "declared here" },
      `add a flow such as \`${server} -> ${name}\` or \`${name} -> ${server}\``,
    );
  },
  /** E034 */
  badStdio(span: Span, message: string, label: string) {
    return make(
      "E034",
      message,
      { span, message: label },
      "a stdio link joins two spawned processes: `producer.stdout -> consumer.stdin`",
    );
  },
  /** E035 */
  stdioTwice(span: Span, message: string, label: string, help: string, first?: Span) {
    return make(
      "E035",
      message,
      { span, message: label },
      help,
      first ? [{ span: first, message: "first linked here" }] : [],
    );
  },
  /** E036 */
  mutexFlow(span: Span, name: string, users: string) {
    return make(
      "E036",
      `a flow through mutex ${quote(name)} carries no data`,
      { span, message: "a mutex is shared, not passed along" },
      `list the processes that take the lock instead: \`${users} -> ${name}\``,
    );
  },
  /** E037 */
  pipeDirection(span: Span, name: string, direction: string, server: string, serverRole: string) {
    return make(
      "E037",
      `pipe ${quote(name)} is ${direction} but its server ${quote(server)} ${serverRole}`,
      { span, message: `declared ${direction} here` },
      "`inbound` carries data from clients to the server, `outbound` from the server to clients; use `duplex` for both",
    );
  },
  /** E038 */
  moreServersThanInstances(
    span: Span,
    kind: string,
    name: string,
    server: string,
    replicas: number,
    instances: number,
  ) {
    return make(
      "E038",
      `${kind} ${quote(name)} allows ${instances} server instance${
        instances === 1 ? "" : "s"
      } but ${quote(server)} has ${replicas} replicas`,
      { span, message: `${replicas} replicas serve ${quote(name)}` },
      kind === "pipe"
        ? `raise the pipe's instances, e.g. \`instances = ${replicas}\``
        : `only one process can listen on a ${kind} address; serve from a single process`,
    );
  },
  /** E014 */
  badFlow(span: Span, message: string, label: string, help: string) {
    return make("E014", message, { span, message: label }, help);
  },
  /** E039 */
  startCycle(span: Span, cycle: string[], secondary: Label[]) {
    return make(
      "E039",
      `start order has a cycle: ${cycle.join(" before ")}`,
      { span, message: `'${cycle[1]}' starts after '${cycle[0]}'` },
      "flows order servers before clients and mailslot readers before writers; remove an `after` or declare a `server` to break the cycle",
      secondary,
    );
  },
  /** E040 */
  kindNotOnPlatform(span: Span, kind: string, platform: string, portable?: string) {
    return make(
      "E040",
      `endpoint kind ${quote(kind)} is not available on ${platform}`,
      { span, message: `not available on ${platform}` },
      portable
        ? `use '${portable}', which works on every platform, or guard it with \`when <platform>\``
        : "guard the endpoint with `when <platform>`",
    );
  },
  /** E041 */
  optionNotOnPlatform(span: Span, kind: string, option: string, platform: string) {
    return make(
      "E041",
      `option ${quote(option)} of ${kind} is not available on ${platform}`,
      { span, message: `not available on ${platform}` },
      `remove it, or declare the endpoint once per platform inside \`when\` blocks`,
    );
  },
  /** E042 */
  nameNotOnPlatform(span: Span, message: string, label: string, help: string) {
    return make("E042", message, { span, message: label }, help);
  },
  /** E043 */
  unknownPlatform(span: Span, platform: string, suggestion?: string) {
    return make(
      "E043",
      `unknown platform ${quote(platform)}`,
      { span, message: "not a platform" },
      `${didYouMean(suggestion)}the platforms are: windows, linux`,
    );
  },
  /** E050 */
  unknownType(span: Span, name: string, suggestion?: string) {
    return make(
      "E050",
      `unknown type ${quote(name)}`,
      { span, message: "not a type" },
      `${
        didYouMean(suggestion)
      }the built-in types are bool, i32, i64, u32, u64, f32, f64, string, bytes, timestamp, duration, list<T> and map<string, T>; other types are declared with \`record\` or \`enum\``,
    );
  },
  /** E051 */
  duplicateNumber(span: Span, owner: string, number: number, first: Span, next: number) {
    return make(
      "E051",
      `${owner} uses number ${number} twice`,
      { span, message: `number ${number} used again here` },
      `numbers identify values on the wire and must be unique; the next free one is @${next}`,
      [{ span: first, message: "first used here" }],
    );
  },
  /** E052 */
  streamNotAllowed(span: Span, where: string) {
    return make(
      "E052",
      `a stream cannot be ${where}`,
      { span, message: "stream not allowed here" },
      "only a method's argument or result can be a stream: `watch(Query): stream Event`",
    );
  },
  /** E053 */
  numberOutOfRange(span: Span, message: string, label: string, help: string) {
    return make("E053", message, { span, message: label }, help);
  },
  /** E054 */
  invalidType(span: Span, message: string, label: string, help: string) {
    return make("E054", message, { span, message: label }, help);
  },
  /** E055 */
  methodTypeNotRecord(span: Span, method: string, found: string) {
    return make(
      "E055",
      `method ${quote(method)} takes or returns ${found}, not a record`,
      { span, message: "not a record" },
      "methods exchange records so that fields can be added later; wrap the value: `record Count { value: i64 }`",
    );
  },
  /** E044 */
  broadcastTooLarge(span: Span, name: string, size: number, pathSpan: Span) {
    return make(
      "E044",
      `broadcast mailslot ${quote(name)} allows ${size}-byte messages, more than 424`,
      { span, message: "more than 424 bytes" },
      "messages to `\\\\*\\mailslot\\…` names are limited to 424 bytes; set `max_message = 424B` or use a local name",
      [{ span: pathSpan, message: "broadcast name" }],
    );
  },
  /** W001 */
  unsyncedShm(
    span: Span,
    name: string,
    count: number,
    writers: string[],
    refs: string[],
    secondary: Label[],
  ) {
    return make(
      "W001",
      `shm ${quote(name)} is written by ${count} processes with no mutex or event`,
      { span, message: `written by ${writers.join(", ")}` },
      `declare \`mutex ${name}_lock\` and list it in a flow with ${quote(name)}: \`${
        refs.join(", ")
      } -> ${name}, ${name}_lock\``,
      secondary,
    );
  },
  /** W002 */
  unusedEndpoint(span: Span, kind: string, name: string) {
    return make(
      "W002",
      `${kind} ${quote(name)} is not used by any flow`,
      { span, message: "declared here" },
      `connect it, e.g. \`writer -> ${name} -> reader\`, or remove it`,
    );
  },
  /** W003 */
  idleProcess(span: Span, name: string) {
    return make(
      "W003",
      `process ${quote(name)} takes part in no flow`,
      { span, message: "declared here" },
      "connect it to an endpoint or a stdio link, or remove it if it is not part of this topology",
    );
  },
  /** W004 */
  unusedParam(span: Span, name: string) {
    return make(
      "W004",
      `parameter ${quote(name)} is never used`,
      { span, message: "declared here" },
      "remove it, or use it in a value",
    );
  },
  /** W005 */
  unixOnWindows(span: Span, name: string) {
    return make(
      "W005",
      `unix ${quote(name)} needs AF_UNIX in Winsock`,
      { span, message: "Windows 10 1803 and later; not Wine" },
      "where Winsock has no AF_UNIX, `ipckit run` stops with UnsupportedPlatformError; use `tcp` on 127.0.0.1, or guard this endpoint with `when linux`",
    );
  },
};

// ---- rendering ----

interface Loc {
  line: number;
  col: number;
  lineStart: number;
  lineEnd: number;
}

const lineStartsCache = new WeakMap<SourceFile, number[]>();

function lineStarts(file: SourceFile): number[] {
  let starts = lineStartsCache.get(file);
  if (!starts) {
    starts = [0];
    const t = file.text;
    for (let i = 0; i < t.length; i++) if (t.charCodeAt(i) === 10) starts.push(i + 1);
    lineStartsCache.set(file, starts);
  }
  return starts;
}

function locate(file: SourceFile, offset: number): Loc {
  const starts = lineStarts(file);
  const off = Math.max(0, Math.min(offset, file.text.length));
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((starts[mid] ?? 0) <= off) lo = mid;
    else hi = mid - 1;
  }
  const lineStart = starts[lo] ?? 0;
  let lineEnd = (starts[lo + 1] ?? file.text.length + 1) - 1;
  if (lineEnd > 0 && file.text.charCodeAt(lineEnd - 1) === 13) lineEnd--;
  if (lineEnd < lineStart) lineEnd = lineStart;
  const col = [...file.text.slice(lineStart, off)].length + 1;
  return { line: lo + 1, col, lineStart, lineEnd };
}

/** Display form of one character: tabs widen, control characters become visible. */
function displayChar(ch: string): string {
  if (ch === "\t") return "    ";
  const c = ch.codePointAt(0) ?? 0;
  if (c < 32) return String.fromCodePoint(0x2400 + c);
  if (c === 127) return "\u2421";
  return ch;
}

function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += ch === "\t" ? 4 : 1;
  return w;
}

interface Row {
  loc: Loc;
  file: SourceFile;
  label: Label;
  primary: boolean;
}

function renderLabels(rows: Row[], gutter: number, out: string[]): void {
  rows.sort((a, b) => a.loc.line - b.loc.line || a.label.span.start - b.label.span.start);
  let lastLine = -1;
  const pad = " ".repeat(gutter + 1);
  for (const row of rows) {
    const { loc, file, label } = row;
    const lineText = file.text.slice(loc.lineStart, loc.lineEnd);
    if (loc.line !== lastLine) {
      if (lastLine !== -1 && loc.line > lastLine + 1) out.push("...");
      out.push(`${String(loc.line).padStart(gutter)} | ${[...lineText].map(displayChar).join("")}`);
      lastLine = loc.line;
    }
    const startOff = Math.max(loc.lineStart, Math.min(label.span.start, loc.lineEnd));
    const endOff = Math.max(startOff, Math.min(label.span.end, loc.lineEnd));
    const before = displayWidth(file.text.slice(loc.lineStart, startOff));
    const width = Math.max(1, displayWidth(file.text.slice(startOff, endOff)));
    const mark = (row.primary ? "^" : "-").repeat(width);
    const text = label.message ? ` ${label.message}` : "";
    out.push(`${pad}| ${" ".repeat(before)}${mark}${text}`);
  }
}

/**
 * Renders one diagnostic the way rustc does: header, location, source lines
 * with carets, and the help line.
 *
 * @param d The diagnostic.
 * @param files The registry the spans refer to.
 * @returns Multi-line text without a trailing newline.
 * @example Rendering an error
 * ```ts
 * import { SourceFiles } from "./ast.ts";
 * import { diag, renderDiagnostic } from "./diagnostics.ts";
 * const files = new SourceFiles();
 * const id = files.add("a.ipc", "topology a\nshm\n");
 * console.log(renderDiagnostic(diag.unknownName({ file: id, start: 11, end: 14 }, "process", "shm"), files));
 * ```
 */
export function renderDiagnostic(d: Diagnostic, files: SourceFiles): string {
  const primaryFile = files.get(d.primary.span.file);
  const primaryLoc = locate(primaryFile, d.primary.span.start);
  const labels: Row[] = [
    { loc: primaryLoc, file: primaryFile, label: d.primary, primary: true },
    ...d.secondary.map((label) => {
      const file = files.get(label.span.file);
      return { loc: locate(file, label.span.start), file, label, primary: false };
    }),
  ];
  const gutter = Math.max(...labels.map((r) => String(r.loc.line).length));
  const pad = " ".repeat(gutter + 1);
  const out = [`${d.severity}[${d.code}]: ${d.message}`];
  out.push(`${" ".repeat(gutter)}--> ${primaryFile.path}:${primaryLoc.line}:${primaryLoc.col}`);
  out.push(`${pad}|`);
  // Labels in the primary file first, then one `:::` block per other file.
  const byFile = new Map<number, Row[]>();
  for (const r of labels) {
    const list = byFile.get(r.file.id) ?? [];
    list.push(r);
    byFile.set(r.file.id, list);
  }
  renderLabels(byFile.get(primaryFile.id) ?? [], gutter, out);
  for (const [id, rows] of byFile) {
    if (id === primaryFile.id) continue;
    const first = rows[0];
    if (!first) continue;
    out.push(`${pad}|`);
    out.push(`${" ".repeat(gutter)}::: ${first.file.path}:${first.loc.line}:${first.loc.col}`);
    out.push(`${pad}|`);
    renderLabels(rows, gutter, out);
  }
  out.push(`${pad}|`);
  out.push(`${pad}= help: ${d.help}`);
  return out.join("\n");
}

/**
 * Renders all diagnostics followed by a summary line, rustc style.
 *
 * @param diagnostics The diagnostics, in the order to print them.
 * @param files The registry the spans refer to.
 * @param subject The file being checked, for the summary line.
 * @returns The text to print (ends with a newline when non-empty).
 * @example Rendering a clean run
 * ```ts
 * import { SourceFiles } from "./ast.ts";
 * import { renderAll } from "./diagnostics.ts";
 * console.log(renderAll([], new SourceFiles(), "a.ipc")); // ""
 * ```
 */
export function renderAll(diagnostics: Diagnostic[], files: SourceFiles, subject: string): string {
  if (diagnostics.length === 0) return "";
  const blocks = diagnostics.map((d) => renderDiagnostic(d, files));
  const errors = diagnostics.filter((d) => d.severity === "error").length;
  const warnings = diagnostics.length - errors;
  const w = warnings === 0 ? "" : `${warnings} warning${warnings === 1 ? "" : "s"} emitted`;
  if (errors > 0) {
    const e = `${errors} error${errors === 1 ? "" : "s"}`;
    blocks.push(`error: could not check '${subject}' due to ${e}${w ? `; ${w}` : ""}`);
  } else {
    blocks.push(`warning: '${subject}' checked with ${w}`);
  }
  return blocks.join("\n\n") + "\n";
}

/** A span resolved to lines and columns, for JSON consumers. */
export interface JsonLabel {
  file: string;
  start: number;
  end: number;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  message: string;
}

/** The JSON form of a {@link Diagnostic}. */
export interface JsonDiagnostic {
  severity: Severity;
  code: string;
  message: string;
  primary: JsonLabel;
  secondary: JsonLabel[];
  help: string;
}

function jsonLabel(label: Label, files: SourceFiles): JsonLabel {
  const file = files.get(label.span.file);
  const s = locate(file, label.span.start);
  const e = locate(file, label.span.end);
  return {
    file: file.path,
    start: label.span.start,
    end: label.span.end,
    line: s.line,
    column: s.col,
    endLine: e.line,
    endColumn: e.col,
    message: label.message,
  };
}

/**
 * Converts diagnostics to plain JSON data with file paths, lines and columns.
 *
 * @param diagnostics The diagnostics.
 * @param files The registry the spans refer to.
 * @returns One JSON object per diagnostic, same order.
 * @example Serialising for an editor
 * ```ts
 * import { SourceFiles } from "./ast.ts";
 * import { toJson } from "./diagnostics.ts";
 * console.log(JSON.stringify(toJson([], new SourceFiles()))); // []
 * ```
 */
export function toJson(diagnostics: Diagnostic[], files: SourceFiles): JsonDiagnostic[] {
  return diagnostics.map((d) => ({
    severity: d.severity,
    code: d.code,
    message: d.message,
    primary: jsonLabel(d.primary, files),
    secondary: d.secondary.map((l) => jsonLabel(l, files)),
    help: d.help,
  }));
}

/**
 * Orders diagnostics by file, then position, errors before warnings at the same spot.
 *
 * @param diagnostics The diagnostics to sort (not modified).
 * @returns A new sorted array.
 * @example Sorting
 * ```ts
 * import { sortDiagnostics } from "./diagnostics.ts";
 * sortDiagnostics([]);
 * ```
 */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort((a, b) =>
    a.primary.span.file - b.primary.span.file ||
    a.primary.span.start - b.primary.span.start ||
    (a.severity === b.severity ? 0 : a.severity === "error" ? -1 : 1) ||
    a.code.localeCompare(b.code)
  );
}
