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
    // NTSTATUS NtQuerySystemInformation(SYSTEM_INFORMATION_CLASS cls, PVOID info, ULONG infoLength, PULONG resultLength)
    // SystemHandleInformation (16): { ULONG count; entries of 24 bytes from 8: USHORT pid at 0, … }
    NtQuerySystemInformation: { args: ["u32", "buffer", "u32", "buffer"], returns: "u32" },
    // NTSTATUS NtQuerySemaphore(HANDLE, SEMAPHORE_INFORMATION_CLASS cls, PVOID info, ULONG infoLength, PULONG resultLength)
    // SemaphoreBasicInformation (0): { LONG CurrentCount; LONG MaximumCount; }
    NtQuerySemaphore: { args: ["pointer", "u32", "buffer", "u32", "pointer"], returns: "u32" },
    // NTSTATUS NtQueryEvent(HANDLE, EVENT_INFORMATION_CLASS cls, PVOID info, ULONG infoLength, PULONG resultLength)
    // EventBasicInformation (0): { EVENT_TYPE EventType (0 = manual reset, 1 = auto reset); LONG EventState; }
    NtQueryEvent: { args: ["pointer", "u32", "buffer", "u32", "pointer"], returns: "u32" },
    // Overlapped I/O that returns its NTSTATUS as data (kernel32's ReadFile/WriteFile/ConnectNamedPipe
    // leave it in the last error, which the JavaScript engine may overwrite before it is read).
    // NTSTATUS NtReadFile(HANDLE, HANDLE event, PIO_APC_ROUTINE, PVOID apcContext, PIO_STATUS_BLOCK,
    //                     PVOID buffer, ULONG length, PLARGE_INTEGER byteOffset, PULONG key)
    NtReadFile: {
      args: [
        "pointer",
        "pointer",
        "pointer",
        "pointer",
        "pointer",
        "pointer",
        "u32",
        "pointer",
        "pointer",
      ],
      returns: "u32",
    },
    // NTSTATUS NtWriteFile(HANDLE, HANDLE event, PIO_APC_ROUTINE, PVOID apcContext, PIO_STATUS_BLOCK,
    //                      const void* buffer, ULONG length, PLARGE_INTEGER byteOffset, PULONG key)
    NtWriteFile: {
      args: [
        "pointer",
        "pointer",
        "pointer",
        "pointer",
        "pointer",
        "pointer",
        "u32",
        "pointer",
        "pointer",
      ],
      returns: "u32",
    },
    // NTSTATUS NtFsControlFile(HANDLE, HANDLE event, PIO_APC_ROUTINE, PVOID apcContext, PIO_STATUS_BLOCK,
    //                          ULONG code, PVOID in, ULONG inLength, PVOID out, ULONG outLength)
    NtFsControlFile: {
      args: [
        "pointer",
        "pointer",
        "pointer",
        "pointer",
        "pointer",
        "u32",
        "pointer",
        "u32",
        "pointer",
        "u32",
      ],
      returns: "u32",
    },
    // NTSTATUS NtSetInformationFile(HANDLE, PIO_STATUS_BLOCK, PVOID info, ULONG length, FILE_INFORMATION_CLASS cls)
    NtSetInformationFile: { args: ["pointer", "buffer", "buffer", "u32", "u32"], returns: "u32" },
    // ULONG RtlNtStatusToDosError(NTSTATUS): the Win32 error kernel32 would report for a status
    RtlNtStatusToDosError: { args: ["u32"], returns: "u32" },
  } as const,
);
