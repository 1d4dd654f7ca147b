/**
 * The late-bound IDispatch client on Windows: apartments, object creation,
 * GetIDsOfNames/Invoke with positional, named and by-reference arguments,
 * IEnumVARIANT iteration, and object lifetime (`using`, `close()`, and a
 * FinalizationRegistry backstop).
 *
 * Threading: every call runs synchronously on the calling JavaScript thread,
 * which becomes a single-threaded apartment (STA) on first use.
 * docs/mechanisms.md ("COM") says why.
 *
 * @module
 */
import { ClosedError, encodeWide, functionAt, NativeMemory, platform } from "../../ffi/mod.ts";
import { NotFoundError, UnsupportedPlatformError } from "../../errors.ts";
import { ComError, failed, HRESULT, toHresult } from "./error.ts";
import { IID_IDispatch, IID_IEnumVARIANT, IID_IUnknown, IID_NULL, isGuid } from "./guid.ts";
import { ole32 } from "./ole32.ts";
import { oleaut32 } from "./oleaut32.ts";
import {
  checkVariantValue,
  clearVariant,
  decodeVariant,
  encodeVariant,
  readBstr,
  registerObjectCodec,
  setReleaseFunction,
  VARIANT_SIZE,
  VT,
} from "./variant.ts";
import { addRef, guidAddress, method, queryInterface, release } from "./vtable.ts";

const COINIT_APARTMENTTHREADED = 0x2;
const COINIT_DISABLE_OLE1DDE = 0x4;
const LOCALE_USER_DEFAULT = 0x0400;
const DISPATCH_METHOD = 1;
const DISPATCH_PROPERTYGET = 2;
const DISPATCH_PROPERTYPUT = 4;
const DISPATCH_PROPERTYPUTREF = 8;
const DISPID_PROPERTYPUT = -3;
const DISPID_NEWENUM = -4;

/** Where a created object may run. */
export type ComContext = "inproc" | "local" | "any";

const CLSCTX: Record<ComContext, number> = {
  inproc: 0x1, // CLSCTX_INPROC_SERVER
  local: 0x4, // CLSCTX_LOCAL_SERVER
  any: 0x17, // CLSCTX_ALL
};

/** The options of {@link ComObject.create}. */
export interface ComCreateOptions {
  /** A ProgID (`Scripting.Dictionary`) or a CLSID (`{…}`). */
  readonly name: string;
  /** Where the object may run (default `"any"`). */
  readonly context?: ComContext;
}

/** The options of {@link ComObject.open}: a running object's class, or a moniker. */
export type ComOpenOptions =
  | { readonly name: string; readonly moniker?: undefined }
  | { readonly moniker: string; readonly name?: undefined };

/** How {@link ComObject.invoke} calls a member. */
export type InvokeKind = "method" | "get" | "put" | "putref";

const FLAGS: Record<InvokeKind, number> = {
  method: DISPATCH_METHOD | DISPATCH_PROPERTYGET,
  get: DISPATCH_METHOD | DISPATCH_PROPERTYGET,
  put: DISPATCH_PROPERTYPUT,
  putref: DISPATCH_PROPERTYPUTREF,
};

/** The options of {@link ComObject.invoke}. */
export interface InvokeOptions {
  /** Positional arguments, in call order (a {@link ComRef} is passed by reference). */
  readonly args?: readonly unknown[];
  /** Named arguments (after the positional ones, as in VBScript `Foo 1, Bar:=2`). */
  readonly named?: Readonly<Record<string, unknown>>;
  /** Method call or property get (default), property put or put-by-reference. */
  readonly kind?: InvokeKind;
}

let apartment: "sta" | "mta" | undefined;

