/**
 * kernel32.dll, as data. Native types in comments; no logic here.
 * HANDLE/LPVOID = pointer, DWORD = u32, BOOL = i32, SIZE_T = usize,
 * LPCWSTR = buffer (NUL-terminated UTF-16LE from encodeWide).
 * `*Async` entries are blocking twins of a sync call (same export, run off
 * the JavaScript thread); they take native addresses, never buffers.
 *
 * @module
 */
import { NativeLibrary } from "../ffi/mod.ts";

/** kernel32.dll symbols used by ipckit. */
export const kernel32 = new NativeLibrary({ windows: "kernel32.dll" }, {
  // --- errors, handles, process -------------------------------------------
  GetLastError: { args: [], returns: "u32" }, // DWORD GetLastError(void)
  SetLastError: { args: ["u32"], returns: "void" },
  // DWORD FormatMessageW(DWORD flags, LPCVOID source, DWORD id, DWORD lang, LPWSTR buf, DWORD size, va_list*)
  FormatMessageW: {
    args: ["u32", "pointer", "u32", "u32", "buffer", "u32", "pointer"],
    returns: "u32",
  },
  CloseHandle: { args: ["pointer"], returns: "i32" }, // BOOL CloseHandle(HANDLE)
  GetCurrentProcessId: { args: [], returns: "u32" },
  GetCurrentThreadId: { args: [], returns: "u32" },
  GetCurrentProcess: { args: [], returns: "pointer" },
  // BOOL DuplicateHandle(HANDLE srcProc, HANDLE src, HANDLE dstProc, LPHANDLE dst, DWORD access, BOOL inherit, DWORD options)
  DuplicateHandle: {
    args: ["pointer", "pointer", "pointer", "buffer", "u32", "i32", "u32"],
    returns: "i32",
  },
  GetHandleInformation: { args: ["pointer", "buffer"], returns: "i32" }, // (HANDLE, LPDWORD flags)
  SetHandleInformation: { args: ["pointer", "u32", "u32"], returns: "i32" }, // (HANDLE, mask, flags)
  GetSystemInfo: { args: ["buffer"], returns: "void" }, // void GetSystemInfo(LPSYSTEM_INFO)
  LocalFree: { args: ["pointer"], returns: "pointer" }, // HLOCAL LocalFree(HLOCAL)

  // --- events, mutexes, semaphores, waits ------------------------------------
  // HANDLE CreateEventW(LPSECURITY_ATTRIBUTES, BOOL manualReset, BOOL initialState, LPCWSTR name)
  CreateEventW: { args: ["pointer", "i32", "i32", "buffer"], returns: "pointer" },
  OpenEventW: { args: ["u32", "i32", "buffer"], returns: "pointer" }, // (access, inherit, name)
  SetEvent: { args: ["pointer"], returns: "i32" },
  ResetEvent: { args: ["pointer"], returns: "i32" },
  // HANDLE CreateMutexW(LPSECURITY_ATTRIBUTES, BOOL initialOwner, LPCWSTR name)
  CreateMutexW: { args: ["pointer", "i32", "buffer"], returns: "pointer" },
  OpenMutexW: { args: ["u32", "i32", "buffer"], returns: "pointer" },
  ReleaseMutex: { args: ["pointer"], returns: "i32" },
  // HANDLE CreateSemaphoreW(LPSECURITY_ATTRIBUTES, LONG initial, LONG max, LPCWSTR name)
  CreateSemaphoreW: { args: ["pointer", "i32", "i32", "buffer"], returns: "pointer" },
  OpenSemaphoreW: { args: ["u32", "i32", "buffer"], returns: "pointer" },
  // BOOL ReleaseSemaphore(HANDLE, LONG releaseCount, LPLONG previousCount)
  ReleaseSemaphore: { args: ["pointer", "i32", "buffer"], returns: "i32" },
  // DWORD WaitForSingleObject(HANDLE, DWORD milliseconds)
  WaitForSingleObject: { args: ["pointer", "u32"], returns: "u32" },
  WaitForSingleObjectAsync: {
    symbol: "WaitForSingleObject",
    args: ["pointer", "u32"],
    returns: "u32",
    blocking: true,
  },
  // DWORD WaitForMultipleObjects(DWORD count, const HANDLE* handles, BOOL waitAll, DWORD milliseconds)
  WaitForMultipleObjects: { args: ["u32", "buffer", "i32", "u32"], returns: "u32" },
  WaitForMultipleObjectsAsync: {
    symbol: "WaitForMultipleObjects",
    args: ["u32", "pointer", "i32", "u32"],
    returns: "u32",
    blocking: true,
  },
  // BOOL RegisterWaitForSingleObject(PHANDLE newWait, HANDLE, WAITORTIMERCALLBACK, PVOID ctx, ULONG ms, ULONG flags)
  RegisterWaitForSingleObject: {
    args: ["buffer", "pointer", "callback", "pointer", "u32", "u32"],
    returns: "i32",
  },
  UnregisterWaitEx: { args: ["pointer", "pointer"], returns: "i32" }, // (HANDLE wait, HANDLE completionEvent)
  // DWORD WaitForMultipleObjectsEx(DWORD count, const HANDLE*, BOOL waitAll, DWORD ms, BOOL alertable)
  WaitForMultipleObjectsEx: { args: ["u32", "pointer", "i32", "u32", "i32"], returns: "u32" },
  // DWORD QueueUserAPC(PAPCFUNC fn, HANDLE thread, ULONG_PTR data): ends an alertable wait on that thread
  QueueUserAPC: { args: ["pointer", "pointer", "usize"], returns: "u32" },
  SleepEx: { args: ["u32", "i32"], returns: "u32" }, // DWORD SleepEx(DWORD ms, BOOL alertable)
  OpenThread: { args: ["u32", "i32", "u32"], returns: "pointer" }, // HANDLE OpenThread(access, inherit, tid)
  GetModuleHandleW: { args: ["buffer"], returns: "pointer" }, // HMODULE GetModuleHandleW(LPCWSTR)
  GetProcAddress: { args: ["pointer", "buffer"], returns: "pointer" }, // FARPROC GetProcAddress(HMODULE, LPCSTR)

  // --- file mapping (shared memory) ------------------------------------------
  // HANDLE CreateFileMappingW(HANDLE file, LPSECURITY_ATTRIBUTES, DWORD protect, DWORD maxHigh, DWORD maxLow, LPCWSTR name)
  CreateFileMappingW: { args: ["pointer", "pointer", "u32", "u32", "u32", "buffer"], returns: "pointer" },
  OpenFileMappingW: { args: ["u32", "i32", "buffer"], returns: "pointer" }, // (access, inherit, name)
  // LPVOID MapViewOfFile(HANDLE mapping, DWORD access, DWORD offHigh, DWORD offLow, SIZE_T bytes)
  MapViewOfFile: { args: ["pointer", "u32", "u32", "u32", "usize"], returns: "pointer" },
  UnmapViewOfFile: { args: ["pointer"], returns: "i32" }, // BOOL UnmapViewOfFile(LPCVOID)
  FlushViewOfFile: { args: ["pointer", "usize"], returns: "i32" }, // BOOL FlushViewOfFile(LPCVOID, SIZE_T)
  // The file calls mapFile needs, under keys of their own so the files section can declare the same
  // exports for its mechanisms without a clash:
  // HANDLE CreateFileW(LPCWSTR, DWORD access, DWORD share, LPSECURITY_ATTRIBUTES, DWORD disposition, DWORD flags, HANDLE template)
  CreateFileForMappingW: {
    symbol: "CreateFileW",
    args: ["buffer", "u32", "u32", "pointer", "u32", "u32", "pointer"],
    returns: "pointer",
  },
  // BOOL GetFileSizeEx(HANDLE, PLARGE_INTEGER)
  GetFileSizeForMapping: { symbol: "GetFileSizeEx", args: ["pointer", "buffer"], returns: "i32" },
  FlushFileForMapping: { symbol: "FlushFileBuffers", args: ["pointer"], returns: "i32" }, // BOOL FlushFileBuffers(HANDLE)
  // --- end file mapping ------------------------------------------------------

  // --- files, overlapped I/O, pipes, mailslots, processes --------------------
  // --- end files, overlapped I/O, pipes, mailslots, processes ----------------
} as const);
