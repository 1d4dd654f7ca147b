/**
 * The client side of COM events (Windows): a sink IDispatch implemented in
 * JavaScript, subscribed to an object's connection point
 * (IConnectionPointContainer::FindConnectionPoint, IConnectionPoint::Advise).
 *
 * The sink lives in the message-loop thread's apartment (an STA, see
 * lib/win32/com/server.ts), so the events a source raises arrive there as
 * window messages and are handed to JavaScript like any served call. The
 * client's own calls run on the JavaScript thread, another apartment, so the
 * sink is marshalled into it
 * (CoMarshalInterThreadInterfaceInStream on the loop thread,
 * CoGetInterfaceAndReleaseStream here) before Advise passes it on.
 *
 * @module
 */
import {
  encodeWide,
  functionAt,
  nativeBuffer,
  NativeMemory,
  platform,
  type SymbolDef,
} from "../../ffi/mod.ts";
import { ClosedError, UnsupportedPlatformError } from "../../errors.ts";
import type { ComObject } from "./dispatch.ts";
import { ComError } from "./error.ts";
import { IID_IDispatch, IID_IUnknown, parseGuid } from "./guid.ts";
import { readVariant, VARIANT_SIZE } from "./variant.ts";
import { readPointer } from "./vtable.ts";
import { ole32 } from "./ole32.ts";
import { ComApartment, IID_IConnectionPointContainer, isGone } from "./server.ts";

const E_NOTIMPL = 0x80004001 | 0;
const DISP_E_UNKNOWNNAME = 0x80020006 | 0;

/** One event as a sink received it. */
export interface ComEvent {
  /** The event's name, when it was subscribed by name (else `undefined`). */
  readonly name: string | undefined;
  /** The event's DISPID. */
  readonly dispid: number;
  /** Its arguments, in declared order. */
  readonly args: unknown[];
}

/** Options of {@link ComEvents.subscribe}. */
export interface ComSubscribeOptions {
  /** The source interface's IID, `{…}` (default IDispatch, which ipckit's servers answer). */
  iid?: string;
}

const SLOT = {
  QueryInterface: 0,
  Release: 2,
  GetIDsOfNames: 5,
  FindConnectionPoint: 4,
  Advise: 5,
  Unadvise: 6,
} as const;

const DEFS = {
  QueryInterface: { args: ["pointer", "pointer", "pointer"], returns: "i32" },
  Release: { args: ["pointer"], returns: "u32" },
  GetIDsOfNames: {
    args: ["pointer", "pointer", "pointer", "u32", "u32", "pointer"],
    returns: "i32",
  },
  FindConnectionPoint: { args: ["pointer", "pointer", "pointer"], returns: "i32" },
  Advise: { args: ["pointer", "pointer", "pointer"], returns: "i32" },
  Unadvise: { args: ["pointer", "u32"], returns: "i32" },
} as const satisfies Record<keyof typeof SLOT, SymbolDef>;

/** Calls a vtable method on this thread (the client's apartment). */
function call<K extends keyof typeof SLOT>(self: bigint, name: K, ...args: unknown[]): number {
  const fn = functionAt(readPointer(readPointer(self) + BigInt(SLOT[name] * 8)), DEFS[name]);
  return (fn as (...a: unknown[]) => number)(self, ...args);
}

function check(hr: number, operation: string): void {
  if (hr < 0) throw new ComError(hr, { operation });
}

function guidMemory(bytes: Uint8Array): NativeMemory {
  const memory = NativeMemory.alloc(16);
  memory.bytes.set(bytes);
  return memory;
}

/**
 * An event subscription: handlers by event name, and `for await` over every
 * event received. `close()` unsubscribes (Unadvise); no event arrives after
 * it resolves.
 *
 * @example Handling a server's events
 * ```ts
 * import { ComObject } from "./dispatch.ts";
 * import { ComEvents } from "./events.ts";
 * using ticker = ComObject.create({ name: "Ipckit.Ticker" });
 * await using events = await ComEvents.subscribe(ticker);
 * events.on("tick", (n, label) => console.log(n, label));
 * ```
 */
