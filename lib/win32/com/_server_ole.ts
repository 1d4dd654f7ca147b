/**
 * ole32.dll and oleaut32.dll symbols the COM server calls on the
 * message-loop thread (the apartment of served objects), as data. They are
 * `callsBack`: COM calls the served objects' methods (JavaScript callbacks of
 * that thread) before they return. Native types in comments; no logic here.
 * HRESULT = i32, REFCLSID/REFIID/IUnknown* = pointer (native memory).
 *
 * @module
 */
import { NativeLibrary } from "../../ffi/mod.ts";

/**
 * ole32.dll symbols of the COM server.
 *
 * @example Revoking a class object on the loop thread
 * ```ts
 * import { serverOle32 } from "./_server_ole.ts";
 * // await loop.call(serverOle32, "CoRevokeClassObject", cookie);
 * ```
 */
export const serverOle32 = new NativeLibrary(
  { windows: "ole32.dll" },
  {
    // HRESULT CoInitializeEx(LPVOID reserved, DWORD coinit)
    CoInitializeEx: { args: ["pointer", "u32"], returns: "i32" },
    CoUninitialize: { args: [], returns: "void", callsBack: true }, // void CoUninitialize(void)
    // HRESULT CLSIDFromProgID(LPCOLESTR progId, LPCLSID out)
    CLSIDFromProgID: { args: ["pointer", "pointer"], returns: "i32" },
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

/**
 * oleaut32.dll symbols of the COM server.
 *
 * @example Registering an object in the running object table
 * ```ts
 * import { serverOleaut32 } from "./_server_ole.ts";
 * // await loop.call(serverOleaut32, "RegisterActiveObject", object, clsid, 0, cookie);
 * ```
 */
export const serverOleaut32 = new NativeLibrary(
  { windows: "oleaut32.dll" },
  {
    // HRESULT RegisterActiveObject(IUnknown*, REFCLSID, DWORD flags, DWORD* cookie)
    RegisterActiveObject: {
      args: ["pointer", "pointer", "u32", "pointer"],
      returns: "i32",
      callsBack: true,
    },
    // HRESULT RevokeActiveObject(DWORD cookie, void* reserved)
    RevokeActiveObject: { args: ["u32", "pointer"], returns: "i32", callsBack: true },
    // HRESULT DispCallFunc(void* instance, ULONG_PTR vtableOffset, CALLCONV, VARTYPE result,
    //   UINT count, VARTYPE* types, VARIANTARG** args, VARIANT* result): calls a vtable method
    DispCallFunc: {
      args: ["pointer", "usize", "u32", "u16", "u32", "pointer", "pointer", "pointer"],
      returns: "i32",
      callsBack: true,
    },
  } as const,
);
