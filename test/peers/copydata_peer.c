/*
 * A Windows program that is not ipckit, for the copydata interop test.
 * Built with Debian's gcc-mingw-w64-x86-64 by tools/peers.mjs.
 *
 *   copydata_peer.exe receive <count>
 *     Creates a message-only window (its own class), prints "hwnd=<decimal>",
 *     answers <count> WM_COPYDATA messages (TRUE for even tags), printing
 *     "got=<tag>:<size>:<fnv1a hex>" for each, then exits.
 *   copydata_peer.exe send <receiver name> <tag> <size>
 *     Finds the ipckit receiver (class "ipckit.CopyData", window name
 *     <receiver name>), sends <size> pattern bytes with SendMessageTimeoutW,
 *     and prints "sent=<ok>:<result>:<fnv1a hex>".
 */
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>

static unsigned remaining;

static unsigned fnv1a(const unsigned char *bytes, size_t size) {
  unsigned h = 0x811c9dc5u;
  for (size_t i = 0; i < size; i++) h = (h ^ bytes[i]) * 0x01000193u;
  return h;
}

static LRESULT CALLBACK window_procedure(HWND hwnd, UINT message, WPARAM wParam, LPARAM lParam) {
  if (message == WM_COPYDATA) {
    const COPYDATASTRUCT *data = (const COPYDATASTRUCT *)lParam;
    printf("got=%llu:%lu:%08x\n", (unsigned long long)data->dwData, (unsigned long)data->cbData,
           fnv1a((const unsigned char *)data->lpData, data->cbData));
    fflush(stdout);
    if (--remaining == 0) PostQuitMessage(0);
    return (data->dwData % 2 == 0) ? TRUE : FALSE;
  }
  return DefWindowProcW(hwnd, message, wParam, lParam);
}

static int receive_from(unsigned count) {
  WNDCLASSEXW wc = {sizeof(wc)};
  wc.lpfnWndProc = window_procedure;
  wc.hInstance = GetModuleHandleW(NULL);
  wc.lpszClassName = L"ipckitTestPeer";
  if (!RegisterClassExW(&wc)) return 2;
  HWND hwnd = CreateWindowExW(0, wc.lpszClassName, L"peer", 0, 0, 0, 0, 0, HWND_MESSAGE, NULL,
                              wc.hInstance, NULL);
  if (!hwnd) return 3;
  remaining = count;
  printf("hwnd=%llu\n", (unsigned long long)(ULONG_PTR)hwnd);
  fflush(stdout);
  MSG msg;
  while (GetMessageW(&msg, NULL, 0, 0) > 0) DispatchMessageW(&msg);
  DestroyWindow(hwnd);
  return 0;
}

static int send_to(const char *name, unsigned long long tag, size_t size) {
  wchar_t wide[256];
  if (!MultiByteToWideChar(CP_UTF8, 0, name, -1, wide, 256)) return 4;
  HWND hwnd = FindWindowExW(HWND_MESSAGE, NULL, L"ipckit.CopyData", wide);
  if (!hwnd) {
    printf("sent=notfound\n");
    return 5;
  }
  unsigned char *bytes = malloc(size ? size : 1);
  for (size_t i = 0; i < size; i++) bytes[i] = (unsigned char)(i * 7 + 3);
  COPYDATASTRUCT data = {(ULONG_PTR)tag, (DWORD)size, bytes};
  DWORD_PTR result = 0;
  LRESULT ok = SendMessageTimeoutW(hwnd, WM_COPYDATA, 0, (LPARAM)&data, SMTO_ABORTIFHUNG, 10000,
                                   &result);
  printf("sent=%d:%llu:%08x\n", ok != 0, (unsigned long long)result, fnv1a(bytes, size));
  fflush(stdout);
  free(bytes);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "receive") == 0) return receive_from((unsigned)atoi(argv[2]));
  if (argc == 5 && strcmp(argv[1], "send") == 0) {
    return send_to(argv[2], _strtoui64(argv[3], NULL, 10), (size_t)atoll(argv[4]));
  }
  fprintf(stderr, "usage: copydata_peer.exe receive <count> | send <name> <tag> <size>\n");
  return 1;
}
