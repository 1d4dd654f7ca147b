// The X11 clipboard (Linux cells, under a private Xvfb): the errors without a display, interop
// with xclip both ways, a 20 MiB image through INCR in every direction (ipckit → xclip,
// ipckit → ipckit, xclip → ipckit), and the data leaving with the process that wrote it.
import process from "node:process";
import { fileURLToPath } from "node:url";
import { rmSync, writeFileSync } from "node:fs";
import { Clipboard, DisplayUnavailableError, spawn } from "../../mod.ts";
import { report, startPeer } from "./_peers.ts";
import { bigPng, CUSTOM, CUSTOM_FORMAT, digest, HTML, TEXT } from "./_clipboard_data.ts";

const PEER = fileURLToPath(new URL("./clipboard_peer.ts", import.meta.url));

// No display: checked before this process ever connects (the connection is made on first use).
const display = process.env.DISPLAY!;
const failure = async (fn: () => unknown) => {
  try {
    await fn();
    return "no error";
  } catch (error) {
    const e = error as DisplayUnavailableError;
    return { name: e.name, reason: e.reason, message: e.message };
  }
};
delete process.env.DISPLAY;
delete process.env.WAYLAND_DISPLAY;
report("no_display", {
  read: await failure(() => Clipboard.readText()),
  write: await failure(() => Clipboard.writeText("x")),
  sequence: await failure(() => Clipboard.sequenceNumber()),
  watch: await failure(() => Clipboard.watch()),
});
process.env.WAYLAND_DISPLAY = "wayland-0";
report("wayland_only", await failure(() => Clipboard.formats()));
delete process.env.WAYLAND_DISPLAY;
process.env.DISPLAY = display;

/** Runs `xclip -o` and returns what it prints. */
async function xclipOut(args: string[]): Promise<Uint8Array> {
  const child = spawn(["xclip", "-selection", "clipboard", "-o", ...args], {
    stdin: "null",
    stdout: "pipe",
    stderr: "inherit",
  });
  const parts: Uint8Array[] = [];
  for await (const chunk of child.stdout!) parts.push(chunk);
  await child.exited;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Starts `xclip -i` in the foreground (-quiet, whose commentary on stderr is dropped): it owns
 * the selection until another program takes it, then exits. Resolves once it owns it (seen by
 * a watch).
 */
async function xclipServe(args: string[], input?: string): Promise<{ exited: Promise<unknown> }> {
  const watch = Clipboard.watch();
  await watch.ready;
  const child = spawn(["xclip", "-selection", "clipboard", "-quiet", "-i", ...args], {
    stdin: input === undefined ? "null" : "pipe",
    stdout: "null",
    stderr: "null",
  });
  if (input !== undefined) {
    await child.stdin!.write(input);
    await child.stdin!.close();
  }
  await watch.next();
  await watch.close();
  return { exited: child.exited };
}
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

// ipckit writes, xclip reads.
await Clipboard.write({ text: TEXT, html: HTML, custom: { [CUSTOM_FORMAT]: CUSTOM } });
report("xclip_reads", {
  text: text(await xclipOut([])),
  html: text(await xclipOut(["-t", "text/html"])),
  custom: digest(await xclipOut(["-t", CUSTOM_FORMAT])),
  targets: text(await xclipOut(["-t", "TARGETS"])).trim().split("\n").sort(),
});
report("custom_expected", digest(CUSTOM));

// xclip writes (it serves the selection until it loses it), ipckit reads.
const xclipText = await xclipServe([], "from xclip ✓ 𝄞");
report("ipckit_reads_xclip", {
  text: await Clipboard.readText(),
  formats: await Clipboard.formats(),
  // xclip answers any target with its text; ipckit asks its TARGETS first.
  html: await Clipboard.read("html"),
});

// 20 MiB through INCR: served by ipckit to xclip and to an ipckit reader of the other runtime.
const big = bigPng(20 << 20);
const expected = digest(big);
await Clipboard.write({ png: big });
report("xclip_exits_when_replaced", await xclipText.exited);
report("incr_to_xclip", digest(await xclipOut(["-t", "image/png"])) === expected);
const reader = await startPeer(PEER, ["reader"], true).done;
report("incr_to_ipckit", {
  code: reader.code,
  size: reader.results.size,
  same: reader.results.digest === expected,
});
// Served by xclip (its own INCR), read here.
const file = `${process.env.TMPDIR ?? "/tmp"}/ipckit-clipboard-${process.pid}.png`;
writeFileSync(file, big);
const xclipPng = await xclipServe(["-t", "image/png", file]);
const fromXclip = await Clipboard.read("png", { timeout: 30_000 });
report("incr_from_xclip", {
  size: fromXclip?.length ?? null,
  same: digest(fromXclip) === expected,
});
rmSync(file);

// X11 keeps no copy: what a process wrote goes when it exits (no clipboard manager runs here).
// The watch sees the writer's write, then the selection losing its owner with the writer.
const watch = Clipboard.watch();
await watch.ready;
const writer = startPeer(PEER, ["write-and-exit"], true);
await writer.line("written");
report("xclip_png_exit", await xclipPng.exited);
const exited = await writer.done;
await watch.next();
await watch.next();
await watch.close();
report("writer_exit", exited.code);
report("after_writer_exit", {
  text: await Clipboard.readText(),
  formats: await Clipboard.formats(),
});
report("done", true);
