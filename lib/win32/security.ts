/**
 * Security descriptors for ipckit's Windows objects: the current user's SID,
 * SDDL → SECURITY_ATTRIBUTES, and reading back an object's DACL as SDDL.
 *
 * @module
 */
import { encodeWide, NativeMemory, readWideString, struct } from "../ffi/mod.ts";
import type { PipeSecurity } from "../_pipe_common.ts";
import { advapi32 } from "./advapi32.ts";
import { lastWin32Error, Win32Error } from "./error.ts";
import { kernel32 } from "./kernel32.ts";

const SECURITY_ATTRIBUTES = struct({
  nLength: "u32",
  lpSecurityDescriptor: "pointer",
  bInheritHandle: "i32",
});
const SDDL_REVISION_1 = 1;
const TOKEN_QUERY = 0x8;
const TOKEN_USER_CLASS = 1;
const SE_KERNEL_OBJECT = 6;
const DACL_SECURITY_INFORMATION = 4;

/**
 * Rights for clients admitted by `"everyone"`: read, write data and pipe
 * attributes, but not FILE_CREATE_PIPE_INSTANCE (which GENERIC_WRITE would
 * include), so nobody else can add instances to the pipe.
 */
const CLIENT_RIGHTS = "0x12018b";

let userSid: string | undefined;

/**
 * The current process token's user SID, as a string (`S-1-5-21-…`).
 *
 * @returns The SID.
 * @example
 * ```ts
 * import { currentUserSid } from "./security.ts";
 * console.log(currentUserSid());
 * ```
 */
export function currentUserSid(): string {
  if (userSid) return userSid;
  const a = advapi32.symbols;
  const token = new BigUint64Array(1);
  if (!a.OpenProcessToken(kernel32.symbols.GetCurrentProcess(), TOKEN_QUERY, token)) {
    throw lastWin32Error("OpenProcessToken");
  }
  try {
    // TOKEN_USER points into itself (its SID follows it), so it must not move: native memory.
    using info = NativeMemory.alloc(256);
    const length = new Uint32Array(1);
    if (!a.GetTokenInformation(token[0]!, TOKEN_USER_CLASS, info.bytes, 256, length)) {
      throw lastWin32Error("GetTokenInformation");
    }
    const out = new BigUint64Array(1);
    if (!a.ConvertSidToStringSidW(info.view.getBigUint64(0, true), out)) {
      throw lastWin32Error("ConvertSidToStringSidW");
    }
    userSid = readWideString(out[0]!);
    kernel32.symbols.LocalFree(out[0]!);
    return userSid;
  } finally {
    kernel32.symbols.CloseHandle(token[0]!);
  }
}

/**
 * The SDDL text a security choice stands for.
 *
 * @param security "user", "everyone" or `{ sddl }`.
 * @returns The SDDL.
 * @example
 * ```ts
 * import { sddlFor } from "./security.ts";
 * sddlFor("user"); // "D:P(A;;GA;;;S-1-5-21-…)"
 * ```
 */
export function sddlFor(security: PipeSecurity): string {
  if (typeof security === "object") return security.sddl;
  const owner = `(A;;GA;;;${currentUserSid()})`;
  return security === "user" ? `D:P${owner}` : `D:P${owner}(A;;${CLIENT_RIGHTS};;;WD)`;
}

/** SECURITY_ATTRIBUTES with a security descriptor, in native memory; `free()` releases both. */
export class SecurityAttributes {
  readonly #memory: NativeMemory;
  #descriptor: bigint;

  private constructor(memory: NativeMemory, descriptor: bigint, readonly sddl: string) {
    this.#memory = memory;
    this.#descriptor = descriptor;
  }

  /**
   * Builds SECURITY_ATTRIBUTES from SDDL.
   *
   * @param sddl The security descriptor text.
   * @param what The object, for the error message.
   * @returns The attributes; pass `.address` to a Create* call.
   */
  static fromSddl(sddl: string, what: string): SecurityAttributes {
    const out = new BigUint64Array(1);
    if (
      !advapi32.symbols.ConvertStringSecurityDescriptorToSecurityDescriptorW(
        encodeWide(sddl),
        SDDL_REVISION_1,
        out,
        0n,
      )
    ) {
      const cause = lastWin32Error("ConvertStringSecurityDescriptorToSecurityDescriptorW");
      throw new SyntaxError(`Cannot use SDDL '${sddl}' for ${what}: ${cause.message}`, { cause });
    }
    const memory = NativeMemory.alloc(SECURITY_ATTRIBUTES.size);
    SECURITY_ATTRIBUTES.set(memory.view, "nLength", SECURITY_ATTRIBUTES.size);
    SECURITY_ATTRIBUTES.set(memory.view, "lpSecurityDescriptor", out[0]!);
    return new SecurityAttributes(memory, out[0]!, sddl);
  }

  /** The SECURITY_ATTRIBUTES address. */
  get address(): bigint {
    return this.#memory.address;
  }

  /** Frees the descriptor and the structure (idempotent). */
  free(): void {
    if (this.#descriptor === 0n) return;
    kernel32.symbols.LocalFree(this.#descriptor);
    this.#descriptor = 0n;
    this.#memory.free();
  }
}

/**
 * The DACL of a kernel object, as the OS reports it, in SDDL.
 *
 * @param handle The object.
 * @returns E.g. `"D:P(A;;FA;;;S-1-5-21-…)"`.
 * @example
 * ```ts
 * import { daclOf } from "./security.ts";
 * // daclOf(pipeHandle);
 * ```
 */
export function daclOf(handle: bigint): string {
  const descriptor = new BigUint64Array(1);
  const code = advapi32.symbols.GetSecurityInfo(
    handle,
    SE_KERNEL_OBJECT,
    DACL_SECURITY_INFORMATION,
    0n,
    0n,
    0n,
    0n,
    descriptor,
  );
  if (code !== 0) throw new Win32Error(code, "GetSecurityInfo");
  try {
    const text = new BigUint64Array(1);
    if (
      !advapi32.symbols.ConvertSecurityDescriptorToStringSecurityDescriptorW(
        descriptor[0]!,
        SDDL_REVISION_1,
        DACL_SECURITY_INFORMATION,
        text,
        0n,
      )
    ) {
      throw lastWin32Error("ConvertSecurityDescriptorToStringSecurityDescriptorW");
    }
    const sddl = readWideString(text[0]!);
    kernel32.symbols.LocalFree(text[0]!);
    return sddl;
  } finally {
    kernel32.symbols.LocalFree(descriptor[0]!);
  }
}
