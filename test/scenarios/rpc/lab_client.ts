// The client side of the RPC scenarios: calls the `lab` service
// (test/scenarios/rpc/lab.ipc) in every method shape and every failure mode,
// and returns plain results for the vitest driver to assert.
import {
  MessageTooLargeError,
  NamedPipe,
  rpc,
  RpcError,
  type ServiceDefinition,
  TimeoutError,
} from "../../../mod.ts";
import { type Everything, lab, type LabMethods } from "./lab.rpc.ts";
import { profiles as profilesV1 } from "./evolve_v1.rpc.ts";
import { profiles as profilesV2 } from "./evolve_v2.rpc.ts";

const MiB = 1024 * 1024;

/** Deep equality that treats NaN as equal to itself and compares bytes and dates by value. */
export function same(a: unknown, b: unknown, path = "$"): string | null {
  if (typeof a === "number" && typeof b === "number") {
    return Object.is(a, b) || a === b ? null : `${path}: ${a} != ${b}`;
  }
  if (a instanceof Date && b instanceof Date) {
    return a.getTime() === b.getTime() ? null : `${path}: ${a.toISOString()} != ${b.toISOString()}`;
  }
  if (a instanceof Uint8Array && b instanceof Uint8Array) {
    if (a.byteLength !== b.byteLength) return `${path}: ${a.byteLength} != ${b.byteLength} bytes`;
    for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return `${path}[${i}] differs`;
    return null;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return `${path}: length ${a.length} != ${b.length}`;
    for (let i = 0; i < a.length; i++) {
      const d = same(a[i], b[i], `${path}[${i}]`);
      if (d) return d;
    }
    return null;
  }
  if (a && b && typeof a === "object" && typeof b === "object") {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) {
      const d = same(
        (a as Record<string, unknown>)[k],
        (b as Record<string, unknown>)[k],
        `${path}.${k}`,
      );
      if (d) return d;
    }
    return null;
  }
  return a === b ? null : `${path}: ${String(a)} != ${String(b)}`;
}

/** A value that exercises every field type at its edges. */
export function everything(): Everything {
  const big = new Uint8Array(MiB);
  for (let i = 0; i < big.length; i++) big[i] = (i * 131 + 7) & 0xff;
  const row = {
    cells: [0, -1.5, Number.MAX_VALUE, Number.MIN_VALUE, NaN],
    names: { "": "empty key", "ключ": "значение", "🔑": "✓" },
    levels: ["low", "high", "mid"] as const,
  };
  return {
    flag: true,
    i32_min: -(2 ** 31),
    i32_max: 2 ** 31 - 1,
    i64_min: -(2n ** 63n),
    i64_max: 2n ** 63n - 1n,
    u32_max: 2 ** 32 - 1,
    u64_max: 2n ** 64n - 1n,
    f32_value: 1.5,
    f64_nan: NaN,
    f64_inf: Infinity,
    f64_neg_inf: -Infinity,
    text: "tëst-✓-𝄞 \u0000 日本語",
    empty_bytes: new Uint8Array(0),
    big_bytes: big,
    at: new Date(Date.UTC(2030, 0, 2, 3, 4, 5, 678)),
    took: 90_061_001.5,
    level: "high",
    maybe: "",
    grid: [{ ...row, levels: [...row.levels] }, { cells: [], names: {}, levels: [] }],
    index: {
      first: { ...row, levels: [...row.levels] },
      "second key": { cells: [1], names: {}, levels: [] },
    },
    nested: {
      flag: false,
      i32_min: 0,
      i32_max: 0,
      i64_min: 0n,
      i64_max: 0n,
      u32_max: 0,
      u64_max: 0n,
      f32_value: 0,
      f64_nan: 0,
      f64_inf: 0,
      f64_neg_inf: 0,
      text: "inner",
      empty_bytes: new Uint8Array(0),
      big_bytes: new Uint8Array([1, 2, 3]),
      at: new Date(0),
      took: 0,
      level: "low",
      maybe_not: -1n,
      grid: [],
      index: {},
    },
  };
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "ok";
  } catch (error) {
    if (error instanceof RpcError) return `${error.code}: ${error.message}`;
    if (error instanceof TimeoutError) return "TimeoutError";
    if (error instanceof MessageTooLargeError) return "MessageTooLargeError";
    return `${(error as Error).name}: ${(error as Error).message}`;
  }
}

/** A raw frame, for the bad-input cases (docs/rpc.md has the layout). */
function rawFrame(type: number, flags: number, id: number, body: number[] | Uint8Array = []) {
  const out = new Uint8Array(6 + body.length);
  out[0] = type;
  out[1] = flags;
  new DataView(out.buffer).setUint32(2, id, true);
  out.set(body, 6);
  return out;
}

/** One pipe message holding frames, each preceded by its u32 length. */
function rawBatch(...frames: Uint8Array[]) {
  const out = new Uint8Array(frames.reduce((n, f) => n + 4 + f.length, 0));
  let at = 0;
  for (const f of frames) {
    new DataView(out.buffer).setUint32(at, f.length, true);
    out.set(f, at + 4);
    at += 4 + f.length;
  }
  return out;
}

