/**
 * Data copy on Windows: WM_COPYDATA to a message-only window. A receiver is
 * a window of class `ipckit.CopyData` named after the receiver, owned by the
 * message-loop thread; its JavaScript handler's answer is the message's
 * result. A sender finds it with FindWindowExW and sends with
 * SendMessageTimeoutW(SMTO_ABORTIFHUNG) on a thread of the blocking-call
 * pool, so the JavaScript thread never waits.
 *
 * @module
 */
import { decodeWide, encodeWide, nativeBuffer, NativeMemory } from "../ffi/mod.ts";
import { ClosedError, NameTakenError, NotFoundError, TimeoutError } from "../errors.ts";
import type {
  Deliver,
  ListenSettings,
  ReceiverEndpoint,
  SenderEndpoint,
} from "../_copydata_common.ts";
import { ERROR, lastWin32Error, Win32Error } from "./error.ts";
import { kernel32 } from "./kernel32.ts";
import { MessageWindow } from "./message_loop.ts";
import { createSharedMemory, openSharedMemory } from "./shared_memory.ts";
import { COPYDATASTRUCT } from "./structs.ts";
import { user32 } from "./user32.ts";

/** The window class of every ipckit receiver. */
export const COPYDATA_CLASS = "ipckit.CopyData";
const WM_COPYDATA = 0x004a;
const HWND_MESSAGE = 0xfffffffffffffffdn;
const SMTO_ABORTIFHUNG = 0x2;
const MSGFLT_ALLOW = 1;
/** SendMessageTimeoutW's timeout is a UINT of ms; "forever" is its largest value (49 days). */
const MAX_SEND_TIMEOUT = 0xffffffff;

/**
 * Wine copies a sent message's data onto the receiving thread's stack (its
 * KeUserModeCallback puts the callback's arguments there), so a WM_COPYDATA
 * of a few MiB overflows the loop thread's stack (Deno's V8 stops at about
 * 1 MiB, Bun's at 2-8 MiB). Between ipckit processes, a message larger than
 * this travels in a named file mapping instead, and WM_COPYDATA carries only
 * its name and size; real Windows handles either way.
 */
const DIRECT_LIMIT = 256 * 1024;
/** wParam of an indirect message ("ipckCD" and a version): no HWND has these high bits. */
const INDIRECT_MARK = 0x6970636b43440001n;

/**
 * The name lock of a receiver: a named mutex `Local\ipckit.CopyData.<name>`
 * whose creation tells whether another receiver holds the name (windows
 * themselves can be created twice under one title). The kernel drops it
 * with the process.
 *
 * @param name The receiver's name.
 * @returns The OS name of the lock.
 * @example Using copyDataLockName
 * ```ts
 * import { copyDataLockName } from "./copydata.ts";
 * copyDataLockName("jobs"); // "Local\\ipckit.CopyData.jobs"
 * ```
 */
export function copyDataLockName(name: string): string {
  return `Local\\${COPYDATA_CLASS}.${name}`;
}

/**
 * The receiver's window, or 0n when none listens under the name.
 *
 * @param name The receiver's name.
 * @returns The HWND.
 */
function findReceiver(name: string): bigint {
  return user32.symbols.FindWindowExW(
    HWND_MESSAGE,
    0n,
    encodeWide(COPYDATA_CLASS),
    encodeWide(name),
  );
}

/**
 * Starts a receiver: takes the name lock, then creates the window.
 *
 * @param name The receiver's name (checked).
 * @param deliver Hands each message to JavaScript and resolves with its answer.
 * @param settings Reply timeout, lower-integrity senders.
 * @returns The receiver.
 * @example Using listenCopyData
 * ```ts
 * import { listenCopyData } from "./copydata.ts";
 * const receiver = await listenCopyData("jobs", async () => true, {
 *   replyTimeout: 10000, allowLowerIntegrity: false,
 * });
 * await receiver.close();
 * ```
 */
