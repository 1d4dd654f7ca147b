/**
 * The DDEML backend of lib/dde.ts (Windows). One DDEML instance per process
 * lives on the message-loop thread (docs/ffi.md): DdeInitializeW runs there
 * with a callback made there by `MessageLoop.callback`, every DDEML call runs
 * there through `MessageLoop.batch`, and each callback invocation waits on
 * that thread while its JavaScript handler runs. It is one hand-off: the
 * loop thread reads the callback's names and data before it (the callback's
 * `reads`) and makes a request's or advise's data handle from the bytes the
 * handler answers (its `answer`) (docs/mechanisms.md, "DDE on Windows: DDEML").
 * A server handler that has not answered after one turn of the event loop
 * gets CBR_BLOCK, and DDEML asks again once it has (`#answer`), so a slow
 * handler stalls no other conversation.
 *
 * Ownership (docs/mechanisms.md, DDE): string handles this module creates
 * (service, topic and item names) are freed by it when the name is no longer
 * used, item names right after their transaction; string handles DDEML hands
 * to the callback are DDEML's. A data handle the callback returns (a request's
 * or an advise's answer) is DDEML's once returned; a data handle a
 * synchronous transaction returns is ours and freed once copied; data
 * handles DDEML passes to the callback (poke, execute, advise data) are
 * DDEML's and copied during the callback.
 *
 * Transactions are synchronous DdeClientTransaction calls on the loop
 * thread, so the JavaScript thread never blocks; a caller's abort rejects at
 * once while DDEML finishes the call within its timeout. A vanished server
 * is noticed by waiting on its process handle (no polling), which ends the
 * conversation with DdeDisconnectedError.
 *
 * Under Wine, DDEML needs an X display (DISPLAY); without one no
 * conversation is ever established, and connects fail with NotFoundError.
 *
 * @module
 */
import { setImmediate } from "node:timers";
import { decodeWide, encodeWide, NativeMemory, type ThreadCall } from "../ffi/mod.ts";
import { NameTakenError, NotFoundError, TimeoutError } from "../errors.ts";
import {
  CF_TEXT,
  CF_UNICODETEXT,
  type DdeBackend,
  type DdeClientEvents,
  type DdeConversationEndpoint,
  type DdeConversationInfo,
  DdeDisconnectedError,
  type DdeFormat,
  type DdeReply,
  type DdeServerCallbacks,
  type DdeServiceEndpoint,
  type DdeServiceTopic,
  type DdeWait,
} from "../_dde_common.ts";
import { clipboardFormatName, registerClipboardFormat } from "./clipboard.ts";
import { ddeml } from "./ddeml.ts";
import { kernel32 } from "./kernel32.ts";
import {
  type ArgumentRead,
  type LoopCallback,
  MessageLoop,
  MessageWindow,
  operand,
} from "./message_loop.ts";
import { user32 } from "./user32.ts";
import { isWine } from "./wine.ts";

const CP_WINUNICODE = 1200;
const CP_ACP = 0;
const APPCLASS_STANDARD = 0;
const CBF_SKIP_REGISTRATIONS = 0x00080000;
const CBF_SKIP_UNREGISTRATIONS = 0x00100000;
const APPCMD_CLIENTONLY = 0x00000010;
const DNS_REGISTER = 1;
const DNS_UNREGISTER = 2;
const QID_SYNC = 0xffffffff;
const XTYPF_NODATA = 0x0004;
const XTYP = {
  ADVDATA: 0x4010,
  ADVREQ: 0x2022,
  ADVSTART: 0x1030,
  ADVSTOP: 0x8040,
  EXECUTE: 0x4050,
  CONNECT: 0x1062,
  CONNECT_CONFIRM: 0x8072,
  POKE: 0x4090,
  REGISTER: 0x80a2,
  REQUEST: 0x20b0,
  DISCONNECT: 0x80c2,
  WILDCONNECT: 0x20e2,
} as const;
/** The type bits of a callback's uType, without the XTYPF_ flags. */
const XTYP_KIND = 0xfcf0 | 0x0002;
const DDE_FACK = 0x8000n;
const DDE_FNOTPROCESSED = 0n;
/** Why a request may be refused under Wine besides its handler (docs/mechanisms.md, DDE). */
const WINE_FULL_TABLE =
  "under Wine a DDEML server also refuses every request once it has answered about 65,000 transactions: Wine's DDE code keeps a memory block per transaction, and the table holds 65,536";
/** A server callback's "answer later" (HDDEDATA -1); DdeEnableCallback then asks again. */
const CBR_BLOCK = 0xffffffffffffffffn;
const EC_ENABLEALL = 0;
const DDE_FBUSY = 0x4000n;
const DMLERR = {
  ADVACKTIMEOUT: 0x4000,
  BUSY: 0x4001,
  DATAACKTIMEOUT: 0x4002,
  EXECACKTIMEOUT: 0x4005,
  NOTPROCESSED: 0x4009,
  NO_CONV_ESTABLISHED: 0x400a,
  POKEACKTIMEOUT: 0x400b,
  SERVER_DIED: 0x400e,
  UNADVACKTIMEOUT: 0x4010,
} as const;
const TIMEOUTS = new Set<number>([
  DMLERR.ADVACKTIMEOUT,
  DMLERR.DATAACKTIMEOUT,
  DMLERR.EXECACKTIMEOUT,
  DMLERR.POKEACKTIMEOUT,
  DMLERR.UNADVACKTIMEOUT,
]);
const DMLERR_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(DMLERR).map(([name, code]) => [code, `DMLERR_${name}`]),
);
const SYNCHRONIZE = 0x00100000;
const INFINITE = 0xffffffff;
/** CONVINFO (x64): cb at 0, hszSvcPartner 24, hszTopic 40, hwnd 128, hwndPartner 136; 144 bytes. */
const CONVINFO = {
  size: 144,
  hszSvcPartner: 24,
  hszTopic: 40,
  hwnd: 128,
  hwndPartner: 136,
} as const;
const WM_NULL = 0;
const WM_DDE_INITIATE = 0x03e0;
const WM_DDE_TERMINATE = 0x03e1;
const WM_DDE_ACK = 0x03e4;
const HWND_BROADCAST = 0xffffn;
const PM_REMOVE = 1;
const SMTO_ABORTIFHUNG = 2;
/** MSG (x64): lParam at 24; 48 bytes. */
const MSG_BYTES = 48;
const MSG_LPARAM = 24;
/** How long the barrier after a request waits for the server's thread (ms). */
const BARRIER_TIMEOUT = 5000;
/**
 * Bytes of a request's answer copied in the transaction's own batch (one
 * trip to the loop thread fewer); a larger answer is read in a second trip.
 */
