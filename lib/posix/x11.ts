/**
 * libX11 and libXfixes (x86-64 Linux), as data: the symbols the clipboard
 * uses and the layouts of the events it reads. Native types in comments; no
 * logic. Display* = pointer; Window, Atom, Time = unsigned long (u64);
 * Bool, Status = int (i32); `const char*` = buffer (encodeC).
 *
 * @module
 */
import { NativeLibrary, struct } from "../ffi/mod.ts";

/**
 * libX11 symbols used by ipckit.
 *
 * @example Who owns the clipboard
 * ```ts
 * import { encodeC } from "../ffi/mod.ts";
 * import { libX11 } from "./x11.ts";
 * const display = libX11.symbols.XOpenDisplay(encodeC(":0"));
 * if (display !== 0n) {
 *   const clipboard = libX11.symbols.XInternAtom(display, encodeC("CLIPBOARD"), 0);
 *   console.log(libX11.symbols.XGetSelectionOwner(display, clipboard));
 *   libX11.symbols.XCloseDisplay(display);
 * }
 * ```
 */
export const libX11 = new NativeLibrary(
  { linux: "libX11.so.6" },
  {
    XOpenDisplay: { args: ["buffer"], returns: "pointer" }, // Display* XOpenDisplay(const char* name)
    XCloseDisplay: { args: ["pointer"], returns: "i32" },
    XConnectionNumber: { args: ["pointer"], returns: "i32" }, // int XConnectionNumber(Display*)
    XDefaultRootWindow: { args: ["pointer"], returns: "u64" }, // Window XDefaultRootWindow(Display*)
    // Window XCreateSimpleWindow(Display*, Window parent, int x, int y, unsigned w, unsigned h,
    //                            unsigned border_width, unsigned long border, unsigned long background)
    XCreateSimpleWindow: {
      args: ["pointer", "u64", "i32", "i32", "u32", "u32", "u32", "u64", "u64"],
      returns: "u64",
    },
    XDestroyWindow: { args: ["pointer", "u64"], returns: "i32" }, // (Display*, Window)
    XSelectInput: { args: ["pointer", "u64", "i64"], returns: "i32" }, // (Display*, Window, long mask)
    // Atom XInternAtom(Display*, const char* name, Bool only_if_exists): None (0) when it does not exist
    XInternAtom: { args: ["pointer", "buffer", "i32"], returns: "u64" },
    XGetAtomName: { args: ["pointer", "u64"], returns: "pointer" }, // char* (XFree it)
    XFree: { args: ["pointer"], returns: "i32" },
    // int XSetSelectionOwner(Display*, Atom selection, Window owner, Time)
    XSetSelectionOwner: { args: ["pointer", "u64", "u64", "u64"], returns: "i32" },
    XGetSelectionOwner: { args: ["pointer", "u64"], returns: "u64" }, // Window (None = 0)
    // int XConvertSelection(Display*, Atom selection, Atom target, Atom property, Window requestor, Time)
    XConvertSelection: { args: ["pointer", "u64", "u64", "u64", "u64", "u64"], returns: "i32" },
    // Status XSendEvent(Display*, Window, Bool propagate, long event_mask, XEvent*)
    XSendEvent: { args: ["pointer", "u64", "i32", "i64", "buffer"], returns: "i32" },
    // int XChangeProperty(Display*, Window, Atom property, Atom type, int format, int mode,
    //                     const unsigned char* data, int nelements)
    XChangeProperty: {
      args: ["pointer", "u64", "u64", "u64", "i32", "i32", "buffer", "i32"],
      returns: "i32",
    },
    // int XGetWindowProperty(Display*, Window, Atom property, long offset, long length, Bool delete,
    //   Atom req_type, Atom* actual_type, int* actual_format, unsigned long* nitems,
    //   unsigned long* bytes_after, unsigned char** prop): Success = 0
    XGetWindowProperty: {
      args: [
        "pointer",
        "u64",
        "u64",
        "i64",
        "i64",
        "i32",
        "u64",
        "buffer",
        "buffer",
        "buffer",
        "buffer",
        "buffer",
      ],
      returns: "i32",
    },
    XDeleteProperty: { args: ["pointer", "u64", "u64"], returns: "i32" }, // (Display*, Window, Atom)
    XPending: { args: ["pointer"], returns: "i32" }, // flushes, reads what is there, never blocks
    XNextEvent: { args: ["pointer", "buffer"], returns: "i32" }, // (Display*, XEvent* out): blocks if none queued
    XFlush: { args: ["pointer"], returns: "i32" },
    XSync: { args: ["pointer", "i32"], returns: "i32" }, // (Display*, Bool discard): a round trip
    XMaxRequestSize: { args: ["pointer"], returns: "i64" }, // long, in 4-byte units
    XExtendedMaxRequestSize: { args: ["pointer"], returns: "i64" }, // long, 0 without BIG-REQUESTS
    // XErrorHandler XSetErrorHandler(int (*handler)(Display*, XErrorEvent*)): process-wide
    XSetErrorHandler: { args: ["callback"], returns: "pointer" },
  } as const,
);

