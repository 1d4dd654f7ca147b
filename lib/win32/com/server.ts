/**
 * COM objects implemented in JavaScript (Windows): a plain object served as
 * IDispatch, with IConnectionPointContainer/IConnectionPoint for events and
 * a class factory, published in the running object table and under a ProgID.
 *
 * Threading. Served objects live in a single-threaded apartment: the
 * process's message-loop thread (lib/win32/message_loop.ts), initialised
 * with CoInitializeEx(COINIT_APARTMENTTHREADED). Calls from other apartments
 * and processes arrive there as window messages, which that thread's
 * GetMessageW loop dispatches to the objects' vtables:
 * - QueryInterface, AddRef and Release are answered on the loop thread
 *   itself from the object's native memory (lib/win32/com/_server_thread.ts):
 *   COM calls them at moments the JavaScript thread may be blocked in a
 *   synchronous COM call of its own.
 * - Every other method is a loop callback (`MessageLoop.callback`): the loop
 *   thread waits while the JavaScript thread runs it, exactly like a window
 *   procedure's sent message. An async handler is awaited (the loop waits on
 *   the hand-off, the event loop keeps running, nothing polls) and the reply
 *   is written before the loop thread returns to COM.
 *
 * @module
 */
import { type CallbackDef, nativeBuffer, NativeMemory, readWideString } from "../../ffi/mod.ts";
import { MessageLoop, MessageWindow } from "../message_loop.ts";
import { ComError, toHresult } from "./error.ts";
import { IID_IDispatch, IID_IUnknown, parseGuid } from "./guid.ts";
import { allocBstr, readVariant, VARIANT_SIZE, VT, writeByRef, writeVariant } from "./variant.ts";
import { ole32 } from "./ole32.ts";
import { oleaut32 } from "./oleaut32.ts";
import { OBJECT, WM_COM_FINAL_RELEASE } from "./_server_thread.ts";

/** IConnectionPointContainer. */
export const IID_IConnectionPointContainer: Uint8Array = parseGuid(
  "{B196B284-BAB4-101A-B69C-00AA00341D07}",
);
/** IConnectionPoint. */
export const IID_IConnectionPoint: Uint8Array = parseGuid(
  "{B196B286-BAB4-101A-B69C-00AA00341D07}",
);
/** IClassFactory. */
export const IID_IClassFactory: Uint8Array = parseGuid("{00000001-0000-0000-C000-000000000046}");

const HR = {
  S_OK: 0,
  E_NOTIMPL: 0x80004001 | 0,
  E_POINTER: 0x80004003 | 0,
  E_FAIL: 0x80004005 | 0,
  E_UNEXPECTED: 0x8000ffff | 0,
  CLASS_E_NOAGGREGATION: 0x80040110 | 0,
  CONNECT_E_NOCONNECTION: 0x80040200 | 0,
  CONNECT_E_CANNOTCONNECT: 0x80040202 | 0,
  DISP_E_MEMBERNOTFOUND: 0x80020003 | 0,
  DISP_E_TYPEMISMATCH: 0x80020005 | 0,
  DISP_E_UNKNOWNNAME: 0x80020006 | 0,
  DISP_E_NONAMEDARGS: 0x80020007 | 0,
  DISP_E_EXCEPTION: 0x80020009 | 0,
  RPC_E_TIMEOUT: 0x8001011f | 0,
} as const;

const COINIT_APARTMENTTHREADED = 0x2;
const DISPATCH_PROPERTYPUT = 4;
const DISPATCH_PROPERTYPUTREF = 8;
const DISPID_PROPERTYPUT = -3;
const DISPID_UNKNOWN = -1;
const CC_STDCALL = 4;
/** The loop thread never gives up on an answer: the server enforces its own deadline (replyTimeout). */
const LOOP_REPLY_TIMEOUT = 0x7fffffff;
const EXCEPINFO_SIZE = 64;