const REQUEST_READ_AHEAD = 16 * 1024;
/** Longest name DDE carries (an atom), in UTF-16 units, plus the NUL. */
const NAME_UNITS = 256;
/** DDEML's timeout for a transaction whose caller gave none (ms): about 24 days. */
const NO_TIMEOUT = 0x7ffffffe;

/**
 * A DDEML error (a DMLERR_ code from DdeGetLastError), for failures that are
 * neither a refusal nor a vanished server.
 *
 * @example Reading the code
 * ```ts
 * import { DdemlError } from "./dde.ts";
 * const error = new DdemlError(0x4006, "DdeClientTransaction");
 * console.log(error.code, error.message);
 * ```
 */
export class DdemlError extends Error {
  override name = "DdemlError";
  /**
   * @param code The DMLERR_ code.
   * @param call The DDEML call that failed.
   * @param options `cause`.
   */
  constructor(readonly code: number, readonly call: string, options?: ErrorOptions) {
    super(
      `${call} failed: ${DMLERR_NAMES[code] ?? "DMLERR"} (0x${code.toString(16)})`,
      options,
    );
  }
}

/** The DDE callback's argument that is a data handle (hdata). */
const CALLBACK_DATA = 5;

/** A name the loop thread read (UTF-16LE, null for a 0 string handle). */
function text(bytes: Uint8Array | null): string {
  return bytes ? decodeWide(bytes) : "";
}

/** Copies `bytes` into native memory the loop thread can read. */
function nativeCopy(bytes: Uint8Array): NativeMemory {
  const memory = NativeMemory.alloc(Math.max(bytes.length, 1));
  memory.bytes.set(bytes);
  return memory;
}

interface ServerConversation {
  readonly info: DdeConversationInfo;
  readonly service: Service;
  /** Transactions answered CBR_BLOCK, in order, until DDEML asks for them again. */
  readonly blocked: Blocked[];
}

/** A transaction whose handler had not answered within its callback (see `#answer`). */
interface Blocked {
  readonly key: string;
  /** The handler's answer, once there. */
  result: DdeReply<Uint8Array> | DdeReply<void> | null;
}

/** A DDEML conversation handle and its two windows (from DdeQueryConvInfo). */
interface Channel {
  readonly hconv: bigint;
  /** The DDEML instance the conversation lives in (see {@link Instance.laneFor}). */
  readonly inst: number;
  /** The service and topic string handles (ours, in `inst`, freed at close). */
  readonly names: readonly [bigint, bigint];
  /** DDEML's window of this conversation, and the server's. */
  hwnd: bigint;
  partner: bigint;
}

interface ClientConversation extends Channel {
  /**
   * A second conversation with the same server for requests, pokes and
   * executes while advise loops run: Wine's DDEML client ends a synchronous
   * transaction at any advise update of its conversation that arrives before
   * the answer (it takes the update as handled, with no answer: a request
   * fails, an execute whose handler posts before it answers is refused).
   */
  side: Channel | null;
  /** Advise loops open in this conversation. */
  loops: number;
  readonly events: DdeClientEvents;
  readonly service: string;
  readonly topic: string;
  gone: boolean;
  closed: boolean;
  watch: ProcessWatch | null;
}

interface Service {
  readonly name: string;
  readonly hsz: bigint;
  readonly topics: Map<string, { name: string; hsz: bigint }>;
  readonly callbacks: DdeServerCallbacks;
  nextConversation: number;
}

/** A DDEML instance picked for a new conversation, reserved until disposed. */
interface Lane extends Disposable {
  readonly inst: number;
  readonly key: string;
}

/** Waits (off the JavaScript thread) for a partner process to end, until cancelled. */
class ProcessWatch {
  readonly conversations = new Set<ClientConversation>();
  readonly #handles: NativeMemory;
  #cancelled = false;

  constructor(readonly pid: number, process: bigint, onExit: (watch: ProcessWatch) => void) {
    const k = kernel32.symbols;
    const cancel = k.CreateEventW(0n, 1, 0, null);
    this.#handles = NativeMemory.alloc(16);
    this.#handles.view.setBigUint64(0, process, true);
    this.#handles.view.setBigUint64(8, cancel, true);
    void k.WaitForMultipleObjectsAsync(2, this.#handles.address, 0, INFINITE).then((result) => {
      k.CloseHandle(process);
      k.CloseHandle(cancel);
      this.#handles.free();
      if (result === 0 && !this.#cancelled) onExit(this);
    });
  }

