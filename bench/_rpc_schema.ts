// The benchmark service: one unary method echoing a record of 64 bytes.
import type { RpcSchema, ServiceDefinition } from "../mod.ts";

/** The 64-byte payload every benchmark call carries. */
export const PAYLOAD = new Uint8Array(64).map((_, i) => i);

/** The methods of the benchmark service. */
export interface BenchMethods {
  echo: { kind: "unary"; request: { data: Uint8Array }; response: { data: Uint8Array } };
}

/** `record Blob { data: bytes }`, `service bench { echo(Blob): Blob }`. */
export const schema: RpcSchema = {
  package: "bench",
  records: { Blob: { fields: [{ name: "data", number: 1, type: "bytes" }] } },
  enums: {},
  services: {
    bench: {
      methods: [{
        name: "echo",
        input: "Blob",
        output: "Blob",
        clientStreaming: false,
        serverStreaming: false,
      }],
    },
  },
};

/** The service definition. */
export const bench: ServiceDefinition<BenchMethods> = { service: "bench", schema };

/** Runs `calls` calls with `concurrency` callers; per-call latencies in ms. */
export async function measure(
  call: () => Promise<unknown>,
  concurrency: number,
  calls: number,
): Promise<{ callsPerSecond: number; p50Ms: number; p99Ms: number }> {
  const latencies = new Float64Array(calls);
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < calls) {
      const i = next++;
      const t = performance.now();
      await call();
      latencies[i] = performance.now() - t;
    }
  }));
  const elapsed = performance.now() - started;
  latencies.sort();
  const at = (q: number) => latencies[Math.min(calls - 1, Math.floor(q * calls))]!;
  return {
    callsPerSecond: Math.round(calls / (elapsed / 1000)),
    p50Ms: Number(at(0.5).toFixed(3)),
    p99Ms: Number(at(0.99).toFixed(3)),
  };
}
