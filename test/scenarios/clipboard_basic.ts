// The clipboard between two processes (this runtime and the other one): text, HTML, an image, a
// DIB and a custom format written together and read back by the peer; the peer's change listener
// sees our writes; the peer's write and an empty string come back here; sequence numbers; what
// bad input throws. The peer ends on its own once it holds nothing and watches nothing.
import process from "node:process";
import { fileURLToPath } from "node:url";
import { Clipboard, ClosedError } from "../../mod.ts";
import { report, startPeer } from "./_peers.ts";
import { CUSTOM, CUSTOM_FORMAT, DIB, digest, HTML, PNG, TEXT } from "./_clipboard_data.ts";

// Wine and Bun print noise on stderr (docs/testing.md); anything else is reported.
const noise = /XDG_RUNTIME_DIR is invalid|Internal error: directory mismatch/;
const PEER = fileURLToPath(new URL("./clipboard_peer.ts", import.meta.url));

// Within this process first.
await Clipboard.writeText(TEXT);
report("own_text", await Clipboard.readText());

const before = Clipboard.sequenceNumber();
const watcher = startPeer(PEER, ["watcher"], true);
await watcher.line("ready");
await Clipboard.write({
  text: TEXT,
  html: HTML,
  png: PNG,
  dib: DIB,
  custom: { [CUSTOM_FORMAT]: CUSTOM },
});
report("sequence_advanced", Clipboard.sequenceNumber() !== before);
report("expected", { png: digest(PNG), dib: digest(DIB), custom: digest(CUSTOM) });
await watcher.line("peer_wrote");
report("peer_text", await Clipboard.readText());
await Clipboard.writeText("");
report("empty_here", await Clipboard.readText());
const peer = await watcher.done;
report("peer_code", peer.code);
report("peer_stderr", peer.stderr.split(/\r?\n/).filter((l) => l.trim() && !noise.test(l)));
report("peer", peer.results);

// Bad input: typed errors before any OS call.
const thrown = async (fn: () => unknown) => {
  try {
    await fn();
    return "no error";
  } catch (error) {
    return (error as Error).name;
  }
};
report("bad", {
  unknown_format: await thrown(() => Clipboard.write({ jpeg: new Uint8Array(1) } as never)),
  no_format: await thrown(() => Clipboard.write({})),
  text_not_string: await thrown(() => Clipboard.writeText(5 as never)),
  text_with_nul: await thrown(() => Clipboard.writeText("a\0b")),
  lone_surrogate: await thrown(() => Clipboard.writeText("\ud834")),
  png_not_png: await thrown(() => Clipboard.write({ png: new Uint8Array([1, 2, 3]) })),
  dib_not_dib: await thrown(() => Clipboard.write({ dib: new Uint8Array(8) })),
  custom_empty_name: await thrown(() => Clipboard.write({ custom: { "": new Uint8Array(1) } })),
  custom_standard_name: await thrown(() => Clipboard.write({ custom: { text: "x" } })),
  custom_not_bytes: await thrown(() => Clipboard.write({ custom: { "x-app": 42 as never } })),
  read_not_string: await thrown(() => Clipboard.read(42 as never)),
  read_empty_name: await thrown(() => Clipboard.read("")),
  negative_timeout: await thrown(() => Clipboard.readText({ timeout: -1 })),
  aborted: await thrown(() => Clipboard.readText({ signal: AbortSignal.abort() })),
  watch_bad_signal: await thrown(() => Clipboard.watch({ signal: "stop" as never })),
});

// A closed watch, and one ended by its signal.
const watch = Clipboard.watch();
await watch.ready;
const pending = watch.next().then(() => "change", (error) => (error as Error).name);
await watch.close();
report("watch_pending_at_close", await pending);
report("watch_after_close", await watch.next().then(() => "change", (e) => (e as Error).name));
report("watch_close_twice", (await watch.close()) === undefined);
report("closed_error_class", await watch.next().catch((e) => e instanceof ClosedError));
const controller = new AbortController();
const aborted = Clipboard.watch({ signal: controller.signal });
await aborted.ready;
const abortedNext = aborted.next().catch((error) => error);
controller.abort(new Error("stop watching"));
report("watch_aborted", ((await abortedNext) as Error).message);
const breaking = Clipboard.watch();
await breaking.ready;
await Clipboard.writeText("break");
for await (const _ of breaking) break; // break closes it
report("watch_after_break", await breaking.next().then(() => "change", (e) => (e as Error).name));

// Idle: owning the clipboard (X11: serving it) with a watch open, nothing happening.
const idleWatch = Clipboard.watch();
await idleWatch.ready;
await Clipboard.writeText("idle");
await new Promise((resolve) => setTimeout(resolve, 300));
const cpuBefore = process.cpuUsage();
const idleStarted = Date.now();
await new Promise((resolve) => setTimeout(resolve, 1500));
const cpu = process.cpuUsage(cpuBefore);
report(
  "idle_cpu_percent",
  Math.round(((cpu.user + cpu.system) / 10 / (Date.now() - idleStarted)) * 10) / 10,
);
await idleWatch.close();

await Clipboard.clear();
report("cleared_text", await Clipboard.readText());
report("cleared_formats", await Clipboard.formats());

report("done", true);
