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

    // --- the COM server (lib/win32/com/serve.ts), called on the message-loop thread: `callsBack`,
    // since COM calls the served objects' methods (callbacks of that thread) before they return
    // void CoUninitialize(void), on the loop thread
    CoUninitializeOnLoop: { symbol: "CoUninitialize", args: [], returns: "void", callsBack: true },
    // HRESULT CoGetApartmentType(APTTYPE* type, APTTYPEQUALIFIER* qualifier): CO_E_NOTINITIALIZED outside COM
    CoGetApartmentType: { args: ["buffer", "buffer"], returns: "i32" },
    // HRESULT CLSIDFromProgID(LPCOLESTR progId, LPCLSID out), the ProgID in native memory
    CLSIDFromProgIDAt: { symbol: "CLSIDFromProgID", args: ["pointer", "pointer"], returns: "i32" },
    // HRESULT CoRegisterClassObject(REFCLSID, IUnknown*, DWORD clsctx, DWORD flags, LPDWORD cookie)
    CoRegisterClassObject: {
      args: ["pointer", "pointer", "u32", "u32", "pointer"],
      returns: "i32",
      callsBack: true,
    },
    // HRESULT CoRevokeClassObject(DWORD cookie)
    CoRevokeClassObject: { args: ["u32"], returns: "i32", callsBack: true },
    // HRESULT CoDisconnectObject(IUnknown*, DWORD reserved): drops every outside reference
    CoDisconnectObject: { args: ["pointer", "u32"], returns: "i32", callsBack: true },
    // HRESULT CoMarshalInterThreadInterfaceInStream(REFIID, IUnknown*, IStream** out)
    CoMarshalInterThreadInterfaceInStream: {
      args: ["pointer", "pointer", "pointer"],
      returns: "i32",
      callsBack: true,
    },
    // HRESULT CoGetInterfaceAndReleaseStream(IStream*, REFIID, void** out): on the receiving thread
    CoGetInterfaceAndReleaseStream: { args: ["pointer", "pointer", "pointer"], returns: "i32" },
  } as const,
);
