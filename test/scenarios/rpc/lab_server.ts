// The `lab` service's handlers (test/scenarios/rpc/lab.ipc), shared by the
// RPC scenarios: echoes, counts, streams, and handlers that record what they
// saw (cancellation, deadlines) so a client can ask about it afterwards.
import { rpc, RpcError, type RpcServer } from "../../../mod.ts";
import { type Count, lab, type Observed } from "./lab.rpc.ts";

/** What a handler saw, by key; `observed(key)` waits for it. */
class Observations {
  readonly #seen = new Map<string, Observed>();
  readonly #waiters = new Map<string, ((o: Observed) => void)[]>();

  record(key: string, observed: Observed): void {
    this.#seen.set(key, observed);
    for (const wake of this.#waiters.get(key) ?? []) wake(observed);
    this.#waiters.delete(key);
  }

  wait(key: string): Promise<Observed> {
    const seen = this.#seen.get(key);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => {
      const list = this.#waiters.get(key) ?? [];
      list.push(resolve);
      this.#waiters.set(key, list);
    });
  }
}

const reasonOf = (signal: AbortSignal) =>
  signal.reason instanceof RpcError ? signal.reason.code : String(signal.reason);

/**
 * Serves `lab` under `name`.
 *
 * @param name The pipe name.
 * @param onExit Called when a client asks the server to stop (`release("__exit")`).
 * @returns The server.
 */
export function serveLab(name: string, onExit: () => void = () => {}): RpcServer {
  const observations = new Observations();
  const holds = new Map<string, () => void>();
  return rpc.serve(lab, {
    echo: (value) => value,
    add: ({ n }) => ({ n: n + 1n }),
    async *count({ n }) {
      for (let i = 0n; i < n; i++) yield { n: i };
    },
    async sum(requests) {
      let total = 0n;
      for await (const { n } of requests) total += n;
      return { n: total };
    },
    async *double(requests) {
      for await (const { n } of requests) yield { n: n * 2n };
    },
    async *ticks({ key }, context) {
      let finished = false;
      try {
        for (let i = 0n;; i++) yield { n: i } satisfies Count;
      } finally {
        finished = true;
        observations.record(key, {
          cancelled: context.signal.aborted,
          finally_ran: finished,
          reason: reasonOf(context.signal),
        });
      }
    },
    async hold({ key }, context) {
      const deadline = context.deadline;
      try {
        await new Promise<void>((resolve, reject) => {
          holds.set(key, resolve);
          context.signal.addEventListener("abort", () => reject(context.signal.reason), {
            once: true,
          });
        });
        return { key };
      } finally {
        holds.delete(key);
        observations.record(key, {
          cancelled: context.signal.aborted,
          finally_ran: true,
          reason: `${reasonOf(context.signal)}${deadline === null ? "" : " with deadline"}`,
        });
      }
    },
    release({ key }) {
      if (key === "__exit") queueMicrotask(onExit);
      holds.get(key)?.();
      return { key };
    },
    observed: ({ key }) => observations.wait(key),
    fail({ code, message }) {
      if (code === "plain") throw new Error(message);
      throw new RpcError(code as "not_found", message);
    },
  }, { name, maxMessageSize: 2 * 1024 * 1024 });
}
