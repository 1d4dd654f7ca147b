// Pure modules under the mechanisms and the CLI: the shared-wait bookkeeping
// (with a fake parked call) and the argument parser.
import { describe, expect, it } from "vitest";
import {
  registerWait,
  type SharedWait,
  SharedWatcher,
  unregisterWait,
  type Watched,
} from "../../lib/_shared_wait.ts";
import { parseArgs } from "../../cli/_args.ts";

interface TestWait extends SharedWait {
  id: string;
}

/** A watcher whose parked call returns when the test says so. */
class FakeWatcher extends SharedWatcher<string, TestWait> {
  parks: string[][] = [];
  wakes = 0;
  #return: ((result: number) => void) | null = null;
  constructor(capacity: number, readonly onReturn: (result: number, items: string[]) => void) {
    super(capacity);
  }
  protected park(entries: Watched<string, TestWait>[]): Promise<number> {
    this.parks.push(entries.map((e) => e.item));
    return new Promise((resolve) => (this.#return = resolve));
  }
  protected wake(): void {
    this.wakes++;
    this.finish(-1);
  }
  protected returned(result: number, entries: Watched<string, TestWait>[]): void {
    this.onReturn(result, entries.map((e) => e.item));
  }
  /** Makes the parked call return with `result`. */
  finish(result: number): void {
    const settle = this.#return;
    this.#return = null;
    settle?.(result);
  }
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
const wait = (id: string): TestWait => ({ id, watchers: new Set(), fail: () => {} });

describe("_shared_wait", () => {
  it("waits on the same object share one entry; a full watcher spills into a new one", async () => {
    const pool: FakeWatcher[] = [];
    const make = () => new FakeWatcher(2, () => {});
    const a = wait("a");
    const b = wait("b");
    registerWait(pool, make, a, [["x", () => "X"], ["y", () => "Y"]]);
    registerWait(pool, make, b, [["y", () => "Y2"], ["z", () => "Z"]]);
    await tick();
    expect(pool.length).toBe(2);
    expect([...pool[0]!.watched.keys()]).toEqual(["x", "y"]);
    expect(pool[0]!.watched.get("y")!.waits.map((w) => w.id)).toEqual(["a", "b"]);
    expect(pool[0]!.watched.get("y")!.item).toBe("Y"); // made once, by the first wait
    expect([...pool[1]!.watched.keys()]).toEqual(["z"]);
    expect([...b.watchers]).toEqual([pool[0], pool[1]]);
    // The first watcher parked once with a's objects, then woke to restart with b's too.
    expect(pool[0]!.parks[0]).toEqual(["X", "Y"]);
    expect(pool[0]!.wakes).toBe(1);
  });

  it("unregisterWait settles only after the parked call over its objects returned, and the set shrinks", async () => {
    const returns: number[] = [];
    const pool: FakeWatcher[] = [];
    const watcher = new FakeWatcher(4, (result) => returns.push(result));
    pool.push(watcher);
    const a = wait("a");
    registerWait(pool, () => watcher, a, [["x", () => "X"]]);
    const b = wait("b");
    registerWait(pool, () => watcher, b, [["y", () => "Y"]]);
    await tick();
    let settled = false;
    // wake() makes the fake call return at once, so the settle follows the restart.
    unregisterWait(a, () => (settled = true));
    expect(settled).toBe(false);
    await tick();
    expect(settled).toBe(true);
    expect([...watcher.watched.keys()]).toEqual(["y"]);
    expect(watcher.parks.at(-1)).toEqual(["Y"]);
    // The last wait leaves: nothing is parked any more after the call returns.
    unregisterWait(b, () => {});
    await tick();
    expect(watcher.watched.size).toBe(0);
    expect(watcher.parked).toBe(null);
  });

  it("a parked call that fails fails every wait it holds", async () => {
    const failures: string[] = [];
    class Failing extends FakeWatcher {
      protected override park(): Promise<number> {
        return Promise.reject(new Error("futex_waitv failed"));
      }
    }
    const pool: FakeWatcher[] = [];
    const make = () => new Failing(4, () => {});
    for (const id of ["a", "b"]) {
      registerWait(pool, make, {
        id,
        watchers: new Set(),
        fail: (error) => failures.push(`${id}: ${(error as Error).message}`),
      }, [["x", () => "X"]]);
    }
    await tick();
    expect(failures).toEqual(["a: futex_waitv failed", "b: futex_waitv failed"]);
  });
});

describe("parseArgs (the CLI's argument parser)", () => {
  const kinds = { set: "list", format: "string", json: "bool" } as const;
  it("reads positionals, flags, --name value, --name=value and repeated lists", () => {
    const result = parseArgs(
      ["a.ipc", "--json", "--format", "dot", "--set", "n=1", "--set=m=2", "-", "--", "--json"],
      kinds,
    );
    expect("args" in result).toBe(true);
    if (!("args" in result)) return;
    expect(result.args.positionals).toEqual(["a.ipc", "-", "--json"]);
    expect([...result.args.bools]).toEqual(["json"]);
    expect(result.args.strings.get("format")).toBe("dot");
    expect(result.args.lists.get("set")).toEqual(["n=1", "m=2"]);
  });

  it("-h and --help set help whatever the table", () => {
    for (const flag of ["-h", "--help"]) {
      const result = parseArgs([flag], {});
      expect("args" in result && result.args.bools.has("help")).toBe(true);
    }
  });

  it("explains unknown options, missing values and values given to flags", () => {
    expect(parseArgs(["--colour"], kinds)).toEqual({ error: "unknown option '--colour'" });
    expect(parseArgs(["--format"], kinds)).toEqual({ error: "option '--format' needs a value" });
    expect(parseArgs(["--json=yes"], kinds)).toEqual({
      error: "option '--json' takes no value",
    });
  });
});
