/**
 * Publishing a JavaScript object to other processes through COM (Windows):
 * {@link ComServer.serve}. See lib/win32/com/server.ts for the threading.
 *
 * @module
 */
import process from "node:process";
import { encodeWide, NativeMemory, platform } from "../../ffi/mod.ts";
import { ClosedError, NameTakenError, UnsupportedPlatformError } from "../../errors.ts";
import { ComError } from "./error.ts";
import { formatGuid, IID_IDispatch, IID_IUnknown, IID_NULL, parseGuid } from "./guid.ts";
import { clearVariant, encodeVariant, VARIANT_SIZE } from "./variant.ts";
import { ole32 } from "./ole32.ts";
import { oleaut32 } from "./oleaut32.ts";
import {
  checkProgId,
  clsidForProgId,
  HKEY,
  removeKeys,
  unregisterClass,
  writeClassKeys,
  type WrittenKey,
} from "./_registration.ts";
import {
  ComApartment,
  DispatchImplementation,
  FactoryImplementation,
  IID_IClassFactory,
  IID_IConnectionPoint,
  IID_IConnectionPointContainer,
  isGone,
} from "./server.ts";

const ACTIVEOBJECT_STRONG = 0;
const MK_S_MONIKERALREADYREGISTERED = 0x000401e7;
const CLSCTX_LOCAL_SERVER = 0x4;
const REGCLS_MULTIPLEUSE = 0x1;
const DISPATCH_METHOD = 1;
const DEFAULT_REPLY_TIMEOUT = 30_000;

/** Options of {@link ComServer.serve}. */
export interface ComServeOptions {
  /** The ProgID clients name (`CreateObject("Ipckit.Demo")`): letters, digits and periods. */
  name: string;
  /** The class's CLSID, `{…}` (default: derived from the ProgID, the same in every process). */
  clsid?: string;
  /** Event names {@link ComServer.emit} raises, in the order their DISPIDs are assigned. */
  events?: readonly string[];
  /** The class's display name in the registry (default: the ProgID). */
  description?: string;
  /** How long a caller waits for an async member before it gets RPC_E_TIMEOUT, in ms (default 30000). */
  replyTimeout?: number;
}

/**
 * A JavaScript object served to other processes as a COM automation object
 * (IDispatch), until `close()`:
 * - members by name, case-insensitively, with DISPIDs assigned once per name;
 *   methods are called with the caller's arguments (by-reference ones arrive
 *   as `OutArgument`), properties are read and written, and a property whose
 *   value is an object or a Map is indexed by the first argument;
 * - a member that throws (or rejects) gives the caller DISP_E_EXCEPTION with
 *   the error's message as EXCEPINFO's description and its `hresult` (or
 *   E_FAIL) as the code; an async member is awaited, at most `replyTimeout`;
 * - plain objects in results are served as new objects;
 * - clients reach it by ProgID through the class factory
 *   (`CreateObject("Name")`, `CoCreateInstance`) and through the running
 *   object table (`GetObject(, "Name")`, `GetActiveObject`); the ProgID is
 *   registered per user under HKCU\Software\Classes;
 * - events: clients subscribe through IConnectionPoint; {@link ComServer.emit}
 *   calls every subscriber.
 *
 * `close()` (and `await using`) revokes the class object and the running
 * object table entry, disconnects clients and removes the registry keys; an
 * orderly exit without `close()` removes the keys too. A served object keeps
 * the process alive, like a listening socket.
 *
 * @example Serving a counter to VBScript and other processes
 * ```ts
 * import { ComServer } from "./serve.ts";
 * const counter = {
 *   count: 0,
 *   add(n: number) {
 *     return (this.count += n);
 *   },
 * };
 * await using server = await ComServer.serve(counter, { name: "Ipckit.Counter", events: ["changed"] });
 * await server.emit("changed", counter.count);
 * // VBScript: Set c = CreateObject("Ipckit.Counter") : WScript.Echo c.Add(2)
 * ```
 */
