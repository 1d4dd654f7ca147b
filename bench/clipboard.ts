// Clipboard write-then-read of 1 KiB of text: this process writes, a peer process reads it
// back (woken by a named event) and checks it. Against the `clipboardy` npm package in the
// same run (each of its calls starts a program: the bundled xsel on Linux, its
// clipboard_x86_64.exe on Windows), rounds interleaved so that machine load hits both alike.
// On Linux without DISPLAY, a private Xvfb is started (tools/x11.mjs).
// Prints one JSON object, then a table.
//   node tools/cell.mjs linux-bun bench/clipboard.ts [ipckit rounds] [clipboardy rounds]
import process from "node:process";
import { platform, runtimeName, scriptCommand } from "../lib/ffi/mod.ts";
import { Clipboard, Event, spawn } from "../mod.ts";

import { benchText } from "./_clipboard_text.ts";

{
  const ROUNDS = Number(process.argv[2] ?? 300);
  const CLIPBOARDY_ROUNDS = Number(process.argv[3] ?? 30);
  const xvfb = platform === "linux" && !process.env.DISPLAY
    ? await (await import("../tools/x11.mjs")).startXvfb()
    : null;
  if (xvfb) process.env.DISPLAY = xvfb.display;
  try {
    const ipckit = await ipckitRounds(ROUNDS);
    const inProcess = await inProcessRounds(ROUNDS);
    const clipboardy = await clipboardyRounds(CLIPBOARDY_ROUNDS);
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const result = {
      bench: "clipboard",
      cell: `${platform}-${runtimeName}`,
      text_bytes: 1024,
      ipckit_two_processes_ms_p50: round(median(ipckit.times)),
      ipckit_wrong_reads: ipckit.wrong,
      ipckit_in_process_ms_p50: round(median(inProcess)),
      clipboardy_ms_p50: clipboardy.error ? null : round(median(clipboardy.times)),
      clipboardy_wrong_reads: clipboardy.wrong,
      clipboardy_error: clipboardy.error,
      speedup: clipboardy.error ? null : round(median(clipboardy.times) / median(ipckit.times)),
      rounds: { ipckit: ROUNDS, clipboardy: CLIPBOARDY_ROUNDS },
    };
    console.log(JSON.stringify(result));
    console.log(`
cell ${result.cell}: write 1 KiB of text, read it back (median per round)
  ipckit, writer + reader process   ${result.ipckit_two_processes_ms_p50} ms
  ipckit, one process               ${result.ipckit_in_process_ms_p50} ms
  clipboardy (a program per call)   ${result.clipboardy_ms_p50 ?? clipboardy.error} ms
  ipckit is ${result.speedup ?? "?"}x faster`);
  } finally {
    await xvfb?.stop();
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

async function ipckitRounds(rounds: number): Promise<{ times: number[]; wrong: number }> {
  const tag = `ipckit-bench-clip-${process.pid}`;
  using request = Event.create(`${tag}-req`);
  using response = Event.create(`${tag}-resp`);
  const peerScript = new URL("./_clipboard_peer.ts", import.meta.url).pathname.replace(
    /^\/([A-Za-z]:)/,
    "$1",
  );
  const peer = spawn(scriptCommand(peerScript, [`${tag}-req`, `${tag}-resp`, String(rounds)]), {
    stdin: "null",
    stdout: "pipe",
    stderr: "inherit",
  });
  const output = (async () => {
    let text = "";
    for await (const chunk of peer.stdout!) text += new TextDecoder().decode(chunk);
    return text;
  })();
  await response.wait({ timeout: 60_000 }); // the peer is ready
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const started = performance.now();
    await Clipboard.writeText(benchText(i));
    request.set();
    await response.wait({ timeout: 30_000 });
    times.push(performance.now() - started);
  }
  await peer.exited;
  const { wrong } = JSON.parse((await output).trim().split("\n").pop()!);
  return { times, wrong };
}

async function inProcessRounds(rounds: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const started = performance.now();
    await Clipboard.writeText(benchText(i));
    if ((await Clipboard.readText()) !== benchText(i)) throw new Error("in-process read differs");
    times.push(performance.now() - started);
  }
  return times;
}

async function clipboardyRounds(
  rounds: number,
): Promise<{ times: number[]; wrong: number; error: string | null }> {
  const times: number[] = [];
  let wrong = 0;
  try {
    const { default: clipboardy } = await import("clipboardy");
    for (let i = 0; i < rounds; i++) {
      const started = performance.now();
      await clipboardy.write(benchText(i));
      if ((await clipboardy.read()) !== benchText(i)) wrong++;
      times.push(performance.now() - started);
    }
    return { times, wrong, error: null };
  } catch (error) {
    return { times, wrong, error: String((error as Error).message ?? error).split("\n")[0]! };
  }
}