/**
 * Initialises COM for the calling thread once, as a single-threaded
 * apartment (STA): apartment-threaded in-process objects (Scripting.*,
 * VBScript.RegExp, most automation servers) then live on this thread and are
 * called directly, with no thread hop. If the host already made the thread
 * part of the multithreaded apartment, that is used as it is (COM then
 * marshals calls to apartment-threaded objects through a host thread).
 *
 * @returns The apartment the thread is in.
 * @example Using ensureApartment
 * ```ts
 * import { ensureApartment } from "./dispatch.ts";
 * // ensureApartment(); // "sta"
 * ```
 */
export function ensureApartment(): "sta" | "mta" {
  if (apartment) return apartment;
  const hr = ole32.symbols.CoInitializeEx(0n, COINIT_APARTMENTTHREADED | COINIT_DISABLE_OLE1DDE);
  if (toHresult(hr) === HRESULT.RPC_E_CHANGED_MODE) return (apartment = "mta");
  if (failed(hr)) throw new ComError(hr, { operation: "CoInitializeEx" });
  return (apartment = "sta");
}

/**
 * A by-reference argument: the callee may change `value`, and the change is
 * visible after the call (VT_BYREF | VT_VARIANT).
 *
 * @example An out parameter
 * ```ts
 * import { ComRef } from "./dispatch.ts";
 * const count = new ComRef(0);
 * // code.call("CountWords", "a b c", count); count.value === 3
 * ```
 */
export class ComRef<T = unknown> {
  /** @param value The value passed in; after the call, the value passed out. */
  constructor(public value: T) {}
}

// A reusable block for the per-call structures of synchronous calls; a call
// that needs more (or a re-entrant one) allocates its own.
const FRAME_SIZE = 2048;
let spareFrame: NativeMemory | null = null;

function takeFrame(size: number): NativeMemory {
  if (size <= FRAME_SIZE && spareFrame) {
    const frame = spareFrame;
    spareFrame = null;
    return frame;
  }
  return NativeMemory.alloc(Math.max(size, FRAME_SIZE));
}

function returnFrame(frame: NativeMemory): void {
  if (frame.byteLength === FRAME_SIZE && !spareFrame) spareFrame = frame;
  else frame.free();
}

// Frame layout: DISPPARAMS, EXCEPINFO, the result VARIANT, puArgErr, then the
// named DISPIDs, the argument VARIANTs and the VARIANTs by-reference arguments point to.
const DISPPARAMS_AT = 0;
const EXCEPINFO_AT = 24;
const RESULT_AT = 88;
const ARGERR_AT = 112;
const NAMED_AT = 120;

const finalizer = new FinalizationRegistry<{ pointer: bigint }>((held) => {
  // A wrapper that was never closed: drop its reference (on the JS thread, in its apartment).
  if (held.pointer !== 0n) release(held.pointer);
});

/**
 * A COM object reached through IDispatch (late binding): get and set
 * properties, call methods, iterate collections. Calls are synchronous.
 * Close it (or `using`) to release it; a FinalizationRegistry releases
 * wrappers that are garbage-collected unclosed.
 *
 * @example Scripting.Dictionary
 * ```ts
 * import { ComObject } from "./dispatch.ts";
 * if (Deno.build.os === "windows") {
 *   using dict = ComObject.create({ name: "Scripting.Dictionary", context: "inproc" });
 *   dict.call("Add", "k", 1);
 *   dict.get("Item", "k"); // 1
 * }
 * ```
 */
export class ComObject implements Disposable, Iterable<unknown>, AsyncIterable<unknown> {
  readonly #held: { pointer: bigint };
  readonly #dispatch: boolean;
  readonly #label: string;
  readonly #ids = new Map<string, number>();
  // Looked up once: reading the vtable costs a native view per call.
  #invokeFunction: ReturnType<typeof method<"Invoke">> | undefined;

