/**
 * ws2_32.dll (Winsock 2), as data. Native types in comments; no logic here.
 * SOCKET = pointer (UINT_PTR; INVALID_SOCKET is all ones), int = i32,
 * DWORD = u32. Calls return 0 or SOCKET_ERROR (-1); the error is
 * WSAGetLastError(), read right after the call on the same thread.
 * AcceptEx and ConnectEx are extension functions: their addresses come from
 * WSAIoctl(SIO_GET_EXTENSION_FUNCTION_POINTER) and are called through
 * `functionAt`.
 *
 * @module
 */
import { NativeLibrary } from "../ffi/mod.ts";

/** ws2_32.dll symbols used by ipckit. */
export const ws2_32 = new NativeLibrary(
  { windows: "ws2_32.dll" },
  {
    WSAStartup: { args: ["u16", "buffer"], returns: "i32" }, // int WSAStartup(WORD version, LPWSADATA)
    WSAGetLastError: { args: [], returns: "i32" },
    // SOCKET WSASocketW(int af, int type, int protocol, LPWSAPROTOCOL_INFOW, GROUP g, DWORD flags)
    WSASocketW: { args: ["i32", "i32", "i32", "buffer", "u32", "u32"], returns: "pointer" },
    closesocket: { args: ["pointer"], returns: "i32" },
    bind: { args: ["pointer", "buffer", "i32"], returns: "i32" }, // int bind(SOCKET, const sockaddr*, int)
    listen: { args: ["pointer", "i32"], returns: "i32" }, // int listen(SOCKET, int backlog)
    // SOCKET accept(SOCKET, sockaddr*, int*): the blocking twin, for listeners handed over by
    // another process (see lib/win32/net.ts); its error is on the pool thread, not readable here
    acceptAsync: {
      symbol: "accept",
      args: ["pointer", "pointer", "pointer"],
      returns: "pointer",
      blocking: true,
    },
    shutdown: { args: ["pointer", "i32"], returns: "i32" }, // int shutdown(SOCKET, int how)
    // int setsockopt(SOCKET, int level, int name, const char* value, int length)
    setsockopt: { args: ["pointer", "i32", "i32", "buffer", "i32"], returns: "i32" },
    // int getsockopt(SOCKET, int level, int name, char* value, int* length)
    getsockopt: { args: ["pointer", "i32", "i32", "buffer", "buffer"], returns: "i32" },
    // int getsockname(SOCKET, sockaddr*, int* length); getpeername likewise
    getsockname: { args: ["pointer", "buffer", "buffer"], returns: "i32" },
    getpeername: { args: ["pointer", "buffer", "buffer"], returns: "i32" },
    // int WSAIoctl(SOCKET, DWORD code, LPVOID in, DWORD inLength, LPVOID out, DWORD outLength,
    //              LPDWORD bytesReturned, LPWSAOVERLAPPED, LPWSAOVERLAPPED_COMPLETION_ROUTINE)
    WSAIoctl: {
      args: ["pointer", "u32", "buffer", "u32", "buffer", "u32", "buffer", "pointer", "pointer"],
      returns: "i32",
    },
    // int WSARecvFrom(SOCKET, LPWSABUF buffers, DWORD count, LPDWORD received, LPDWORD flags, sockaddr* from,
    //                 LPINT fromLength, LPWSAOVERLAPPED, LPWSAOVERLAPPED_COMPLETION_ROUTINE)
    WSARecvFrom: {
      args: [
        "pointer",
        "pointer",
        "u32",
        "pointer",
        "pointer",
        "pointer",
        "pointer",
        "pointer",
        "pointer",
      ],
      returns: "i32",
    },
    // int WSASendTo(SOCKET, LPWSABUF buffers, DWORD count, LPDWORD sent, DWORD flags, const sockaddr* to,
    //               int toLength, LPWSAOVERLAPPED, LPWSAOVERLAPPED_COMPLETION_ROUTINE)
    WSASendTo: {
      args: ["pointer", "pointer", "u32", "pointer", "u32", "pointer", "i32", "pointer", "pointer"],
      returns: "i32",
    },
  } as const,
);

/** BOOL AcceptEx(SOCKET listen, SOCKET accept, PVOID out, DWORD receiveLength, DWORD localLength, DWORD remoteLength, LPDWORD received, LPOVERLAPPED) */
export const ACCEPT_EX = {
  args: ["pointer", "pointer", "pointer", "u32", "u32", "u32", "pointer", "pointer"],
  returns: "i32",
} as const;

/** BOOL ConnectEx(SOCKET, const sockaddr* name, int nameLength, PVOID send, DWORD sendLength, LPDWORD sent, LPOVERLAPPED) */
export const CONNECT_EX = {
  args: ["pointer", "pointer", "i32", "pointer", "u32", "pointer", "pointer"],
  returns: "i32",
} as const;
