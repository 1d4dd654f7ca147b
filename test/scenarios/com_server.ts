// A JavaScript object served through COM: this runtime serves it, the other
// runtime's process calls it (com_server_client.ts), and a cscript VBScript
// calls it too (Windows). On Linux, serving throws UnsupportedPlatformError.
import process from "node:process";
import { writeFile } from "node:fs/promises";
import { ComServer, spawn } from "../../mod.ts";
import { platform } from "../../lib/ffi/mod.ts";
import { report, startPeer } from "./_peers.ts";

const PROG_ID = `Ipckit.Test${process.pid}`;

if (platform !== "windows") {
  try {
    await ComServer.serve({}, { name: PROG_ID });
    report("serve", "served");
  } catch (error) {
    report("serve", (error as Error).name);
    report("serve_message", (error as Error).message);
  }
  process.exit(0);
}

class Failure extends Error {
  hresult = 0x80040201;
}

const target = {
  Title: "ipckit",
  items: new Map<unknown, unknown>([["k", "v"]]),
  add(a: number, b: number) {
    return a + b;
  },
  echo(value: unknown) {
    return value;
  },
  kind(value: unknown) {
    return value === null
      ? "null"
      : value instanceof Date
      ? "date"
      : value instanceof Uint8Array
      ? "bytes"
      : Array.isArray(value)
      ? "array"
      : typeof value;
  },
  async slowDouble(n: number) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    return n * 2;
  },
  fail(message: string) {
    throw new Failure(message);
  },
  async failLater(message: string) {
    await Promise.resolve();
    throw new Error(message);
  },
  child() {
    return {
      name: "child",
      times(n: number) {
        return n * 3;
      },
    };
  },
  afterUnsubscribe(): Promise<number> {
    return server.emit("Tick", -1, "late");
  },
};

await using server = await ComServer.serve(target, { name: PROG_ID, events: ["Tick", "Done"] });
report("clsid_is_guid", /^\{[0-9A-F-]{36}\}$/.test(server.clsid));

// The other runtime's process calls the object by ProgID.
const peer = startPeer("test/scenarios/com_server_client.ts", [PROG_ID], true);
const subscribed = peer.line("subscribed");
void subscribed.then(async () => {
  for (let i = 0; i < 1000; i++) server.emit("Tick", i, `t${i}`);
  await server.emit("Done", 1000);
});
const { code, results, stderr } = await peer.done;
report("peer_code", code);
if (code !== 0) report("peer_stderr", stderr.slice(0, 2000));
for (const [key, value] of Object.entries(results)) report(`peer_${key}`, value);
report("title_after_peer", target.Title);
report("subscribers_after_peer", server.subscribers);

// A VBScript through CreateObject (the class factory).
const script = `${process.env.TEMP ?? "C:\\windows\\temp"}\\ipckit_com_${process.pid}.vbs`;
await writeFile(
  script,
  [
    `Set o = CreateObject("${PROG_ID}")`,
    `WScript.Echo "add=" & o.Add(2, 40)`,
    `WScript.Echo "title=" & o.TITLE`,
    `o.Title = "from vbs"`,
    `WScript.Echo "double=" & o.SlowDouble(21)`,
    `WScript.Echo "child=" & o.Child().Times(5)`,
    `On Error Resume Next`,
    `o.Fail "boom"`,
    `WScript.Echo "error=" & Hex(Err.Number) & "|" & Err.Description & "|" & Err.Source`,
    "",
  ].join("\r\n"),
);
const cscript = spawn(["C:\\windows\\system32\\cscript.exe", "//nologo", script], {
  stdout: "pipe",
  stderr: "pipe",
});
let out = "";
for await (const chunk of cscript.stdout!) out += new TextDecoder().decode(chunk);
for await (const chunk of cscript.stderr!) out += new TextDecoder().decode(chunk);
report("vbs_code", (await cscript.exited).code);
report("vbs", out.split(/\r?\n/).filter((line) => line.length > 0));
report("title_after_vbs", target.Title);

await server.close();
report("closed_twice", await server.close() === undefined);