export class ComServer implements AsyncDisposable {
  readonly #apartment: ComApartment;
  readonly #object: DispatchImplementation;
  readonly #factory: bigint;
  readonly #keys: WrittenKey[];
  readonly #cookies: { active: number; classObject: number };
  readonly #events: ReadonlySet<string>;
  readonly #onExit: () => void;
  #emitting: Promise<unknown> = Promise.resolve();
  #closing: Promise<void> | null = null;

  private constructor(
    apartment: ComApartment,
    object: DispatchImplementation,
    factory: bigint,
    keys: WrittenKey[],
    cookies: { active: number; classObject: number },
    /** The ProgID. */
    readonly name: string,
    /** The CLSID, `{…}`. */
    readonly clsid: string,
    events: readonly string[],
  ) {
    this.#apartment = apartment;
    this.#object = object;
    this.#factory = factory;
    this.#keys = keys;
    this.#cookies = cookies;
    this.#events = new Set(events.map((e) => e.toLowerCase()));
    this.#onExit = () => {
      try {
        removeKeys(this.#keys);
      } catch {
        // Exiting: the supervisor, or the next server of this ProgID, rewrites them.
      }
    };
    process.once("exit", this.#onExit);
  }

  /**
   * Publishes an object: makes it a COM object on the message-loop thread's
   * apartment, registers the ProgID per user, its class factory and its
   * running object table entry.
   *
   * @param target The object whose members clients call.
   * @param options The ProgID (`name`), CLSID, event names, reply timeout.
   * @returns The server, once clients can reach it.
   * @example Serving an object
   * ```ts
   * import { ComServer } from "./serve.ts";
   * const server = await ComServer.serve({ greet: (who: string) => `hello ${who}` }, { name: "Ipckit.Greeter" });
   * await server.close();
   * ```
   */
  static async serve(target: object, options: ComServeOptions): Promise<ComServer> {
    if (typeof options !== "object" || options === null) {
      throw new TypeError(
        "Cannot serve a COM object: pass an options object with a name (the ProgID)",
      );
    }
    const name = checkProgId(options.name);
    if (platform !== "windows") {
      throw new UnsupportedPlatformError(
        `Cannot serve COM object '${name}' on ${platform}: COM exists only on Windows`,
      );
    }
    if (typeof target !== "object" || target === null) {
      throw new TypeError(`Cannot serve COM object '${name}': the target must be an object`);
    }
    const clsid = formatGuid(parseGuid(options.clsid ?? clsidForProgId(name)));
    const events = options.events ?? [];
    if (!Array.isArray(events) || events.some((e) => typeof e !== "string" || e.length === 0)) {
      throw new TypeError(`Cannot serve COM object '${name}': events must be non-empty strings`);
    }
    const replyTimeout = options.replyTimeout ?? DEFAULT_REPLY_TIMEOUT;
    if (!(replyTimeout >= 0)) {
      throw new RangeError(`Cannot use reply timeout ${replyTimeout}: use ms >= 0`);
    }
    const description = options.description ?? name;

    const apartment = await ComApartment.acquire();
    const undo: (() => unknown)[] = [() => apartment.release()];
    try {
      const object = new DispatchImplementation(
        apartment,
        target,
        { source: name, replyTimeout },
        events,
        parseGuid(clsidForProgId(`${name}.Events`)),
      );
      object.address = apartment.createObject("source", [
        [IID_IUnknown, 0],
        [IID_IDispatch, 0],
        [IID_IConnectionPointContainer, 8],
        [IID_IConnectionPoint, 16],
      ], object);
      undo.unshift(() => apartment.callMethod(object.address, 2));
      const factory = apartment.createObject("factory", [
        [IID_IUnknown, 0],
        [IID_IClassFactory, 0],
      ], new FactoryImplementation(apartment, object.address));
      undo.unshift(() => apartment.callMethod(factory, 2));

      const keys = await registerProgId(apartment, name, clsid, description);
      undo.unshift(() => removeKeys(keys));

      using clsidMemory = NativeMemory.alloc(16);
      clsidMemory.bytes.set(parseGuid(clsid));
      using cookie = NativeMemory.alloc(8);
      const [active, classObject] = await apartment.batch([
        [
          oleaut32,
          "RegisterActiveObject",
          object.address,
          clsidMemory.address,
          ACTIVEOBJECT_STRONG,
          cookie.address,
        ],
        [
          ole32,
          "CoRegisterClassObject",
          clsidMemory.address,
          factory,
          CLSCTX_LOCAL_SERVER,
          REGCLS_MULTIPLEUSE,
          cookie.address + 4n,
        ],
      ]);
      const cookies = {
        active: cookie.view.getUint32(0, true),
        classObject: cookie.view.getUint32(4, true),
      };
      if (active >= 0) {
        undo.unshift(() => apartment.batch([[oleaut32, "RevokeActiveObject", cookies.active, 0n]]));
      }
      if (classObject >= 0) {
        undo.unshift(() => apartment.batch([[ole32, "CoRevokeClassObject", cookies.classObject]]));
      }
      if (active === MK_S_MONIKERALREADYREGISTERED) {
        throw new NameTakenError(
          `Cannot serve COM object '${name}': another running object is registered under ${clsid}`,
          name,
          "COM server",
          "COM server",
        );
      }
      if (active < 0) throw new ComError(active, { operation: "RegisterActiveObject" });
      if (classObject < 0) throw new ComError(classObject, { operation: "CoRegisterClassObject" });
      return new ComServer(apartment, object, factory, keys, cookies, name, clsid, events);
    } catch (error) {
      for (const step of undo) {
        try {
          await step();
        } catch {
          // The first error is the one to report.
        }
      }
      throw error;
    }
  }

  /** How many clients are subscribed to events. */
  get subscribers(): number {
    return this.#object.sinks.size;
  }

  /** Whether `close()` has been called. */
  get closed(): boolean {
    return this.#closing !== null;
  }

  /**
   * Raises an event: calls `Invoke` of every subscribed sink with the
   * event's DISPID and the arguments in order. Events are delivered one at a
   * time, in the order `emit` was called. A subscriber that has gone away is
   * dropped.
   *
   * @param event An event name given in `events`.
   * @param args The arguments (any value a VARIANT holds).
   * @returns How many subscribers received it.
   * @example Raising an event
   * ```ts
   * import { ComServer } from "./serve.ts";
   * await using server = await ComServer.serve({}, { name: "Ipckit.Ticker", events: ["tick"] });
   * const reached = await server.emit("tick", 1, "one");
   * ```
   */
  emit(event: string, ...args: unknown[]): Promise<number> {
    if (this.#closing) {
      return Promise.reject(
        new ClosedError(`Cannot emit on COM object '${this.name}': it is closed`),
      );
    }
    if (typeof event !== "string" || !this.#events.has(event.toLowerCase())) {
      return Promise.reject(
        new TypeError(
          `Cannot emit '${String(event)}' on COM object '${this.name}': declare it in events`,
        ),
      );
    }
    const dispid = this.#object.members.lookup(event)!.id;
    const params = NativeMemory.alloc(24 + VARIANT_SIZE * Math.max(1, args.length));
    try {
      // rgvarg holds the arguments last first.
      args.forEach((arg, i) => {
        encodeVariant(params.view, 24 + VARIANT_SIZE * (args.length - 1 - i), arg, `argument ${i}`);
      });
    } catch (error) {
      params.free();
      return Promise.reject(error);
    }
    params.view.setBigUint64(0, params.address + 24n, true);
    params.view.setUint32(16, args.length, true);
    const delivered = this.#emitting.then(() => this.#deliver(dispid, params.address)).finally(
      () => {
        for (let i = 0; i < args.length; i++) {
          const offset = 24 + VARIANT_SIZE * i;
          clearVariant(params.view, offset, params.address + BigInt(offset));
        }
        params.free();
      },
    );
    this.#emitting = delivered.catch(() => undefined);
    return delivered;
  }

