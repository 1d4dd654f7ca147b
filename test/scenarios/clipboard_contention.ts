// Windows clipboard contention: a process that keeps the clipboard open for 300 ms delays a
// writer, which then succeeds; one that keeps it open past the writer's retry budget gives
// ClipboardBusyError (a TimeoutError), and the clipboard is usable again once it is released.
import { fileURLToPath } from "node:url";
import { Clipboard, type ClipboardBusyError, TimeoutError } from "../../mod.ts";
import { report, startPeer } from "./_peers.ts";
import { LONG_HOLD_GO } from "./_clipboard_data.ts";

const PEER = fileURLToPath(new URL("./clipboard_peer.ts", import.meta.url));

const holder = startPeer(PEER, ["holder", "4000"]);
await holder.line("holding_short");
// The budget is generous because a 300 ms timer under Wine on a loaded machine can take seconds.
await Clipboard.writeText("after a short hold", { timeout: 15_000 }).catch((error) => {
  report("short_hold_error", `${error.name}: ${error.message}`);
});
// The write happened after the holder closed the clipboard: its sequence number is later.
const atRelease = (await holder.line("sequence_at_release_short")) as number;
report("short_hold", {
  written: await Clipboard.readText(),
  after_release: Clipboard.sequenceNumber() > atRelease,
});
// Only now may the holder start its long hold (before, it raced the read above).
await Clipboard.writeText(LONG_HOLD_GO);

await holder.line("holding_long");
try {
  await Clipboard.writeText("during a long hold", { timeout: 1500 });
  report("long_hold", "written");
} catch (error) {
  const e = error as ClipboardBusyError;
  report("long_hold", {
    name: e.name,
    is_timeout_error: e instanceof TimeoutError,
    attempts_at_least_5: e.attempts >= 5,
    message: e.message.replace(/process \d+/, "process N").replace(/\d+ attempts/, "N attempts"),
  });
}
const controller = new AbortController();
setTimeout(() => controller.abort(new Error("gave up waiting")), 200);
try {
  await Clipboard.writeText("aborted", { signal: controller.signal });
  report("aborted_wait", "written");
} catch (error) {
  report("aborted_wait", (error as Error).message);
}
report("holder_code", (await holder.done).code);
await Clipboard.writeText("after the long hold");
report("after_long_hold", await Clipboard.readText());
report("done", true);
