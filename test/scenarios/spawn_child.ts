// The child of the spawn scenarios: `spawn_child.ts <role> [args]`.
import process from "node:process";
import { platform, scriptCommand } from "../../lib/ffi/mod.ts";
import { PipeReader, PipeWriter, spawn } from "../../mod.ts";

const [role, ...args] = process.argv.slice(2) as [string, ...string[]];

async function readAll(reader: PipeReader): Promise<string> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of reader) chunks.push(chunk);
  return new TextDecoder().decode(Buffer.concat(chunks));
}

switch (role) {
  case "echo": {
    // Upper-cases stdin to stdout, through the runtime's own stdio.
    let text = "";
    for await (const chunk of process.stdin) text += chunk.toString();
    process.stdout.write(`echo:${text.toUpperCase()}`);
    break;
  }
  case "report": {
    // Prints what it was given: argv, cwd, an env variable; exits with the code asked for.
    process.stdout.write(
      JSON.stringify({
        argv: args.slice(1),
        cwd: process.cwd(),
        env: process.env.IPCKIT_TEST_VAR ?? null,
        // Every IPCKIT_CASE_* / IPCKIT_GONE variable, by its spelling here (sorted).
        envCase: Object.entries(process.env)
          .filter(([k]) => /^ipckit_(case|gone)/i.test(k))
          .map(([k, v]) => `${k}=${v}`)
          .sort(),
      }),
    );
    process.exitCode = Number(args[0]);
    break;
  }
  case "inherited": {
    // Writes to the listed end; tries the unlisted handle/fd value it was told about.
    const [unlisted] = args as [string];
    const listed = PipeWriter.fromInherited(0);
    await listed.write("listed works");
    await listed.close();
    let unlistedResult: string;
    if (platform === "windows") {
      const { kernel32 } = await import("../../lib/win32/kernel32.ts");
      const { NativeMemory } = await import("../../lib/ffi/mod.ts");
      using memory = NativeMemory.alloc(16);
      const ok = kernel32.symbols.WriteFile(
        BigInt(unlisted),
        memory.address + 8n,
        1,
        memory.address,
        0n,
      );
      unlistedResult = ok ? "wrote" : `failed:${kernel32.symbols.GetLastError()}`;
    } else {
      const { libc } = await import("../../lib/posix/libc.ts");
      const { currentErrno } = await import("../../lib/posix/error.ts");
      const n = Number(libc.symbols.write(Number(unlisted), new Uint8Array(1), 1n));
      unlistedResult = n === 1 ? "wrote" : `failed:${currentErrno()}`;
    }
    process.stdout.write(unlistedResult);
    break;
  }
  case "tree": {
    // Starts a grandchild that holds the inherited write end and sleeps; prints its pid.
    const end = PipeWriter.fromInherited(0);
    const grandchild = spawn(scriptCommand(process.argv[1]!, ["sleep", "60000"]), {
      inherit: [end],
      stdout: "null",
    });
    process.stdout.write(String(grandchild.pid));
    await grandchild.exited;
    break;
  }
  case "sleep": {
    await new Promise((resolve) => setTimeout(resolve, Number(args[0])));
    break;
  }
  case "read-inherited": {
    process.stdout.write(await readAll(PipeReader.fromInherited(0)));
    break;
  }
  default:
    throw new Error(`unknown role ${role}`);
}