export async function listenCopyData(
  name: string,
  deliver: Deliver,
  settings: ListenSettings,
): Promise<ReceiverEndpoint> {
  const k = kernel32.symbols;
  const lock = k.CreateMutexW(0n, 0, encodeWide(copyDataLockName(name)));
  if (lock === 0n) throw lastWin32Error("CreateMutexW");
  if (k.GetLastError() === ERROR.ALREADY_EXISTS) {
    k.CloseHandle(lock);
    throw new NameTakenError(
      `Cannot listen for copydata on '${name}': another receiver listens under that name`,
      name,
      "copydata receiver",
      "copydata receiver",
    );
  }
  let window: MessageWindow;
  try {
    window = await MessageWindow.create({
      className: COPYDATA_CLASS,
      title: name,
      replyTimeout: settings.replyTimeout,
      handlers: {
        [WM_COPYDATA]: ({ wParam, lParam }) => {
          // The sender's copy is valid only now, while it and the loop wait: take ours.
          const view = new DataView(nativeBuffer(BigInt.asUintN(64, lParam), COPYDATASTRUCT.size));
          const tag = COPYDATASTRUCT.get(view, "dwData");
          const size = COPYDATASTRUCT.get(view, "cbData");
          const address = COPYDATASTRUCT.get(view, "lpData");
          const bytes = size === 0 || address === 0n
            ? new Uint8Array(0)
            : new Uint8Array(nativeBuffer(address, size)).slice();
          if (wParam !== INDIRECT_MARK) return deliver({ tag, data: bytes });
          const data = readIndirect(bytes);
          return data ? deliver({ tag, data }) : false;
        },
      },
    });
    if (settings.allowLowerIntegrity) {
      // UIPI drops WM_COPYDATA from lower-integrity senders unless the window lets it in.
      const [ok, code] = await window.batch([
        [user32, "ChangeWindowMessageFilterEx", window.hwnd, WM_COPYDATA, MSGFLT_ALLOW, 0n],
        [kernel32, "GetLastError"],
      ]);
      if (!ok) {
        await window.close();
        throw new Error(`Cannot let lower-integrity senders reach '${name}'`, {
          cause: new Win32Error(code, "ChangeWindowMessageFilterEx"),
        });
      }
    }
  } catch (error) {
    k.CloseHandle(lock);
    throw error;
  }
  let closing: Promise<void> | null = null;
  return {
    hwnd: window.hwnd,
    close: () => (closing ??= window.close().finally(() => {
      k.CloseHandle(lock);
    })),
  };
}

/** A large message's bytes, from the sender's file mapping (null when it is gone: the sender gave up). */
function readIndirect(descriptor: Uint8Array): Uint8Array | null {
  if (descriptor.byteLength < 10) return null;
  const size = Number(new DataView(descriptor.buffer).getBigUint64(0, true));
  const name = decodeWide(descriptor.subarray(8));
  let mapping;
  try {
    mapping = openSharedMemory(name, true, size);
  } catch {
    return null;
  }
  try {
    return new Uint8Array(nativeBuffer(mapping.address, size)).slice();
  } finally {
    mapping.close();
  }
}

let indirectCount = 0;

/** Puts a large message in a named file mapping; returns the descriptor to send and the mapping. */
function writeIndirect(data: Uint8Array) {
  const random = crypto.getRandomValues(new Uint8Array(16));
  const suffix = Array.from(random, (b) => b.toString(16).padStart(2, "0")).join("");
  const name =
    `${COPYDATA_CLASS}.${kernel32.symbols.GetCurrentProcessId()}.${++indirectCount}.${suffix}`;
  const mapping = createSharedMemory(name, data.byteLength, false);
  try {
    new Uint8Array(nativeBuffer(mapping.address, data.byteLength)).set(data);
  } catch (error) {
    mapping.close();
    throw error;
  }
  const wide = encodeWide(name);
  const descriptor = new Uint8Array(8 + wide.byteLength);
  new DataView(descriptor.buffer).setBigUint64(0, BigInt(data.byteLength), true);
  descriptor.set(wide, 8);
  return { descriptor, mapping };
}

/** Whether a window is an ipckit receiver (its class), so large messages may go indirectly. */
function isIpckitReceiver(hwnd: bigint): boolean {
  const name = new Uint8Array(64);
  const length = user32.symbols.GetClassNameW(hwnd, name, 32);
  return length > 0 && decodeWide(name.subarray(0, length * 2)) === COPYDATA_CLASS;
}