  cancel(): void {
    if (this.#cancelled) return;
    this.#cancelled = true;
    kernel32.symbols.SetEvent(this.#handles.view.getBigUint64(8, true));
  }
}

/** The process's DDEML instance, on the loop thread, while something uses it. */
class Instance {
  readonly loop: MessageLoop;
  id = 0;
  /** The instance id as DdeInitializeW writes it, read by the loop thread's calls around the callback. */
  readonly #idCell = NativeMemory.alloc(4);
  #callback: LoopCallback | null = null;
  users = 0;
  readonly services = new Map<string, Service>();
  readonly serverConversations = new Map<bigint, ServerConversation>();
  readonly clientConversations = new Map<bigint, ClientConversation>();
  /** Request-only conversations, by handle, with the conversation they serve. */
  readonly sideConversations = new Map<bigint, ClientConversation>();
  readonly watches = new Map<number, ProcessWatch>();
  /** Client-only DDEML instances for more conversations with one service|topic. */
  readonly lanes: number[] = [];
  readonly #reserved = new Set<Lane>();
  /** Connects waiting for a server to register (XTYP_REGISTER wakes them). */
  readonly registered = new Set<() => void>();
  readonly ready: Promise<void>;
  #closing: Promise<void> | null = null;

  constructor() {
    this.loop = MessageLoop.open();
    this.ready = this.#start();
  }

  async #start(): Promise<void> {
    const inst = operand.u32At(this.#idCell.address);
    // The loop thread reads the callback's names and data before it hands the invocation over,
    // and makes a request's or an advise's data handle from the bytes the handler answers:
    // one hand-off per callback, no call back to the loop thread while DDEML waits.
    // String handles are global atoms, so the main instance reads those of any lane too.
    const name = (arg: number): ArgumentRead => ({
      arg,
      size: NAME_UNITS * 2,
      read: [
        ddeml,
        "DdeQueryStringW",
        inst,
        operand.arg(arg),
        operand.buffer,
        NAME_UNITS,
        CP_WINUNICODE,
      ],
      unit: 2,
    });
    const data: ArgumentRead = {
      arg: CALLBACK_DATA,
      size: [ddeml, "DdeGetData", operand.arg(CALLBACK_DATA), 0n, 0, 0],
      read: [ddeml, "DdeGetData", operand.arg(CALLBACK_DATA), operand.buffer, operand.length, 0],
      unit: 1,
    };
    this.#callback = await this.loop.callback(
      {
        args: ["u32", "u32", "pointer", "pointer", "pointer", "pointer", "usize", "usize"],
        returns: "pointer",
      },
      (
        type: number,
        format: number,
        hconv: bigint,
        _hsz1: bigint,
        _hsz2: bigint,
        _data: bigint,
        _data1: bigint,
        _data2: bigint,
        [name1, name2, bytes]: (Uint8Array | null)[],
      ) =>
        // A format is a 16-bit id; DDE messages carry it as a short (DDEPOKE.cfFormat), so
        // registered ids (0xC000 and up) can arrive sign-extended.
        this.#onCallback(type, format & 0xffff, hconv, text(name1!), text(name2!), bytes!),
      {
        onError: (error) =>
          queueMicrotask(() => {
            throw error;
          }),
        reads: [name(3), name(4), data],
        answer: [
          ddeml,
          "DdeCreateDataHandle",
          inst,
          operand.buffer,
          operand.length,
          0,
          operand.arg(4),
          operand.arg(1, 0xffff),
          0,
        ],
      },
    );
    this.id = await this.#initialize(APPCLASS_STANDARD | CBF_SKIP_UNREGISTRATIONS, this.#idCell);
  }

  async #initialize(flags: number, cell = NativeMemory.alloc(4)): Promise<number> {
    try {
      const [error] = await this.loop.batch([
        [ddeml, "DdeInitializeW", cell.address, this.#callback!.pointer, flags, 0],
      ]);
      if (error !== 0) throw new DdemlError(error, "DdeInitializeW");
      return cell.view.getUint32(0, true);
    } finally {
      if (cell !== this.#idCell) cell.free();
    }
  }

  /**
   * The DDEML instance for a new client conversation with `service|topic`:
   * the process's own, or a client-only one of the same thread and callback
   * when a conversation with that pair is already open in it. Wine's
   * DdeConnect refuses a second conversation with the same pair in one
   * instance ("This Conv already exists": 0, no error code); Windows allows
   * it, and several instances per thread are DDEML's documented way anyway.
   */
  async laneFor(service: string, topic: string): Promise<Lane> {
    const key = `${service}|${topic}`.toLowerCase();
    const busy = new Set<number>();
    for (const c of this.clientConversations.values()) {
      if (`${c.service}|${c.topic}`.toLowerCase() !== key) continue;
      busy.add(c.inst);
      if (c.side) busy.add(c.side.inst);
    }
    for (const taken of this.#reserved) if (taken.key === key) busy.add(taken.inst);
    let inst = [this.id, ...this.lanes].find((id) => !busy.has(id));
    if (inst === undefined) {
      inst = await this.#initialize(
        APPCMD_CLIENTONLY | CBF_SKIP_REGISTRATIONS | CBF_SKIP_UNREGISTRATIONS,
      );
      this.lanes.push(inst);
    }
    // Held until the conversation is registered (or failed), so a concurrent connect picks another.
    const lane: Lane = { inst, key, [Symbol.dispose]: () => this.#reserved.delete(lane) };
    this.#reserved.add(lane);
    return lane;
  }

  /** Closes the instance (DdeUninitialize) and the loop hold once nothing uses it. */
  release(): Promise<void> {
    if (--this.users > 0 || this.#closing) return Promise.resolve();
    if (current === this) current = null;
    return (this.#closing = (async () => {
      try {
        await this.ready.catch(() => {});
        for (const lane of this.lanes) await this.outsideCall("DdeUninitialize", lane);
        if (this.id !== 0) await this.outsideCall("DdeUninitialize", this.id);
        for (const watch of this.watches.values()) watch.cancel();
      } finally {
        await this.loop.close();
        this.#idCell.free();
      }
    })());
  }

  /**
   * Runs DDEML calls that DDEML refuses from inside its callback
   * (transactions, connects, disconnects, name service) once no
   * callback is running on the loop thread.
   */
  // deno-lint-ignore no-explicit-any -- as MessageLoop.batch
  outside(calls: ThreadCall[]): Promise<any[]> {
    return this.loop.batch(calls, { outsideCallbacks: true });
  }

  /** One call of {@link Instance.outside}. */
  // deno-lint-ignore no-explicit-any -- as MessageLoop.call
  async outsideCall(name: string, ...args: unknown[]): Promise<any> {
    const [value] = await this.outside([[ddeml, name, ...args]]);
    return value;
  }

  /** Makes a string handle (ours to free). */
  async stringHandle(text: string, inst = this.id): Promise<bigint> {
    using memory = nativeCopy(encodeWide(text));
    const [hsz, error] = await this.loop.batch([
      [ddeml, "DdeCreateStringHandleW", inst, memory.address, CP_WINUNICODE],
      [ddeml, "DdeGetLastError", inst],
    ]);
    if (hsz === 0n) throw new DdemlError(error, "DdeCreateStringHandleW");
    return hsz;
  }

  freeStringHandles(handles: readonly bigint[], inst = this.id): Promise<unknown> {
    const live = handles.filter((h) => h !== 0n);
    if (live.length === 0 || this.#closing) return Promise.resolve();
    return this.loop.batch(live.map((h) => [ddeml, "DdeFreeStringHandle", inst, h] as const))
      .catch(() => {});
  }

  /** The text of string handles (DDEML's or ours). */
  async strings<const N extends readonly bigint[]>(
    ...handles: N
  ): Promise<{ [K in keyof N]: string }> {
    using memory = NativeMemory.alloc(handles.length * NAME_UNITS * 2);
    await this.loop.batch(handles.map((h, i) =>
      [
        ddeml,
        "DdeQueryStringW",
        this.id,
        h,
        memory.address + BigInt(i * NAME_UNITS * 2),
        NAME_UNITS,
        CP_WINUNICODE,
      ] as const
    ));
    return handles.map((h, i) =>
      h === 0n
        ? ""
        : decodeWide(memory.bytes.subarray(i * NAME_UNITS * 2, (i + 1) * NAME_UNITS * 2))
    ) as unknown as { [K in keyof N]: string };
  }

  /** Copies a data handle's bytes (the handle stays valid; its owner frees it). */
  async dataOf(handle: bigint): Promise<Uint8Array> {
    const size: number = await this.loop.call(ddeml, "DdeGetData", handle, 0n, 0, 0);
    if (size === 0) return new Uint8Array(0);
    using memory = NativeMemory.alloc(size);
    const copied: number = await this.loop.call(
      ddeml,
      "DdeGetData",
      handle,
      memory.address,
      size,
      0,
    );
    return memory.bytes.slice(0, copied);
  }

  /** A data handle DDEML takes over when the callback returns it. */
  async dataHandle(bytes: Uint8Array, item: bigint, format: number): Promise<bigint> {
    using memory = nativeCopy(bytes);
    return await this.loop.call(
      ddeml,
      "DdeCreateDataHandle",
      this.id,
      memory.address,
      bytes.length,
      0,
      item,
      format,
      0,
    );
  }

  /**
   * Frees the packed lParam of the stray WM_DDE_ACK Wine's server posts after
   * a request's WM_DDE_DATA. Not its item atom: the server gave both messages
   * the request's one reference, which DDEML dropped with the data; deleting
   * it again took the item's name out of the atom table while others used it
   * (a warm loop's next request for that item was then refused).
   */
  async freeStrayAck(lParam: bigint): Promise<void> {
    await this.loop.call(ddeml, "FreeDDElParam", WM_DDE_ACK, lParam);
  }

  formatOf(id: number): DdeFormat {
    if (id === CF_TEXT) return { id, name: "CF_TEXT" };
    if (id === CF_UNICODETEXT) return { id, name: "CF_UNICODETEXT" };
    return { id, name: clipboardFormatName(id) };
  }

  /** Fills in a conversation's windows; returns the server's (0n if unknown). */
  async describe(channel: Channel): Promise<bigint> {
    using info = NativeMemory.alloc(CONVINFO.size);
    info.view.setUint32(0, CONVINFO.size, true);
    const [size] = await this.loop.batch([
      [ddeml, "DdeQueryConvInfo", channel.hconv, QID_SYNC, info.address],
    ]);
    if (size === 0) return 0n;
    channel.hwnd = info.view.getBigUint64(CONVINFO.hwnd, true);
    channel.partner = info.view.getBigUint64(CONVINFO.hwndPartner, true);
    return channel.partner;
  }

  /** Watches the process behind a client conversation's server window. */
  async watchPartner(conversation: ClientConversation): Promise<void> {
    const partner = await this.describe(conversation);
    if (partner === 0n) return;
    const pid = new Uint32Array(1);
    user32.symbols.GetWindowThreadProcessId(partner, pid);
    if (pid[0] === 0 || pid[0] === kernel32.symbols.GetCurrentProcessId()) return;
    let watch = this.watches.get(pid[0]!);
    if (!watch) {
      const process = kernel32.symbols.OpenProcess(SYNCHRONIZE, 0, pid[0]!);
      if (process === 0n) return;
      watch = new ProcessWatch(pid[0]!, process, (ended) => this.#partnerExited(ended));
      this.watches.set(pid[0]!, watch);
    }
    watch.conversations.add(conversation);
    conversation.watch = watch;
  }

  unwatch(conversation: ClientConversation): void {
    const watch = conversation.watch;
    conversation.watch = null;
    if (!watch) return;
    watch.conversations.delete(conversation);
    if (watch.conversations.size > 0) return;
    this.watches.delete(watch.pid);
    watch.cancel();
  }

  #partnerExited(watch: ProcessWatch): void {
    this.watches.delete(watch.pid);
    for (const conversation of watch.conversations) {
      conversation.watch = null;
      this.clientGone(conversation);
      // DDEML still holds the conversation: end it on our side.
      void this.outsideCall("DdeDisconnect", conversation.hconv).catch(() => {});
    }
  }

  clientGone(conversation: ClientConversation): void {
    if (conversation.gone) return;
    conversation.gone = true;
    this.clientConversations.delete(conversation.hconv);
    this.unwatch(conversation);
    if (!conversation.closed) conversation.events.disconnected();
  }

  /**
   * One DDEML callback invocation, with what the loop thread read before it
   * handed it over: the names of hsz1 and hsz2 ("" for none) and the bytes
   * of its data handle (null for none). A Uint8Array answer becomes a data
   * handle on the loop thread (DdeCreateDataHandle with hsz2 and the format).
   */
  async #onCallback(
    type: number,
    format: number,
    hconv: bigint,
    name1: string,
    name2: string,
    bytes: Uint8Array | null,
  ): Promise<bigint | Uint8Array> {
    switch (type & XTYP_KIND) {
      case XTYP.REGISTER:
        for (const wake of this.registered) wake();
        return 0n;
      case XTYP.CONNECT: {
        const served = this.services.get(name2.toLowerCase());
        return served?.topics.has(name1.toLowerCase()) ? 1n : 0n;
      }
      case XTYP.WILDCONNECT:
        return await this.#wildConnect(name1, name2);
      case XTYP.CONNECT_CONFIRM: {
        const served = this.services.get(name2.toLowerCase());
        if (!served) return 0n;
        const info = {
          id: ++served.nextConversation,
          topic: served.topics.get(name1.toLowerCase())?.name ?? name1,
        };
        this.serverConversations.set(hconv, { info, service: served, blocked: [] });
        served.callbacks.connected(info);
        return 0n;
      }
      case XTYP.DISCONNECT: {
        const server = this.serverConversations.get(hconv);
        if (server) {
          this.serverConversations.delete(hconv);
          server.service.callbacks.disconnected(server.info);
        }
        const client = this.clientConversations.get(hconv);
        if (client) this.clientGone(client);
        const owner = this.sideConversations.get(hconv);
        if (owner?.side) {
          this.sideConversations.delete(hconv);
          void this.freeStringHandles(owner.side.names, owner.side.inst);
          owner.side = null;
        }
        return 0n;
      }
      case XTYP.ADVDATA: {
        const client = this.clientConversations.get(hconv);
        if (!client) return 0n;
        // Handed on after this callback has returned: the consumer may run transactions on
        // this conversation, and DDEML refuses them from inside its callback (DMLERR_REENTRANCY).
        const update = this.formatOf(format);
        setImmediate(() => void client.events.adviseData(name2, update, bytes));
        // Wine's DDEML frees its copy of an update only when the answer is not DDE_FACK (its
        // server marks updates fRelease = FALSE), and Wine holds 65,536 movable blocks per
        // process: a client that answered DDE_FACK ran out after about 65,000 updates.
        // Under Wine nothing else reads this answer: the update's ACK went out before.
        return isWine() ? DDE_FNOTPROCESSED : DDE_FACK;
      }
    }
    const server = this.serverConversations.get(hconv);
    if (!server) return 0n;
    const { info, service } = server;
    const callbacks = service.callbacks;
    switch (type & XTYP_KIND) {
      case XTYP.REQUEST: {
        const reply = await this.#answer(
          server,
          hconv,
          `request|${name2}|${format}`,
          () => callbacks.request(info, name2, this.formatOf(format)),
        );
        if (reply === "blocked") return CBR_BLOCK;
        return reply.ok ? reply.value : 0n;
      }
      case XTYP.ADVREQ: {
        // DDEML takes no CBR_BLOCK here (Wine: a FIXME, the update is skipped): awaited.
        const reply = await callbacks.adviseRequest(info, name2, this.formatOf(format));
        if (!reply.ok) return 0n;
        // Wine's DdePostAdvise adds one global reference to the item's atom per call, while
        // each of its WM_DDE_DATA messages (one per answer) carries it to a client that
        // deletes it, as the protocol says: with two links or more the atom was gone while
        // messages were queued, and clients dropped them (no link for atom 0). So one
        // reference per answer here, and Wine's own removed after the call (post()).
        // Windows adds one per message. (Only a DdeCreateDataHandle out of memory would
        // leave this reference without a message.)
        if (isWine()) kernel32.symbols.GlobalAddAtomW(encodeWide(name2));
        return reply.value;
      }
      case XTYP.POKE: {
        const data = bytes ?? new Uint8Array(0);
        const reply = await this.#answer(
          server,
          hconv,
          `poke|${name2}|${format}`,
          () => callbacks.poke(info, name2, this.formatOf(format), data),
        );
        return reply === "blocked" ? CBR_BLOCK : flags(reply);
      }
      case XTYP.EXECUTE: {
        const command = decodeWide(bytes ?? new Uint8Array(0));
        const reply = await this.#answer(
          server,
          hconv,
          `execute|${command}`,
          () => callbacks.execute(info, command),
        );
        return reply === "blocked" ? CBR_BLOCK : flags(reply);
      }
      case XTYP.ADVSTART: {
        // DDEML does not tell a server whether the link is warm; it sends warm links a notice itself.
        const reply = await callbacks.adviseStart(info, name2, this.formatOf(format), "hot");
        return reply.ok ? 1n : 0n;
      }
      case XTYP.ADVSTOP:
        callbacks.adviseStop(info, name2, this.formatOf(format));
        return 0n;
    }
    return 0n;
  }

  /**
   * A server handler's answer to a request, poke or execute, without holding
   * the loop thread while the handler awaits something. An answer not there
   * after one turn of the event loop is answered CBR_BLOCK: DDEML keeps the
   * transaction (and queues the conversation's next ones) while every other
   * conversation goes on, and DdeEnableCallback, once the answer is there,
   * makes it ask again for the same transaction, which then gets it. Held
   * instead, the callback would stall every conversation of the process until
   * the reply timeout, and a handler awaiting another conversation's poke
   * would never see it.
   */
  async #answer<T extends DdeReply<Uint8Array> | DdeReply<void>>(
    server: ServerConversation,
    hconv: bigint,
    key: string,
    run: () => Promise<T>,
  ): Promise<T | "blocked"> {
    const asked = server.blocked.findIndex((b) => b.key === key && b.result !== null);
    if (asked >= 0) return server.blocked.splice(asked, 1)[0]!.result as T;
    if (server.blocked.some((b) => b.key === key)) return "blocked"; // asked again too early
    let result: T | null = null;
    const running = run().then((reply) => (result = reply));
    await new Promise((resolve) => setImmediate(resolve));
    if (result !== null) return result;
    const entry: Blocked = { key, result: null };
    server.blocked.push(entry);
    void running.then(async (reply) => {
      entry.result = reply;
      if (this.serverConversations.get(hconv) !== server) return; // the client went away
      // Outside callbacks: it runs the blocked transaction's callback again at once.
      await this.outsideCall("DdeEnableCallback", this.id, hconv, EC_ENABLEALL).catch(() => {});
    });
    return "blocked";
  }

  /** XTYP_WILDCONNECT: the service/topic pairs this process offers, as an HSZPAIR array. */
  async #wildConnect(topicName: string, serviceName: string): Promise<bigint> {
    const pairs: bigint[] = [];
    for (const service of this.services.values()) {
      if (serviceName !== "" && service.name.toLowerCase() !== serviceName.toLowerCase()) {
        continue;
      }
      for (const [key, topic] of service.topics) {
        if (topicName !== "" && key !== topicName.toLowerCase()) continue;
        pairs.push(service.hsz, topic.hsz);
      }
    }
    if (pairs.length === 0) return 0n;
    const bytes = new Uint8Array((pairs.length + 2) * 8);
    const view = new DataView(bytes.buffer);
    pairs.forEach((h, i) => view.setBigUint64(i * 8, h, true));
    return await this.dataHandle(bytes, 0n, 0);
  }
}

