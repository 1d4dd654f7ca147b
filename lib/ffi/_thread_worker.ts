// The body of a DedicatedThread: opens each requested symbol once (as a plain
// synchronous call) and runs batches of calls in order on this OS thread.
import { parentPort } from "node:worker_threads";
import { backend } from "./runtime.ts";
import type { SymbolDef } from "./types.ts";

const opened = new Map<string, (...args: unknown[]) => unknown>();

function symbol(path: string, name: string, def: SymbolDef) {
  const key = `${path}\0${name}`;
  let fn = opened.get(key);
  if (!fn) {
    fn = backend.open(path, { [name]: { ...def, blocking: false } })[name];
    if (!fn) throw new Error(`Symbol '${name}' is missing from '${path}'`);
    opened.set(key, fn);
  }
  return fn;
}

parentPort!.on(
  "message",
  (calls: { path: string; name: string; def: SymbolDef; args: unknown[] }[]) => {
    try {
      const values = calls.map(({ path, name, def, args }) => symbol(path, name, def)(...args));
      parentPort!.postMessage({ ok: true, values });
    } catch (error) {
      parentPort!.postMessage({ ok: false, error: String((error as Error)?.message ?? error) });
    }
  },
);
