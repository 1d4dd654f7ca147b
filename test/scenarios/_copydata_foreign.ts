// CopyData with a Windows program that is not ipckit (test/peers/copydata_peer.c,
// built by tools/peers.mjs): ipckit sends to the program's own window by its
// raw HWND and gets its answers; the program finds an ipckit receiver by class
// and name and sends to it with SendMessageTimeoutW. Run by copydata_basic.ts
// in the Windows cells.
import process from "node:process";
import { fileURLToPath } from "node:url";
import { CopyData, type CopyDataMessage, spawn } from "../../mod.ts";
import { fnv1a, report } from "./_peers.ts";

const peerExe = fileURLToPath(new URL("../../.cache/peers/copydata_peer.exe", import.meta.url));
const hex = (n: number) => n.toString(16).padStart(8, "0");
const bytes = (size: number) => Uint8Array.from({ length: size }, (_, i) => (i * 7 + 3) & 0xff);

/** Runs the peer; resolves with its first output line, and with all of them when it ends. */
function runPeer(args: string[]) {
  const child = spawn([peerExe, ...args], { stdin: "null", stdout: "pipe", stderr: "pipe" });
  const lines: string[] = [];
  let gotFirst!: (line: string) => void;
  const first = new Promise<string>((resolve) => (gotFirst = resolve));
  const reading = (async () => {
    const decoder = new TextDecoder();
    let pending = "";
    for await (const chunk of child.stdout!) {
      pending += decoder.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = pending.indexOf("\n")) >= 0) {
        lines.push(pending.slice(0, nl).replace(/\r$/, ""));
        pending = pending.slice(nl + 1);
        gotFirst(lines[0]!);
      }
    }
  })();
  return {
    first,
    done: child.exited.then(async (exit) => {
      await reading;
      return { code: exit.code, lines };
    }),
  };
}

/** Runs both directions and reports what each side saw. */
export async function runForeignSuite(): Promise<void> {
  // ipckit → the program's window, by raw HWND: its answers (TRUE for even tags) come back.
  {
    const peer = runPeer(["receive", "2"]);
    const hwnd = BigInt((await peer.first).replace("hwnd=", ""));
    const first = bytes(100_000);
    report("to_program_answers", [
      await CopyData.sendToWindow(hwnd, first, { tag: 2n, timeout: 10_000 }),
      await CopyData.sendToWindow(hwnd, "x", { tag: 3n, timeout: 10_000 }),
    ]);
    const { code, lines } = await peer.done;
    report("program_receiver_code", code);
    report("program_got", lines.filter((l) => l.startsWith("got=")));
    report("program_expected", [
      `got=2:100000:${hex(fnv1a(first))}`,
      `got=3:1:${hex(fnv1a(new Uint8Array([0x78])))}`,
    ]);
  }

  // The program → an ipckit receiver it finds by class and window name.
  {
    const name = `ipckit-cd-foreign-${process.pid}`;
    const got: CopyDataMessage[] = [];
    await using _receiver = await CopyData.listen({
      name,
      handler: (message) => {
        got.push(message);
        return true;
      },
    });
    const peer = runPeer(["send", name, "18446744073709551615", "200000"]);
    const { code, lines } = await peer.done;
    report("program_sender_code", code);
    report("program_sent", lines.find((l) => l.startsWith("sent=")) ?? null);
    report(
      "received_from_program",
      got.map((m) => `${m.tag}:${m.data.byteLength}:${hex(fnv1a(m.data))}`),
    );
    report("expected_from_program", [`18446744073709551615:200000:${hex(fnv1a(bytes(200_000)))}`]);
  }
}
