// Refused connections while a TCP server restarts, before and after the
// supervisor held the socket: test/scenarios/runtime/socket_restart.ipc
// (1,000 connections one after the other; the server is killed hard every
// 400 answers and restarted by its policy) run by `ipckit run` twice in the
// same cell, once with `bind = server` (the server binds its own socket, as
// every run did before) and once with the default `bind = supervisor`.
// Prints one JSON object, then a table.
//   node tools/cell.mjs linux-bun bench/socket_restart.ts
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { platform, runtimeName, scriptCommand } from "../lib/ffi/mod.ts";
import { spawn } from "../mod.ts";

const TOPOLOGY = "test/scenarios/runtime/socket_restart.ipc";
const BEFORE = join(tmpdir(), `ipckit-socket-restart-${process.pid}.ipc`);

writeFileSync(
  BEFORE,
  readFileSync(TOPOLOGY, "utf8").replace(
    'tcp front { host = "127.0.0.1", port = 0 }',
    'tcp front { host = "127.0.0.1", port = 0, bind = server }',
  ),
);

async function run(
  file: string,
): Promise<{ refused: number; answered: number; restarts: number; seconds: number }> {
  const started = performance.now();
  const child = spawn(scriptCommand("cli/main.ts", ["run", file]), {
    stdin: "null",
    stdout: "pipe",
    stderr: "inherit",
  });
  let text = "";
  for await (const chunk of child.stdout!) text += new TextDecoder().decode(chunk);
  const exit = await child.exited;
  const refused = /^client\s+\| refused (\d+)/m.exec(text);
  const answered = /^client\s+\| answered (\d+)\/\d+/m.exec(text);
  if (exit.code !== 0 || !refused || !answered) {
    throw new Error(`ipckit run ${file} failed (exit ${exit.code}):\n${text}`);
  }
  return {
    refused: Number(refused[1]),
    answered: Number(answered[1]),
    restarts: text.match(/ipckit\s+\| server restarting in/g)?.length ?? 0,
    seconds: Math.round((performance.now() - started) / 100) / 10,
  };
}

const before = await run(BEFORE);
const after = await run(TOPOLOGY);
rmSync(BEFORE);
const result = {
  bench: "socket_restart",
  cell: `${platform}-${runtimeName}`,
  connections: 1000,
  bind_server: before,
  bind_supervisor: after,
};
console.log(JSON.stringify(result));
console.log(`
cell ${result.cell}: 1,000 connections, server killed every 400 answers
                         refused  answered  restarts  seconds
${
  ([["bind = server (before)", before], ["bind = supervisor", after]] as const).map(([label, r]) =>
    `${String(label).padEnd(23)}  ${String(r.refused).padStart(7)}  ${
      String(r.answered).padStart(8)
    }  ${String(r.restarts).padStart(8)}  ${String(r.seconds).padStart(7)}`
  ).join("\n")
}`);
process.exit(0);
