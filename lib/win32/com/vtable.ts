/**
 * Calling COM interface methods: an interface pointer points to its vtable
 * pointer, and slot N of the vtable is the N-th method (IUnknown's three
 * first). Functions are made once per (vtable, slot) and cached: objects of
 * one class share a vtable, and Bun compiles a trampoline per function.
 *
 * @module
 */
import {
  functionAt,
  nativeBuffer,
  NativeMemory,
  type SymbolDef,
  type SymbolFunction,
} from "../../ffi/mod.ts";
import { ComError, failed } from "./error.ts";

/** The signatures of the interface methods the client calls, by name, with their slots. */
export const METHODS = {
  // HRESULT QueryInterface(this, REFIID, void** out)
  QueryInterface: { slot: 0, def: { args: ["pointer", "pointer", "pointer"], returns: "i32" } },
  // ULONG AddRef(this)
  AddRef: { slot: 1, def: { args: ["pointer"], returns: "u32" } },
  // ULONG Release(this)
  Release: { slot: 2, def: { args: ["pointer"], returns: "u32" } },
  // HRESULT IDispatch::GetIDsOfNames(this, REFIID, LPOLESTR* names, UINT count, LCID, DISPID* out)
  GetIDsOfNames: {
    slot: 5,
    def: { args: ["pointer", "pointer", "pointer", "u32", "u32", "pointer"], returns: "i32" },
  },
  // HRESULT IDispatch::Invoke(this, DISPID, REFIID, LCID, WORD flags, DISPPARAMS*, VARIANT* result,
  //                           EXCEPINFO*, UINT* argErr)
  Invoke: {
    slot: 6,
    def: {
      args: ["pointer", "i32", "pointer", "u32", "u16", "pointer", "pointer", "pointer", "pointer"],
      returns: "i32",
    },
  },
  // HRESULT IEnumVARIANT::Next(this, ULONG count, VARIANT* out, ULONG* fetched)
  EnumNext: { slot: 3, def: { args: ["pointer", "u32", "pointer", "pointer"], returns: "i32" } },
} as const satisfies Record<string, { slot: number; def: SymbolDef }>;

type MethodName = keyof typeof METHODS;
type MethodFunction<M extends MethodName> = SymbolFunction<(typeof METHODS)[M]["def"]>;

const functions = new Map<bigint, Map<number, unknown>>();

/**
 * Reads the pointer stored at a native address.
 *
 * @param address Where the pointer is.
 * @returns The pointer.
 * @example Using readPointer
 * ```ts
 * import { readPointer } from "./vtable.ts";
 * // const vtable = readPointer(interfacePointer);
 * ```
 */
export function readPointer(address: bigint): bigint {
  return new DataView(nativeBuffer(address, 8)).getBigUint64(0, true);
}

/**
 * The function in slot N of an interface's vtable, made once per vtable.
 *
 * @param self The interface pointer.
 * @param name The method, from {@link METHODS}.
 * @returns A function to call with `self` as its first argument.
 * @example Calling AddRef
 * ```ts
 * import { method } from "./vtable.ts";
 * // method(pointer, "AddRef")(pointer);
 * ```
 */
export function method<M extends MethodName>(self: bigint, name: M): MethodFunction<M> {
  if (self === 0n) throw new ComError(0x80004003, { operation: name }); // E_POINTER
  const vtable = readPointer(self);
  let slots = functions.get(vtable);
  if (!slots) functions.set(vtable, slots = new Map());
  const { slot, def } = METHODS[name];
  let fn = slots.get(slot);
  if (!fn) {
    fn = functionAt(readPointer(vtable + BigInt(slot * 8)), def);
    slots.set(slot, fn);
  }
  return fn as MethodFunction<M>;
}

/**
 * Adds a reference to an interface.
 *
 * @param self The interface pointer.
 * @returns The new count (for debugging only, as COM says).
 * @example Using addRef
 * ```ts
 * import { addRef } from "./vtable.ts";
 * // addRef(pointer);
 * ```
 */
export function addRef(self: bigint): number {
  return method(self, "AddRef")(self);
}

/**
 * Releases a reference to an interface.
 *
 * @param self The interface pointer.
 * @returns The remaining count (for debugging only).
 * @example Using release
 * ```ts
 * import { release } from "./vtable.ts";
 * // release(pointer);
 * ```
 */
export function release(self: bigint): number {
  return method(self, "Release")(self);
}

const guidMemory = new Map<Uint8Array, NativeMemory>();

/**
 * A GUID in native memory that lives as long as the process (for REFIID and
 * REFCLSID arguments of the interfaces above).
 *
 * @param bytes The GUID's 16 bytes (a constant: one copy is kept per array).
 * @returns Its native address.
 * @example Using guidAddress
 * ```ts
 * import { guidAddress } from "./vtable.ts";
 * import { IID_IDispatch } from "./guid.ts";
 * // queryInterface(pointer, guidAddress(IID_IDispatch))
 * ```
 */
export function guidAddress(bytes: Uint8Array): bigint {
  let memory = guidMemory.get(bytes);
  if (!memory) {
    memory = NativeMemory.alloc(16);
    memory.bytes.set(bytes);
    guidMemory.set(bytes, memory);
  }
  return memory.address;
}

/**
 * Asks an object for another interface.
 *
 * @param self An interface pointer of the object.
 * @param iid The interface ID's bytes (e.g. `IID_IDispatch`).
 * @returns The new interface pointer (one reference, the caller's), or `null` for E_NOINTERFACE.
 * @example Using queryInterface
 * ```ts
 * import { queryInterface } from "./vtable.ts";
 * import { IID_IDispatch } from "./guid.ts";
 * // const dispatch = queryInterface(unknown, IID_IDispatch);
 * ```
 */
export function queryInterface(self: bigint, iid: Uint8Array): bigint | null {
  using out = NativeMemory.alloc(8);
  const hr = method(self, "QueryInterface")(self, guidAddress(iid), out.address);
  if (hr === -2147467262) return null; // E_NOINTERFACE
  if (failed(hr)) throw new ComError(hr, { operation: "QueryInterface" });
  return out.view.getBigUint64(0, true);
}