/** Vtable slots after IUnknown's three, per interface. */
const SIGNATURES = {
  // IDispatch
  GetTypeInfoCount: { args: ["pointer", "pointer"], returns: "i32" },
  GetTypeInfo: { args: ["pointer", "u32", "u32", "pointer"], returns: "i32" },
  GetIDsOfNames: {
    args: ["pointer", "pointer", "pointer", "u32", "u32", "pointer"],
    returns: "i32",
  },
  Invoke: {
    args: ["pointer", "i32", "pointer", "u32", "u16", "pointer", "pointer", "pointer", "pointer"],
    returns: "i32",
  },
  // IConnectionPointContainer
  EnumConnectionPoints: { args: ["pointer", "pointer"], returns: "i32" },
  FindConnectionPoint: { args: ["pointer", "pointer", "pointer"], returns: "i32" },
  // IConnectionPoint
  GetConnectionInterface: { args: ["pointer", "pointer"], returns: "i32" },
  GetConnectionPointContainer: { args: ["pointer", "pointer"], returns: "i32" },
  Advise: { args: ["pointer", "pointer", "pointer"], returns: "i32" },
  Unadvise: { args: ["pointer", "u32"], returns: "i32" },
  EnumConnections: { args: ["pointer", "pointer"], returns: "i32" },
  // IClassFactory
  CreateInstance: { args: ["pointer", "pointer", "pointer", "pointer"], returns: "i32" },
  LockServer: { args: ["pointer", "i32"], returns: "i32" },
} as const satisfies Record<string, CallbackDef>;

type MethodName = keyof typeof SIGNATURES;

/** The interfaces of each kind of object, in vtable order, with their offset in the object. */
const LAYOUTS = {
  dispatch: [{
    offset: 0,
    methods: ["GetTypeInfoCount", "GetTypeInfo", "GetIDsOfNames", "Invoke"],
  }],
  source: [
    { offset: 0, methods: ["GetTypeInfoCount", "GetTypeInfo", "GetIDsOfNames", "Invoke"] },
    { offset: 8, methods: ["EnumConnectionPoints", "FindConnectionPoint"] },
    {
      offset: 16,
      methods: [
        "GetConnectionInterface",
        "GetConnectionPointContainer",
        "Advise",
        "Unadvise",
        "EnumConnections",
      ],
    },
  ],
  factory: [{ offset: 0, methods: ["CreateInstance", "LockServer"] }],
} as const satisfies Record<string, readonly { offset: number; methods: readonly MethodName[] }[]>;

type Kind = keyof typeof LAYOUTS;

function view(address: bigint, length: number): DataView {
  return new DataView(nativeBuffer(address, length));
}

function writePointer(address: bigint, value: bigint): void {
  view(address, 8).setBigUint64(0, value, true);
}

function readPointerAt(address: bigint): bigint {
  return view(address, 8).getBigUint64(0, true);
}

function sameGuid(address: bigint, iid: Uint8Array): boolean {
  const bytes = new Uint8Array(nativeBuffer(address, 16));
  return iid.every((byte, i) => byte === bytes[i]);
}

/**
 * What a native object does, on the JavaScript thread: its vtable methods by
 * name, and `finalRelease` when its count reaches 0 (nothing calls it then).
 */
type Implementation = object & { finalRelease?(): void };

/** A native object: its memory (which never moves) and its implementation. */
interface NativeObject {
  readonly memory: NativeMemory;
  readonly kind: Kind;
  readonly implementation: Implementation;
}

/**
 * The process's COM server apartment: the loop thread initialised as an STA,
 * the vtables (one per interface kind, shared by all objects) and the objects
 * by address. One exists while any served object does.
 */
export class ComApartment {
  static #current: Promise<ComApartment> | null = null;
  static #users = 0;

  readonly #loop: MessageLoop;
  readonly #window: MessageWindow;
  readonly #vtables = new Map<string, NativeMemory>();
  readonly #objects = new Map<bigint, NativeObject>();
  /** Async answers not written yet; cancelled when the apartment closes (the loop answers 0 then). */
  readonly pending = new Set<{ cancelled: boolean }>();

  private constructor(loop: MessageLoop, window: MessageWindow) {
    this.#loop = loop;
    this.#window = window;
  }

