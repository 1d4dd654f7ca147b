/**
 * DDEML (user32.dll), as data. Native types in comments; no logic here.
 * DWORD idInst = u32; HSZ, HCONV, HCONVLIST, HDDEDATA = pointer; UINT = u32;
 * BOOL = i32; LPBYTE = pointer (native memory: these run on the loop thread
 * through MessageLoop.batch, which carries numbers and bigints only).
 * `callsBack` marks calls during which DDEML may call the instance's
 * callback or dispatch DDE messages (connects, synchronous transactions,
 * name service, uninitialize).
 *
 * @module
 */
import { NativeLibrary } from "../ffi/mod.ts";

/** user32.dll's DDEML symbols used by ipckit. */
export const ddeml = new NativeLibrary(
  { windows: "user32.dll" },
  {
    // UINT DdeInitializeW(LPDWORD pidInst, PFNCALLBACK, DWORD afCmd, DWORD ulRes): DMLERR_NO_ERROR (0) or a DMLERR_
    DdeInitializeW: { args: ["pointer", "pointer", "u32", "u32"], returns: "u32" },
    DdeUninitialize: { args: ["u32"], returns: "i32", callsBack: true }, // BOOL DdeUninitialize(DWORD idInst)
    DdeGetLastError: { args: ["u32"], returns: "u32" }, // UINT DdeGetLastError(DWORD idInst): and clears it
    // HSZ DdeCreateStringHandleW(DWORD idInst, LPCWSTR, int codePage)
    DdeCreateStringHandleW: { args: ["u32", "pointer", "i32"], returns: "pointer" },
    DdeFreeStringHandle: { args: ["u32", "pointer"], returns: "i32" }, // BOOL (DWORD idInst, HSZ)
    // DWORD DdeQueryStringW(DWORD idInst, HSZ, LPWSTR out, DWORD cchMax, int codePage): characters, 0 on error
    DdeQueryStringW: { args: ["u32", "pointer", "pointer", "u32", "i32"], returns: "u32" },
    // HDDEDATA DdeNameService(DWORD idInst, HSZ service, HSZ reserved, UINT afCmd): nonzero on success
    DdeNameService: {
      args: ["u32", "pointer", "pointer", "u32"],
      returns: "pointer",
      callsBack: true,
    },
    // HCONV DdeConnect(DWORD idInst, HSZ service, HSZ topic, PCONVCONTEXT)
    // BOOL DdeEnableCallback(DWORD idInst, HCONV, UINT cmd): may call the callback at once
    DdeEnableCallback: { args: ["u32", "pointer", "u32"], returns: "i32", callsBack: true },
    DdeConnect: {
      args: ["u32", "pointer", "pointer", "pointer"],
      returns: "pointer",
      callsBack: true,
    },
    DdeDisconnect: { args: ["pointer"], returns: "i32", callsBack: true }, // BOOL DdeDisconnect(HCONV)
    // HCONVLIST DdeConnectList(DWORD idInst, HSZ service, HSZ topic, HCONVLIST prev, PCONVCONTEXT)
    DdeConnectList: {
      args: ["u32", "pointer", "pointer", "pointer", "pointer"],
      returns: "pointer",
      callsBack: true,
    },
    // HCONV DdeQueryNextServer(HCONVLIST, HCONV prev): NULL at the end
    DdeQueryNextServer: { args: ["pointer", "pointer"], returns: "pointer" },
    DdeDisconnectList: { args: ["pointer"], returns: "i32", callsBack: true }, // BOOL (HCONVLIST)
    // UINT DdeQueryConvInfo(HCONV, DWORD idTransaction (QID_SYNC), PCONVINFO): bytes written, 0 on error
    DdeQueryConvInfo: { args: ["pointer", "u32", "pointer"], returns: "u32" },
    // HDDEDATA DdeClientTransaction(LPBYTE data, DWORD cb, HCONV, HSZ item, UINT fmt, UINT type,
    //                               DWORD timeoutMs, LPDWORD result)
    DdeClientTransaction: {
      args: ["pointer", "u32", "pointer", "pointer", "u32", "u32", "u32", "pointer"],
      returns: "pointer",
      callsBack: true,
    },
    // HDDEDATA DdeCreateDataHandle(DWORD idInst, LPBYTE src, DWORD cb, DWORD offset, HSZ item, UINT fmt, UINT afCmd)
    DdeCreateDataHandle: {
      args: ["u32", "pointer", "u32", "u32", "pointer", "u32", "u32"],
      returns: "pointer",
    },
    // DWORD DdeGetData(HDDEDATA, LPBYTE dst, DWORD cbMax, DWORD offset): bytes copied (or the size, dst NULL)
    DdeGetData: { args: ["pointer", "pointer", "u32", "u32"], returns: "u32" },
    DdeFreeDataHandle: { args: ["pointer"], returns: "i32" }, // BOOL DdeFreeDataHandle(HDDEDATA)
    // BOOL DdePostAdvise(DWORD idInst, HSZ topic, HSZ item)
    DdePostAdvise: { args: ["u32", "pointer", "pointer"], returns: "i32", callsBack: true },
    // BOOL UnpackDDElParam(UINT msg, LPARAM, PUINT_PTR lo, PUINT_PTR hi)
    UnpackDDElParam: { args: ["u32", "isize", "pointer", "pointer"], returns: "i32" },
    FreeDDElParam: { args: ["u32", "isize"], returns: "i32" }, // BOOL FreeDDElParam(UINT msg, LPARAM)
    // LRESULT SendMessageTimeoutW(HWND, UINT, WPARAM, LPARAM, UINT flags, UINT timeoutMs, PDWORD_PTR result),
    // on the loop thread: a barrier behind the messages a partner has already handled
    SendMessageTimeoutW: {
      args: ["pointer", "u32", "usize", "isize", "u32", "u32", "pointer"],
      returns: "isize",
      callsBack: true,
    },
    // BOOL PeekMessageW(LPMSG, HWND, UINT filterMin, UINT filterMax, UINT removeMsg)
    PeekMessageW: {
      args: ["pointer", "pointer", "u32", "u32", "u32"],
      returns: "i32",
      callsBack: true,
    },
  } as const,
);
