/* A DDE program that is not ipckit (DDEML, Unicode), for the DDE tests.
 *   dde_peer server <service> <topic>
 *     Serves <topic>: REQUEST gives "<item>=<value>" (CF_UNICODETEXT or CF_TEXT)
 *     of the last POKE to <item> ("" before any), POKE stores, EXECUTE prints
 *     "execute=<command>" and "[quit]" ends it, ADVSTART accepts and a POKE
 *     posts the advise. Prints "ready" once registered.
 *   dde_peer client <service> <topic> <op> [args] ...
 *     ops: request <item> | poke <item> <text> | execute <command> |
 *          advise <item> <count> (a hot loop: prints each update)
 *     Prints one line per op: "<op>=<result>" or "<op>!error=0x<DMLERR>".
 *     Each op has a conversation of its own (see below). */
#include <windows.h>
#include <ddeml.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

static DWORD inst;
static HSZ service, topic;
static wchar_t items[16][64], values[16][256];
static int itemCount;
static int quitting;
static int adviseLeft;

static wchar_t *valueOf(const wchar_t *item, int create) {
  for (int i = 0; i < itemCount; i++) if (!wcscmp(items[i], item)) return values[i];
  if (!create || itemCount == 16) return NULL;
  wcsncpy(items[itemCount], item, 63);
  values[itemCount][0] = 0;
  return values[itemCount++];
}

static void printWide(const char *prefix, const wchar_t *text) {
  char utf8[1024];
  WideCharToMultiByte(CP_UTF8, 0, text, -1, utf8, sizeof utf8, NULL, NULL);
  printf("%s%s\n", prefix, utf8);
  fflush(stdout);
}

static HDDEDATA CALLBACK callback(UINT type, UINT fmt, HCONV conv, HSZ hsz1, HSZ hsz2,
                                  HDDEDATA data, ULONG_PTR d1, ULONG_PTR d2) {
  wchar_t item[64] = L"";
  switch (type) {
  case XTYP_CONNECT:
    return (HDDEDATA)(UINT_PTR)(DdeCmpStringHandles(hsz1, topic) == 0);
  case XTYP_ADVSTART:
    return (HDDEDATA)TRUE;
  case XTYP_REQUEST:
  case XTYP_ADVREQ: {
    DdeQueryStringW(inst, hsz2, item, 64, CP_WINUNICODE);
    const wchar_t *value = valueOf(item, 0);
    wchar_t text[400];
    swprintf(text, 400, L"%ls=%ls", item, value ? value : L"");
    if (fmt == CF_UNICODETEXT)
      return DdeCreateDataHandle(inst, (BYTE *)text, (DWORD)(wcslen(text) + 1) * 2, 0, hsz2, fmt, 0);
    if (fmt == CF_TEXT) {
      char ansi[400];
      WideCharToMultiByte(CP_ACP, 0, text, -1, ansi, sizeof ansi, NULL, NULL);
      return DdeCreateDataHandle(inst, (BYTE *)ansi, (DWORD)strlen(ansi) + 1, 0, hsz2, fmt, 0);
    }
    return NULL;
  }
  case XTYP_POKE: {
    DdeQueryStringW(inst, hsz2, item, 64, CP_WINUNICODE);
    wchar_t *value = valueOf(item, 1);
    if (!value || fmt != CF_UNICODETEXT) return (HDDEDATA)DDE_FNOTPROCESSED;
    DWORD got = DdeGetData(data, (BYTE *)value, 255 * 2, 0);
    value[got / 2 < 255 ? got / 2 : 255] = 0;
    DdePostAdvise(inst, topic, hsz2);
    return (HDDEDATA)DDE_FACK;
  }
  case XTYP_EXECUTE: {
    wchar_t command[256] = L"";
    DWORD got = DdeGetData(data, (BYTE *)command, 255 * 2, 0);
    command[got / 2 < 255 ? got / 2 : 255] = 0;
    printWide("execute=", command);
    if (!wcscmp(command, L"[quit]")) quitting = 1;
    return (HDDEDATA)DDE_FACK;
  }
  case XTYP_ADVDATA: {
    wchar_t text[400] = L"";
    DWORD got = DdeGetData(data, (BYTE *)text, 399 * 2, 0);
    text[got / 2 < 399 ? got / 2 : 399] = 0;
    printWide("advise=", text);
    adviseLeft--;
    return (HDDEDATA)DDE_FACK;
  }
  }
  return NULL;
}

