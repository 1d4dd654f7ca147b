/**
 * advapi32.dll, as data: security descriptors (SDDL), the process token's
 * user SID, registry keys (COM class registration). Native types in comments; no logic here.
 *
 * @module
 */
import { NativeLibrary } from "../ffi/mod.ts";

/** advapi32.dll symbols used by ipckit. */
export const advapi32 = new NativeLibrary(
  { windows: "advapi32.dll" },
  {
    // BOOL ConvertStringSecurityDescriptorToSecurityDescriptorW(LPCWSTR sddl, DWORD revision,
    //   PSECURITY_DESCRIPTOR* out (LocalFree it), PULONG size)
    ConvertStringSecurityDescriptorToSecurityDescriptorW: {
      args: ["buffer", "u32", "buffer", "pointer"],
      returns: "i32",
    },
    // BOOL ConvertSecurityDescriptorToStringSecurityDescriptorW(PSECURITY_DESCRIPTOR, DWORD revision,
    //   SECURITY_INFORMATION, LPWSTR* out (LocalFree it), PULONG length)
    ConvertSecurityDescriptorToStringSecurityDescriptorW: {
      args: ["pointer", "u32", "u32", "buffer", "pointer"],
      returns: "i32",
    },
    // DWORD GetSecurityInfo(HANDLE, SE_OBJECT_TYPE, SECURITY_INFORMATION, PSID* owner, PSID* group,
    //   PACL* dacl, PACL* sacl, PSECURITY_DESCRIPTOR* sd (LocalFree it)): returns an error code
    GetSecurityInfo: {
      args: ["pointer", "u32", "u32", "pointer", "pointer", "pointer", "pointer", "buffer"],
      returns: "u32",
    },
    // BOOL OpenProcessToken(HANDLE process, DWORD access, PHANDLE token)
    OpenProcessToken: { args: ["pointer", "u32", "buffer"], returns: "i32" },
    // BOOL GetTokenInformation(HANDLE token, TOKEN_INFORMATION_CLASS, LPVOID info, DWORD length, PDWORD returned)
    GetTokenInformation: { args: ["pointer", "u32", "buffer", "u32", "buffer"], returns: "i32" },
    // BOOL ConvertSidToStringSidW(PSID, LPWSTR* out (LocalFree it))
    ConvertSidToStringSidW: { args: ["pointer", "buffer"], returns: "i32" },

    // --- registry (HKEY = pointer; LSTATUS = i32, an error code, 0 on success) -----
    // LSTATUS RegSetKeyValueW(HKEY, LPCWSTR subKey, LPCWSTR valueName, DWORD type, LPCVOID data, DWORD bytes)
    RegSetKeyValueW: {
      args: ["pointer", "buffer", "buffer", "u32", "buffer", "u32"],
      returns: "i32",
    },
    // LSTATUS RegGetValueW(HKEY, LPCWSTR subKey, LPCWSTR valueName, DWORD flags, LPDWORD type,
    //   PVOID data, LPDWORD bytes)
    RegGetValueW: {
      args: ["pointer", "buffer", "buffer", "u32", "pointer", "buffer", "buffer"],
      returns: "i32",
    },
    // LSTATUS RegDeleteTreeW(HKEY, LPCWSTR subKey): the key and everything under it
    RegDeleteTreeW: { args: ["pointer", "buffer"], returns: "i32" },
    // LSTATUS RegDeleteKeyW(HKEY, LPCWSTR subKey): an empty key
    RegDeleteKeyW: { args: ["pointer", "buffer"], returns: "i32" },
  } as const,
);
