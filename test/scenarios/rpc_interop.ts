// RPC between two processes on two runtimes: the other runtime serves `lab`
// and this one runs the client suite, then this runtime serves and the other
// runs the suite. Results print as `<side>.<case>=<json>`. Last, an idle server
// with a connected idle client uses almost no CPU.
import process from "node:process";
import { rpc } from "../../mod.ts";
import { report, startPeer } from "./_peers.ts";
import { runSuite, serveProfiles } from "./rpc/lab_client.ts";
import { serveLab } from "./rpc/lab_server.ts";
import { lab } from "./rpc/lab.rpc.ts";

const PEER = "test/scenarios/rpc/peer.ts";
const tag = `${process.pid}-${Date.now() % 100000}`;

{
  // The other runtime serves; this one calls.
  const name = `ipckit-rpc-a-${tag}`;
  const peer = startPeer(PEER, ["serve", name], true);
  await peer.line("ready");
  const results = await runSuite(name);
  for (const [key, value] of Object.entries(results)) report(`local_client.${key}`, value);
  {
    await using client = await rpc.connect(lab, { name, timeout: 5000 });
    await client.release({ key: "__exit" });
  }
  const done = await peer.done;
  report("remote_server.exit", { code: done.code, served: done.results["served"] ?? false });
  if (done.code !== 0) console.error(done.stderr);
}

{
  // This runtime serves; the other one calls.
  const name = `ipckit-rpc-b-${tag}`;
  const server = serveLab(name);
  const profiles = serveProfiles(name);
  const peer = startPeer(PEER, ["client", name], true);
  const done = await peer.done;
  for (const [key, value] of Object.entries(done.results)) report(`remote_client.${key}`, value);
  report("remote_client.exit", done.code);
  if (done.code !== 0) console.error(done.stderr);
  await profiles.close();
  await server.close();
}

{
  // An idle server with a connected, idle client (both in this process).
  const name = `ipckit-rpc-idle-${tag}`;
  const server = serveLab(name);
  {
    await using client = await rpc.connect(lab, { name, timeout: 5000 });
    await client.add({ n: 1n });
    // Let the work above settle (worker threads, GC) before measuring.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    // 3 s windows: Windows counts CPU time in 15.6 ms ticks, so in 2 s one tick more was 0.8 % and
    // the 2 % limit was crossed by 3 ticks (47 ms) of after-work. Two windows, and the quieter
    // counts: a polling loop shows in both, while after-work that a loaded machine delays past the
    // settle (CI at load ~10, windows-deno: 12.6 % in one window) shows in the first only.
    const windows: number[] = [];
    for (let i = 0; i < 2; i++) {
      const before = process.cpuUsage();
      const started = Date.now();
      await new Promise((resolve) => setTimeout(resolve, 3000));
      const used = process.cpuUsage(before);
      const elapsed = Date.now() - started;
      windows.push(Math.round(((used.user + used.system) / 1000 / elapsed) * 1000) / 10);
    }
    report("idle_cpu_windows", windows);
    report("idle_cpu_percent", Math.min(...windows));
  }
  await server.close();
}
