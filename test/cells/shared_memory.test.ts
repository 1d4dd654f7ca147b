import { expect, it } from "vitest";
import { ALL_CELLS, inCells, LINUX_CELLS, runScenario } from "./_driver.ts";

inCells(ALL_CELLS, (cell) => {
  const windows = cell.startsWith("windows");

  it("SharedMemory and mapFile share bytes with peers of both runtimes; read-only opens are copy-on-write; names vanish with their last holder", async () => {
    const run = await runScenario(cell, "test/scenarios/shm_share.ts");
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const r = run.results;
    expect(r.os_name).toMatch(windows ? /^Local\\ipckit-shm-\d+$/ : /^\/ipckit-shm-\d+$/);
    expect(r).toMatchObject({
      created: true,
      size: 65536,
      zeroed: true,
      linux_segment_size: 65536,
      same_peer_exit: 0,
      same_peer_saw_bytes: true,
      same_peer_wrote: "PEER",
      other_peer_exit: 0,
      other_peer_saw_bytes: true,
      other_peer_wrote: "PEER",
      readonly_peer_exit: 0,
      readonly_peer_sees_own_stray_write: true,
      readonly_peer_sees_owner_write: true,
      owner_byte0_unchanged: true,
      owner_view_sum_unchanged: true,
      open_existing_created: true,
      after_close_dev_shm: [],
      file_length: 4096,
      file_peer_saw_bytes: true,
      file_other_runtime_saw_bytes: true,
      file_on_disk: true,
      file_untouched_before: true,
      file_grown_size: 1_200_100,
      file_readonly_length: 1_200_095,
      file_readonly_stray_write_kept_out: true,
      killed_holder_visible: true,
      killed_holder_signal: "SIGKILL",
      after_kill_open: "NotFoundError",
      after_kill_dev_shm: [],
      not_found_class: true,
    });
    expect(r.readonly_write_error).toMatchObject({ name: "ReadOnlyError" });
    expect(r.after_close_open).toMatchObject({
      name: "NotFoundError",
      message: expect.stringMatching(
        /^Cannot open shared memory 'ipckit-shm-\d+': it does not exist$/,
      ),
    });
    // Linux: the data segment and ipckit's metadata, nothing else; Windows has no /dev/shm.
    expect((r.holders_keep_name as string[]).length).toBe(windows ? 0 : 2);
  });
});

inCells(LINUX_CELLS, (cell) => {
  it("Python's multiprocessing.shared_memory sees exactly the bytes under the OS name, and ipckit opens Python's segment", async () => {
    const run = await runScenario(cell, "test/scenarios/shm_interop.ts");
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.results).toEqual({
      python_exit: 0,
      python_saw_exact_bytes: true,
      python_write_seen: 0x42,
      opened_python_segment: [5000, "hello"],
    });
  });
});