  /**
   * Takes a hold on the apartment, starting it (the loop thread as an STA,
   * the vtables) if none exists.
   *
   * @returns The apartment; release the hold with {@link ComApartment.release}.
   */
  static acquire(): Promise<ComApartment> {
    ComApartment.#users++;
    const current = ComApartment.#current ??= ComApartment.#start();
    return current.catch((error) => {
      ComApartment.#users--;
      if (ComApartment.#current === current) ComApartment.#current = null;
      throw error;
    });
  }

  static async #start(): Promise<ComApartment> {
    const loop = MessageLoop.open();
    let window: MessageWindow | null = null;
    try {
      const [hr] = await loop.batch([[
        ole32,
        "CoInitializeEx",
        0n,
        COINIT_APARTMENTTHREADED,
      ]]);
      if (hr < 0) {
        throw new ComError(hr, { operation: "CoInitializeEx on the message-loop thread" });
      }
      // The window's handler needs the apartment, which needs the window.
      const made: { apartment?: ComApartment } = {};
      window = await MessageWindow.create({
        className: "ipckit.ComServer",
        handlers: {
          [WM_COM_FINAL_RELEASE]: ({ lParam }) => {
            if (made.apartment) made.apartment.#finalRelease(lParam);
          },
        },
        posted: [WM_COM_FINAL_RELEASE],
      });
      const apartment = made.apartment = new ComApartment(loop, window);
      await apartment.#makeVtables();
      return apartment;
    } catch (error) {
      await window?.close();
      await loop.close();
      throw error;
    }
  }

  /** Releases a hold; the last one uninitialises COM on the loop thread and frees the vtables. */
  async release(): Promise<void> {
    if (--ComApartment.#users > 0) return;
    ComApartment.#current = null;
    for (const answer of this.pending) answer.cancelled = true;
    try {
      await this.#loop._comUninitialize();
    } finally {
      await this.#window.close();
      await this.#loop.close();
      for (const { memory } of this.#objects.values()) memory.free();
      this.#objects.clear();
      for (const memory of this.#vtables.values()) memory.free();
    }
  }

  /** Native calls on the apartment's thread. */
  // deno-lint-ignore no-explicit-any -- each result has its own symbol's type
  batch(calls: Parameters<MessageLoop["batch"]>[0]): Promise<any[]> {
    return this.#loop.batch(calls);
  }

  async #makeVtables(): Promise<void> {
    const unknown = await this.#loop._comUnknownMethods();
    const names = Object.keys(SIGNATURES) as MethodName[];
    const made = await Promise.all(
      names.map((name) =>
        this.#loop.callback(
          SIGNATURES[name],
          (self: bigint, ...args: unknown[]) => this.#dispatch(name, self, args),
          { replyTimeout: LOOP_REPLY_TIMEOUT, onError: reportUncaught },
        )
      ),
    );
    const pointers = new Map(names.map((name, i) => [name, made[i]!.pointer]));
    for (const [kind, interfaces] of Object.entries(LAYOUTS)) {
      for (const { offset, methods } of interfaces) {
        // The slot before the first method holds the interface's offset in its object.
        const memory = NativeMemory.alloc(8 * (4 + methods.length));
        memory.view.setBigUint64(0, BigInt(offset), true);
        unknown.forEach((pointer, i) => memory.view.setBigUint64(8 * (1 + i), pointer, true));
        methods.forEach((name, i) =>
          memory.view.setBigUint64(8 * (4 + i), pointers.get(name)!, true)
        );
        this.#vtables.set(`${kind}/${offset}`, memory);
      }
    }
  }

  /**
   * Makes a native object of a kind, with one reference (the caller's).
   *
   * @param kind Its interfaces' layout.
   * @param interfaces The IIDs QueryInterface answers, with their offsets.
   * @param implementation What its methods do.
   * @returns The object's address (its first interface pointer).
   */
  createObject(
    kind: Kind,
    interfaces: readonly (readonly [Uint8Array, number])[],
    implementation: Implementation,
  ): bigint {
    const memory = NativeMemory.alloc(OBJECT.table + interfaces.length * OBJECT.entry);
    const v = memory.view;
    for (const { offset } of LAYOUTS[kind]) {
      v.setBigUint64(offset, this.#vtables.get(`${kind}/${offset}`)!.address + 8n, true);
    }
    v.setInt32(OBJECT.refs, 1, true);
    v.setUint32(OBJECT.count, interfaces.length, true);
    v.setBigUint64(OBJECT.window, this.#window.hwnd, true);
    interfaces.forEach(([iid, offset], i) => {
      const at = OBJECT.table + i * OBJECT.entry;
      memory.bytes.set(iid, at);
      v.setBigUint64(at + 16, BigInt(offset), true);
    });
    this.#objects.set(memory.address, { memory, kind, implementation });
    return memory.address;
  }

  /** The implementation behind an interface pointer of one of this apartment's objects. */
  implementationOf(pointer: bigint): Implementation | undefined {
    const vtable = readPointerAt(pointer);
    const offset = readPointerAt(vtable - 8n);
    return this.#objects.get(pointer - offset)?.implementation;
  }

  /**
   * Calls a vtable method of any interface on the apartment's thread
   * (DispCallFunc), for objects of other apartments or processes (sinks) and
   * for our own (Release).
   *
   * @param self The interface pointer.
   * @param slot The method's vtable slot.
   * @param args Pointer-sized arguments after `this`.
   * @returns The method's 32-bit result.
   */
  async callMethod(self: bigint, slot: number, args: readonly bigint[] = []): Promise<number> {
    using types = NativeMemory.alloc(2 * Math.max(1, args.length));
    using values = NativeMemory.alloc(VARIANT_SIZE * Math.max(1, args.length));
    using pointers = NativeMemory.alloc(8 * Math.max(1, args.length));
    using result = NativeMemory.alloc(VARIANT_SIZE);
    args.forEach((arg, i) => {
      types.view.setUint16(2 * i, VT.UI8, true);
      values.view.setUint16(VARIANT_SIZE * i, VT.UI8, true);
      values.view.setBigUint64(VARIANT_SIZE * i + 8, arg, true);
      pointers.view.setBigUint64(8 * i, values.address + BigInt(VARIANT_SIZE * i), true);
    });
    const [hr] = await this.#loop.batch([[
      oleaut32,
      "DispCallFunc",
      self,
      BigInt(slot * 8),
      CC_STDCALL,
      VT.UI4,
      args.length,
      types.address,
      pointers.address,
      result.address,
    ]]);
    if (hr < 0) throw new ComError(hr, { operation: `DispCallFunc (vtable slot ${slot})` });
    return result.view.getInt32(8, true);
  }