  /**
   * Wraps an interface pointer, taking over one reference to it.
   *
   * @param pointer An IDispatch pointer (or IUnknown when `dispatch` is false).
   * @param dispatch Whether `pointer` is an IDispatch.
   * @param label What the object is, for error messages.
   */
  constructor(pointer: bigint, dispatch: boolean, label: string) {
    if (typeof pointer !== "bigint" || pointer === 0n) {
      throw new TypeError(`Cannot wrap COM object ${label}: its interface pointer is NULL`);
    }
    this.#held = { pointer };
    this.#dispatch = dispatch;
    this.#label = label;
    finalizer.register(this, this.#held, this.#held);
  }

  /**
   * Creates an object from a ProgID or a CLSID (CoCreateInstance), in this
   * process or in a local server. Windows only: on other OSes it throws
   * `UnsupportedPlatformError`.
   *
   * @param options `name`: a ProgID (`Scripting.Dictionary`) or a CLSID
   *   (`{EE09B103-97E0-11CF-978F-00A02463E06F}`); `context`: where the object
   *   may run, `"inproc"`, `"local"` or `"any"` (the default).
   * @returns The object; release it with `close()` or `using`.
   * @example Creating a dictionary
   * ```ts
   * import { ComObject } from "./dispatch.ts";
   * if (Deno.build.os === "windows") {
   *   using dict = ComObject.create({ name: "Scripting.Dictionary" });
   *   dict.call("Add", "k", 1);
   * }
   * ```
   */
  static create(options: ComCreateOptions): ComObject {
    const name = checkName(options, "create");
    const context = options.context ?? "any";
    if (!Object.hasOwn(CLSCTX, context)) {
      throw new TypeError(
        `Cannot create COM object '${name}': context must be "inproc", "local" or "any"`,
      );
    }
    return createObject(name, context);
  }

  /**
   * Opens an existing object: the one running under a ProgID or CLSID in
   * the running object table (GetActiveObject), or the one a moniker names
   * (CoGetObject: a file path, `winmgmts:`, `new:…`, `clsid:…`). Throws
   * `NotFoundError` when nothing is running or answers to the moniker.
   * Windows only: on other OSes it throws `UnsupportedPlatformError`.
   *
   * @param options `name` (a ProgID or CLSID) or `moniker` (a display name).
   * @returns The object.
   * @example Binding a moniker
   * ```ts
   * import { ComObject } from "./dispatch.ts";
   * if (Deno.build.os === "windows") {
   *   using dict = ComObject.open({ moniker: "new:Scripting.Dictionary" });
   * }
   * ```
   */
  static open(options: ComOpenOptions): ComObject {
    if (
      options && typeof options === "object" && "moniker" in options &&
      options.moniker !== undefined
    ) {
      if (typeof options.moniker !== "string" || options.moniker === "") {
        throw new TypeError("Cannot open a COM object: moniker must be a non-empty string");
      }
      requireWindows("open");
      return bindMoniker(options.moniker);
    }
    return activeObject(checkName(options as { name: string }, "open"));
  }

  /** The interface pointer (IDispatch, or IUnknown for objects without it); throws after close. */
  get pointer(): bigint {
    return this.#open("use");
  }

  /** Whether the object is reached through IDispatch (otherwise only as IUnknown). */
  get isDispatch(): boolean {
    return this.#dispatch;
  }

  /** Whether `close()` has run. */
  get closed(): boolean {
    return this.#held.pointer === 0n;
  }

  /**
   * Calls a method (or reads a property) with positional arguments.
   *
   * @param name The member name (case-insensitive, as IDispatch resolves it).
   * @param args The arguments; a {@link ComRef} is passed by reference.
   * @returns The result.
   * @example Using call
   * ```ts
   * import { ComObject } from "./dispatch.ts";
   * declare const dict: ComObject;
   * dict.call("Add", "key", 42);
   * ```
   */
  call(name: string, ...args: unknown[]): unknown {
    return this.invoke(name, { args, kind: "method" });
  }

  /**
   * Reads a property, with indexes for an indexed one (`Item("key")`).
   *
   * @param name The property.
   * @param indexes Its indexes, if any.
   * @returns The value.
   * @example Using get
   * ```ts
   * import { ComObject } from "./dispatch.ts";
   * declare const dict: ComObject;
   * dict.get("Count");
   * dict.get("Item", "key");
   * ```
   */
  get(name: string, ...indexes: unknown[]): unknown {
    return this.invoke(name, { args: indexes, kind: "get" });
  }

  /**
   * Writes a property: the last argument is the value, any before it the
   * indexes. A COM object as the value is stored by reference (PUTREF) when
   * the member allows it, as VBScript's `Set` does.
   *
   * @param name The property.
   * @param indexesAndValue Indexes, if any, then the value.
   * @example Using set
   * ```ts
   * import { ComObject } from "./dispatch.ts";
   * declare const dict: ComObject;
   * dict.set("CompareMode", 1);
   * dict.set("Item", "key", 43);
   * ```
   */
  set(name: string, ...indexesAndValue: unknown[]): void {
    if (indexesAndValue.length === 0) {
      throw new TypeError(`Cannot set '${name}' on COM object ${this.#label}: no value given`);
    }
    const value = indexesAndValue.at(-1);
    if (value instanceof ComObject) {
      try {
        this.invoke(name, { args: indexesAndValue, kind: "putref" });
        return;
      } catch (error) {
        if (!(error instanceof ComError) || error.hresult !== HRESULT.DISP_E_MEMBERNOTFOUND) {
          throw error;
        }
      }
    }
    this.invoke(name, { args: indexesAndValue, kind: "put" });
  }

  /**
   * Whether the object has a member of that name (GetIDsOfNames succeeds).
   *
   * @param name The member name.
   * @returns `true` if it resolves.
   * @example Using has
   * ```ts
   * import { ComObject } from "./dispatch.ts";
   * declare const dict: ComObject;
   * dict.has("Exists"); // true
   * ```
   */
  has(name: string): boolean {
    try {
      this.#ids.get(name.toLowerCase()) ?? this.#idsOfNames([name])[0];
      return true;
    } catch (error) {
      if (error instanceof ComError && error.hresult === HRESULT.DISP_E_UNKNOWNNAME) return false;
      throw error;
    }
  }

  /**
   * The general call: a member by name (or DISPID) with positional, named
   * and by-reference arguments, as a method, property get, put or put-ref.
   *
   * @param member The member's name, or its DISPID.
   * @param options The arguments and the kind of call.
   * @returns The result (`undefined` for puts).
   * @example Named arguments
   * ```ts
   * import { ComObject } from "./dispatch.ts";
   * declare const fso: ComObject;
   * fso.invoke("OpenTextFile", { args: ["C:\\x.txt"], named: { IOMode: 8, Create: true } });
   * ```
   */
  invoke(member: string | number, options: InvokeOptions = {}): unknown {
    const kind = options.kind ?? "method";
    const args = options.args ?? [];
    const namedEntries = Object.entries(options.named ?? {});
    const what = typeof member === "number" ? `member ${member}` : `'${member}'`;
    this.#open(`call ${what} on`);
    if (!this.#dispatch) {
      throw new TypeError(
        `Cannot call ${what} on COM object ${this.#label}: it has no IDispatch interface`,
      );
    }
    if (!FLAGS[kind]) throw new TypeError(`Cannot call ${what}: unknown kind '${String(kind)}'`);
    // Every value is checked before anything native is allocated.
    args.forEach((arg, i) =>
      checkVariantValue(arg instanceof ComRef ? arg.value : arg, `argument ${i}`)
    );
    for (const [name, value] of namedEntries) {
      checkVariantValue(value instanceof ComRef ? value.value : value, `argument '${name}'`);
    }
    const put = kind === "put" || kind === "putref";
    if (put && args.length === 0) {
      throw new TypeError(`Cannot set ${what} on COM object ${this.#label}: no value given`);
    }
    if (put && namedEntries.length > 0) {
      throw new TypeError(`Cannot set ${what} with named arguments: pass indexes positionally`);
    }
    let dispid: number;
    let namedIds: number[];
    if (typeof member === "number") {
      if (namedEntries.length > 0) {
        throw new TypeError(`Cannot pass named arguments to ${what}: call it by name`);
      }
      dispid = member;
      namedIds = [];
    } else if (namedEntries.length > 0) {
      [dispid, ...namedIds] = this.#idsOfNames([member, ...namedEntries.map(([name]) => name)]) as [
        number,
        ...number[],
      ];
    } else {
      dispid = this.#id(member);
      namedIds = [];
    }
    if (put) namedIds = [DISPID_PROPERTYPUT];
    return this.#invoke(
      what,
      dispid,
      FLAGS[kind],
      args,
      namedEntries.map(([, v]) => v),
      namedIds,
      put,
    );
  }

  /**
   * Iterates a collection through its `_NewEnum` (IEnumVARIANT).
   *
   * @returns The items, one `Next` call each.
   * @example Iterating with for…of
   * ```ts
   * import { ComObject } from "./dispatch.ts";
   * declare const dict: ComObject;
   * for (const key of dict) console.log(key);
   * ```
   */
  *[Symbol.iterator](): Iterator<unknown> {
    const enumerator = this.#enumerator();
    try {
      using slot = NativeMemory.alloc(VARIANT_SIZE + 8);
      const next = method(enumerator, "EnumNext");
      const fetched = slot.address + BigInt(VARIANT_SIZE);
      while (true) {
        const hr = next(enumerator, 1, slot.address, fetched);
        if (failed(hr)) {
          throw new ComError(hr, { operation: `IEnumVARIANT::Next on ${this.#label}` });
        }
        if (hr !== 0 || slot.view.getUint32(VARIANT_SIZE, true) === 0) return;
        let item: unknown;
        try {
          item = decodeVariant(slot.view, 0);
        } finally {
          clearVariant(slot.view, 0, slot.address);
        }
        yield item;
      }
    } finally {
      release(enumerator);
    }
  }

  /**
   * Iterates a collection with `for await…of` (the same `Next` calls as
   * `for…of`, one item per turn).
   *
   * @returns The items.
   * @example Iterating with for await…of
   * ```ts
   * import { ComObject } from "./dispatch.ts";
   * declare const matches: ComObject;
   * for await (const match of matches) console.log((match as ComObject).get("Value"));
   * ```
   */
  async *[Symbol.asyncIterator](): AsyncIterator<unknown> {
    for (const item of this) yield item;
  }

  /** Releases the object (idempotent); later calls throw `ClosedError`. */
  close(): void {
    const pointer = this.#held.pointer;
    if (pointer === 0n) return;
    this.#held.pointer = 0n;
    finalizer.unregister(this.#held);
    release(pointer);
  }

  /** Same as `close()`. */
  [Symbol.dispose](): void {
    this.close();
  }

  #open(doing: string): bigint {
    const pointer = this.#held.pointer;
    if (pointer === 0n) {
      throw new ClosedError(`Cannot ${doing} COM object ${this.#label}: it is closed`);
    }
    return pointer;
  }

  #id(name: string): number {
    const key = name.toLowerCase();
    let id = this.#ids.get(key);
    if (id === undefined) {
      id = this.#idsOfNames([name])[0]!;
      this.#ids.set(key, id);
    }
    return id;
  }

  #idsOfNames(names: readonly string[]): number[] {
    const self = this.#held.pointer;
    const strings = names.map((n) => encodeWide(n));
    const size = names.length * 12 + strings.reduce((n, s) => n + s.byteLength, 0);
    using memory = NativeMemory.alloc(size);
    let at = names.length * 12; // pointers (8 each) and DISPIDs (4 each) first
    strings.forEach((bytes, i) => {
      memory.bytes.set(bytes, at);
      memory.view.setBigUint64(i * 8, memory.address + BigInt(at), true);
      at += bytes.byteLength;
    });
    const idsAt = names.length * 8;
    const hr = method(self, "GetIDsOfNames")(
      self,
      guidAddress(IID_NULL),
      memory.address,
      names.length,
      LOCALE_USER_DEFAULT,
      memory.address + BigInt(idsAt),
    );
    if (failed(hr)) {
      const unknown = names.filter((_, i) => memory.view.getInt32(idsAt + i * 4, true) === -1);
      throw new ComError(hr, {
        operation: `GetIDsOfNames ${
          (unknown.length ? unknown : names).map((n) => `'${n}'`).join(", ")
        } on ${this.#label}`,
      });
    }
    return names.map((_, i) => memory.view.getInt32(idsAt + i * 4, true));
  }

  #invoke(
    what: string,
    dispid: number,
    flags: number,
    args: readonly unknown[],
    namedValues: readonly unknown[],
    namedIds: readonly number[],
    put: boolean,
  ): unknown {
    const self = this.#held.pointer;
    // rgvarg holds the named arguments first (matching rgdispidNamedArgs), then
    // the positional ones in reverse order. A put's value is its one named argument.
    const values: unknown[] = put
      ? [args.at(-1), ...args.slice(0, -1).reverse()]
      : [...namedValues, ...[...args].reverse()];
    const refs = values.filter((v): v is ComRef => v instanceof ComRef);
    const argsAt = NAMED_AT + Math.ceil((namedIds.length * 4) / 8) * 8;
    const refsAt = argsAt + values.length * VARIANT_SIZE;
    const size = refsAt + refs.length * VARIANT_SIZE;
    const frame = takeFrame(size);
    const view = frame.view;
    const base = frame.address;
    new Uint8Array(frame.bytes.buffer, 0, size).fill(0);
    const written: number[] = [];
    const failures: unknown[] = [];
    let result: unknown;
    try {
      let refIndex = 0;
      values.forEach((value, i) => {
        const at = argsAt + i * VARIANT_SIZE;
        if (value instanceof ComRef) {
          const inner = refsAt + refIndex++ * VARIANT_SIZE;
          encodeVariant(view, inner, value.value);
          written.push(inner);
          view.setUint16(at, VT.BYREF | VT.VARIANT, true);
          view.setBigUint64(at + 8, base + BigInt(inner), true);
        } else {
          encodeVariant(view, at, value);
          written.push(at);
        }
      });
      namedIds.forEach((id, i) => view.setInt32(NAMED_AT + i * 4, id, true));
      view.setBigUint64(DISPPARAMS_AT, values.length ? base + BigInt(argsAt) : 0n, true);
      view.setBigUint64(DISPPARAMS_AT + 8, namedIds.length ? base + BigInt(NAMED_AT) : 0n, true);
      view.setUint32(DISPPARAMS_AT + 16, values.length, true);
      view.setUint32(DISPPARAMS_AT + 20, namedIds.length, true);
      const hr = (this.#invokeFunction ??= method(self, "Invoke"))(
        self,
        dispid,
        guidAddress(IID_NULL),
        LOCALE_USER_DEFAULT,
        flags,
        base + BigInt(DISPPARAMS_AT),
        put ? 0n : base + BigInt(RESULT_AT),
        base + BigInt(EXCEPINFO_AT),
        base + BigInt(ARGERR_AT),
      );
      if (failed(hr)) {
        throw this.#failure(hr, what, frame, values.length, namedIds.length, args.length, put);
      }
      // By-reference arguments come back first, then the result.
      refIndex = 0;
      for (const value of values) {
        if (value instanceof ComRef) {
          value.value = decodeVariant(view, refsAt + refIndex++ * VARIANT_SIZE);
        }
      }
      result = put ? undefined : decodeVariant(view, RESULT_AT);
    } catch (error) {
      failures.push(error);
    }
    // What the call allocated is freed on every path, then every failure is reported.
    for (const at of [...written, RESULT_AT]) {
      try {
        clearVariant(view, at, base + BigInt(at));
      } catch (error) {
        failures.push(error);
      }
    }
    returnFrame(frame);
    if (failures.length === 1) throw failures[0];
    if (failures.length > 1) {
      throw new AggregateError(failures, `Invoke ${what} on ${this.#label} failed`);
    }
    return result;
  }

  #failure(
    hr: number,
    what: string,
    frame: NativeMemory,
    count: number,
    namedCount: number,
    positional: number,
    put: boolean,
  ): ComError {
    const view = frame.view;
    let source: string | undefined;
    let description: string | undefined;
    if (toHresult(hr) === HRESULT.DISP_E_EXCEPTION) {
      const deferred = view.getBigUint64(EXCEPINFO_AT + 48, true);
      if (deferred !== 0n) {
        functionAt(deferred, { args: ["pointer"], returns: "i32" })(
          frame.address + BigInt(EXCEPINFO_AT),
        );
      }
      const bstrs = [8, 16, 24].map((o) => view.getBigUint64(EXCEPINFO_AT + o, true));
      source = readBstr(bstrs[0]!);
      description = readBstr(bstrs[1]!);
      for (const bstr of bstrs) if (bstr !== 0n) oleaut32.symbols.SysFreeString(bstr);
      const scode = view.getInt32(EXCEPINFO_AT + 56, true);
      if (scode !== 0) hr = scode;
    }
    let argumentIndex: number | undefined;
    const code = toHresult(hr);
    if (code === HRESULT.DISP_E_TYPEMISMATCH || code === HRESULT.DISP_E_PARAMNOTFOUND) {
      const slot = view.getUint32(ARGERR_AT, true);
      if (slot < count) {
        // Back from rgvarg's order (named first, positional reversed) to call order.
        if (put) argumentIndex = positional - 1 - slot;
        else if (slot >= namedCount) argumentIndex = count - 1 - slot;
        else argumentIndex = positional + slot;
      }
    }
    return new ComError(hr, {
      operation: `Invoke ${what} on ${this.#label}`,
      ...(source ? { source } : {}),
      ...(description ? { description } : {}),
      ...(argumentIndex === undefined ? {} : { argumentIndex }),
    });
  }

  #enumerator(): bigint {
    const enumerable = this.invoke(DISPID_NEWENUM, { kind: "get" });
    if (!(enumerable instanceof ComObject)) {
      throw new TypeError(
        `Cannot iterate COM object ${this.#label}: its _NewEnum is not an object`,
      );
    }
    try {
      const enumerator = queryInterface(enumerable.pointer, IID_IEnumVARIANT);
      if (enumerator === null) {
        throw new ComError(HRESULT.E_NOINTERFACE, {
          operation: `Iterating ${this.#label} (IEnumVARIANT)`,
        });
      }
      return enumerator;
    } finally {
      enumerable.close();
    }
  }
}