export class ComEvents implements AsyncDisposable, AsyncIterable<ComEvent> {
  readonly #apartment: ComApartment;
  readonly #source: bigint;
  readonly #point: bigint;
  readonly #sink: bigint;
  readonly #cookie: number;
  readonly #names = new Map<number, string>();
  readonly #handlers = new Map<number, Set<(...args: unknown[]) => unknown>>();
  readonly #queue: ComEvent[] = [];
  #iterating = false;
  #wake: (() => void) | null = null;
  #closing: Promise<void> | null = null;

  private constructor(
    apartment: ComApartment,
    source: bigint,
    point: bigint,
    sink: bigint,
    cookie: number,
  ) {
    this.#apartment = apartment;
    this.#source = source;
    this.#point = point;
    this.#sink = sink;
    this.#cookie = cookie;
  }

  /**
   * Subscribes to an object's events: makes a sink, finds the object's
   * connection point and advises it.
   *
   * @param source The object raising events.
   * @param options The source interface's IID.
   * @returns The subscription.
   * @example Subscribing
   * ```ts
   * import { ComObject } from "./dispatch.ts";
   * import { ComEvents } from "./events.ts";
   * using source = ComObject.create({ name: "Ipckit.Ticker" });
   * const events = await ComEvents.subscribe(source);
   * await events.close();
   * ```
   */
  static async subscribe(source: ComObject, options: ComSubscribeOptions = {}): Promise<ComEvents> {
    if (platform !== "windows") {
      throw new UnsupportedPlatformError(
        `Cannot subscribe to COM events on ${platform}: COM exists only on Windows`,
      );
    }
    const iid = options.iid === undefined ? IID_IDispatch : parseGuid(options.iid);
    const pointer = source.pointer;
    const apartment = await ComApartment.acquire();
    let events: ComEvents | undefined;
    const implementation = {
      GetTypeInfoCount: (out: bigint) => {
        if (out !== 0n) new DataView(nativeBuffer(out, 4)).setUint32(0, 0, true);
        return 0;
      },
      GetTypeInfo: () => E_NOTIMPL,
      GetIDsOfNames: () => DISP_E_UNKNOWNNAME,
      Invoke: (dispid: number, _riid: bigint, _lcid: number, _flags: number, params: bigint) => {
        events?._deliver(dispid, params);
        return 0;
      },
    };
    const sink = apartment.createObject("dispatch", [
      [IID_IUnknown, 0],
      [IID_IDispatch, 0],
      [iid, 0],
    ], implementation);
    try {
      using iidMemory = guidMemory(iid);
      using cpcIid = guidMemory(IID_IConnectionPointContainer);
      using out = NativeMemory.alloc(8);
      check(
        call(pointer, "QueryInterface", cpcIid.address, out.address),
        "QueryInterface(IConnectionPointContainer)",
      );
      const container = out.view.getBigUint64(0, true);
      let point: bigint;
      try {
        check(
          call(container, "FindConnectionPoint", iidMemory.address, out.address),
          "FindConnectionPoint",
        );
        point = out.view.getBigUint64(0, true);
      } finally {
        call(container, "Release");
      }
      try {
        // The sink, marshalled from the loop thread's apartment into this thread's.
        using dispatchIid = guidMemory(IID_IDispatch);
        const [hr] = await apartment.batch([
          [
            ole32,
            "CoMarshalInterThreadInterfaceInStream",
            dispatchIid.address,
            sink,
            out.address,
          ],
        ]);
        check(hr, "CoMarshalInterThreadInterfaceInStream");
        const stream = out.view.getBigUint64(0, true);
        check(
          ole32.symbols.CoGetInterfaceAndReleaseStream(
            stream,
            dispatchIid.address,
            out.address,
          ),
          "CoGetInterfaceAndReleaseStream",
        );
        const proxy = out.view.getBigUint64(0, true);
        using cookie = NativeMemory.alloc(4);
        try {
          check(call(point, "Advise", proxy, cookie.address), "Advise");
        } finally {
          call(proxy, "Release");
        }
        events = new ComEvents(apartment, pointer, point, sink, cookie.view.getUint32(0, true));
        return events;
      } catch (error) {
        call(point, "Release");
        throw error;
      }
    } catch (error) {
      await apartment.callMethod(sink, SLOT.Release).catch(() => undefined);
      await apartment.release();
      throw error;
    }
  }

