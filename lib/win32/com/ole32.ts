/**
 * ole32.dll, as data: apartments, object creation, monikers, the task
 * allocator. Native types in comments; no logic here.
 * HRESULT = i32 (negative is failure), REFCLSID/REFIID/LPVOID* = pointer
 * (native memory), LPCWSTR = buffer (from encodeWide), DWORD = u32.
 *
 * @module
 */
import { NativeLibrary } from "../../ffi/mod.ts";

/**
 * ole32.dll symbols used by ipckit's COM client.
 *
 * @example Initialising the calling thread's apartment
 * ```ts
 * import { ole32 } from "./ole32.ts";
 * if (ole32.available) ole32.symbols.CoInitializeEx(0n, 0); // COINIT_MULTITHREADED
 * ```
 */
export const ole32 = new NativeLibrary(
  { windows: "ole32.dll" },
  {
    // HRESULT CoInitializeEx(LPVOID reserved, DWORD coInit)
    CoInitializeEx: { args: ["pointer", "u32"], returns: "i32" },
    // void CoUninitialize(void)
    CoUninitialize: { args: [], returns: "void" },
    // HRESULT CoCreateInstance(REFCLSID, LPUNKNOWN outer, DWORD clsctx, REFIID, LPVOID* out)
    CoCreateInstance: {
      args: ["pointer", "pointer", "u32", "pointer", "pointer"],
      returns: "i32",
    },
    // HRESULT CoGetObject(LPCWSTR name, BIND_OPTS* opts, REFIID, void** out)
    CoGetObject: { args: ["buffer", "pointer", "pointer", "pointer"], returns: "i32" },
    // HRESULT CLSIDFromProgID(LPCOLESTR progId, LPCLSID out)
    CLSIDFromProgID: { args: ["buffer", "pointer"], returns: "i32" },
    // HRESULT CLSIDFromString(LPCOLESTR text, LPCLSID out)
    CLSIDFromString: { args: ["buffer", "pointer"], returns: "i32" },
    // void CoTaskMemFree(LPVOID)
    CoTaskMemFree: { args: ["pointer"], returns: "void" },
  } as const,
);