function classId(name: string): NativeMemory {
  if (typeof name !== "string" || name.length === 0) {
    throw new TypeError("Cannot find a COM class: pass its ProgID or CLSID as a non-empty string");
  }
  const clsid = NativeMemory.alloc(16);
  const guid = isGuid(name);
  const text = guid && !name.startsWith("{") ? `{${name}}` : name;
  const hr = guid
    ? ole32.symbols.CLSIDFromString(encodeWide(text), clsid.address)
    : ole32.symbols.CLSIDFromProgID(encodeWide(text), clsid.address);
  if (failed(hr)) {
    clsid.free();
    if (
      toHresult(hr) === HRESULT.CO_E_CLASSSTRING || toHresult(hr) === HRESULT.REGDB_E_CLASSNOTREG
    ) {
      throw new NotFoundError(
        `Cannot find COM class '${name}': no such ProgID or CLSID is registered`,
        name,
        {
          cause: new ComError(hr, { operation: guid ? "CLSIDFromString" : "CLSIDFromProgID" }),
        },
      );
    }
    throw new ComError(hr, { operation: `CLSIDFromProgID '${name}'` });
  }
  return clsid;
}

/** Wraps an IUnknown reference: as IDispatch when the object has it. */
function fromUnknown(unknown: bigint, label: string): ComObject {
  const dispatch = queryInterface(unknown, IID_IDispatch);
  if (dispatch === null) return new ComObject(unknown, false, label);
  release(unknown);
  return new ComObject(dispatch, true, label);
}