/**
 * The format id a client's advise link is made with. Wine's client looks an
 * update's link up by `DDEDATA.cfFormat`, a short, widened to UINT: a
 * registered format (0xC000 and up) arrives as 0xFFFFCxxx and matched no
 * link, and every update of the loop was dropped. Under Wine the link is
 * made with that widened id (the server sees the short, the same format).
 */
function linkFormat(format: DdeFormat): number {
  return isWine() && format.id >= 0x8000 ? (format.id | 0xffff0000) >>> 0 : format.id;
}

function flags(reply: DdeReply<void>): bigint {
  return reply.ok ? DDE_FACK : reply.busy ? DDE_FBUSY : 0n;
}

let current: Instance | null = null;

async function acquire(): Promise<Instance> {
  if (!current) current = new Instance();
  const instance = current;
  instance.users++;
  try {
    await instance.ready;
  } catch (error) {
    await instance.release();
    throw error;
  }
  return instance;
}

/** DDEML's timeout for a caller's wait (ms). */
function ddeTimeout(wait: DdeWait): number {
  return Number.isFinite(wait.timeout) ? Math.max(1, Math.ceil(wait.timeout)) : NO_TIMEOUT;
}

/** Settles with the call, or rejects with the wait's reason once it fires. */
function within<T>(wait: DdeWait, call: Promise<T>): Promise<T> {
  if (wait.signal.aborted) return Promise.reject(wait.signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(wait.signal.reason);
    wait.signal.addEventListener("abort", onAbort, { once: true });
    call.then(resolve, reject).finally(() => wait.signal.removeEventListener("abort", onAbort));
  });
}