  #finalRelease(address: bigint): void {
    const object = this.#objects.get(address);
    if (!object) return;
    this.#objects.delete(address);
    try {
      object.implementation.finalRelease?.();
    } finally {
      object.memory.free();
    }
  }

  /** Runs a method of one of our objects; its HRESULT (or a promise of it) answers the loop thread. */
  #dispatch(name: MethodName, self: bigint, args: unknown[]): number | Promise<number> {
    const vtable = readPointerAt(self);
    const offset = readPointerAt(vtable - 8n);
    const object = this.#objects.get(self - offset);
    // deno-lint-ignore no-explicit-any -- each method reads its own arguments
    const method = (object?.implementation as any)?.[name] as
      | ((...args: unknown[]) => number | Promise<number>)
      | undefined;
    if (!method) return HR.E_NOTIMPL;
    return method.apply(object!.implementation, args);
  }
}

/**
 * Whether an HRESULT says the other side is gone for good: its process died
 * or it was disconnected (RPC_E_DISCONNECTED, RPC_S_SERVER_UNAVAILABLE,
 * RPC_S_CALL_FAILED, RPC_E_SERVER_DIED(_DNE), CO_E_OBJNOTCONNECTED, and
 * RPC_S_UNKNOWN_IF, which Wine returns while the exiting server's stubs are
 * already torn down).
 *
 * @param hr The HRESULT, signed or unsigned.
 * @returns True for those codes.
 */
export function isGone(hr: number): boolean {
  const code = hr >>> 0;
  return code === 0x80010108 || code === 0x800706ba || code === 0x800706be ||
    code === 0x800706b5 || code === 0x80010007 || code === 0x80010012 || code === 0x800401fd;
}

function reportUncaught(error: unknown): void {
  queueMicrotask(() => {
    throw error;
  });
}

// ---- the IDispatch of a plain object -----------------------------------------------

/** A served member: its DISPID and the name as the object spells it. */
interface Member {
  readonly id: number;
  readonly name: string;
}

/**
 * DISPIDs by name, assigned once per name and never reused: the object's
 * members (own and inherited, up to Object.prototype) in enumeration order,
 * then event names, then names added later as they are first asked for.
 * Names match regardless of case, as VBScript expects.
 */
export class MemberTable {
  readonly #byName = new Map<string, Member>();
  readonly #byId = new Map<number, Member>();
  #next = 1;

