/**
 * user32.dll, as data. Native types in comments; no logic here.
 * HWND/HANDLE = pointer, UINT/DWORD = u32, BOOL/int = i32,
 * LPCWSTR = buffer (NUL-terminated UTF-16LE from encodeWide).
 *
 * @module
 */
import { NativeLibrary } from "../ffi/mod.ts";

/** user32.dll symbols used by ipckit. */
export const user32 = new NativeLibrary(
  { windows: "user32.dll" },
  {
    // --- windows ----------------------------------------------------------------------------
    // HWND CreateWindowExW(DWORD exStyle, LPCWSTR class, LPCWSTR name, DWORD style, int x, int y,
    //                      int w, int h, HWND parent, HMENU, HINSTANCE, LPVOID param)
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
    },
    DestroyWindow: { args: ["pointer"], returns: "i32" }, // BOOL DestroyWindow(HWND)
    // DWORD GetWindowThreadProcessId(HWND, LPDWORD processId)
    GetWindowThreadProcessId: { args: ["pointer", "buffer"], returns: "u32" },

    // --- clipboard --------------------------------------------------------------------------
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
    // --- end clipboard ----------------------------------------------------------------------
  } as const,
);

/** HWND_MESSAGE: the parent of message-only windows. */
export const HWND_MESSAGE = -3n & 0xffff_ffff_ffff_ffffn;

/** Window messages used by ipckit. */
export const WM = { CLIPBOARDUPDATE: 0x031d } as const;