class Conversation implements DdeConversationEndpoint {
  #closing: Promise<void> | null = null;

  constructor(readonly instance: Instance, readonly state: ClientConversation) {}

  /**
   * Runs one synchronous DdeClientTransaction on the loop thread. After a
   * request, it also takes out a stray acknowledgement: Wine's DDEML server
   * posts a positive WM_DDE_ACK after a request's WM_DDE_DATA, which the
   * conversation's next transaction would take as its own answer. A
   * WM_NULL sent to the server's window returns once the server's thread is
   * past the request (so the stray, if any, is queued here), and a
   * WM_DDE_ACK to this conversation's window with no transaction
   * outstanding is unsolicited on any DDE implementation: it is removed and
   * freed. On Windows nothing is found.
   */
  async #transact(
    type: number,
    item: string | null,
    format: number,
    bytes: Uint8Array | null,
    wait: DdeWait,
    channel: Channel = this.state,
  ): Promise<{ data: bigint; error: number; flags: bigint; answer: Uint8Array | null }> {
    const { instance, state } = this;
    if (state.gone) throw new DdeDisconnectedError(state.service, state.topic);
    const hszItem = item === null ? 0n : await instance.stringHandle(item, channel.inst);
    const memory = bytes ? nativeCopy(bytes) : null;
    const result = NativeMemory.alloc(4);
    const stray = NativeMemory.alloc(MSG_BYTES);
    const drain = type === XTYP.REQUEST && channel.hwnd !== 0n && channel.partner !== 0n;
    const readAhead = type === XTYP.REQUEST ? NativeMemory.alloc(REQUEST_READ_AHEAD) : null;
    const run = instance.outside([
      [
        ddeml,
        "DdeClientTransaction",
        memory?.address ?? 0n,
        bytes?.length ?? 0,
        channel.hconv,
        hszItem,
        format,
        type,
        ddeTimeout(wait),
        result.address,
      ],
      [ddeml, "DdeGetLastError", channel.inst],
      ...(drain
        ? [
          [
            ddeml,
            "SendMessageTimeoutW",
            channel.partner,
            WM_NULL,
            0n,
            0n,
            SMTO_ABORTIFHUNG,
            BARRIER_TIMEOUT,
            0n,
          ] as const,
          [
            ddeml,
            "PeekMessageW",
            stray.address,
            channel.hwnd,
            WM_DDE_ACK,
            WM_DDE_ACK,
            PM_REMOVE,
          ] as const,
        ]
        : []),
      // The answer's size and its first bytes (DdeGetData of no handle copies nothing).
      ...(readAhead
        ? [
          [ddeml, "DdeGetData", operand.result(0), 0n, 0, 0] as const,
          [
            ddeml,
            "DdeGetData",
            operand.result(0),
            readAhead.address,
            REQUEST_READ_AHEAD,
            0,
          ] as const,
        ]
        : []),
    ]).then((results) => {
      const [data, error] = results as [bigint, number];
      const removed = drain ? results[3] : 0;
      if (removed) void instance.freeStrayAck(stray.view.getBigInt64(MSG_LPARAM, true));
      const size = readAhead ? Number(results.at(-2)) : 0;
      const answer = readAhead && data !== 0n && size <= REQUEST_READ_AHEAD
        ? readAhead.bytes.slice(0, Number(results.at(-1)))
        : null;
      return { data, error, flags: BigInt(result.view.getUint32(0, true)), answer };
    }).finally(() => {
      memory?.free();
      result.free();
      stray.free();
      readAhead?.free();
      void instance.freeStringHandles([hszItem], channel.inst);
    });
    // An abort rejects now; DDEML ends the call within its timeout, and a late result is freed.
    run.then(({ data }) => {
      if (wait.signal.aborted && data > 1n && type === XTYP.REQUEST) {
        void instance.loop.call(ddeml, "DdeFreeDataHandle", data).catch(() => {});
      }
    }, () => {});
    return await within(wait, run);
  }

  #failure(error: number, call: string, channel: Channel = this.state): Error {
    const { service, topic } = this.state;
    // The server's window gone is its end too, whatever code DDEML gave the broken transaction.
    const partnerGone = channel.partner !== 0n && !user32.symbols.IsWindow(channel.partner);
    if (
      this.state.gone || partnerGone || error === DMLERR.SERVER_DIED ||
      error === DMLERR.NO_CONV_ESTABLISHED
    ) {
      return new DdeDisconnectedError(service, topic);
    }
    if (TIMEOUTS.has(error)) {
      return new TimeoutError(
        `Cannot ${call} in '${service}|${topic}': the server did not answer in time`,
        {
          cause: new DdemlError(error, "DdeClientTransaction"),
        },
      );
    }
    return new DdemlError(error, "DdeClientTransaction");
  }

  /** The conversation for transactions (opened on first use while loops run), or this one. */
  async #transactionChannel(): Promise<Channel> {
    const { instance, state } = this;
    if (state.loops === 0) return state;
    if (state.side) return state.side;
    using lane = await instance.laneFor(state.service, state.topic);
    const inst = lane.inst;
    const names = [
      await instance.stringHandle(state.service, inst),
      await instance.stringHandle(state.topic, inst),
    ] as const;
    const [hconv] = await instance.outside([
      [ddeml, "DdeConnect", inst, names[0], names[1], 0n],
    ]);
    if (hconv === 0n) {
      await instance.freeStringHandles(names, inst);
      return state;
    }
    const side: Channel = { hconv, inst, names, hwnd: 0n, partner: 0n };
    await instance.describe(side);
    state.side = side;
    instance.sideConversations.set(hconv, state);
    return side;
  }

  async request(item: string, format: DdeFormat, wait: DdeWait): Promise<DdeReply<Uint8Array>> {
    const channel = await this.#transactionChannel();
    const { data, error, answer } = await this.#transact(
      XTYP.REQUEST,
      item,
      format.id,
      null,
      wait,
      channel,
    );
    if (data === 0n) {
      if (error === DMLERR.NOTPROCESSED || error === 0) {
        return { ok: false, busy: false, note: isWine() ? WINE_FULL_TABLE : undefined };
      }
      if (error === DMLERR.BUSY) return { ok: false, busy: true };
      throw this.#failure(error, "request", channel);
    }
    try {
      return { ok: true, value: answer ?? await this.instance.dataOf(data) };
    } finally {
      void this.instance.loop.call(ddeml, "DdeFreeDataHandle", data).catch(() => {});
    }
  }

  async #acknowledged(
    type: number,
    item: string | null,
    format: number,
    bytes: Uint8Array | null,
    wait: DdeWait,
    what: string,
    channel: Channel = this.state,
  ): Promise<DdeReply<void>> {
    const { data, error, flags } = await this.#transact(type, item, format, bytes, wait, channel);
    // Wine's client returns TRUE for any acknowledged poke, positive or not; its ACK flags tell.
    const nacked = type === XTYP.POKE && isWine() && (flags & DDE_FACK) === 0n;
    if (data !== 0n && !nacked) return { ok: true, value: undefined };
    if (error === DMLERR.BUSY || (flags & DDE_FBUSY) !== 0n) return { ok: false, busy: true };
    if (error === DMLERR.NOTPROCESSED || error === 0) return { ok: false, busy: false };
    throw this.#failure(error, what, channel);
  }

  async poke(
    item: string,
    format: DdeFormat,
    data: Uint8Array,
    wait: DdeWait,
  ): Promise<DdeReply<void>> {
    const channel = await this.#transactionChannel();
    return this.#acknowledged(XTYP.POKE, item, format.id, data, wait, "poke", channel);
  }

  async execute(command: string, wait: DdeWait): Promise<DdeReply<void>> {
    const channel = await this.#transactionChannel();
    return this.#acknowledged(XTYP.EXECUTE, null, 0, encodeWide(command), wait, "execute", channel);
  }

  async adviseStart(
    item: string,
    format: DdeFormat,
    mode: "hot" | "warm",
    wait: DdeWait,
  ): Promise<DdeReply<void>> {
    const type = XTYP.ADVSTART | (mode === "warm" ? XTYPF_NODATA : 0);
    const reply = await this.#acknowledged(type, item, linkFormat(format), null, wait, "advise");
    if (reply.ok) this.state.loops++;
    return reply;
  }

  async adviseStop(item: string, format: DdeFormat): Promise<void> {
    if (this.state.gone) return;
    this.state.loops = Math.max(0, this.state.loops - 1);
    const signal = new AbortController().signal;
    await this.#transact(XTYP.ADVSTOP, item, linkFormat(format), null, { timeout: 5000, signal })
      .catch(() => {});
  }

  close(): Promise<void> {
    return (this.#closing ??= (async () => {
      const { instance, state } = this;
      state.closed = true;
      instance.unwatch(state);
      instance.clientConversations.delete(state.hconv);
      const side = state.side;
      state.side = null;
      try {
        if (side) {
          instance.sideConversations.delete(side.hconv);
          await instance.outsideCall("DdeDisconnect", side.hconv).catch(() => {});
          await instance.freeStringHandles(side.names, side.inst);
        }
        if (!state.gone) await instance.outsideCall("DdeDisconnect", state.hconv);
      } finally {
        state.gone = true;
        await instance.freeStringHandles(state.names, state.inst);
        await instance.release();
      }
    })());
  }
}