  /**
   * @param target The served object.
   * @param events Event names (they get DISPIDs too, so clients can resolve them).
   */
  constructor(readonly target: object, events: readonly string[] = []) {
    for (const name of [...memberNames(target), ...events]) this.#add(name);
  }

  /**
   * The member a name refers to, case-insensitively; a name the object has
   * gained since it was published gets the next DISPID.
   *
   * @param name The name.
   * @returns The member, or `undefined` when the object has no such member.
   */
  lookup(name: string): Member | undefined {
    const known = this.#byName.get(name.toLowerCase());
    if (known) return known;
    const actual = memberNames(this.target).find((n) => n.toLowerCase() === name.toLowerCase());
    return actual === undefined ? undefined : this.#add(actual);
  }

  /**
   * The member with a DISPID.
   *
   * @param id The DISPID.
   * @returns The member, or `undefined`.
   */
  byId(id: number): Member | undefined {
    return this.#byId.get(id);
  }

  #add(name: string): Member {
    const key = name.toLowerCase();
    const known = this.#byName.get(key);
    if (known) return known;
    const member = { id: this.#next++, name };
    this.#byName.set(key, member);
    this.#byId.set(member.id, member);
    return member;
  }
}

function memberNames(target: object): string[] {
  const names: string[] = [];
  const seen = new Set<string>();
  for (
    let level: object | null = target;
    level !== null && level !== Object.prototype && level !== Function.prototype;
    level = Object.getPrototypeOf(level)
  ) {
    for (const name of Object.getOwnPropertyNames(level)) {
      if (name === "constructor" || seen.has(name.toLowerCase())) continue;
      seen.add(name.toLowerCase());
      names.push(name);
    }
  }
  return names;
}

/** How a served object reports an error to its caller. */
export interface ErrorSource {
  /** EXCEPINFO's bstrSource (the ProgID, say). */
  readonly source: string;
  /** The longest an async member may take before the caller gets RPC_E_TIMEOUT, in ms. */
  readonly replyTimeout: number;
}

/** A thrown value's HRESULT for EXCEPINFO's scode: its `hresult`, else E_FAIL. */
function scodeOf(error: unknown): number {
  const hresult = (error as { hresult?: unknown })?.hresult;
  return typeof hresult === "number" ? hresult | 0 : HR.E_FAIL;
}

function fillExcepInfo(address: bigint, source: string, description: string, scode: number): void {
  if (address === 0n) return;
  const v = view(address, EXCEPINFO_SIZE);
  for (let i = 0; i < EXCEPINFO_SIZE; i += 8) v.setBigUint64(i, 0n, true);
  v.setBigUint64(8, allocBstr(source), true);
  v.setBigUint64(16, allocBstr(description), true);
  v.setInt32(56, scode, true);
}

/** Arguments of one Invoke, read while the caller's memory is valid. */
interface InvokeCall {
  readonly flags: number;
  readonly args: unknown[];
  /** The by-reference VARIANTs, by argument index, for out parameters. */
  readonly byRef: Map<number, bigint>;
  readonly result: bigint;
  readonly excepInfo: bigint;
}

/** Reads DISPPARAMS into call order; a VARIANT with no JavaScript form throws its index. */
function readArguments(
  params: bigint,
  flags: number,
): { args: unknown[]; byRef: Map<number, bigint> } | { mismatch: number } | { named: true } {
  const p = view(params, 24);
  const rgvarg = p.getBigUint64(0, true);
  const named = p.getBigUint64(8, true);
  const count = p.getUint32(16, true);
  const namedCount = p.getUint32(20, true);
  const isPut = (flags & (DISPATCH_PROPERTYPUT | DISPATCH_PROPERTYPUTREF)) !== 0;
  if (
    namedCount > 1 ||
    (namedCount === 1 && (!isPut || view(named, 4).getInt32(0, true) !== DISPID_PROPERTYPUT))
  ) {
    return { named: true };
  }
  const args: unknown[] = [];
  const byRef = new Map<number, bigint>();
  // rgvarg holds the arguments last first; a put's value (the named one) is rgvarg[0].
  for (let i = count - 1; i >= 0; i--) {
    const address = rgvarg + BigInt(i * VARIANT_SIZE);
    try {
      args.push(readVariant(address));
    } catch {
      return { mismatch: i };
    }
    if (view(address, 2).getUint16(0, true) & VT.BYREF) byRef.set(args.length - 1, address);
  }
  return { args, byRef };
}

