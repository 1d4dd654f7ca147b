// What lib/win32/process.ts and lib/posix/process.ts both implement.
import type { AnonymousEnd } from "./_pipe_common.ts";

/** Where one of the child's standard streams goes. */
export type StdioTarget = "inherit" | "null" | AnonymousEnd;

/** A spawn request after the public layer resolved defaults and pipes. */
export interface SpawnSettings {
  /** The executable, resolved (a path). */
  readonly file: string;
  /** The full argv, argv[0] included. */
  readonly argv: readonly string[];
  readonly cwd: string | undefined;
  /** The child's whole environment. */
  readonly env: Readonly<Record<string, string>>;
  readonly stdio: readonly [StdioTarget, StdioTarget, StdioTarget];
  /** Extra pipe ends the child inherits; their child-side values go to IPCKIT_INHERITED. */
  readonly inherit: readonly AnonymousEnd[];
  /**
   * Sockets handed over the way systemd does (Linux: fds 3… with LISTEN_FDS,
   * LISTEN_PID, LISTEN_FDNAMES; Windows: inherited handles in IPCKIT_SOCKETS,
   * where a held pipe, type "pipe", is listed by name only).
   */
  readonly sockets: readonly {
    readonly name: string;
    readonly handle: bigint;
    readonly type: "stream" | "datagram" | "pipe";
  }[];
}

/** How a child ended. */
export interface ExitStatus {
  /** The exit code, or null when a signal ended it (Linux). */
  readonly code: number | null;
  /** The signal that ended it (Linux), or "SIGKILL" after `kill()` on Windows. */
  readonly signal?: string;
}

/** A started child, as the OS layer reports it. */
export interface NativeChild {
  readonly pid: number;
  readonly exited: Promise<ExitStatus>;
  /** Ends the child and all its descendants. */
  kill(signal: number): void;
}
