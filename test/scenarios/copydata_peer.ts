// The other runtime's half of copydata_basic.ts: it receives the full suite
// on <nameB> (and reports its window handle), sends the light suite to
// <nameA>, and exits once told to quit on <nameB>.
//   copydata_peer.ts <nameA> <nameB>
import process from "node:process";
import { CopyData } from "../../mod.ts";
import { report } from "./_peers.ts";
import { recordingReceiver, runSenderSuite } from "./_copydata_suite.ts";

const [nameA, nameB] = process.argv.slice(2) as [string, string];
const recording = recordingReceiver();
const receiver = await CopyData.listen({
  name: nameB,
  handler: recording.handler,
  // Far beyond the hang's 300 ms send timeout: a sender descheduled under load must still time
  // out before this receiver gives up on its handler and answers false (CI saw "answered" at 800).
  replyTimeout: 3000,
});
report("peer_hwnd", receiver.hwnd === null ? null : String(receiver.hwnd));
report("peer_ready", true);
const sender = await CopyData.connect({ name: nameA, timeout: 20_000 });
for (const [key, value] of Object.entries(await runSenderSuite(nameA, sender, true))) {
  report(`peer_sent_${key}`, value);
}
await sender.close();
await recording.quitting;
await receiver.close();
for (const [key, value] of Object.entries(recording.results())) report(`peer_got_${key}`, value);
