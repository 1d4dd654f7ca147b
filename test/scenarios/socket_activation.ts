// Linux cells: a server of this runtime started by systemd-socket-activate
// adopts the listening socket it was handed (LISTEN_FDS, LISTEN_PID,
// LISTEN_FDNAMES) and answers two clients on it. The first client connects
// before the server runs (systemd-socket-activate starts it on that
// connection), so the connection waits in the socket's backlog.
import { rmSync } from "node:fs";
import process from "node:process";
import { scriptCommand } from "../../lib/ffi/mod.ts";
import { Socket, spawn } from "../../mod.ts";
import { report } from "./_peers.ts";

const path = `/tmp/ipckit-activation-${process.pid}.sock`;
rmSync(path, { force: true });
const server = scriptCommand("test/scenarios/socket_activated.ts", ["web", "2"]);
const child = spawn(
  ["systemd-socket-activate", "-l", path, "--fdname=web", "-E", "PATH", "-E", "HOME", ...server],
  { stdin: "null", stdout: "pipe", stderr: "pipe" },
);
let stdout = "";
const collecting = (async () => {
  for await (const chunk of child.stdout!) stdout += new TextDecoder().decode(chunk);
})();
let stderr = "";
const collectingErrors = (async () => {
  for await (const chunk of child.stderr!) stderr += new TextDecoder().decode(chunk);
})();

const answers: string[] = [];
for (const request of ["first", "second"]) {
  // systemd-socket-activate binds the path as it starts: wait for it to appear.
  await using conn = await connectWhenListening(path);
  await conn.write(request);
  answers.push(new TextDecoder().decode((await conn.read()) ?? new Uint8Array()));
}
const exit = await child.exited;
await Promise.all([collecting, collectingErrors]);
rmSync(path, { force: true }); // systemd-socket-activate's, not the server's: it leaves it
const lines = Object.fromEntries(
  stdout.split("\n").filter((l) => l.includes("=")).map((
    l,
  ) => [l.slice(0, l.indexOf("=")), JSON.parse(l.slice(l.indexOf("=") + 1))]),
);
report("answers", answers.map((a) => a.replace(/\d+$/, "<pid>")));
report("server_pid_is_child", answers.every((a) => a.endsWith(` ${child.pid}`)));
report("server_inherited", lines.inherited);
report("server_answered", lines.answered);
report("server_code", exit.code);
if (exit.code !== 0) console.error(stderr);
report("done", true);

async function connectWhenListening(at: string) {
  for (let attempt = 0;; attempt++) {
    try {
      return await Socket.connect({ path: at, timeout: 30_000 });
    } catch (error) {
      if (attempt > 200) throw error;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}