function rawOpen(id: number, method: string, message: Uint8Array) {
  const name = new TextEncoder().encode(method);
  const body = new Uint8Array(6 + name.length + message.length);
  const view = new DataView(body.buffer);
  view.setUint32(0, 0xffffffff, true);
  view.setUint16(4, name.length, true);
  body.set(name, 6);
  body.set(message, 6 + name.length);
  return rawFrame(1, 3, id, body);
}

/** The frames of one received pipe message: `[type, id]` each. */
function framesOf(message: Uint8Array): [number, number, Uint8Array][] {
  const out: [number, number, Uint8Array][] = [];
  const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
  for (let at = 0; at + 4 <= message.length;) {
    const length = view.getUint32(at, true);
    const f = message.subarray(at + 4, at + 4 + length);
    out.push([f[0]!, new DataView(f.buffer, f.byteOffset).getUint32(2, true), f]);
    at += 4 + length;
  }
  return out;
}

/** Reads frames from a raw connection until `want` (by id) has answered. */
async function answers(
  conn: Awaited<ReturnType<typeof NamedPipe.connect>>,
  want: Set<number>,
): Promise<Map<number, string>> {
  const got = new Map<number, string>();
  while (want.size > 0) {
    const message = await conn.read();
    if (!message) break;
    for (const [type, id, f] of framesOf(message)) {
      const text = type === 4
        ? `status ${f[6]}`
        : type === 2
        ? `message ${f.byteLength - 6}`
        : `type ${type}`;
      if (want.delete(id)) got.set(id, text);
    }
  }
  return got;
}

/** Sends 10,000 random frames, then a valid call; resolves when that call is answered. */
async function fuzz(raw: Awaited<ReturnType<typeof NamedPipe.connect>>): Promise<string> {
  let seed = 20261201;
  const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
  const draining = (async () => {
    for (;;) {
      const message = await raw.read();
      if (!message) return "closed";
      if (framesOf(message).some(([type, id]) => type === 2 && id === 424242)) return "answered";
    }
  })();
  for (let i = 0; i < 10_000; i++) {
    const length = next() % 48;
    const bytes = new Uint8Array(length);
    for (let j = 0; j < length; j++) bytes[j] = next() & 0xff;
    if (length > 0 && next() % 2 === 0) bytes[0] = 1 + (next() % 6); // mostly known types
    if (bytes[2] !== undefined) bytes[2] = 0x42; // keep ids away from the probe below
    void raw.write(next() % 8 === 0 ? bytes : rawBatch(bytes));
  }
  await raw.write(rawBatch(rawOpen(424242, "add", new Uint8Array([0x08, 0x07]))));
  return await draining;
}

type LabClient = Awaited<ReturnType<typeof rpc.connect<LabMethods>>>;

/** 10,000 concurrent unary calls on one connection, and a 100,000-item stream. */
async function loadCases(client: LabClient, r: Record<string, unknown>): Promise<void> {
  // Each answer must match its call.
  const calls = Array.from({ length: 10_000 }, (_, i) => client.add({ n: BigInt(i) }));
  const results = await Promise.all(calls);
  r["concurrent_matched"] = results.filter((x, i) => x.n === BigInt(i) + 1n).length;

  // The items arrive in order.
  let expected = 0n;
  let inOrder = 0;
  for await (const c of client.count({ n: 100_000n })) {
    if (c.n === expected) inOrder++;
    expected++;
  }
  r["stream_in_order"] = inOrder;
}

/**
 * Runs the client cases against a `lab` server.
 *
 * @param name The server's pipe name.
 * @param heavy Whether to run the load cases too (10,000 concurrent calls, a
 *   100,000-item stream, the 10,000-frame fuzz); a scenario runs them in one
 *   direction per cell to stay within its time budget.
 * @returns Results by case.
 */