/**
 * The IDispatch (and IConnectionPointContainer) of a served plain object.
 * Its methods run on the JavaScript thread while the loop thread waits.
 */
export class DispatchImplementation implements Implementation {
  readonly members: MemberTable;
  /** Sinks subscribed through the connection point, by cookie (their IDispatch pointers). */
  readonly sinks = new Map<number, bigint>();
  #nextCookie = 1;
  /** The object's address, once made. */
  address = 0n;

  /**
   * @param apartment The apartment.
   * @param target The served object.
   * @param errors How errors are reported.
   * @param events Event names, when the object is an event source.
   * @param eventIid The source interface's IID (sinks may implement only it).
   * @param onFinalRelease Runs when the last reference goes.
   */
  constructor(
    readonly apartment: ComApartment,
    readonly target: object,
    readonly errors: ErrorSource,
    events: readonly string[],
    readonly eventIid: Uint8Array,
    readonly onFinalRelease?: () => void,
  ) {
    this.members = new MemberTable(target, events);
  }

  finalRelease(): void {
    this.onFinalRelease?.();
  }

  GetTypeInfoCount(out: bigint): number {
    if (out === 0n) return HR.E_POINTER;
    view(out, 4).setUint32(0, 0, true);
    return HR.S_OK;
  }

  GetTypeInfo(_index: number, _lcid: number, out: bigint): number {
    if (out !== 0n) writePointer(out, 0n);
    return HR.E_NOTIMPL;
  }

  GetIDsOfNames(_riid: bigint, names: bigint, count: number, _lcid: number, ids: bigint): number {
    if (names === 0n || ids === 0n || count === 0) return HR.E_POINTER;
    const out = view(ids, 4 * count);
    const member = this.members.lookup(readWideString(readPointerAt(names)));
    out.setInt32(0, member?.id ?? DISPID_UNKNOWN, true);
    // Parameter names: JavaScript functions have none that COM could use.
    for (let i = 1; i < count; i++) out.setInt32(4 * i, DISPID_UNKNOWN, true);
    return member && count === 1 ? HR.S_OK : HR.DISP_E_UNKNOWNNAME;
  }

  Invoke(
    dispid: number,
    _riid: bigint,
    _lcid: number,
    flags: number,
    params: bigint,
    result: bigint,
    excepInfo: bigint,
    argErr: bigint,
  ): number | Promise<number> {
    const member = this.members.byId(dispid);
    if (!member) return HR.DISP_E_MEMBERNOTFOUND;
    const read = params === 0n ? { args: [], byRef: new Map() } : readArguments(params, flags);
    if ("named" in read) return HR.DISP_E_NONAMEDARGS;
    if ("mismatch" in read) {
      if (argErr !== 0n) view(argErr, 4).setUint32(0, read.mismatch, true);
      return HR.DISP_E_TYPEMISMATCH;
    }
    const call: InvokeCall = { flags, args: read.args, byRef: read.byRef, result, excepInfo };
    let value: unknown;
    try {
      value = this.#run(member, call);
    } catch (error) {
      return this.#fail(call, error);
    }
    if (!(value instanceof Promise)) return this.#answer(call, value);
    return this.#answerLater(member, call, value);
  }