function requireWindows(verb: string): void {
  if (platform !== "windows") {
    throw new UnsupportedPlatformError(
      `Cannot ${verb} a COM object on ${platform}: COM exists only on Windows`,
    );
  }
}

function checkName(options: { name?: unknown } | undefined, verb: string): string {
  const name = options?.name;
  if (typeof name !== "string" || name === "") {
    throw new TypeError(`Cannot ${verb} a COM object: name must be a ProgID or CLSID string`);
  }
  requireWindows(verb);
  return name;
}

function createObject(name: string, context: ComContext): ComObject {
  ensureApartment();
  using clsid = classId(name);
  using out = NativeMemory.alloc(8);
  const create = (iid: Uint8Array) =>
    ole32.symbols.CoCreateInstance(
      clsid.address,
      0n,
      CLSCTX[context],
      guidAddress(iid),
      out.address,
    );
  let hr = create(IID_IDispatch);
  if (toHresult(hr) === HRESULT.E_NOINTERFACE) {
    hr = create(IID_IUnknown);
    if (!failed(hr)) return new ComObject(out.view.getBigUint64(0, true), false, `'${name}'`);
  }
  if (toHresult(hr) === HRESULT.REGDB_E_CLASSNOTREG) {
    throw new NotFoundError(
      `Cannot create COM object '${name}': its class is not registered for context '${context}'`,
      name,
      {
        cause: new ComError(hr, { operation: "CoCreateInstance" }),
      },
    );
  }
  if (failed(hr)) throw new ComError(hr, { operation: `CoCreateInstance '${name}'` });
  return new ComObject(out.view.getBigUint64(0, true), true, `'${name}'`);
}