class ServiceEndpoint implements DdeServiceEndpoint {
  #closing: Promise<void> | null = null;

  constructor(readonly instance: Instance, readonly service: Service) {}

  async post(topic: string, item: string, wait: DdeWait): Promise<void> {
    const topicEntry = this.service.topics.get(topic.toLowerCase());
    if (!topicEntry) return;
    const hszItem = await this.instance.stringHandle(item);
    try {
      // Not outside callbacks: DDEML allows DdePostAdvise inside its callback (a poke handler
      // posting the item it changed is the textbook case), and a handler that awaits its post
      // would otherwise hold its own callback until the reply timeout.
      const posted = this.instance.loop.call(
        ddeml,
        "DdePostAdvise",
        this.instance.id,
        topicEntry.hsz,
        hszItem,
      ).then((ok: number) => {
        // Wine's own reference (see XTYP_ADVREQ in #onCallback); a failed post dropped it itself.
        if (ok && isWine()) {
          const name = encodeWide(item);
          kernel32.symbols.GlobalDeleteAtom(kernel32.symbols.GlobalFindAtomW(name));
        }
      });
      await within(wait, posted);
    } finally {
      void this.instance.freeStringHandles([hszItem]);
    }
  }

  close(): Promise<void> {
    return (this.#closing ??= (async () => {
      const { instance, service } = this;
      // A handler that has returned (an execute whose handler leads to this close, as in
      // examples/dde_quotes.ipc) gets its answer out first: a callback still held when the
      // instance is released answers 0, a refusal (CI, windows-bun at load 13).
      await new Promise((resolve) => setImmediate(resolve));
      instance.services.delete(service.name.toLowerCase());
      try {
        await instance.loop.call(
          ddeml,
          "DdeNameService",
          instance.id,
          service.hsz,
          0n,
          DNS_UNREGISTER,
        );
        const mine = [...instance.serverConversations].filter(([, c]) => c.service === service);
        for (const [hconv, conversation] of mine) {
          instance.serverConversations.delete(hconv);
          await instance.outsideCall("DdeDisconnect", hconv).catch(() => {});
          service.callbacks.disconnected(conversation.info);
        }
        await instance.freeStringHandles([
          service.hsz,
          ...[...service.topics.values()].map((t) => t.hsz),
        ]);
      } finally {
        await instance.release();
      }
    })());
  }
}