  /** Runs the member: a method call, a property get (indexed when given arguments) or a put. */
  #run(member: Member, call: InvokeCall): unknown {
    const target = this.target as Record<string, unknown>;
    const current = target[member.name];
    if (call.flags & (DISPATCH_PROPERTYPUT | DISPATCH_PROPERTYPUTREF)) {
      const value = call.args[call.args.length - 1];
      if (typeof current === "function") {
        throw new ComError(HR.DISP_E_MEMBERNOTFOUND, {
          operation: `Setting method '${member.name}'`,
        });
      }
      if (call.args.length > 1) {
        (current as Record<string, unknown>)[String(call.args[0])] = value;
      } else {
        target[member.name] = value;
      }
      return undefined;
    }
    if (typeof current === "function") {
      const outs = call.args.map((arg, i) => call.byRef.has(i) ? new OutArgument(arg) : arg);
      const value = (current as (...args: unknown[]) => unknown).apply(this.target, outs);
      const write = () => {
        outs.forEach((arg, i) => {
          if (arg instanceof OutArgument && arg.changed) writeByRef(call.byRef.get(i)!, arg.value);
        });
      };
      if (value instanceof Promise) return value.then((v) => ({ [OUTS]: write, value: v }));
      write();
      return value;
    }
    if (call.args.length > 0 && current !== null && typeof current === "object") {
      const index = call.args[0];
      const indexed = current as { get?(key: unknown): unknown } & Record<string, unknown>;
      return current instanceof Map ? indexed.get!(index) : indexed[String(index)];
    }
    return current;
  }

  #answer(call: InvokeCall, value: unknown): number {
    if (call.result === 0n) return HR.S_OK;
    try {
      const variant = this.#toVariantValue(value);
      if (variant instanceof ServedPointer) {
        // The new object's one reference goes to the VARIANT (VariantClear releases it).
        const out = view(call.result, VARIANT_SIZE);
        writeVariant(call.result, undefined);
        out.setUint16(0, VT.DISPATCH, true);
        out.setBigUint64(8, variant.pointer, true);
      } else {
        writeVariant(call.result, variant);
      }
    } catch (error) {
      return this.#fail(call, error);
    }
    return HR.S_OK;
  }

  /** Awaits an async member, then writes the reply while the loop thread still waits for it. */
  async #answerLater(member: Member, call: InvokeCall, pending: Promise<unknown>): Promise<number> {
    const answer = { cancelled: false };
    this.apartment.pending.add(answer);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new ComError(HR.RPC_E_TIMEOUT, {
              operation: `'${member.name}' did not answer within ${this.errors.replyTimeout} ms`,
            }),
          ),
        this.errors.replyTimeout,
      );
    });
    try {
      let value = await Promise.race([pending, timeout]);
      if (answer.cancelled) return HR.E_UNEXPECTED;
      if (value !== null && typeof value === "object" && OUTS in value) {
        const settled = value as { [OUTS]: () => void; value: unknown };
        settled[OUTS]();
        value = settled.value;
      }
      return this.#answer(call, value);
    } catch (error) {
      if (answer.cancelled) return HR.E_UNEXPECTED;
      return this.#fail(call, error);
    } finally {
      clearTimeout(timer);
      this.apartment.pending.delete(answer);
    }
  }

  #fail(call: InvokeCall, error: unknown): number {
    const description = error instanceof Error ? error.message : String(error);
    fillExcepInfo(call.excepInfo, this.errors.source, description, scodeOf(error));
    return HR.DISP_E_EXCEPTION;
  }

  /** A plain object in a result is served as a new IDispatch object of this apartment. */
  #toVariantValue(value: unknown): unknown {
    if (!isPlainServable(value)) return value;
    const nested = new DispatchImplementation(
      this.apartment,
      value as object,
      this.errors,
      [],
      this.eventIid,
    );
    nested.address = this.apartment.createObject("dispatch", [
      [IID_IUnknown, 0],
      [IID_IDispatch, 0],
    ], nested);
    return new ServedPointer(nested.address);
  }

  // ---- IConnectionPointContainer and IConnectionPoint ----

  EnumConnectionPoints(out: bigint): number {
    if (out !== 0n) writePointer(out, 0n);
    return HR.E_NOTIMPL;
  }

  FindConnectionPoint(riid: bigint, out: bigint): number {
    if (out === 0n || riid === 0n) return HR.E_POINTER;
    if (!sameGuid(riid, this.eventIid) && !sameGuid(riid, IID_IDispatch)) {
      writePointer(out, 0n);
      return HR.CONNECT_E_NOCONNECTION;
    }
    // The connection point is the object's third interface; QueryInterface adds the reference.
    return this.#addRefInterface(out, 16);
  }

  GetConnectionInterface(out: bigint): number {
    if (out === 0n) return HR.E_POINTER;
    new Uint8Array(nativeBuffer(out, 16)).set(this.eventIid);
    return HR.S_OK;
  }

  GetConnectionPointContainer(out: bigint): number {
    if (out === 0n) return HR.E_POINTER;
    return this.#addRefInterface(out, 8);
  }

  async Advise(sink: bigint, cookie: bigint): Promise<number> {
    if (sink === 0n || cookie === 0n) return HR.E_POINTER;
    // The sink must be called through IDispatch (a proxy of the IUnknown given cannot be).
    using out = NativeMemory.alloc(8);
    using iid = NativeMemory.alloc(16);
    let hr = HR.E_FAIL;
    for (const candidate of [IID_IDispatch, this.eventIid]) {
      iid.bytes.set(candidate);
      hr = await this.apartment.callMethod(sink, 0, [iid.address, out.address]);
      if (hr >= 0) break;
    }
    if (hr < 0) return HR.CONNECT_E_CANNOTCONNECT;
    const id = this.#nextCookie++;
    this.sinks.set(id, out.view.getBigUint64(0, true));
    view(cookie, 4).setUint32(0, id, true);
    return HR.S_OK;
  }

  async Unadvise(cookie: number): Promise<number> {
    const sink = this.sinks.get(cookie);
    if (sink === undefined) return HR.CONNECT_E_NOCONNECTION;
    this.sinks.delete(cookie);
    await this.apartment.callMethod(sink, 2).catch(() => undefined);
    return HR.S_OK;
  }

  EnumConnections(out: bigint): number {
    if (out !== 0n) writePointer(out, 0n);
    return HR.E_NOTIMPL;
  }

  /** Writes the object's interface at `offset` to `out`, with a reference for the caller. */
  #addRefInterface(out: bigint, offset: number): number {
    const view8 = view(this.address + BigInt(OBJECT.refs), 4);
    // The loop thread waits on this hand-off, so the count is ours to change here.
    view8.setInt32(0, view8.getInt32(0, true) + 1, true);
    writePointer(out, this.address + BigInt(offset));
    return HR.S_OK;
  }
}