function activeObject(name: string): ComObject {
  ensureApartment();
  using clsid = classId(name);
  using out = NativeMemory.alloc(8);
  const hr = oleaut32.symbols.GetActiveObject(clsid.address, 0n, out.address);
  if (toHresult(hr) === HRESULT.MK_E_UNAVAILABLE) {
    throw new NotFoundError(
      `Cannot open COM object '${name}': no object of that class is running`,
      name,
      {
        cause: new ComError(hr, { operation: "GetActiveObject" }),
      },
    );
  }
  if (failed(hr)) throw new ComError(hr, { operation: `GetActiveObject '${name}'` });
  return fromUnknown(out.view.getBigUint64(0, true), `'${name}'`);
}

function bindMoniker(moniker: string): ComObject {
  ensureApartment();
  using out = NativeMemory.alloc(8);
  const hr = ole32.symbols.CoGetObject(
    encodeWide(moniker),
    0n,
    guidAddress(IID_IUnknown),
    out.address,
  );
  const code = toHresult(hr);
  // MK_E_UNAVAILABLE, MK_E_SYNTAX, MK_E_NOOBJECT: nothing answers to the name.
  if (code === HRESULT.MK_E_UNAVAILABLE || code === HRESULT.MK_E_SYNTAX || code === 0x800401e5) {
    throw new NotFoundError(
      `Cannot open COM object at moniker '${moniker}': nothing answers to it`,
      moniker,
      {
        cause: new ComError(hr, { operation: "CoGetObject" }),
      },
    );
  }
  if (failed(hr)) throw new ComError(hr, { operation: `CoGetObject '${moniker}'` });
  return fromUnknown(out.view.getBigUint64(0, true), `'${moniker}'`);
}

registerObjectCodec({
  encode(value) {
    if (!(value instanceof ComObject)) return undefined;
    const pointer = value.pointer;
    addRef(pointer);
    return { pointer, dispatch: value.isDispatch };
  },
  decode(pointer, dispatch) {
    addRef(pointer);
    return dispatch
      ? new ComObject(pointer, true, "(returned object)")
      : fromUnknown(pointer, "(returned object)");
  },
});
setReleaseFunction(release);
