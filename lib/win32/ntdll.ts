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
    // NTSTATUS NtQuerySemaphore(HANDLE, SEMAPHORE_INFORMATION_CLASS cls, PVOID info, ULONG infoLength, PULONG resultLength)
    // SemaphoreBasicInformation (0): { LONG CurrentCount; LONG MaximumCount; }
    NtQuerySemaphore: { args: ["pointer", "u32", "buffer", "u32", "pointer"], returns: "u32" },
    // NTSTATUS NtQueryEvent(HANDLE, EVENT_INFORMATION_CLASS cls, PVOID info, ULONG infoLength, PULONG resultLength)
    // EventBasicInformation (0): { EVENT_TYPE EventType (0 = manual reset, 1 = auto reset); LONG EventState; }
    NtQueryEvent: { args: ["pointer", "u32", "buffer", "u32", "pointer"], returns: "u32" },
  } as const,
);
