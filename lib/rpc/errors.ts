/**
 * RPC status codes (the Connect and gRPC codes) and {@link RpcError}.
 *
 * @module
 */

/**
 * The status codes of Connect and gRPC, by Connect name; the number is the
 * gRPC code.
 *
 * @example
 * ```ts
 * import { RPC_CODES } from "./errors.ts";
 * console.log(RPC_CODES.not_found); // 5
 * ```
 */
export const RPC_CODES = {
  canceled: 1,
  unknown: 2,
  invalid_argument: 3,
  deadline_exceeded: 4,
  not_found: 5,
  already_exists: 6,
  permission_denied: 7,
  resource_exhausted: 8,
  failed_precondition: 9,
  aborted: 10,
  out_of_range: 11,
  unimplemented: 12,
  internal: 13,
  unavailable: 14,
  data_loss: 15,
  unauthenticated: 16,
} as const;

/** A Connect code name, e.g. `"invalid_argument"`. */
export type RpcCode = keyof typeof RPC_CODES;

const BY_NUMBER = new Map<number, RpcCode>(
  Object.entries(RPC_CODES).map(([name, n]) => [n, name as RpcCode]),
);

/**
 * The code name of a gRPC code number.
 *
 * @param code A gRPC code number.
 * @returns Its Connect name; `"unknown"` for numbers outside the table.
 * @example
 * ```ts
 * import { codeName } from "./errors.ts";
 * console.log(codeName(12)); // "unimplemented"
 * ```
 */
export function codeName(code: number): RpcCode {
  return BY_NUMBER.get(code) ?? "unknown";
}

/**
 * An RPC that failed: the server's handler threw, the method does not exist,
 * a message was malformed or too large, the call was cancelled. A handler
 * throws one to choose the code the caller sees; any other error reaches the
 * caller as `unknown` with its message.
 *
 * @example Choosing the code in a handler
 * ```ts
 * import { RpcError } from "./errors.ts";
 * function divide(a: number, b: number): number {
 *   if (b === 0) throw new RpcError("invalid_argument", "Cannot divide by zero");
 *   return a / b;
 * }
 * ```
 */
export class RpcError extends Error {
  override name = "RpcError";
  /**
   * @param code The status code.
   * @param message What went wrong, for the caller.
   * @param options `cause`.
   */
  constructor(readonly code: RpcCode, message: string, options?: ErrorOptions) {
    super(message, options);
  }

  /** The gRPC number of {@link RpcError.code}. */
  get grpcCode(): number {
    return RPC_CODES[this.code];
  }
}