static int pump(void) {
  MSG msg;
  int got = GetMessageW(&msg, NULL, 0, 0);
  if (got > 0) DispatchMessageW(&msg);
  return got > 0;
}

int main(int argc, char **narrow) {
  static wchar_t storage[32][256];
  wchar_t *argv[32];
  if (argc < 4 || argc > 32) return 2;
  for (int i = 0; i < argc; i++) {
    MultiByteToWideChar(CP_ACP, 0, narrow[i], -1, storage[i], 256); /* main()'s argv is ANSI */
    argv[i] = storage[i];
  }
  UINT err = DdeInitializeW(&inst, callback, APPCLASS_STANDARD, 0);
  if (err) { printf("init!error=0x%x\n", err); return 1; }
  service = DdeCreateStringHandleW(inst, argv[2], CP_WINUNICODE);
  topic = DdeCreateStringHandleW(inst, argv[3], CP_WINUNICODE);
  if (!wcscmp(argv[1], L"server")) {
    if (!DdeNameService(inst, service, NULL, DNS_REGISTER)) {
      printf("register!error=0x%x\n", DdeGetLastError(inst));
      return 1;
    }
    printf("ready\n");
    fflush(stdout);
    while (!quitting && pump()) {}
    DdeNameService(inst, service, NULL, DNS_UNREGISTER);
  } else {
    for (int i = 4; i < argc; i++) {
      const wchar_t *op = argv[i];
      /* One conversation per op: Wine's DDEML server acks a request after its
       * data, and a later transaction in the same conversation would take
       * that stray ack as its own answer. */
      HCONV conv = DdeConnect(inst, service, topic, NULL);
      if (!conv) { printf("connect!error=0x%x\n", DdeGetLastError(inst)); return 1; }
      HSZ item = i + 1 < argc ? DdeCreateStringHandleW(inst, argv[i + 1], CP_WINUNICODE) : 0;
      DWORD result = 0;
      HDDEDATA got = NULL;
      char prefix[64];
      snprintf(prefix, sizeof prefix, "%ls=", op);
      if (!wcscmp(op, L"request")) {
        got = DdeClientTransaction(NULL, 0, conv, item, CF_UNICODETEXT, XTYP_REQUEST, 5000, &result);
        if (got) {
          wchar_t text[400] = L"";
          DdeGetData(got, (BYTE *)text, 399 * 2, 0);
          DdeFreeDataHandle(got);
          printWide(prefix, text);
        }
        i += 1;
      } else if (!wcscmp(op, L"poke")) {
        const wchar_t *text = argv[i + 2];
        got = DdeClientTransaction((BYTE *)text, (DWORD)(wcslen(text) + 1) * 2, conv, item,
                                   CF_UNICODETEXT, XTYP_POKE, 5000, &result);
        if (got) printf("poke=ok\n");
        i += 2;
      } else if (!wcscmp(op, L"execute")) {
        got = DdeClientTransaction((BYTE *)argv[i + 1], (DWORD)(wcslen(argv[i + 1]) + 1) * 2, conv,
                                   0, 0, XTYP_EXECUTE, 5000, &result);
        if (got) printf("execute=ok\n");
        i += 1;
      } else if (!wcscmp(op, L"advise")) {
        adviseLeft = _wtoi(argv[i + 2]);
        got = DdeClientTransaction(NULL, 0, conv, item, CF_UNICODETEXT, XTYP_ADVSTART, 5000, &result);
        if (got) {
          printf("advise=started\n");
          fflush(stdout);
          while (adviseLeft > 0 && pump()) {}
          DdeClientTransaction(NULL, 0, conv, item, CF_UNICODETEXT, XTYP_ADVSTOP, 5000, &result);
        }
        i += 2;
      }
      if (!got) printf("%ls!error=0x%x\n", op, DdeGetLastError(inst));
      fflush(stdout);
      if (item) DdeFreeStringHandle(inst, item);
      DdeDisconnect(conv);
    }
  }
  DdeFreeStringHandle(inst, service);
  DdeFreeStringHandle(inst, topic);
  DdeUninitialize(inst);
  return 0;
}
