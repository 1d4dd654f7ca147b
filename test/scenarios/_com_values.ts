// Helpers of the COM client scenarios: values shown with their types, errors as data.
import { ComError, ComObject, Currency, Decimal } from "../../mod.ts";

/** A JSON-able picture of a value that keeps its type visible. */
export function show(value: unknown): unknown {
  if (typeof value === "bigint") return `${value}n`;
  if (value === undefined) return "undefined";
  if (value instanceof Date) {
    return `date:${value.getFullYear()}-${value.getMonth() + 1}-${value.getDate()} ${
      value.toTimeString().slice(0, 8)
    }.${value.getMilliseconds()}`;
  }
  if (value instanceof Currency) return `cy:${value}`;
  if (value instanceof Decimal) return `dec:${value}`;
  if (value instanceof Uint8Array) return `bytes:${[...value].join(",")}`;
  if (value instanceof ComObject) return "object";
  if (Array.isArray(value)) return value.map(show);
  if (typeof value === "number" && Object.is(value, -0)) return "-0";
  return value;
}

/** The error a call throws, as its class name and (for ComError) its code and argument index. */
export function attempt(fn: () => unknown): unknown {
  try {
    return { ok: show(fn()) };
  } catch (error) {
    const e = error as Error & Partial<ComError>;
    return {
      error: e.name,
      ...(e instanceof ComError ? { code: e.code, argument: e.argumentIndex } : {}),
    };
  }
}