  /**
   * Runs `handler` for each event of this name (resolved through the
   * source's GetIDsOfNames, so names match as the source spells them).
   *
   * @param name The event's name.
   * @param handler Gets the event's arguments in declared order.
   * @returns This subscription.
   * @example A handler
   * ```ts
   * import type { ComEvents } from "./events.ts";
   * declare const events: ComEvents;
   * events.on("tick", (n) => console.log(n));
   * ```
   */
  on(name: string, handler: (...args: unknown[]) => unknown): this {
    if (this.#closing) {
      throw new ClosedError(`Cannot add a handler for '${name}': the subscription is closed`);
    }
    const dispid = this.#dispid(name);
    this.#names.set(dispid, name);
    let handlers = this.#handlers.get(dispid);
    if (!handlers) this.#handlers.set(dispid, handlers = new Set());
    handlers.add(handler);
    return this;
  }

  #dispid(name: string): number {
    const wide = encodeWide(name);
    using text = NativeMemory.alloc(wide.byteLength);
    text.bytes.set(wide);
    using names = NativeMemory.alloc(8);
    names.view.setBigUint64(0, text.address, true);
    using iidNull = NativeMemory.alloc(16);
    using id = NativeMemory.alloc(4);
    check(
      call(this.#source, "GetIDsOfNames", iidNull.address, names.address, 1, 0x0400, id.address),
      `GetIDsOfNames '${name}'`,
    );
    return id.view.getInt32(0, true);
  }

  /** @internal An event from the sink; its arguments are read while the caller's memory is valid. */
  _deliver(dispid: number, params: bigint): void {
    if (this.#closing) return;
    const args: unknown[] = [];
    if (params !== 0n) {
      const p = new DataView(nativeBuffer(params, 24));
      const rgvarg = p.getBigUint64(0, true);
      const count = p.getUint32(16, true);
      for (let i = count - 1; i >= 0; i--) {
        args.push(readVariant(rgvarg + BigInt(i * VARIANT_SIZE)));
      }
    }
    const event = { name: this.#names.get(dispid), dispid, args };
    for (const handler of this.#handlers.get(dispid) ?? []) handler(...args);
    if (this.#iterating) {
      this.#queue.push(event);
      this.#wake?.();
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<ComEvent> {
    this.#iterating = true;
    while (true) {
      const next = this.#queue.shift();
      if (next) {
        yield next;
        continue;
      }
      if (this.#closing) return;
      await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#wake = null;
    }
  }

  /**
   * Unsubscribes (Unadvise) and releases the sink. Idempotent.
   *
   * @returns Resolves once no more events can arrive.
   * @example Unsubscribing
   * ```ts
   * import type { ComEvents } from "./events.ts";
   * declare const events: ComEvents;
   * await events.close();
   * ```
   */
  close(): Promise<void> {
    return (this.#closing ??= (async () => {
      this.#wake?.();
      try {
        // A source that is gone has no subscription left to end.
        const hr = call(this.#point, "Unadvise", this.#cookie);
        if (!isGone(hr)) check(hr, "Unadvise");
      } finally {
        call(this.#point, "Release");
        await this.#apartment.callMethod(this.#sink, SLOT.Release).catch(() => undefined);
        await this.#apartment.release();
      }
    })());
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
