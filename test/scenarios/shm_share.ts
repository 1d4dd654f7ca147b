// Shared memory and file mappings between processes: bytes written by one
// process are read by another (same runtime and the other runtime), read-only
// opens are copy-on-write, and the name is gone once every holder closed.
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { mapFile, NotFoundError, SharedMemory } from "../../mod.ts";
import { platform } from "../../lib/ffi/mod.ts";
import { describeError, fnv1a, report, startPeer } from "./_peers.ts";

const PEER = new URL("./shm_peer.ts", import.meta.url).pathname.replace(/^\/([A-Za-z]:)/, "$1");
const name = `ipckit-shm-${process.pid}`;
const SIZE = 64 * 1024;
const ours = () =>
  platform === "linux" ? readdirSync("/dev/shm").filter((f) => f.includes(name)) : [];

{
  using shm = SharedMemory.create({ name, size: SIZE });
  report("os_name", shm.osName);
  report("created", shm.created);
  report("size", shm.size);
  report("zeroed", shm.bytes.every((b) => b === 0));
  for (let i = 0; i < SIZE; i++) shm.bytes[i] = (i * 7) & 0xff;
  const sum = fnv1a(shm.bytes);
  report(
    "linux_segment_size",
    platform === "linux" ? readFileSync(`/dev/shm/${name}`).length : SIZE,
  );

  for (const other of [false, true]) {
    const peer = startPeer(PEER, ["read", name, String(SIZE)], other);
    const result = await peer.done;
    const tag = other ? "other" : "same";
    report(`${tag}_peer_exit`, result.code);
    report(
      `${tag}_peer_saw_bytes`,
      result.results.peer_sum === sum && result.results.peer_size === SIZE,
    );
    report(`${tag}_peer_wrote`, new TextDecoder().decode(shm.read(100, 4)));
    if (result.code !== 0) report(`${tag}_peer_stderr`, result.stderr);
    shm.bytes.set([100, 101, 102, 103].map((i) => (i * 7) & 0xff), 100);
  }

  // Read-only open: a stray write stays private; the owner's bytes are untouched.
  shm.bytes[8192] = 0x5a;
  const ro = await startPeer(PEER, ["readonly", name, String(SIZE)]).done;
  report("readonly_peer_exit", ro.code);
  report("readonly_peer_sees_own_stray_write", ro.results.peer_byte0 === 0xee);
  report("readonly_peer_sees_owner_write", ro.results.peer_byte8192 === 0x5a);
  report("owner_byte0_unchanged", shm.bytes[0] === 0);
  report(
    "owner_view_sum_unchanged",
    fnv1a(shm.bytes.subarray(1)) === ro.results.peer_sum_after_stray,
  );

  using local = SharedMemory.open({ name, readonly: true });
  report("readonly_write_error", describeError(() => local.write(new Uint8Array([1]))));
  report(
    "open_existing_created",
    (() => {
      using again = SharedMemory.create({ name, size: 1024, openExisting: true });
      return again.created === false && again.size === 1024 &&
        again.bytes[8192 % 1024] === shm.bytes[0];
    })(),
  );
  report("holders_keep_name", ours().sort());
}
report("after_close_open", describeError(() => SharedMemory.open({ name })));
report("after_close_dev_shm", ours());

// A file region at an unaligned offset, written, flushed, read by a peer and by the file.
const path = join(tmpdir(), `ipckit-map-${process.pid}.bin`);
writeFileSync(path, new Uint8Array(1_100_000));
{
  using file = mapFile(path, { writable: true, offset: 1_000_000, length: 4096 });
  report("file_length", file.bytes.length);
  for (let i = 0; i < 4096; i++) file.bytes[i] = (i * 13 + 1) & 0xff;
  file.flush();
  const sum = fnv1a(file.bytes);
  const peer = await startPeer(PEER, ["file", path, "1000000", "4096"]).done;
  report("file_peer_saw_bytes", peer.results.peer_file_sum === sum);
  const other = await startPeer(PEER, ["file", path, "1000000", "4096"], true).done;
  report("file_other_runtime_saw_bytes", other.results.peer_file_sum === sum);
}
const onDisk = readFileSync(path);
report(
  "file_on_disk",
  fnv1a(onDisk.subarray(1_000_000, 1_004_096)) ===
    fnv1a(new Uint8Array(4096).map((_, i) => (i * 13 + 1) & 0xff)),
);
report("file_untouched_before", onDisk.subarray(0, 1_000_000).every((b) => b === 0));
{
  // Growing a file through a writable map past its end.
  using grown = mapFile(path, { writable: true, offset: 1_200_000, length: 100 });
  grown.bytes.fill(9);
}
report("file_grown_size", readFileSync(path).length);
{
  using ro = mapFile(path, { offset: 5 });
  ro.bytes[0] = 77; // copy-on-write: never reaches the file
  report("file_readonly_length", ro.bytes.length);
}
report("file_readonly_stray_write_kept_out", readFileSync(path)[5] === 0);
rmSync(path);

// A holder killed with SIGKILL: the name is gone afterwards.
const killedName = `${name}-killed`;
const holder = startPeer(PEER, ["hold", killedName, "4096"]);
await holder.line("ready");
report(
  "killed_holder_visible",
  (() => {
    using peek = SharedMemory.open({ name: killedName });
    return peek.bytes[0] === 1;
  })(),
);
holder.child.kill("SIGKILL");
report("killed_holder_signal", (await holder.child.exited).signal ?? null);
await holder.done;
report("after_kill_open", describeError(() => SharedMemory.open({ name: killedName }))?.name);
report("after_kill_dev_shm", ours());
report(
  "not_found_class",
  (() => {
    try {
      SharedMemory.open({ name: killedName });
    } catch (error) {
      return error instanceof NotFoundError;
    }
  })(),
);
