import { describe, expect, it } from "vitest";
import { Spinner, SpinWindow } from "../../lib/_spin.ts";

describe("SpinWindow (lib/_spin.ts)", () => {
  it("starts at min, doubles when a parked wait was answered within max, halves on an idle wait, stays within bounds", () => {
    const w = new SpinWindow(50, 500);
    expect(w.microseconds).toBe(50);
    expect(w.until(10)).toBeCloseTo(10.05);
    w.observe(0.12, true); // parked, answered after 120 µs: parked too early
    expect(w.microseconds).toBe(100);
    for (let i = 0; i < 5; i++) w.observe(0.3, true);
    expect(w.microseconds).toBe(500); // capped at max
    w.observe(0.01, false); // answered while spinning: unchanged
    expect(w.microseconds).toBe(500);
    w.observe(20, true); // idle: 20 ms
    expect(w.microseconds).toBe(250);
    for (let i = 0; i < 10; i++) w.observe(1000, true);
    expect(w.microseconds).toBe(50); // back to min
  });
});

describe("Spinner (lib/_spin.ts)", () => {
  it("returns the attempt's value, yields between fruitless rounds, and gives up (undefined) once the window ends", async () => {
    let yields = 0;
    const spinner = new Spinner(new SpinWindow(50_000, 50_000), () => yields++);
    let looks = 0;
    const got = await spinner.spin(
      performance.now(),
      () => (++looks === 3 ? "ready" : undefined),
      new AbortController().signal,
    );
    expect(got).toBe("ready");
    expect(looks).toBe(3);
    expect(yields).toBe(2);
    const never = await spinner.spin(
      performance.now() - 100,
      () => undefined,
      new AbortController().signal,
    );
    expect(never).toBeUndefined();
  });

  it("rejects with the signal's reason, and with what the attempt threw", async () => {
    const spinner = new Spinner(new SpinWindow(50_000, 50_000), () => {});
    const controller = new AbortController();
    const spinning = spinner.spin(performance.now(), () => undefined, controller.signal);
    controller.abort(new Error("stop"));
    await expect(spinning).rejects.toThrow("stop");
    await expect(
      spinner.spin(performance.now(), () => {
        throw new RangeError("bad");
      }, new AbortController().signal),
    ).rejects.toThrow(RangeError);
  });
});
