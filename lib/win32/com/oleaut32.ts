/**
 * oleaut32.dll, as data: BSTRs, VARIANTs, SAFEARRAYs, the running object
 * table's client side and error objects. Native types in comments; no logic.
 * HRESULT = i32; BSTR, SAFEARRAY pointers and VARIANT pointers = pointer; VARTYPE = u16;
 * UINT/ULONG = u32, LONG = i32.
 *
 * @module
 */
import { NativeLibrary } from "../../ffi/mod.ts";

/**
 * oleaut32.dll symbols used by ipckit's COM code.
 *
 * @example Allocating and freeing a BSTR
 * ```ts
 * import { encodeWide } from "../../ffi/mod.ts";
 * import { oleaut32 } from "./oleaut32.ts";
 * if (oleaut32.available) {
 *   const bstr = oleaut32.symbols.SysAllocStringLen(encodeWide("hi"), 2);
 *   oleaut32.symbols.SysFreeString(bstr);
 * }
 * ```
 */
export const oleaut32 = new NativeLibrary(
  { windows: "oleaut32.dll" },
  {
    // BSTR SysAllocStringLen(const OLECHAR* text, UINT length)
    SysAllocStringLen: { args: ["buffer", "u32"], returns: "pointer" },
    // UINT SysStringLen(BSTR)
    SysStringLen: { args: ["pointer"], returns: "u32" },
    // UINT SysStringByteLen(BSTR)
    SysStringByteLen: { args: ["pointer"], returns: "u32" },
    // void SysFreeString(BSTR)
    SysFreeString: { args: ["pointer"], returns: "void" },
    // HRESULT VariantClear(VARIANTARG*)
    VariantClear: { args: ["pointer"], returns: "i32" },
    // HRESULT VariantCopy(VARIANTARG* dest, const VARIANTARG* src)
    VariantCopy: { args: ["pointer", "pointer"], returns: "i32" },
    // SAFEARRAY* SafeArrayCreate(VARTYPE, UINT dims, SAFEARRAYBOUND* bounds)
    SafeArrayCreate: { args: ["u16", "u32", "buffer"], returns: "pointer" },
    // HRESULT SafeArrayDestroy(SAFEARRAY*)
    SafeArrayDestroy: { args: ["pointer"], returns: "i32" },
    // UINT SafeArrayGetDim(SAFEARRAY*)
    SafeArrayGetDim: { args: ["pointer"], returns: "u32" },
    // UINT SafeArrayGetElemsize(SAFEARRAY*)
    SafeArrayGetElemsize: { args: ["pointer"], returns: "u32" },
    // HRESULT SafeArrayGetLBound(SAFEARRAY*, UINT dim, LONG* out)
    SafeArrayGetLBound: { args: ["pointer", "u32", "buffer"], returns: "i32" },
    // HRESULT SafeArrayGetUBound(SAFEARRAY*, UINT dim, LONG* out)
    SafeArrayGetUBound: { args: ["pointer", "u32", "buffer"], returns: "i32" },
    // HRESULT SafeArrayGetVartype(SAFEARRAY*, VARTYPE* out)
    SafeArrayGetVartype: { args: ["pointer", "buffer"], returns: "i32" },
    // HRESULT SafeArrayAccessData(SAFEARRAY*, void** out)
    SafeArrayAccessData: { args: ["pointer", "buffer"], returns: "i32" },
    // HRESULT SafeArrayUnaccessData(SAFEARRAY*)
    SafeArrayUnaccessData: { args: ["pointer"], returns: "i32" },
    // HRESULT GetActiveObject(REFCLSID, void* reserved, IUnknown** out)
    GetActiveObject: { args: ["pointer", "pointer", "pointer"], returns: "i32" },
    // HRESULT GetErrorInfo(ULONG reserved, IErrorInfo** out)
    GetErrorInfo: { args: ["u32", "pointer"], returns: "i32" },

    // --- the COM server (lib/win32/com/serve.ts), called on the message-loop thread: `callsBack`,
    // since COM calls the served objects' methods (callbacks of that thread) before they return
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
