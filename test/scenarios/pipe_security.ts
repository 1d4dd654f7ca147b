// Security defaults: a name squatted by another process makes serve() fail
// with NameTakenError; the pipe's protection as the OS reports it (DACL for
// the current user only, remote clients refused; Linux: socket mode 0600 in
// a 0700 directory); stale socket files are reclaimed, live ones are not.
import { existsSync, statSync } from "node:fs";
import process from "node:process";
import { NamedPipe, NameTakenError } from "../../mod.ts";
import { platform } from "../../lib/ffi/mod.ts";
import { report, runPeer } from "./pipe_data.ts";

const tag = `${process.pid}-${Date.now() % 100000}`;

{
  const name = `ipckit-squat-${tag}`;
  const squatter = runPeer("./pipe_peer.ts", ["squat", name, "4000"]);
  // Wait until the squatter listens.
  const probe = await NamedPipe.connect({ name, timeout: 15_000 });
  await probe.close();
  try {
    NamedPipe.serve({ name });
    report("squatted_serve", "served");
  } catch (error) {
    report("squatted_serve", error instanceof NameTakenError ? error.name : String(error));
    report("squatted_message_says_taken", /taken/.test((error as Error).message));
  }
  await squatter.done;
}

{
  const name = `ipckit-security-${tag}`;
  const server = NamedPipe.serve({ name });
  const info = server.security();
  report("default_reject_remote", info.rejectRemoteClients);
  if (platform === "windows") {
    // Only the current user's SID is in the DACL, protected from inheritance (D:P).
    report("default_dacl_protected", info.descriptor.startsWith("D:P"));
    report("default_dacl_aces", info.descriptor.match(/\(A;[^)]*\)/g)?.length ?? 0);
    report(
      "default_dacl_user_only",
      /^D:P\(A;;[A-Z0-9x]+;;;S-1-5-[0-9-]+\)$/.test(info.descriptor),
    );
    const everyone = NamedPipe.serve({ name: `${name}-everyone`, security: "everyone" });
    report("everyone_dacl_has_world", /;;;WD\)/.test(everyone.security().descriptor));
    await everyone.close();
    const custom = NamedPipe.serve({ name: `${name}-sddl`, security: { sddl: "D:P(A;;GA;;;WD)" } });
    report("sddl_dacl", custom.security().descriptor);
    await custom.close();
  } else {
    report("default_socket_mode", (statSync(server.path).mode & 0o777).toString(8));
    const dir = server.path.slice(0, server.path.lastIndexOf("/"));
    report("socket_directory_mode", (statSync(dir).mode & 0o777).toString(8));
    const everyone = NamedPipe.serve({ name: `${name}-everyone`, security: "everyone" });
    report("everyone_socket_mode", (statSync(everyone.path).mode & 0o777).toString(8));
    await everyone.close();
    try {
      NamedPipe.serve({ name: `${name}-sddl`, security: { sddl: "D:P(A;;GA;;;WD)" } });
    } catch (error) {
      report("sddl_on_linux", (error as Error).name);
    }
    // A socket file whose server is gone is reclaimed.
    const { libc } = await import("../../lib/posix/libc.ts");
    const { openSocket, sockaddrUn, SOCK } = await import("../../lib/posix/socket.ts");
    const stalePath = NamedPipe.path(`${name}-stale`);
    const fd = openSocket(SOCK.STREAM);
    const address = sockaddrUn(stalePath);
    libc.symbols.bind(fd, address, address.byteLength);
    libc.symbols.close(fd); // leaves the file behind, like a killed server
    report("stale_file_left", existsSync(stalePath));
    const reclaimed = NamedPipe.serve({ name: `${name}-stale` });
    report("stale_reclaimed", true);
    await reclaimed.close();
    report("socket_file_removed_on_close", !existsSync(stalePath));
    try {
      NamedPipe.serve({ name: "x".repeat(120) });
    } catch (error) {
      report("long_name", (error as Error).name);
    }
  }
  await server.close();
}
report("done", true);
