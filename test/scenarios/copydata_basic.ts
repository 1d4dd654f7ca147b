// CopyData across runtimes: this process receives on A what a peer of the
// other runtime sends, and sends to the peer's receiver B; sizes 0 B to
// 64 MiB byte for byte, tags up to 2^64-1, handler answers, a receiver that
// never answers, 1,000 messages from 4 senders at once, a raw HWND send on
// Windows and with a C program that is not ipckit, idle CPU while listening,
// and bad input.
import process from "node:process";
import { fileURLToPath } from "node:url";
import { CopyData, type CopyDataSender } from "../../mod.ts";
import { report, startPeer } from "./_peers.ts";
import { QUIT_TAG, recordingReceiver, runSenderSuite } from "./_copydata_suite.ts";
import { runForeignSuite } from "./_copydata_foreign.ts";

const tag = `${process.pid}-${Date.now() % 100000}`;
const nameA = `ipckit-cd-a-${tag}`;
const nameB = `ipckit-cd-b-${tag}`;
const errorName = (promise: Promise<unknown>) =>
  promise.then(() => "none", (error) => `${(error as Error).name}`);

const recording = recordingReceiver();
const receiver = await CopyData.listen({
  name: nameA,
  handler: recording.handler,
  // Far beyond the hang's 300 ms send timeout: a sender descheduled under load must still time
  // out before this receiver gives up on its handler and answers false (CI saw "answered" at 800).
  replyTimeout: 3000,
});
const peer = startPeer(
  fileURLToPath(new URL("./copydata_peer.ts", import.meta.url)),
  [nameA, nameB],
  true,
);
await peer.line("peer_ready");
const toPeer = await CopyData.connect({ name: nameB, timeout: 10_000 });
for (const [key, value] of Object.entries(await runSenderSuite(nameB, toPeer))) {
  report(`sent_${key}`, value);
}
// A send to the raw window handle (Windows), as a program that is not ipckit would.
const peerHwnd = (await peer.line("peer_hwnd")) as string | null;
report(
  "raw_hwnd",
  peerHwnd === null
    ? await errorName(CopyData.sendToWindow(1n, "x"))
    : await CopyData.sendToWindow(BigInt(peerHwnd), "raw", { tag: 2n, timeout: 5000 }),
);
await toPeer.send("", { tag: QUIT_TAG, timeout: 10_000 });
await toPeer.close();
const { code, results, stderr } = await peer.done;
report("peer_code", code);
if (stderr.trim()) report("peer_stderr", stderr.trim().split("\n").slice(-5));
for (const [key, value] of Object.entries(results)) {
  if (key.startsWith("peer_") && key !== "peer_ready" && key !== "peer_hwnd") report(key, value);
}
for (const [key, value] of Object.entries(recording.results())) report(`got_${key}`, value);

// Same process: a receiver without a handler, read with for await.
{
  const name = `ipckit-cd-iter-${tag}`;
  const queue = await CopyData.listen({ name });
  await using sender = await CopyData.connect({ name });
  const answers = [await sender.send("one", { tag: 1n }), await sender.send("two", { tag: 2n })];
  const got: string[] = [];
  for await (const message of queue) {
    got.push(`${message.tag}:${new TextDecoder().decode(message.data)}`);
    if (got.length === 2) break;
  }
  report("iterated", { answers, got });
  report("second_listen", await errorName(CopyData.listen({ name })));
  await queue.close();
  report("send_after_receiver_closed", await errorName(sender.send("x", { timeout: 2000 })));
  // UIPI's opt-in (ChangeWindowMessageFilterEx, a stub under Wine; ignored on Linux) keeps the receiver working.
  const relisten = await CopyData.listen({ name, handler: () => true, allowLowerIntegrity: true });
  // A sender stays bound to the receiver it reached: a new receiver of the name needs a new connect.
  report("old_sender_after_relisten", await errorName(sender.send("again", { timeout: 2000 })));
  await using again = await CopyData.connect({ name });
  report("allow_lower_integrity_answer", await again.send("x", { timeout: 5000 }));
  await relisten.close();
}

// Windows: a C program that is not ipckit, both ways (built by tools/peers.mjs).
if (process.platform === "win32") await runForeignSuite();

report("missing", await errorName(CopyData.connect({ name: `ipckit-cd-missing-${tag}` })));
report(
  "missing_after_wait",
  await errorName(CopyData.connect({ name: `ipckit-cd-missing-${tag}`, timeout: 100 })),
);

// Bad input: typed errors, before anything is sent.
{
  const sender: CopyDataSender = await CopyData.connect({ name: nameA });
  report("bad", {
    oversize_tag: await errorName(sender.send("x", { tag: 2n ** 64n })),
    negative_tag: await errorName(sender.send("x", { tag: -1n })),
    string_tag: await errorName(sender.send("x", { tag: "1" as unknown as bigint })),
    number_data: await errorName(sender.send(42 as unknown as string)),
    negative_timeout: await errorName(sender.send("x", { timeout: -1 })),
    bad_signal: await errorName(sender.send("x", { signal: {} as AbortSignal })),
    aborted: await errorName(sender.send("x", { signal: AbortSignal.abort() })),
    no_options: await errorName(CopyData.connect(undefined as never)),
    bad_name: await errorName(CopyData.connect({ name: "a/b" })),
    number_name: await errorName(CopyData.listen({ name: 5 as unknown as string })),
    bad_handler: await errorName(CopyData.listen({ name: "x", handler: 1 as never })),
    bad_hwnd: await errorName(CopyData.sendToWindow(-1n, "x")),
  });
  await sender.close();
  report("send_after_close", await errorName(sender.send("x")));
  report("close_idempotent", sender.close() === sender.close());
}

// Idle: the receiver listening with nothing arriving. The settle lets the runtime finish
// collecting the garbage of the checks above; 3 s (as the socket and RPC idle checks use)
// keeps one late timer or collection from weighing 10 % of the window.
await new Promise((resolve) => setTimeout(resolve, 1000));
const before = process.cpuUsage();
const started = Date.now();
await new Promise((resolve) => setTimeout(resolve, 3000));
const used = process.cpuUsage(before);
report(
  "idle_cpu_percent",
  Math.round(((used.user + used.system) / 1000 / (Date.now() - started)) * 1000) / 10,
);
await receiver.close();
report("done", true);
