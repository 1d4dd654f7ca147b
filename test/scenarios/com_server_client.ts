// The client side of com_server.ts, in the other runtime: calls the served
// object by ProgID, passes every VARIANT type, catches a thrown error as
// ComError, subscribes to its events and unsubscribes.
import process from "node:process";
import { type ComError, ComEvents, ComObject, Currency, Decimal } from "../../mod.ts";
import { report } from "./_peers.ts";

const progId = process.argv[2]!;
using o = ComObject.create({ name: progId, context: "local" });
report("add", o.call("add", 2, 3));
report("title", o.get("title"));
o.set("Title", "from peer");
report("title_set", o.get("TITLE"));
report("indexed", o.get("items", "k"));
report("slow", o.call("slowDouble", 21));
using child = o.call("child") as ComObject;
report("child", child.call("times", 7));

const values: Record<string, unknown> = {
  empty: undefined,
  null: null,
  true: true,
  int: -123456,
  double: 3.25,
  big: 9007199254740993n,
  string: "tëst-✓-𝄞",
  date: new Date(Date.UTC(2026, 11, 1, 10, 30, 15)),
  bytes: new Uint8Array([0, 1, 254, 255]),
  array: [1, "two", [3, 4]],
  currency: new Currency(123456789n),
  decimal: Decimal.from("-79228162514264337593543950.335"),
};
const echoed: Record<string, unknown> = {};
for (const [key, value] of Object.entries(values)) {
  const back = o.call("echo", value);
  echoed[key] = back === undefined
    ? "undefined"
    : typeof back === "bigint"
    ? `${back}n`
    : back instanceof Date
    ? back.toISOString()
    : back instanceof Uint8Array
    ? [...back]
    : back instanceof Currency || back instanceof Decimal
    ? String(back)
    : back;
}
report("echoed", echoed);

for (const name of ["fail", "failLater"]) {
  try {
    o.call(name, `bad ${name}`);
    report(`${name.toLowerCase()}_error`, "none");
  } catch (error) {
    const e = error as ComError;
    report(`${name.toLowerCase()}_error`, {
      name: e.name,
      code: e.code,
      hresult: e.hresult,
      description: e.description,
      source: e.source,
    });
  }
}
try {
  o.call("nope");
} catch (error) {
  report("unknown_error", (error as ComError).code);
}
const events = await ComEvents.subscribe(o);
const ticks: [unknown, unknown][] = [];
const done = new Promise((resolve) => {
  events.on("Tick", (n, label) => void ticks.push([n, label]));
  events.on("done", resolve);
});
report("subscribed", true);
report("done_arg", await done);
report("ticks", ticks.length);
report("ticks_in_order", ticks.every(([n, label], i) => n === i && label === `t${i}`));
await events.close();
// The server emits once more: nobody may receive it.
report("reached_after_unsubscribe", o.call("afterUnsubscribe"));
await new Promise((resolve) => setTimeout(resolve, 0));
report("ticks_after_unsubscribe", ticks.length);
