/**
 * user32.dll, as data. Native types in comments; no logic here.
 * HWND/HINSTANCE/LPVOID = pointer, UINT/DWORD = u32, BOOL = i32,
 * WPARAM = usize, LPARAM/LRESULT = isize, LPCWSTR = buffer (from encodeWide).
 * `callsBack` marks calls during which the thread's window procedures run
 * (sent messages are delivered inside them).
 *
 * @module
 */
import { NativeLibrary } from "../ffi/mod.ts";

/** user32.dll symbols used by ipckit. */
export const user32 = new NativeLibrary(
  { windows: "user32.dll" },
  {
    // --- window classes and message-only windows --------------------------------
    RegisterClassExW: { args: ["pointer"], returns: "u16" }, // ATOM RegisterClassExW(const WNDCLASSEXW*)
    // BOOL UnregisterClassW(LPCWSTR className, HINSTANCE)
    UnregisterClassW: { args: ["buffer", "pointer"], returns: "i32" },
    // BOOL GetClassInfoExW(HINSTANCE, LPCWSTR className, LPWNDCLASSEXW out)
    GetClassInfoExW: { args: ["pointer", "buffer", "buffer"], returns: "i32" },
    // HWND CreateWindowExW(DWORD exStyle, LPCWSTR class, LPCWSTR title, DWORD style, int x, int y, int w, int h,
    //                      HWND parent, HMENU, HINSTANCE, LPVOID param)
    CreateWindowExW: {
      args: [
        "u32",
        "buffer",
        "buffer",
        "u32",
        "i32",
        "i32",
        "i32",
        "i32",
        "pointer",
        "pointer",
        "pointer",
        "pointer",
      ],
      returns: "pointer",
      callsBack: true,
    },
    DestroyWindow: { args: ["pointer"], returns: "i32", callsBack: true }, // BOOL DestroyWindow(HWND)
    // DWORD GetGuiResources(HANDLE process, DWORD flags): GDI (0) or USER (1) objects the process holds
    GetGuiResources: { args: ["pointer", "u32"], returns: "u32" },
    // LRESULT DefWindowProcW(HWND, UINT, WPARAM, LPARAM)
    DefWindowProcW: {
      args: ["pointer", "u32", "usize", "isize"],
      returns: "isize",
      callsBack: true,
    },
    // LRESULT CallWindowProcW(WNDPROC, HWND, UINT, WPARAM, LPARAM): calls the procedure on this thread
    CallWindowProcW: {
      args: ["pointer", "pointer", "u32", "usize", "isize"],
      returns: "isize",
      callsBack: true,
    },
    IsWindow: { args: ["pointer"], returns: "i32" }, // BOOL IsWindow(HWND)
    // HWND FindWindowExW(HWND parent, HWND childAfter, LPCWSTR class, LPCWSTR title)
    FindWindowExW: { args: ["pointer", "pointer", "buffer", "buffer"], returns: "pointer" },
    // int GetClassNameW(HWND, LPWSTR className, int maxCount): characters copied, 0 on failure
    GetClassNameW: { args: ["pointer", "buffer", "i32"], returns: "i32" },
    // DWORD GetWindowThreadProcessId(HWND, LPDWORD processId)
    GetWindowThreadProcessId: { args: ["pointer", "buffer"], returns: "u32" },
    // BOOL ChangeWindowMessageFilterEx(HWND, UINT message, DWORD action, PCHANGEFILTERSTRUCT)
    ChangeWindowMessageFilterEx: { args: ["pointer", "u32", "u32", "pointer"], returns: "i32" },

    // --- the message loop ---------------------------------------------------------
    // BOOL GetMessageW(LPMSG, HWND, UINT filterMin, UINT filterMax): 0 on WM_QUIT, -1 on error
    GetMessageW: { args: ["pointer", "pointer", "u32", "u32"], returns: "i32", callsBack: true },
    // BOOL PeekMessageW(LPMSG, HWND, UINT filterMin, UINT filterMax, UINT removeMsg)
    PeekMessageW: {
      args: ["pointer", "pointer", "u32", "u32", "u32"],
      returns: "i32",
      callsBack: true,
    },
    DispatchMessageW: { args: ["pointer"], returns: "isize", callsBack: true }, // LRESULT DispatchMessageW(const MSG*)
    // BOOL PostMessageW(HWND, UINT, WPARAM, LPARAM)
    PostMessageW: { args: ["pointer", "u32", "usize", "isize"], returns: "i32" },
    // BOOL PostThreadMessageW(DWORD threadId, UINT, WPARAM, LPARAM)
    PostThreadMessageW: { args: ["u32", "u32", "usize", "isize"], returns: "i32" },

    // --- sending (data copy) ------------------------------------------------------
    // LRESULT SendMessageTimeoutW(HWND, UINT, WPARAM, LPARAM, UINT flags, UINT timeoutMs, PDWORD_PTR result)
    // Blocks until the receiver's window procedure returns: only the blocking twin is declared.
    SendMessageTimeoutWAsync: {
      symbol: "SendMessageTimeoutW",
      args: ["pointer", "u32", "usize", "isize", "u32", "u32", "pointer"],
      returns: "isize",
      blocking: true,
    },

    // --- clipboard ------------------------------------------------------------------
    OpenClipboard: { args: ["pointer"], returns: "i32" }, // BOOL OpenClipboard(HWND owner)
    CloseClipboard: { args: [], returns: "i32" },
    EmptyClipboard: { args: [], returns: "i32" },
    // HANDLE SetClipboardData(UINT format, HANDLE mem): the system owns mem on success
    SetClipboardData: { args: ["u32", "pointer"], returns: "pointer" },
    GetClipboardData: { args: ["u32"], returns: "pointer" }, // HANDLE (the system's; never free it)
    IsClipboardFormatAvailable: { args: ["u32"], returns: "i32" },
    EnumClipboardFormats: { args: ["u32"], returns: "u32" }, // UINT (0 at the end, or on error)
    RegisterClipboardFormatW: { args: ["buffer"], returns: "u32" }, // UINT (0 on error)
    // int GetClipboardFormatNameW(UINT format, LPWSTR name, int maxChars)
    GetClipboardFormatNameW: { args: ["u32", "buffer", "i32"], returns: "i32" },
    GetClipboardSequenceNumber: { args: [], returns: "u32" },
    GetOpenClipboardWindow: { args: [], returns: "pointer" }, // HWND (NULL: none, or opened without one)
    AddClipboardFormatListener: { args: ["pointer"], returns: "i32" }, // BOOL (HWND)
    RemoveClipboardFormatListener: { args: ["pointer"], returns: "i32" },
  } as const,
);