  async #deliver(dispid: number, params: bigint): Promise<number> {
    using iidNull = NativeMemory.alloc(16);
    iidNull.bytes.set(IID_NULL);
    let reached = 0;
    for (const [cookie, sink] of [...this.#object.sinks]) {
      let hr: number;
      try {
        hr = await this.#apartment.callMethod(sink, 6, [
          BigInt.asUintN(64, BigInt(dispid)),
          iidNull.address,
          0n,
          BigInt(DISPATCH_METHOD),
          params,
          0n,
          0n,
          0n,
        ]);
      } catch {
        hr = -1;
      }
      if (hr >= 0) {
        reached++;
      } else if (isGone(hr) && this.#object.sinks.get(cookie) === sink) {
        this.#object.sinks.delete(cookie);
        await this.#apartment.callMethod(sink, 2).catch(() => undefined);
      }
    }
    return reached;
  }

  /**
   * Stops serving: revokes the class object and the running object table
   * entry, disconnects clients (their calls then fail with
   * RPC_E_DISCONNECTED), releases subscribers and removes the registry keys.
   * Idempotent.
   *
   * @returns Resolves once everything is unregistered.
   * @example Closing
   * ```ts
   * import { ComServer } from "./serve.ts";
   * const server = await ComServer.serve({}, { name: "Ipckit.Closing" });
   * await server.close();
   * ```
   */
  close(): Promise<void> {
    return (this.#closing ??= this.#close());
  }

  async #close(): Promise<void> {
    await this.#emitting;
    process.removeListener("exit", this.#onExit);
    const apartment = this.#apartment;
    const object = this.#object.address;
    const errors: unknown[] = [];
    const step = async (work: () => unknown) => {
      try {
        await work();
      } catch (error) {
        errors.push(error);
      }
    };
    await step(() =>
      apartment.batch([
        [ole32, "CoRevokeClassObject", this.#cookies.classObject],
        [oleaut32, "RevokeActiveObject", this.#cookies.active, 0n],
        [ole32, "CoDisconnectObject", object, 0],
        [ole32, "CoDisconnectObject", this.#factory, 0],
      ])
    );
    // Out of the map first: an Unadvise that arrives meanwhile must not release a sink twice.
    const sinks = [...this.#object.sinks.values()];
    this.#object.sinks.clear();
    for (const sink of sinks) await step(() => apartment.callMethod(sink, 2));
    await step(() => apartment.callMethod(this.#factory, 2));
    await step(() => apartment.callMethod(object, 2));
    await step(() => removeKeys(this.#keys));
    await step(() => apartment.release());
    if (errors.length > 0) {
      throw new AggregateError(errors, `Cannot close COM object '${this.name}' cleanly`);
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * Removes the per-user registration a server of this ProgID left behind
   * (it died without closing), if it still names the CLSID derived from the
   * ProgID. `ipckit run` calls it for its `com` endpoints when a run ends.
   *
   * @param name The ProgID.
   * @returns Whether anything was removed (always false off Windows).
   * @example Cleaning up after a crashed server
   * ```ts
   * import { ComServer } from "./serve.ts";
   * ComServer.reclaim("Ipckit.Counter");
   * ```
   */
  static reclaim(name: string): boolean {
    const progId = checkProgId(name);
    if (platform !== "windows") return false;
    return unregisterClass(progId, clsidForProgId(progId));
  }
}

/**
 * Registers the ProgID per user (HKCU\Software\Classes). Where the per-user
 * classes are not part of HKEY_CLASSES_ROOT (Wine does not merge them:
 * CLSIDFromProgID then fails with CO_E_CLASSSTRING), the class is also
 * registered in HKEY_CLASSES_ROOT itself, and removed from there too.
 */
async function registerProgId(
  apartment: ComApartment,
  progId: string,
  clsid: string,
  description: string,
): Promise<WrittenKey[]> {
  const keys = writeClassKeys(HKEY.CURRENT_USER, progId, clsid, description);
  try {
    if (!(await resolves(apartment, progId, clsid))) {
      keys.push(...writeClassKeys(HKEY.CLASSES_ROOT, progId, clsid, description));
    }
  } catch (error) {
    removeKeys(keys);
    throw error;
  }
  return keys;
}

async function resolves(apartment: ComApartment, progId: string, clsid: string): Promise<boolean> {
  const wide = encodeWide(progId);
  using text = NativeMemory.alloc(wide.byteLength);
  text.bytes.set(wide);
  using out = NativeMemory.alloc(16);
  const [hr] = await apartment.batch([[ole32, "CLSIDFromProgIDAt", text.address, out.address]]);
  return hr >= 0 && formatGuid(out.bytes.slice()) === clsid;
}
