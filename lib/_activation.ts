// Sockets handed to this process by someone else: systemd's LISTEN_FDS,
// LISTEN_PID and LISTEN_FDNAMES on Linux, IPCKIT_SOCKETS on Windows
// (docs/env-contract.md). Shared by lib/socket.ts and lib/pipe.ts.
import process from "node:process";
import { platform } from "./ffi/mod.ts";
import { NotFoundError } from "./errors.ts";
import * as posix from "./posix/net.ts";
import * as win32 from "./win32/net.ts";

/** The first fd of LISTEN_FDS (sd_listen_fds). */
const LISTEN_FDS_START = 3;

interface HandedOver {
  name: string;
  handle: bigint;
  kind: "listener" | "datagram" | "other";
}

/** What was adopted, as `name/handle` (a held pipe on Windows has no handle). */
let adopted: Set<string> | undefined;

/** The sockets handed to this process, by the OS's contract. */
export function handedOver(): HandedOver[] {
  if (platform === "windows") return win32.inheritedSockets(process.env);
  const count = process.env.LISTEN_FDS;
  if (count === undefined) return [];
  const pid = process.env.LISTEN_PID;
  if (pid !== undefined && Number(pid) !== process.pid) {
    throw new NotFoundError(
      `Cannot adopt sockets: LISTEN_FDS=${count} was meant for process ${pid}, not this process (${process.pid})`,
      "LISTEN_FDS",
    );
  }
  const n = Number(count);
  if (!(Number.isInteger(n) && n >= 0)) {
    throw new TypeError(`Cannot adopt sockets: LISTEN_FDS='${count}' is not a count`);
  }
  const names = (process.env.LISTEN_FDNAMES ?? "").split(":");
  return Array.from({ length: n }, (_, i) => {
    const fd = LISTEN_FDS_START + i;
    return {
      name: names[i] || "unknown",
      handle: BigInt(fd),
      kind: posix.inheritedKind(fd) ?? "other",
    };
  });
}

export function inherited(
  kind: "listener" | "datagram" | "pipe",
  name: string | undefined,
): HandedOver {
  const all = handedOver();
  adopted ??= new Set();
  // A pipe's socket (SOCK_SEQPACKET in message mode) is found by its name alone.
  const found = all.find((s) =>
    (kind === "pipe"
      ? s.name === name
      : s.kind === kind && (name === undefined || s.name === name)) &&
    !adopted!.has(`${s.name}/${s.handle}`)
  );
  if (!found) {
    const what = kind === "listener"
      ? "listening socket"
      : kind === "datagram"
      ? "datagram socket"
      : "held pipe";
    const list = all.map((s) => `${s.name} (${s.kind})`).join(", ") || "none";
    const contract = platform === "windows" ? "IPCKIT_SOCKETS" : "LISTEN_FDS";
    throw new NotFoundError(
      `Cannot adopt a ${what}${
        name === undefined ? "" : ` named '${name}'`
      }: ${contract} handed this process ${list}` +
        ` (start it with systemd-socket-activate or ipckit run)`,
      name ?? contract,
    );
  }
  adopted.add(`${found.name}/${found.handle}`);
  return found;
}