/**
 * Finds a receiver by name, waiting up to `timeout` ms for it to appear.
 *
 * @param name The receiver's name (checked).
 * @param timeout Ms to wait for the receiver (0 = look once).
 * @returns A sender bound to the receiver's window.
 * @example Using connectCopyData
 * ```ts
 * import { connectCopyData } from "./copydata.ts";
 * // const sender = await connectCopyData("jobs", 1000);
 * ```
 */
export async function connectCopyData(name: string, timeout: number): Promise<SenderEndpoint> {
  const deadline = Date.now() + timeout;
  let pause = 2;
  for (;;) {
    const hwnd = findReceiver(name);
    if (hwnd !== 0n) return windowSender(hwnd, `copydata receiver '${name}'`);
    const left = deadline - Date.now();
    if (left <= 0) {
      throw new NotFoundError(
        `Cannot connect to copydata receiver '${name}': no receiver listens under that name`,
        name,
      );
    }
    // Nothing announces a window's arrival: retry with a short, growing pause (only while connecting).
    await new Promise((resolve) => setTimeout(resolve, Math.min(pause, left)));
    pause = Math.min(pause * 2, 50);
  }
}

/**
 * A sender to any window, ipckit's or another program's.
 *
 * @param hwnd The window.
 * @param what For messages, e.g. "copydata receiver 'jobs'" or "window 0x1234".
 * @returns The sender.
 * @example Using windowSender
 * ```ts
 * import { windowSender } from "./copydata.ts";
 * const sender = windowSender(0x10010n, "window 0x10010");
 * ```
 */
export function windowSender(hwnd: bigint, what: string): SenderEndpoint {
  return {
    send: (data, tag, timeout) => sendCopyData(hwnd, data, tag, timeout, what),
    close: () => Promise.resolve(),
  };
}

async function sendCopyData(
  hwnd: bigint,
  data: Uint8Array,
  tag: bigint,
  timeout: number,
  what: string,
): Promise<boolean> {
  if (data.byteLength > DIRECT_LIMIT && isIpckitReceiver(hwnd)) {
    const { descriptor, mapping } = writeIndirect(data);
    try {
      // The receiver opens the mapping while this send waits, so it lives until the send returns.
      return await sendMessage(hwnd, descriptor, tag, timeout, what, INDIRECT_MARK);
    } finally {
      mapping.close();
    }
  }
  return await sendMessage(hwnd, data, tag, timeout, what, 0n);
}

async function sendMessage(
  hwnd: bigint,
  data: Uint8Array,
  tag: bigint,
  timeout: number,
  what: string,
  wParam: bigint,
): Promise<boolean> {
  // SendMessageTimeoutW runs on another thread and the receiver reads the bytes later:
  // they live in native memory that stays put until the call returns.
  using block = NativeMemory.alloc(COPYDATASTRUCT.size + 8);
  using bytes = data.byteLength > 0 ? NativeMemory.alloc(data.byteLength) : null;
  bytes?.bytes.set(data);
  const view = block.view;
  COPYDATASTRUCT.set(view, "dwData", tag);
  COPYDATASTRUCT.set(view, "cbData", data.byteLength);
  COPYDATASTRUCT.set(view, "lpData", bytes?.address ?? 0n);
  const resultAddress = block.address + BigInt(COPYDATASTRUCT.size);
  const sent = await user32.symbols.SendMessageTimeoutWAsync(
    hwnd,
    WM_COPYDATA,
    wParam,
    block.address,
    SMTO_ABORTIFHUNG,
    Math.min(Math.ceil(timeout), MAX_SEND_TIMEOUT),
    resultAddress,
  );
  if (sent !== 0n) return view.getBigUint64(COPYDATASTRUCT.size, true) !== 0n;
  // The call ran on another thread, so its last error is gone; what is left tells the cases apart.
  if (!user32.symbols.IsWindow(hwnd)) {
    throw new ClosedError(`Cannot send to ${what}: it is gone`);
  }
  throw new TimeoutError(
    `Cannot send to ${what}: no answer within ${timeout} ms (the receiver is busy or hung)`,
  );
}
