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
export const kernel32 = new NativeLibrary(
  { windows: "kernel32.dll" },
  {
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
    GlobalDeleteAtom: { args: ["u16"], returns: "u16" }, // ATOM GlobalDeleteAtom(ATOM): 0 on success
    GlobalAddAtomW: { args: ["buffer"], returns: "u16" }, // ATOM GlobalAddAtomW(LPCWSTR)
    GlobalFindAtomW: { args: ["buffer"], returns: "u16" }, // ATOM GlobalFindAtomW(LPCWSTR)
    // UINT GlobalGetAtomNameW(ATOM, LPWSTR buf, int size): characters copied
    GlobalGetAtomNameW: { args: ["u16", "buffer", "i32"], returns: "u32" },
    // int WideCharToMultiByte(UINT codePage, DWORD flags, LPCWCH, int cch, LPSTR out, int cbOut, LPCCH, LPBOOL)
    WideCharToMultiByte: {
      args: ["u32", "u32", "buffer", "i32", "buffer", "i32", "pointer", "pointer"],
      returns: "i32",
    },
    // int MultiByteToWideChar(UINT codePage, DWORD flags, LPCCH, int cb, LPWSTR out, int cchOut)
    MultiByteToWideChar: { args: ["u32", "u32", "buffer", "i32", "buffer", "i32"], returns: "i32" },
    GetCurrentThreadId: { args: [], returns: "u32" },
    GetCurrentProcess: { args: [], returns: "pointer" },
    // BOOL GetProcessHandleCount(HANDLE process, PDWORD count)
    GetProcessHandleCount: { args: ["pointer", "buffer"], returns: "i32" },
    // BOOL K32GetProcessMemoryInfo(HANDLE process, PPROCESS_MEMORY_COUNTERS out, DWORD cb)
    K32GetProcessMemoryInfo: { args: ["pointer", "buffer", "u32"], returns: "i32" },
    // HANDLE OpenProcess(DWORD access, BOOL inherit, DWORD pid)
    OpenProcess: { args: ["u32", "i32", "u32"], returns: "pointer" },
    // BOOL DuplicateHandle(HANDLE srcProc, HANDLE src, HANDLE dstProc, LPHANDLE dst, DWORD access, BOOL inherit, DWORD options)
    DuplicateHandle: {
      args: ["pointer", "pointer", "pointer", "buffer", "u32", "i32", "u32"],
      returns: "i32",
    },
    SetHandleInformation: { args: ["pointer", "u32", "u32"], returns: "i32" }, // (HANDLE, mask, flags)
    GetHandleInformation: { args: ["pointer", "buffer"], returns: "i32" }, // (HANDLE, LPDWORD flags)
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
    CreateFileMappingW: {
      args: ["pointer", "pointer", "u32", "u32", "u32", "buffer"],
      returns: "pointer",
    },
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
    // HANDLE CreateFileW(LPCWSTR, DWORD access, DWORD share, LPSECURITY_ATTRIBUTES, DWORD disposition, DWORD flags, HANDLE template)
    CreateFileW: {
      args: ["buffer", "u32", "u32", "pointer", "u32", "u32", "pointer"],
      returns: "pointer",
    },
    // BOOL ReadFile(HANDLE, LPVOID buffer, DWORD toRead, LPDWORD read, LPOVERLAPPED)
    ReadFile: { args: ["pointer", "pointer", "u32", "pointer", "pointer"], returns: "i32" },
    // BOOL WriteFile(HANDLE, LPCVOID buffer, DWORD toWrite, LPDWORD written, LPOVERLAPPED)
    WriteFile: { args: ["pointer", "pointer", "u32", "pointer", "pointer"], returns: "i32" },
    // Blocking twins, for synchronous (non-overlapped) handles such as a child's inherited pipe end.
    ReadFileAsync: {
      symbol: "ReadFile",
      args: ["pointer", "pointer", "u32", "pointer", "pointer"],
      returns: "i32",
      blocking: true,
    },
    WriteFileAsync: {
      symbol: "WriteFile",
      args: ["pointer", "pointer", "u32", "pointer", "pointer"],
      returns: "i32",
      blocking: true,
    },
    // BOOL FlushFileBuffers(HANDLE): on a pipe, waits until the other end has read everything
    FlushFileBuffersAsync: {
      symbol: "FlushFileBuffers",
      args: ["pointer"],
      returns: "i32",
      blocking: true,
    },
    CancelIoEx: { args: ["pointer", "pointer"], returns: "i32" }, // BOOL CancelIoEx(HANDLE, LPOVERLAPPED)
    // HANDLE CreateNamedPipeW(LPCWSTR, DWORD openMode, DWORD pipeMode, DWORD maxInstances, DWORD outSize,
    //                         DWORD inSize, DWORD defaultTimeout, LPSECURITY_ATTRIBUTES)
    CreateNamedPipeW: {
      args: ["buffer", "u32", "u32", "u32", "u32", "u32", "u32", "pointer"],
      returns: "pointer",
    },
    ConnectNamedPipe: { args: ["pointer", "pointer"], returns: "i32" }, // BOOL ConnectNamedPipe(HANDLE, LPOVERLAPPED)
    DisconnectNamedPipe: { args: ["pointer"], returns: "i32" },
    // BOOL WaitNamedPipeW(LPCWSTR, DWORD timeout)
    WaitNamedPipeWAsync: {
      symbol: "WaitNamedPipeW",
      args: ["pointer", "u32"],
      returns: "i32",
      blocking: true,
    },
    // BOOL SetNamedPipeHandleState(HANDLE, LPDWORD mode, LPDWORD maxCollection, LPDWORD timeout)
    SetNamedPipeHandleState: { args: ["pointer", "buffer", "pointer", "pointer"], returns: "i32" },
    // BOOL GetNamedPipeInfo(HANDLE, LPDWORD flags, LPDWORD outSize, LPDWORD inSize, LPDWORD maxInstances)
    GetNamedPipeInfo: { args: ["pointer", "buffer", "buffer", "buffer", "buffer"], returns: "i32" },
    // BOOL GetNamedPipeHandleStateW(HANDLE, LPDWORD state, LPDWORD curInstances, LPDWORD maxCollection,
    //                               LPDWORD collectTimeout, LPWSTR userName, DWORD userNameSize)
    GetNamedPipeHandleStateW: {
      args: ["pointer", "buffer", "buffer", "buffer", "buffer", "buffer", "u32"],
      returns: "i32",
    },
    GetNamedPipeClientProcessId: { args: ["pointer", "buffer"], returns: "i32" }, // (HANDLE, PULONG)
    GetNamedPipeServerProcessId: { args: ["pointer", "buffer"], returns: "i32" },
    // HANDLE CreateIoCompletionPort(HANDLE file, HANDLE existingPort, ULONG_PTR key, DWORD threads)
    CreateIoCompletionPort: { args: ["pointer", "pointer", "usize", "u32"], returns: "pointer" },
    // BOOL GetQueuedCompletionStatusEx(HANDLE port, LPOVERLAPPED_ENTRY, ULONG count, PULONG removed, DWORD ms, BOOL alertable)
    GetQueuedCompletionStatusExAsync: {
      symbol: "GetQueuedCompletionStatusEx",
      args: ["pointer", "pointer", "u32", "pointer", "u32", "i32"],
      returns: "i32",
      blocking: true,
    },
    // HANDLE CreateMailslotW(LPCWSTR, DWORD maxMessageSize, DWORD readTimeout, LPSECURITY_ATTRIBUTES)
    CreateMailslotW: { args: ["buffer", "u32", "u32", "pointer"], returns: "pointer" },
    // BOOL GetMailslotInfo(HANDLE, LPDWORD maxMessageSize, LPDWORD nextSize, LPDWORD count, LPDWORD readTimeout)
    GetMailslotInfo: { args: ["pointer", "buffer", "buffer", "buffer", "buffer"], returns: "i32" },
    SetMailslotInfo: { args: ["pointer", "u32"], returns: "i32" }, // BOOL SetMailslotInfo(HANDLE, DWORD readTimeout)
    GetStdHandle: { args: ["u32"], returns: "pointer" }, // HANDLE GetStdHandle(DWORD)
    // BOOL CreateProcessW(LPCWSTR app, LPWSTR cmdLine, LPSECURITY_ATTRIBUTES, LPSECURITY_ATTRIBUTES, BOOL inherit,
    //                     DWORD flags, LPVOID env, LPCWSTR cwd, LPSTARTUPINFOW, LPPROCESS_INFORMATION)
    CreateProcessW: {
      args: [
        "buffer",
        "buffer",
        "pointer",
        "pointer",
        "i32",
        "u32",
        "buffer",
        "buffer",
        "buffer",
        "buffer",
      ],
      returns: "i32",
    },
    // BOOL InitializeProcThreadAttributeList(LPPROC_THREAD_ATTRIBUTE_LIST, DWORD count, DWORD flags, PSIZE_T size)
    InitializeProcThreadAttributeList: {
      args: ["pointer", "u32", "u32", "buffer"],
      returns: "i32",
    },
    // BOOL UpdateProcThreadAttribute(list, DWORD flags, DWORD_PTR attribute, PVOID value, SIZE_T size, PVOID prev, PSIZE_T ret)
    UpdateProcThreadAttribute: {
      args: ["pointer", "u32", "usize", "pointer", "usize", "pointer", "pointer"],
      returns: "i32",
    },
    DeleteProcThreadAttributeList: { args: ["pointer"], returns: "void" },
    CreateJobObjectW: { args: ["pointer", "buffer"], returns: "pointer" }, // (LPSECURITY_ATTRIBUTES, LPCWSTR name)
    // BOOL SetInformationJobObject(HANDLE job, JOBOBJECTINFOCLASS, LPVOID info, DWORD length)
    SetInformationJobObject: { args: ["pointer", "u32", "buffer", "u32"], returns: "i32" },
    AssignProcessToJobObject: { args: ["pointer", "pointer"], returns: "i32" }, // (HANDLE job, HANDLE process)
    TerminateJobObject: { args: ["pointer", "u32"], returns: "i32" }, // (HANDLE job, UINT exitCode)
    ResumeThread: { args: ["pointer"], returns: "u32" }, // DWORD ResumeThread(HANDLE)
    TerminateProcess: { args: ["pointer", "u32"], returns: "i32" },
    GetExitCodeProcess: { args: ["pointer", "buffer"], returns: "i32" }, // (HANDLE, LPDWORD)
    // BOOL SetFileCompletionNotificationModes(HANDLE, UCHAR flags)
    SetFileCompletionNotificationModes: { args: ["pointer", "u8"], returns: "i32" },
    // The synchronous twin of GetQueuedCompletionStatusExAsync, for zero-timeout polls.
    GetQueuedCompletionStatusEx: {
      args: ["pointer", "pointer", "u32", "pointer", "u32", "i32"],
      returns: "i32",
    },
    SwitchToThread: { args: [], returns: "i32" }, // BOOL SwitchToThread(void)
    // --- end files, overlapped I/O, pipes, mailslots, processes ----------------

    // --- global memory (clipboard data) -------------------------------------------
    GlobalAlloc: { args: ["u32", "usize"], returns: "pointer" }, // HGLOBAL GlobalAlloc(UINT flags, SIZE_T)
    GlobalLock: { args: ["pointer"], returns: "pointer" }, // LPVOID GlobalLock(HGLOBAL)
    GlobalUnlock: { args: ["pointer"], returns: "i32" }, // BOOL GlobalUnlock(HGLOBAL)
    GlobalSize: { args: ["pointer"], returns: "usize" }, // SIZE_T GlobalSize(HGLOBAL)
    GlobalFree: { args: ["pointer"], returns: "pointer" }, // HGLOBAL GlobalFree(HGLOBAL): NULL on success
    // --- end global memory ----------------------------------------------------------
  } as const,
);
