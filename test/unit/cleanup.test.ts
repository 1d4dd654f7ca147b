import { describe, expect, it } from "vitest";
import { closeAfter, closeAll } from "../../lib/_cleanup.ts";
import { Topology } from "../../lib/runtime/attach.ts";
import type { PipeConnection } from "../../lib/pipe.ts";

describe("cleanup closes everything and reports every failure", () => {
  it("closeAll closes every item after failures and throws one AggregateError with all of them", async () => {
    const closed: string[] = [];
    const error = await closeAll([
      () => closed.push("a"),
      () => {
        throw new Error("b failed");
      },
      { [Symbol.dispose]: () => closed.push("c") },
      null,
      {
        [Symbol.asyncDispose]: () => Promise.reject(new Error("d failed")),
      },
      { [Symbol.asyncDispose]: () => Promise.resolve(void closed.push("e")) },
    ], "the test objects").catch((e) => e);
    expect(closed).toEqual(["a", "c", "e"]);
    expect(error).toBeInstanceOf(AggregateError);
    expect((error as AggregateError).errors.map((e: Error) => e.message)).toEqual([
      "b failed",
      "d failed",
    ]);
    expect((error as Error).message).toBe(
      "Cannot close the test objects cleanly: 2 steps failed (b failed; d failed)",
    );
  });

  it("closeAfter rethrows the primary error, or a SuppressedError carrying both", async () => {
    const primary = new Error("start failed");
    await expect(closeAfter(primary, [() => {}], "x")).rejects.toBe(primary);
    const both = await closeAfter(primary, [() => {
      throw new Error("close failed");
    }], "x").catch((e) => e);
    expect(both.name).toBe("SuppressedError");
    expect(both.suppressed).toBe(primary);
    expect(both.error).toBeInstanceOf(AggregateError);
  });

  it("Topology.close reports a failing close as an AggregateError and closes only once", async () => {
    let closes = 0;
    const control = {
      [Symbol.asyncIterator]: () => ({ next: () => new Promise(() => {}) }),
      [Symbol.asyncDispose]: () => {
        closes++;
        return Promise.reject(new Error("control failed"));
      },
    } as unknown as PipeConnection;
    const topology = new Topology({ instance: "a", endpoints: {} } as never, control);
    const first = topology.close();
    expect(topology.close()).toBe(first);
    const error = await first.catch((e) => e);
    expect(error).toBeInstanceOf(AggregateError);
    expect(error.message).toBe(
      "Cannot close the endpoints of a cleanly: 1 step failed (control failed)",
    );
    expect(closes).toBe(1);
  });
});