/** DdeConnectList: the service/topic pairs on offer, each conversation closed at once. */
async function listPairs(
  instance: Instance,
  service: string | null,
  topic: string | null,
): Promise<DdeServiceTopic[]> {
  if (isWine()) return await listByInitiate(instance, service, topic);
  const hszService = service === null ? 0n : await instance.stringHandle(service);
  const hszTopic = topic === null ? 0n : await instance.stringHandle(topic);
  try {
    const [list] = await instance.outside([
      [ddeml, "DdeConnectList", instance.id, hszService, hszTopic, 0n, 0n],
    ]);
    if (list === 0n) return [];
    try {
      const found: DdeServiceTopic[] = [];
      for (let hconv = 0n;;) {
        hconv = await instance.loop.call(ddeml, "DdeQueryNextServer", list, hconv);
        if (hconv === 0n) break;
        using info = NativeMemory.alloc(CONVINFO.size);
        info.view.setUint32(0, CONVINFO.size, true);
        const size: number = await instance.loop.call(
          ddeml,
          "DdeQueryConvInfo",
          hconv,
          QID_SYNC,
          info.address,
        );
        if (size === 0) continue;
        const [s, t] = await instance.strings(
          info.view.getBigUint64(CONVINFO.hszSvcPartner, true),
          info.view.getBigUint64(CONVINFO.hszTopic, true),
        );
        found.push({ service: s!, topic: t! });
      }
      return found;
    } finally {
      await instance.outsideCall("DdeDisconnectList", list);
    }
  } finally {
    await instance.freeStringHandles([hszService, hszTopic]);
  }
}

/**
 * DdeConnectList's enumeration by the DDE protocol itself, for Wine, whose
 * DdeConnectList and DdeQueryNextServer are stubs that list nothing: a
 * WM_DDE_INITIATE broadcast from a window of ours (sent from the loop
 * thread, so that servers of this process answer too), each server's
 * WM_DDE_ACK noted (its atoms are the receiver's to delete), then a
 * WM_DDE_TERMINATE posted to each server window that answered.
 */
