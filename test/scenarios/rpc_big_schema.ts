// A service whose declarations are far larger than an environment variable may
// be on Windows (32 KiB; Linux allows 128 KiB): `ipckit run` passes them in a file
// (option `schema_file`), and removes it at the end of the run.
import process from "node:process";
import { readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn } from "../../mod.ts";
import { scriptCommand } from "../../lib/ffi/mod.ts";
import { report } from "./_peers.ts";

// About 47 KB of declarations: past the Windows limit of 32 KiB per variable.
const RECORDS = 50;
const fields = Array.from({ length: 20 }, (_, i) => `field_${i}: ${i % 2 ? "i64" : "string"}`);
const records = Array.from(
  { length: RECORDS },
  (_, r) => `record Record_${r} {\n  ${fields.join("\n  ")}\n}`,
);
const peer = scriptCommand("test/scenarios/rpc/big_peer.ts", []);
const file = join(tmpdir(), `ipckit-big-schema-${process.pid}.ipc`);
writeFileSync(
  file,
  `topology big_schema\n\n${records.join("\n")}\n\nservice big { echo(Record_${
    RECORDS - 1
  }): Record_${RECORDS - 1} }\n\n` +
    `process server {\n  run = ${JSON.stringify(peer)}\n  ready = notify(timeout = 60s)\n}\n` +
    `process client { run = ${JSON.stringify(peer)} }\n\nclient -> big -> server\n`,
);
try {
  const run = spawn(scriptCommand("cli/main.ts", ["run", file]), {
    stdin: "null",
    stdout: "pipe",
    stderr: "pipe",
  });
  const decoder = new TextDecoder();
  let out = "";
  let err = "";
  const reading = (async () => {
    for await (const chunk of run.stdout!) out += decoder.decode(chunk, { stream: true });
  })();
  for await (const chunk of run.stderr!) err += decoder.decode(chunk, { stream: true });
  await reading;
  const { code } = await run.exited;
  report("exit", code);
  if (code !== 0) console.error(out + err);
  const echoed = /client\s+\| echoed=(.*)/.exec(out)?.[1];
  report("echoed", echoed ? JSON.parse(echoed) : null);
  const schemaFile = new RegExp(`^ipckit-${run.pid}-.*\\.schema\\.json$`);
  report("schema_files_left", readdirSync(tmpdir()).filter((f) => schemaFile.test(f)));
} finally {
  rmSync(file, { force: true });
}