/** libXfixes symbols used by ipckit (selection-owner change events). */
export const libXfixes = new NativeLibrary(
  { linux: "libXfixes.so.3" },
  {
    // Bool XFixesQueryExtension(Display*, int* event_base, int* error_base)
    XFixesQueryExtension: { args: ["pointer", "buffer", "buffer"], returns: "i32" },
    // void XFixesSelectSelectionInput(Display*, Window, Atom selection, unsigned long event_mask)
    XFixesSelectSelectionInput: { args: ["pointer", "u64", "u64", "u64"], returns: "void" },
  } as const,
);

/** `int handler(Display*, XErrorEvent*)`, the signature XSetErrorHandler takes. */
export const X_ERROR_HANDLER = { args: ["pointer", "pointer"], returns: "i32" } as const;

/** X protocol constants (X.h, Xatom.h, xfixes.h). */
export const X = {
  None: 0n,
  CurrentTime: 0n,
  False: 0,
  True: 1,
  Success: 0,
  AnyPropertyType: 0n,
  // predefined atoms
  XA_ATOM: 4n,
  XA_INTEGER: 19n,
  XA_STRING: 31n,
  // event types
  DestroyNotify: 17,
  PropertyNotify: 28,
  SelectionClear: 29,
  SelectionRequest: 30,
  SelectionNotify: 31,
  // event masks
  StructureNotifyMask: 1n << 17n,
  PropertyChangeMask: 1n << 22n,
  // PropertyNotify state
  PropertyNewValue: 0,
  PropertyDelete: 1,
  // XChangeProperty mode
  PropModeReplace: 0,
  PropModeAppend: 2,
  // XFixes
  XFixesSelectionNotify: 0,
  SetSelectionOwnerNotifyMask: 1n,
  SelectionWindowDestroyNotifyMask: 2n,
  SelectionClientCloseNotifyMask: 4n,
} as const;

/** Size of the XEvent union (`long pad[24]`). */
export const XEVENT_SIZE = 192;

/** The header every XEvent starts with. */
export const XAnyEvent = struct({
  type: "i32",
  serial: "u64",
  send_event: "i32",
  display: "pointer",
  window: "u64",
});

/** XSelectionRequestEvent: a requestor asks the owner for a target. */
export const XSelectionRequestEvent = struct({
  type: "i32",
  serial: "u64",
  send_event: "i32",
  display: "pointer",
  owner: "u64",
  requestor: "u64",
  selection: "u64",
  target: "u64",
  property: "u64",
  time: "u64",
});

/** XSelectionEvent (SelectionNotify): the owner's answer. */
export const XSelectionEvent = struct({
  type: "i32",
  serial: "u64",
  send_event: "i32",
  display: "pointer",
  requestor: "u64",
  selection: "u64",
  target: "u64",
  property: "u64",
  time: "u64",
});

/** XSelectionClearEvent: this client lost a selection. */
export const XSelectionClearEvent = struct({
  type: "i32",
  serial: "u64",
  send_event: "i32",
  display: "pointer",
  window: "u64",
  selection: "u64",
  time: "u64",
});

/** XPropertyEvent (PropertyNotify). */
export const XPropertyEvent = struct({
  type: "i32",
  serial: "u64",
  send_event: "i32",
  display: "pointer",
  window: "u64",
  atom: "u64",
  time: "u64",
  state: "i32",
});

/** XDestroyWindowEvent (DestroyNotify). */
export const XDestroyWindowEvent = struct({
  type: "i32",
  serial: "u64",
  send_event: "i32",
  display: "pointer",
  event: "u64",
  window: "u64",
});

/** XFixesSelectionNotifyEvent: a selection changed owner. */
export const XFixesSelectionNotifyEvent = struct({
  type: "i32",
  serial: "u64",
  send_event: "i32",
  display: "pointer",
  window: "u64",
  subtype: "i32",
  owner: "u64",
  selection: "u64",
  timestamp: "u64",
  selection_timestamp: "u64",
});

/** XErrorEvent, as the error handler receives it. */
export const XErrorEvent = struct({
  type: "i32",
  display: "pointer",
  resourceid: "u64",
  serial: "u64",
  error_code: "u8",
  request_code: "u8",
  minor_code: "u8",
});
