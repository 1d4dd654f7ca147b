// DDE on Windows with a program that is not ipckit (test/peers/dde_peer.c, a
// DDEML program built by tools/peers.mjs): ipckit's client talks to the
// program's server, and the program's client to ipckit's server. Needs an X
// display under Wine (the test passes DISPLAY).
import process from "node:process";
import { fileURLToPath } from "node:url";
import { DdeClient, DdeServer, spawn } from "../../mod.ts";
import { report } from "./_peers.ts";

const peerExe = fileURLToPath(new URL("../../.cache/peers/dde_peer.exe", import.meta.url));
const errorName = (promise: Promise<unknown>) =>
  promise.then(() => "none", (error) => `${(error as Error).name}: ${(error as Error).message}`);

/** Runs the peer; resolves its lines as they come, and all of them at its end. */
function runPeer(args: string[]) {
  const child = spawn([peerExe, ...args], { stdin: "null", stdout: "pipe", stderr: "pipe" });
  const lines: string[] = [];
  const waiters: Array<{ prefix: string; resolve: (line: string) => void }> = [];
  const reading = (async () => {
    const decoder = new TextDecoder();
    let pending = "";
    for await (const chunk of child.stdout!) {
      pending += decoder.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = pending.indexOf("\n")) >= 0) {
        const line = pending.slice(0, nl).replace(/\r$/, "");
        pending = pending.slice(nl + 1);
        lines.push(line);
        for (const w of [...waiters]) {
          if (line.startsWith(w.prefix)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(line);
          }
        }
      }
    }
  })();
  return {
    line: (prefix: string) =>
      new Promise<string>((resolve) => {
        const found = lines.find((l) => l.startsWith(prefix));
        if (found) resolve(found);
        else waiters.push({ prefix, resolve });
      }),
    done: child.exited.then(async (exit) => {
      await reading;
      return { code: exit.code, lines };
    }),
  };
}

// ipckit client → the program's server.
{
  const server = runPeer(["server", "CPeer", "Prices"]);
  await server.line("ready");
  const client = await DdeClient.connect({ service: "cpeer", topic: "prices", timeout: 10_000 });
  const before = await client.request("EURUSD");
  await client.poke("EURUSD", "1.0842 ✓");
  const after = await client.request("EURUSD");
  const again = await client.request("EURUSD");
  const ansi = await client.request("EURUSD", { format: "CF_TEXT" });
  await client.execute("[reset]");
  report("to_program", { before, after, again, ansi });
  const quitting = client.execute("[quit]");
  await quitting.catch(() => {});
  const exit = await server.done;
  report("program_server", {
    code: exit.code,
    executed: exit.lines.filter((l) => l.startsWith("execute=")),
  });
  report("after_program_exit", await errorName(client.request("EURUSD", { timeout: 5000 })));
  await client.close();
}

// The program's client → ipckit's server.
{
  const values = new Map<string, string>([["x", "first"]]);
  const executed: string[] = [];
  await using server = await DdeServer.serve({
    service: "ipckit.win",
    topics: {
      data: {
        request: (item) => values.has(item) ? `${item}:${values.get(item)}` : null,
        poke: (item, data) => void values.set(item, String(data)),
        execute: (command) => void executed.push(command),
      },
    },
  });
  const peer = runPeer([
    "client",
    "ipckit.win",
    "data",
    "request",
    "x",
    "poke",
    "x",
    "zwëi",
    "request",
    "x",
    "execute",
    "[go]",
  ]);
  const exit = await peer.done;
  report("from_program", { code: exit.code, lines: exit.lines, executed, poked: values.get("x") });
  // A hot loop the program follows while this server posts.
  const follower = runPeer(["client", "ipckit.win", "data", "advise", "x", "3"]);
  await follower.line("advise=started");
  for (const v of ["p1", "p2", "p3"]) {
    values.set("x", v);
    await server.post("data", "x");
  }
  report("program_advise", (await follower.done).lines);
}
report("done", true);
process.exit(0);