async function listByInitiate(
  instance: Instance,
  service: string | null,
  topic: string | null,
): Promise<DdeServiceTopic[]> {
  const k = kernel32.symbols;
  const atomName = (atom: number) => {
    const text = new Uint8Array(NAME_UNITS * 2);
    return decodeWide(text.subarray(0, k.GlobalGetAtomNameW(atom, text, NAME_UNITS) * 2));
  };
  const answers: { server: bigint; pair: DdeServiceTopic }[] = [];
  const window = await MessageWindow.create({
    className: "ipckit.DdeList",
    handlers: {
      [WM_DDE_ACK]: ({ wParam, lParam }) => {
        const atoms = [Number(lParam & 0xffffn), Number((lParam >> 16n) & 0xffffn)] as const;
        answers.push({
          server: wParam,
          pair: { service: atomName(atoms[0]), topic: atomName(atoms[1]) },
        });
        for (const atom of atoms) if (atom !== 0) k.GlobalDeleteAtom(atom);
        return 0;
      },
      [WM_DDE_TERMINATE]: () => 0,
    },
  });
  try {
    const atoms = [service, topic].map((name) =>
      name === null ? 0 : k.GlobalAddAtomW(encodeWide(name))
    );
    try {
      await instance.outside([[
        ddeml,
        "SendMessageTimeoutW",
        HWND_BROADCAST,
        WM_DDE_INITIATE,
        window.hwnd,
        BigInt(atoms[0]! | (atoms[1]! << 16)),
        SMTO_ABORTIFHUNG,
        BARRIER_TIMEOUT,
        0n,
      ]]);
    } finally {
      for (const atom of atoms) if (atom !== 0) k.GlobalDeleteAtom(atom);
    }
    for (const { server } of answers) {
      user32.symbols.PostMessageW(server, WM_DDE_TERMINATE, window.hwnd, 0n);
    }
    return answers.map(({ pair }) => pair);
  } finally {
    await window.close();
  }
}

/**
 * The DDEML backend: lib/dde.ts's `DdeBackend` on Windows.
 *
 * @example Registering a format and encoding CF_TEXT
 * ```ts
 * import { ddeBackend } from "./dde.ts";
 * const format = ddeBackend.format("XlTable"); // { id: <registered id>, name: "XlTable" }
 * const ansi = ddeBackend.encodeAnsi("price");
 * ```
 */
export const ddeBackend: DdeBackend = {
  format(name) {
    if (name === "CF_TEXT") return { id: CF_TEXT, name };
    if (name === "CF_UNICODETEXT") return { id: CF_UNICODETEXT, name };
    return { id: registerClipboardFormat(name), name };
  },

  encodeAnsi(text) {
    const wide = encodeWide(text);
    const k = kernel32.symbols;
    const size = k.WideCharToMultiByte(CP_ACP, 0, wide, text.length, null, 0, 0n, 0n);
    const out = new Uint8Array(size);
    if (size > 0) k.WideCharToMultiByte(CP_ACP, 0, wide, text.length, out, size, 0n, 0n);
    return out;
  },

  decodeAnsi(bytes) {
    if (bytes.length === 0) return "";
    const k = kernel32.symbols;
    const units = k.MultiByteToWideChar(CP_ACP, 0, bytes, bytes.length, null, 0);
    const out = new Uint8Array(units * 2 + 2);
    k.MultiByteToWideChar(CP_ACP, 0, bytes, bytes.length, out, units);
    return decodeWide(out);
  },

  async serve(service, topics, callbacks) {
    const instance = await acquire();
    try {
      if (
        (await listPairs(instance, service, null)).length > 0 ||
        instance.services.has(service.toLowerCase())
      ) {
        throw new NameTakenError(
          `Cannot serve DDE service '${service}': a live server already offers it`,
          service,
          "DDE service",
          "DDE service",
        );
      }
      const hsz = await instance.stringHandle(service);
      const entry: Service = {
        name: service,
        hsz,
        topics: new Map(),
        callbacks,
        nextConversation: 0,
      };
      for (const topic of topics) {
        entry.topics.set(topic.toLowerCase(), {
          name: topic,
          hsz: await instance.stringHandle(topic),
        });
      }
      instance.services.set(service.toLowerCase(), entry);
      const [ok, error] = await instance.outside([
        [ddeml, "DdeNameService", instance.id, hsz, 0n, DNS_REGISTER],
        [ddeml, "DdeGetLastError", instance.id],
      ]);
      if (ok === 0n) {
        instance.services.delete(service.toLowerCase());
        await instance.freeStringHandles([hsz, ...[...entry.topics.values()].map((t) => t.hsz)]);
        throw new DdemlError(error, "DdeNameService");
      }
      return new ServiceEndpoint(instance, entry);
    } catch (error) {
      await instance.release();
      throw error;
    }
  },

  async connect(service, topic, events, wait) {
    const instance = await acquire();
    let hszService = 0n;
    let hszTopic = 0n;
    let lane: Lane | null = null;
    try {
      lane = await instance.laneFor(service, topic);
      const inst = lane.inst;
      hszService = await instance.stringHandle(service, inst);
      hszTopic = await instance.stringHandle(topic, inst);
      for (;;) {
        // A server that registers meanwhile wakes the next attempt (XTYP_REGISTER): no polling.
        let wake!: () => void;
        const registered = new Promise<void>((resolve) => (wake = resolve));
        instance.registered.add(wake);
        try {
          const [hconv, error] = await instance.outside([
            [ddeml, "DdeConnect", inst, hszService, hszTopic, 0n],
            [ddeml, "DdeGetLastError", inst],
          ]);
          if (hconv !== 0n) {
            const state: ClientConversation = {
              hconv,
              inst,
              events,
              service,
              topic,
              hwnd: 0n,
              partner: 0n,
              names: [hszService, hszTopic],
              side: null,
              loops: 0,
              gone: false,
              closed: false,
              watch: null,
            };
            instance.clientConversations.set(hconv, state);
            lane[Symbol.dispose]();
            await instance.watchPartner(state);
            return new Conversation(instance, state);
          }
          if (error !== DMLERR.NO_CONV_ESTABLISHED) throw new DdemlError(error, "DdeConnect");
          if (wait.timeout === 0) throw new Error("no server answered the one attempt");
          await within(wait, registered);
        } finally {
          instance.registered.delete(wake);
        }
      }
    } catch (error) {
      lane?.[Symbol.dispose]();
      void instance.freeStringHandles([hszService, hszTopic], lane?.inst);
      await instance.release();
      // A DDEML failure, or the caller's abort, as it is; a deadline (or one attempt) is not found.
      if (error instanceof DdemlError) throw error;
      if (wait.signal.aborted && !(wait.signal.reason instanceof TimeoutError)) throw error;
      throw new NotFoundError(
        `Cannot connect to DDE service '${service}' with topic '${topic}': no server offers it` +
          " (DMLERR_NO_CONV_ESTABLISHED; under Wine, DDE also needs an X display: set DISPLAY)",
        service,
        { cause: error },
      );
    }
  },

  async list(service, topic, wait) {
    const instance = await acquire();
    try {
      return await within(wait, listPairs(instance, service, topic));
    } finally {
      await instance.release();
    }
  },
};
