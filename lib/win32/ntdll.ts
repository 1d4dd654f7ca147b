/**
 * ntdll.dll, as data: the few native calls kernel32 has no documented
 * equivalent for. Native types in comments; no logic here.
 * NTSTATUS = u32 (0 = STATUS_SUCCESS).
 *
 * @module
 */
import { NativeLibrary } from "../ffi/mod.ts";

/** ntdll.dll symbols used by ipckit. */
export const ntdll = new NativeLibrary(
  { windows: "ntdll.dll" },
  {
    // NTSTATUS NtQuerySection(HANDLE section, SECTION_INFORMATION_CLASS cls, PVOID info, SIZE_T infoLength, PSIZE_T resultLength)
    // SectionBasicInformation (0) gives the section's exact maximum size.
    NtQuerySection: { args: ["pointer", "u32", "buffer", "usize", "pointer"], returns: "u32" },
  } as const,
);