const OUTS = Symbol("ipckit.com.outs");

/**
 * A by-reference argument as a served method sees it: read `value`, assign
 * it to answer through the caller's variable (VBScript `ByRef`).
 *
 * @example A method with an out parameter
 * ```ts
 * import { OutArgument } from "./server.ts";
 * const served = {
 *   Swap(a: OutArgument, b: OutArgument) {
 *     [a.value, b.value] = [b.value, a.value];
 *   },
 * };
 * ```
 */
export class OutArgument {
  #value: unknown;
  #changed = false;

  /** @param value The caller's current value. */
  constructor(value: unknown) {
    this.#value = value;
  }

  /** The value; assigning it changes the caller's variable when the call returns. */
  get value(): unknown {
    return this.#value;
  }
  set value(value: unknown) {
    this.#value = value;
    this.#changed = true;
  }

  /** Whether `value` was assigned. */
  get changed(): boolean {
    return this.#changed;
  }

  /** The value, when the argument is used as a primitive (`a + 1`). */
  valueOf(): unknown {
    return this.#value;
  }
}

/** An interface pointer of a served object, put in a VARIANT as VT_DISPATCH. */
export class ServedPointer {
  /** @param pointer The IDispatch pointer (its reference goes to the VARIANT). */
  constructor(readonly pointer: bigint) {}
}

function isPlainServable(value: unknown): boolean {
  if (value === null || typeof value !== "object") return false;
  const proto = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) return true;
  // Instances of user classes are served too; the VARIANT table's own types are not.
  return !(Array.isArray(value) || ArrayBuffer.isView(value) || value instanceof Date ||
    proto.constructor?.name === "ComObject" || value instanceof ServedPointer ||
    ["Currency", "Decimal", "SCode", "ComRef"].includes(proto.constructor?.name));
}

/**
 * The class factory of a served object: CreateInstance hands out the one
 * running object (CreateObject from any process reaches it).
 */
export class FactoryImplementation implements Implementation {
  /** @param object The served object's address. */
  constructor(readonly apartment: ComApartment, readonly object: bigint) {}

  async CreateInstance(outer: bigint, riid: bigint, out: bigint): Promise<number> {
    if (out === 0n || riid === 0n) return HR.E_POINTER;
    writePointer(out, 0n);
    if (outer !== 0n) return HR.CLASS_E_NOAGGREGATION;
    return await this.apartment.callMethod(this.object, 0, [riid, out]);
  }

  LockServer(_lock: number): number {
    return HR.S_OK;
  }
}

/**
 * The HRESULT for a failure (unsigned), for messages.
 *
 * @param hr A signed or unsigned HRESULT.
 * @returns `0x…` text.
 */
export function hresultText(hr: number): string {
  return `0x${toHresult(hr).toString(16).padStart(8, "0")}`;
}
