// spawn() and anonymous pipes: stdin/stdout redirection both ways, a
// createPipe() end as stdin, exit codes, argv quoting, cwd and env, only the
// listed handles inherited, and kill() ending the child's descendants.
import { tmpdir } from "node:os";
import process from "node:process";
import { platform, scriptCommand } from "../../lib/ffi/mod.ts";
import { createPipe, spawn } from "../../mod.ts";
import { fileURLToPath } from "node:url";

const report = (key: string, value: unknown) => console.log(`${key}=${JSON.stringify(value)}`);
const childScript = fileURLToPath(new URL("./spawn_child.ts", import.meta.url));
const child = (role: string, ...args: string[]) => scriptCommand(childScript, [role, ...args]);
const text = async (stream: AsyncIterable<Uint8Array>) => {
  let out = "";
  const decoder = new TextDecoder();
  for await (const chunk of stream) out += decoder.decode(chunk, { stream: true });
  return out;
};

{
  // Duplex through two pipes: write the child's stdin, read its stdout.
  const proc = spawn(child("echo"), { stdin: "pipe", stdout: "pipe", stderr: "inherit" });
  await proc.stdin!.write("hello, ");
  await proc.stdin!.write("child");
  await proc.stdin!.close();
  report("duplex_output", await text(proc.stdout!));
  report("duplex_exit", await proc.exited);
}

{
  // The shape: a createPipe() reader as stdin, the writer kept here.
  const { reader, writer } = createPipe();
  const proc = spawn(child("echo"), { stdin: reader, stdout: "pipe" });
  const big = "x".repeat(300_000);
  await writer.write(big);
  await writer.close();
  const output = await text(proc.stdout!);
  report("create_pipe_output_length", output.length);
  report("create_pipe_output_ok", output === `echo:${big.toUpperCase()}`);
  await proc.exited;
}

{
  // argv quoting, cwd, env, exit code.
  const tricky = [
    "plain",
    "with space",
    'quote"inside',
    "trailing\\",
    'back\\\\slash "q"',
    "",
    "tëst-✓-𝄞",
  ];
  const cwd = tmpdir();
  // Settings replace inherited variables: on Windows any spelling of the name, on Linux
  // only the same spelling; undefined removes one.
  process.env.IPCKIT_CASE_VAR = "inherited";
  process.env.IPCKIT_GONE = "inherited";
  const proc = spawn(child("report", "7", ...tricky), {
    stdout: "pipe",
    stdin: "null",
    cwd,
    env: { IPCKIT_TEST_VAR: "value=with=equals", Ipckit_Case_Var: "set", IPCKIT_GONE: undefined },
  });
  const reported = JSON.parse(await text(proc.stdout!));
  report("argv_roundtrip", JSON.stringify(reported.argv) === JSON.stringify(tricky));
  report(
    "cwd_applied",
    reported.cwd.replace(/[\\/]+$/, "").toLowerCase() === cwd.replace(/[\\/]+$/, "").toLowerCase(),
  );
  report("env_applied", reported.env);
  report("env_case", reported.envCase);
  report("exit_code", await proc.exited);
}

{
  // Only listed handles reach the child: the unlisted end is made inheritable here (as
  // any other code of this process might do) and still must not arrive.
  const listed = createPipe();
  const unlisted = createPipe();
  const unlistedValue = unlisted.writer.rawHandle();
  if (platform === "windows") {
    const { kernel32 } = await import("../../lib/win32/kernel32.ts");
    kernel32.symbols.SetHandleInformation(unlistedValue, 1, 1); // HANDLE_FLAG_INHERIT
  } else {
    const { libc } = await import("../../lib/posix/libc.ts");
    libc.symbols.fcntl(Number(unlistedValue), 2, /* F_SETFD */ 0n); // clear FD_CLOEXEC
  }
  const proc = spawn(child("inherited", String(unlistedValue)), {
    stdout: "pipe",
    inherit: [listed.writer],
  });
  report("listed_end", await text(listed.reader));
  report("unlisted_end", await text(proc.stdout!));
  await proc.exited;
  await listed.reader.close();
  await unlisted.reader.close();
  await unlisted.writer.close();
}

{
  // kill() ends the whole tree: the grandchild holds the only write end of a pipe, so its
  // death shows here as the end of the stream.
  const { reader, writer } = createPipe();
  const proc = spawn(child("tree"), { stdout: "pipe", inherit: [writer] });
  const grandchildPid = Number(new TextDecoder().decode((await proc.stdout!.read())!));
  report("grandchild_started", grandchildPid > 0);
  const ended = text(reader).then(() => "ended");
  proc.kill();
  const status = await proc.exited;
  report("killed_status_has_signal", status.signal === "SIGKILL");
  const outcome = await Promise.race([
    ended,
    new Promise((r) => setTimeout(() => r("grandchild still alive"), 15_000)),
  ]);
  report("descendants_ended", outcome);
}

{
  // `await using` kills a child still running, reaps it and closes its pipes; disposing twice is one disposal.
  let disposed: import("../../mod.ts").ChildProcess;
  {
    await using proc = spawn(child("sleep", "60000"), { stdout: "pipe" });
    disposed = proc;
  }
  const status = await disposed.exited;
  report(
    "disposed_killed",
    status.code === null || status.signal === "SIGKILL" || status.code !== 0,
  );
  report(
    "disposed_stdout_closed",
    await disposed.stdout!.read().then(() => "read", (e) => (e as Error).name),
  );
  await disposed[Symbol.asyncDispose]();
  // A child that exited on its own is only reaped: disposal does not fail.
  {
    await using proc = spawn(child("sleep", "0"));
    await proc.exited;
  }
  report("disposed_after_exit", "ok");

  // A missing program is a typed error.
  try {
    spawn(["ipckit-no-such-program"]);
  } catch (error) {
    report("missing_program", (error as Error).name);
  }
}
report("done", true);
process.exit(0);
