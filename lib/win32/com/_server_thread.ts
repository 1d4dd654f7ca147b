// IUnknown of the COM objects JavaScript serves, run on the message-loop
// thread itself (this module is loaded by _message_loop_worker.ts). COM calls
// QueryInterface, AddRef and Release on the apartment's thread at moments the
// JavaScript thread may be blocked in a synchronous COM call of its own (an
// Advise whose server asks the sink for IDispatch, an Unadvise that releases
// it), so handing them to JavaScript could deadlock; they are answered here
// from the object's native memory instead.
//
// An object's memory (lib/win32/com/server.ts writes it):
//   +0, +8, …   one vtable pointer per interface the object implements
//   OBJECT.refs      i32 reference count
//   OBJECT.count     u32 number of entries in the interface table
//   OBJECT.window    the window told (a posted message) when the count reaches 0
//   OBJECT.table     entries of 24 bytes: the IID, then the interface's offset
// Each vtable holds the interface's offset from the object's start in the
// pointer-sized slot just before its first method, so any interface pointer
// leads back to the object.
import { type Callback, callback, decodeWide, nativeBuffer } from "../../ffi/mod.ts";
import { user32 } from "../user32.ts";
import { ole32 } from "./ole32.ts";

/** Offsets in an object's memory, after its vtable pointers (see the file comment). */
export const OBJECT = {
  refs: 32,
  count: 36,
  window: 40,
  table: 48,
  entry: 24,
} as const;

/** Posted to the object's window with the object's address as lParam when its count reaches 0 (WM_APP + 0x1d0). */
export const WM_COM_FINAL_RELEASE = 0x8000 + 0x1d0;

const S_OK = 0;
const E_NOINTERFACE = 0x80004002 | 0;
const E_POINTER = 0x80004003 | 0;

function view(address: bigint, length: number): DataView {
  return new DataView(nativeBuffer(address, length));
}

/** The object an interface pointer belongs to: the pointer minus its vtable's recorded offset. */
function objectOf(self: bigint): bigint {
  const vtable = view(self, 8).getBigUint64(0, true);
  return self - view(vtable - 8n, 8).getBigUint64(0, true);
}

function addRef(object: bigint): number {
  const memory = view(object + BigInt(OBJECT.refs), 4);
  const refs = memory.getInt32(0, true) + 1;
  memory.setInt32(0, refs, true);
  return refs;
}

const queryInterface = () =>
  callback(
    { args: ["pointer", "pointer", "pointer"], returns: "i32" },
    (self: bigint, riid: bigint, out: bigint): number => {
      if (out === 0n) return E_POINTER;
      const result = view(out, 8);
      if (riid === 0n) {
        result.setBigUint64(0, 0n, true);
        return E_POINTER;
      }
      const object = objectOf(self);
      const iid = new Uint8Array(nativeBuffer(riid, 16));
      const count = view(object + BigInt(OBJECT.count), 4).getUint32(0, true);
      for (let i = 0; i < count; i++) {
        const entry = object + BigInt(OBJECT.table + i * OBJECT.entry);
        const candidate = new Uint8Array(nativeBuffer(entry, 16));
        if (candidate.every((byte, k) => byte === iid[k])) {
          result.setBigUint64(0, object + view(entry + 16n, 8).getBigUint64(0, true), true);
          addRef(object);
          return S_OK;
        }
      }
      result.setBigUint64(0, 0n, true);
      return E_NOINTERFACE;
    },
  );

const addRefCallback = () =>
  callback(
    { args: ["pointer"], returns: "u32" },
    (self: bigint): number => addRef(objectOf(self)),
  );

const releaseCallback = () =>
  callback(
    { args: ["pointer"], returns: "u32" },
    (self: bigint): number => {
      const object = objectOf(self);
      const memory = view(object + BigInt(OBJECT.refs), 4);
      const refs = memory.getInt32(0, true) - 1;
      memory.setInt32(0, refs, true);
      if (refs === 0) {
        // JavaScript frees the memory when it handles this; nothing calls the object any more.
        const window = view(object + BigInt(OBJECT.window), 8).getBigUint64(0, true);
        user32.symbols.PostMessageW(window, WM_COM_FINAL_RELEASE, 0n, object);
      }
      return Math.max(refs, 0);
    },
  );

/** Made on first use, so a loop thread that serves no COM object makes none. */
let made: Callback[] | null = null;

/**
 * The three IUnknown methods' code addresses, for the first slots of every
 * vtable of a served object.
 *
 * @returns QueryInterface, AddRef and Release, in vtable order.
 */
export function unknownMethods(): bigint[] {
  made ??= [queryInterface(), addRefCallback(), releaseCallback()];
  return made.map((method) => method.pointer);
}

/** Frees the callbacks; the loop thread calls it as it exits. */
export function closeUnknownMethods(): void {
  for (const method of made ?? []) method.close();
  made = null;
}

const WM_USER = 0x400;
const WM_APP = 0x8000;
const CO_E_NOTINITIALIZED = 0x800401f0 | 0;
const APARTMENT_WINDOW_CLASS = "OleMainThreadWndClass";
const className = new Uint8Array(2 * 64);
// APTTYPE and APTTYPEQUALIFIER, written during the call only.
const apartmentType = new Uint8Array(4);
const apartmentQualifier = new Uint8Array(4);

/**
 * Whether a message is COM's, for an apartment this thread has left: COM
 * posts each incoming call to an apartment-threaded object to the
 * apartment's hidden window (Wine: DM_EXECUTERPC, WM_USER). Under Wine, a
 * call whose RPC thread found the apartment just before this thread's
 * CoUninitialize keeps the apartment and its window alive, and dispatching
 * its message then reads the thread's apartment, now null, and crashes the
 * process (seen at exit in CI: a read of address 0xC0 in combase). Such a
 * message is dropped; its caller gets an error once this process exits.
 *
 * @param hwnd The message's window, not one of the loop's own.
 * @param message The message.
 * @returns true to drop the message.
 */
export function isCallForLeftApartment(hwnd: bigint, message: number): boolean {
  if (message < WM_USER || message >= WM_APP || hwnd === 0n) return false;
  const length = user32.symbols.GetClassNameW(hwnd, className, 64);
  if (!decodeWide(className.subarray(0, 2 * length)).startsWith(APARTMENT_WINDOW_CLASS)) {
    return false;
  }
  return ole32.symbols.CoGetApartmentType(apartmentType, apartmentQualifier) ===
    CO_E_NOTINITIALIZED;
}