export async function runSuite(name: string, heavy = true): Promise<Record<string, unknown>> {
  const r: Record<string, unknown> = {};
  await using client = await rpc.connect(lab, { name, timeout: 20_000, maxMessageSize: 4 * MiB });

  // Every method shape.
  r["unary"] = (await client.add({ n: 41n })).n.toString();
  const counted: string[] = [];
  for await (const c of client.count({ n: 5n })) counted.push(c.n.toString());
  r["server_streaming"] = counted;
  r["client_streaming"] = (await client.sum([1n, 2n, 3n, 4n].map((n) => ({ n })))).n.toString();
  async function* numbers() {
    for (let n = 1n; n <= 4n; n++) yield { n };
  }
  const doubled: string[] = [];
  for await (const c of client.double(numbers())) doubled.push(c.n.toString());
  r["bidi_streaming"] = doubled;

  // Every field type round-trips.
  const value = everything();
  const echoed = await client.echo(value);
  r["round_trip"] = same(echoed, { ...value, maybe_not: undefined }) ?? "equal";
  r["absent_optional"] = "maybe_not" in echoed ? "present" : "absent";

  if (heavy) await loadCases(client, r);

  // Cancelling mid-stream stops the server's handler.
  let received = 0;
  for await (const _ of client.ticks({ key: "stream-cancel" })) {
    if (++received === 10) break;
  }
  r["cancel_stream"] = await client.observed({ key: "stream-cancel" });

  // An AbortSignal cancels a unary call on both sides.
  const controller = new AbortController();
  const held = client.hold({ key: "abort" }, { signal: controller.signal });
  await client.add({ n: 0n }); // the hold has reached the server before we abort
  controller.abort(new Error("caller gave up"));
  r["abort"] = await codeOf(held);
  r["abort_observed"] = await client.observed({ key: "abort" });

  // A deadline that expires: the caller times out, the handler is told.
  r["deadline"] = await codeOf(client.hold({ key: "deadline" }, { timeout: 300 }));
  r["deadline_observed"] = await client.observed({ key: "deadline" });

  // A slow handler does not delay others.
  const slow = client.hold({ key: "slow" });
  r["fast_while_slow"] = (await client.add({ n: 1n })).n.toString();
  await client.release({ key: "slow" });
  r["slow_released"] = (await slow).key;

  // Handlers that throw.
  r["throw_rpc_error"] = await codeOf(client.fail({ code: "not_found", message: "no such job" }));
  r["throw_error"] = await codeOf(client.fail({ code: "plain", message: "boom" }));

  // An unknown method: a client built from a schema with one more method.
  const extended: ServiceDefinition<LabMethods & { missing: LabMethods["add"] }> = {
    service: "lab",
    schema: {
      ...lab.schema,
      services: {
        lab: {
          methods: [...lab.schema.services["lab"]!.methods, {
            name: "missing",
            input: "Count",
            output: "Count",
            clientStreaming: false,
            serverStreaming: false,
          }],
        },
      },
    },
  };
  {
    await using other = await rpc.connect(extended, { name, timeout: 5000 });
    r["unknown_method"] = await codeOf(other.missing({ n: 1n }));
    r["after_unknown_method"] = (await other.add({ n: 1n })).n.toString();
  }

  // Oversize: refused locally before sending, and refused by the server (limit 2 MiB).
  const { nested: _, ...flat } = everything();
  const huge = { ...flat, big_bytes: new Uint8Array(3 * MiB) };
  {
    await using small = await rpc.connect(lab, { name, timeout: 5000, maxMessageSize: MiB });
    r["oversize_local"] = await codeOf(small.echo(huge));
  }
  r["oversize_server"] = await codeOf(client.echo(huge));
  r["after_oversize"] = (await client.add({ n: 2n })).n.toString();

  // Bad frames on a raw connection: each gets a typed status, the server keeps serving.
  {
    await using raw = await NamedPipe.connect(name, { timeout: 5000 });
    await raw.write(new Uint8Array([1])); // shorter than a length: answered on id 0
    await raw.write(rawBatch(rawFrame(99, 0, 5))); // unknown frame type
    await raw.write(rawBatch(rawFrame(1, 0, 6, [1, 2]))); // truncated OPEN
    await raw.write(rawBatch(rawOpen(7, "nope", new Uint8Array()))); // unknown method
    await raw.write(rawBatch(rawOpen(8, "add", new Uint8Array([0x08, 0xff, 0xff])))); // truncated varint
    await raw.write(rawBatch(rawOpen(9, "echo", new Uint8Array(3 * MiB)))); // past the limit
    await raw.write(rawBatch(rawOpen(10, "add", new Uint8Array([0x08, 0x05])))); // valid: n = 5
    const got = await answers(raw, new Set([0, 5, 6, 7, 8, 9, 10]));
    r["bad_frames"] = Object.fromEntries(got);

    // Fuzz: 10,000 random frames (most in a well-formed batch, some raw), then a
    // valid call on the same connection.
    if (heavy) r["fuzz_then_valid"] = await fuzz(raw);
  }
  r["fuzz_new_connection"] = (await client.add({ n: 99n })).n.toString();

  // Schema evolution: an older client against a newer server and the reverse.
  {
    await using oldClient = await rpc.connect(profilesV1, { name: `${name}-v2`, timeout: 5000 });
    r["old_client_new_server"] = await oldClient.update({ name: "ada", age: 36 });
    await using newClient = await rpc.connect(profilesV2, { name: `${name}-v1`, timeout: 5000 });
    r["new_client_old_server"] = await newClient.update({
      name: "bob",
      age: 40,
      email: "bob@example.org",
      plan: "pro",
    });
  }
  return r;
}

/** Serves `profiles` in both versions, for the evolution case. */
export function serveProfiles(name: string) {
  const v1 = rpc.serve(profilesV1, {
    update: (p) => ({ name: `${p.name} (seen by v1)`, age: p.age + 1 }),
  }, { name: `${name}-v1` });
  const v2 = rpc.serve(profilesV2, {
    update: (p) => ({
      name: `${p.name} (seen by v2: email '${p.email}', plan ${p.plan})`,
      age: p.age + 1,
      email: "new@example.org",
      plan: "pro",
    }),
  }, { name: `${name}-v2` });
  return {
    async close() {
      await v1.close();
      await v2.close();
    },
  };
}
