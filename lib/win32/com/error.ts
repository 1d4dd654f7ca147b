/**
 * COM failures: HRESULT codes, their names, and {@link ComError}, which
 * carries what EXCEPINFO said (source, description) and, for a type
 * mismatch or a missing parameter, which argument was at fault.
 *
 * @module
 */

/** HRESULTs the COM client and server name (as unsigned 32-bit numbers). */
export const HRESULT = {
  S_OK: 0x0,
  S_FALSE: 0x1,
  E_NOTIMPL: 0x80004001,
  E_NOINTERFACE: 0x80004002,
  E_POINTER: 0x80004003,
  E_FAIL: 0x80004005,
  E_UNEXPECTED: 0x8000ffff,
  E_OUTOFMEMORY: 0x8007000e,
  E_INVALIDARG: 0x80070057,
  CO_E_CLASSSTRING: 0x800401f3,
  REGDB_E_CLASSNOTREG: 0x80040154,
  MK_E_UNAVAILABLE: 0x800401e3,
  MK_E_SYNTAX: 0x800401e4,
  RPC_E_CHANGED_MODE: 0x80010106,
  RPC_E_DISCONNECTED: 0x80010108,
  RPC_E_SERVER_DIED: 0x80010007,
  RPC_E_SERVER_DIED_DNE: 0x80010012,
  CO_E_OBJNOTCONNECTED: 0x800401fd,
  DISP_E_UNKNOWNINTERFACE: 0x80020001,
  DISP_E_MEMBERNOTFOUND: 0x80020003,
  DISP_E_PARAMNOTFOUND: 0x80020004,
  DISP_E_TYPEMISMATCH: 0x80020005,
  DISP_E_UNKNOWNNAME: 0x80020006,
  DISP_E_NONAMEDARGS: 0x80020007,
  DISP_E_BADVARTYPE: 0x80020008,
  DISP_E_EXCEPTION: 0x80020009,
  DISP_E_OVERFLOW: 0x8002000a,
  DISP_E_BADINDEX: 0x8002000b,
  DISP_E_ARRAYISLOCKED: 0x8002000d,
  DISP_E_BADPARAMCOUNT: 0x8002000e,
  DISP_E_PARAMNOTOPTIONAL: 0x8002000f,
} as const;

const NAMES = new Map<number, string>(Object.entries(HRESULT).map(([k, v]) => [v, k]));

/**
 * An HRESULT as an unsigned 32-bit number (native calls return it signed).
 *
 * @param hr The HRESULT, signed or unsigned.
 * @returns The same bits as a number in 0..2^32-1.
 * @example Using toHresult
 * ```ts
 * import { toHresult } from "./error.ts";
 * toHresult(-2147352570); // 0x80020006
 * ```
 */
export function toHresult(hr: number): number {
  return hr >>> 0;
}

/**
 * Whether an HRESULT reports failure (its top bit is set).
 *
 * @param hr The HRESULT, signed or unsigned.
 * @returns `true` for E_*, DISP_E_*, RPC_E_* codes.
 * @example Using failed
 * ```ts
 * import { failed } from "./error.ts";
 * failed(1); // false: S_FALSE succeeds
 * ```
 */
export function failed(hr: number): boolean {
  return (hr | 0) < 0;
}

/**
 * An HRESULT's symbolic name, or its hex form.
 *
 * @param hr The HRESULT.
 * @returns `"DISP_E_UNKNOWNNAME"`, or `"0x8004D00E"` for a code without a name here.
 * @example Using hresultName
 * ```ts
 * import { hresultName } from "./error.ts";
 * hresultName(0x80020006); // "DISP_E_UNKNOWNNAME"
 * ```
 */
export function hresultName(hr: number): string {
  const code = toHresult(hr);
  return NAMES.get(code) ?? `0x${code.toString(16).toUpperCase().padStart(8, "0")}`;
}

/** What a {@link ComError} knows beyond its HRESULT. */
export interface ComErrorDetails {
  /** The call that failed: `Invoke`, `CoCreateInstance`, a member name… */
  readonly operation?: string;
  /** EXCEPINFO's `bstrSource` (often the ProgID or the script engine). */
  readonly source?: string;
  /** EXCEPINFO's `bstrDescription`. */
  readonly description?: string;
  /**
   * For DISP_E_TYPEMISMATCH and DISP_E_PARAMNOTFOUND: the index of the
   * argument at fault, in the caller's order (0 = first argument).
   */
  readonly argumentIndex?: number;
  /** The original error, when this wraps one. */
  readonly cause?: unknown;
}

/**
 * A failed COM call: its HRESULT (unsigned, so `error.hresult === 0x80020006`
 * works), and what the object said about it in EXCEPINFO.
 *
 * @example Recognising an unknown member
 * ```ts
 * import { ComError, HRESULT } from "./error.ts";
 * const error = new ComError(HRESULT.DISP_E_UNKNOWNNAME, { operation: "GetIDsOfNames 'Nope'" });
 * error.hresult === HRESULT.DISP_E_UNKNOWNNAME; // true
 * error.code; // "DISP_E_UNKNOWNNAME"
 * ```
 */
export class ComError extends Error {
  override name = "ComError";
  /** The HRESULT as an unsigned 32-bit number. */
  readonly hresult: number;
  /** The HRESULT's symbolic name (`DISP_E_TYPEMISMATCH`) or its hex form. */
  readonly code: string;
  /** The call that failed. */
  readonly operation: string | undefined;
  /** EXCEPINFO's source, when the object gave one. */
  readonly source: string | undefined;
  /** EXCEPINFO's description, when the object gave one. */
  readonly description: string | undefined;
  /** The argument at fault (0-based, in call order), for a type mismatch or missing parameter. */
  readonly argumentIndex: number | undefined;

  /**
   * @param hr The HRESULT (signed or unsigned).
   * @param details What else is known.
   */
  constructor(hr: number, details: ComErrorDetails = {}) {
    const code = hresultName(hr);
    const parts = [details.operation ? `${details.operation} failed` : "COM call failed"];
    let reason = code;
    if (details.argumentIndex !== undefined) reason += ` at argument ${details.argumentIndex}`;
    if (details.description) reason += `: ${details.description.trim().replace(/\.$/, "")}`;
    if (details.source) reason += ` (source: ${details.source})`;
    super(
      `${parts[0]}: ${reason}`,
      details.cause === undefined ? undefined : { cause: details.cause },
    );
    this.hresult = toHresult(hr);
    this.code = code;
    this.operation = details.operation;
    this.source = details.source || undefined;
    this.description = details.description || undefined;
    this.argumentIndex = details.argumentIndex;
  }
}
