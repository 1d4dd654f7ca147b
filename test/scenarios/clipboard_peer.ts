// The other process of the clipboard scenarios.   clipboard_peer.ts <mode> [args]
//   watcher        watch; on the first change read every format; write text of its own; on the
//                  next change read the text again; close the watch and end
//   reader         read the PNG and report its size and digest
//   write-and-exit write text, then exit (X11: the data goes with the process)
//   holder <ms>    (Windows) keep the clipboard open for 300 ms; after the next change keep it
//                  open for <ms> ms
import process from "node:process";
import { Clipboard } from "../../mod.ts";
import { report } from "./_peers.ts";
import { CUSTOM_FORMAT, digest, LONG_HOLD_GO } from "./_clipboard_data.ts";

const [mode, arg] = process.argv.slice(2);

async function nextChange(watch: ReturnType<typeof Clipboard.watch>): Promise<number> {
  const { value } = await watch.next();
  return value!.sequenceNumber;
}

if (mode === "watcher") {
  const watch = Clipboard.watch();
  await watch.ready;
  report("ready", true);
  const seq = await nextChange(watch);
  report("change_seen", seq > 0 || seq === 0);
  report("formats", await Clipboard.formats());
  report("text", await Clipboard.readText());
  report("html", await Clipboard.read("html"));
  report("png", digest(await Clipboard.read("png")));
  report("dib", digest(await Clipboard.read("dib")));
  report("custom", digest(await Clipboard.read(CUSTOM_FORMAT)));
  report("missing_format", await Clipboard.read("application/x-nobody-offers-this"));
  await Clipboard.writeText("from the peer ✓");
  report("peer_wrote", true);
  // Our own write is a change too; the one after it is the other process's.
  await nextChange(watch);
  await nextChange(watch);
  report("after", await Clipboard.readText());
  await watch.close();
  report("done", true);
} else if (mode === "reader") {
  const png = await Clipboard.read("png", { timeout: 30_000 });
  report("size", png?.length ?? null);
  report("digest", digest(png));
} else if (mode === "write-and-exit") {
  await Clipboard.writeText("gone with its writer");
  report("written", true);
  process.exit(0);
} else if (mode === "holder") {
  const { user32 } = await import("../../lib/win32/user32.ts");
  const hold = async (ms: number, label: string) => {
    // The scenario may still be reading what it wrote (it opens the clipboard too): retry briefly.
    for (let tries = 0; !user32.symbols.OpenClipboard(0n); tries++) {
      if (tries === 500) throw new Error("holder: OpenClipboard failed for 10 s");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    report(`holding_${label}`, true);
    await new Promise((resolve) => setTimeout(resolve, ms));
    report(`sequence_at_release_${label}`, user32.symbols.GetClipboardSequenceNumber());
    user32.symbols.CloseClipboard();
  };
  const watch = Clipboard.watch();
  await watch.ready;
  await hold(300, "short");
  // The write the short hold delayed comes first; the long hold waits for the scenario's go-ahead.
  while ((await Clipboard.readText()) !== LONG_HOLD_GO) await watch.next();
  await watch.close();
  await hold(Number(arg), "long");
  report("released", true);
} else {
  throw new Error(`clipboard_peer: unknown mode '${mode}'`);
}
