// The body of a DedicatedThread: runs batches of calls in order on this OS thread.
import { parentPort } from "node:worker_threads";
import { runThreadCalls, type ThreadCallMessage } from "./thread.ts";

parentPort!.on("message", (calls: ThreadCallMessage[]) => {
  try {
    parentPort!.postMessage({ ok: true, values: runThreadCalls(calls) });
  } catch (error) {
    parentPort!.postMessage({ ok: false, error: String((error as Error)?.message ?? error) });
  }
});
