/**
 * Values during evaluation: conversions, equality and the two ways an evaluation stops short.
 * An `EvalError` is what Terraform would reject (a missing map key, a type mismatch): `try`
 * moves on, `can` says false, and an attribute that errors is UNKNOWN. An unknown operand
 * (`UnknownSignal`) makes the whole result UNKNOWN, as in Terraform's own plan.
 */
import { UNKNOWN, type HclValue } from "./model.js";

export class EvalError extends Error {}

/** Thrown by conversions that meet UNKNOWN; callers turn it into an UNKNOWN result. */
export class UnknownSignal extends Error {}
const UNKNOWN_SIGNAL = new UnknownSignal("unknown value");

export function unknownSignal(): never {
  throw UNKNOWN_SIGNAL;
}

export type HclObject = { [key: string]: HclValue };

/**
 * Objects whose absent attributes are computed at apply time (resource and data source
 * instances): reading one gives UNKNOWN instead of an error.
 */
const OPEN_OBJECTS = new WeakSet<object>();

export function openObject(value: HclObject): HclObject {
  OPEN_OBJECTS.add(value);
  return value;
}

export function isOpenObject(value: HclValue): boolean {
  return typeof value === "object" && value !== null && OPEN_OBJECTS.has(value);
}

export function isObject(value: HclValue): value is HclObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function typeName(value: HclValue): string {
  if (value === UNKNOWN) return "unknown";
  if (value === null) return "null";
  if (Array.isArray(value)) return "list";
  if (typeof value === "object") return "object";
  if (typeof value === "boolean") return "bool";
  return typeof value;
}

export function formatNumber(value: number): string {
  if (Number.isInteger(value) && Math.abs(value) < 1e21) return value.toFixed(0);
  return String(value);
}

/** String conversion as Terraform does for templates and string parameters. */
export function asString(value: HclValue): string {
  if (value === UNKNOWN) unknownSignal();
  if (typeof value === "string") return value;
  if (typeof value === "number") return formatNumber(value);
  if (typeof value === "boolean") return value ? "true" : "false";
  if (value === null) throw new EvalError("null value cannot be used as a string");
  throw new EvalError(`a ${typeName(value)} cannot be used as a string`);
}

export function asNumber(value: HclValue): number {
  if (value === UNKNOWN) unknownSignal();
  if (typeof value === "number") return value;
  if (typeof value === "string" && value.trim() !== "") {
    const number = Number(value);
    if (!Number.isNaN(number)) return number;
  }
  throw new EvalError(`a number is required, found ${typeName(value)}`);
}

export function asBool(value: HclValue): boolean {
  if (value === UNKNOWN) unknownSignal();
  if (typeof value === "boolean") return value;
  if (value === "true") return true;
  if (value === "false") return false;
  throw new EvalError(`a bool is required, found ${typeName(value)}`);
}

export function asList(value: HclValue): HclValue[] {
  if (value === UNKNOWN) unknownSignal();
  if (Array.isArray(value)) return value;
  throw new EvalError(`a list is required, found ${typeName(value)}`);
}

export function asObject(value: HclValue): HclObject {
  if (value === UNKNOWN) unknownSignal();
  if (isObject(value)) return value;
  throw new EvalError(`a map is required, found ${typeName(value)}`);
}

/** Deep equality; UNKNOWN when an unknown part decides it. */
export function equal(a: HclValue, b: HclValue): boolean | typeof UNKNOWN {
  if (a === UNKNOWN || b === UNKNOWN) return UNKNOWN;
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return false;
    let result: boolean | typeof UNKNOWN = true;
    for (let i = 0; i < a.length; i++) {
      const same = equal(a[i] as HclValue, b[i] as HclValue);
      if (same === false) return false;
      if (same === UNKNOWN) result = UNKNOWN;
    }
    return result;
  }
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    let result: boolean | typeof UNKNOWN = true;
    for (const key of keys) {
      if (!(key in b)) return false;
      const same = equal(a[key] as HclValue, b[key] as HclValue);
      if (same === false) return false;
      if (same === UNKNOWN) result = UNKNOWN;
    }
    return result;
  }
  return false;
}

/** Removes duplicates as a set does (deep equality, first occurrence kept). */
export function distinctValues(values: readonly HclValue[]): HclValue[] {
  const out: HclValue[] = [];
  const seen = new Set<string>();
  for (const value of values) {
    const key =
      typeof value === "object" && value !== null ? stableKey(value) : `${typeof value}:${String(value)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(value);
  }
  return out;
}

function stableKey(value: HclValue): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === UNKNOWN) return { "\0unknown": true };
    if (v && typeof v === "object" && !Array.isArray(v))
      return Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    return v;
  });
}

/** Keys of an object in Terraform's iteration order (lexical). */
export function sortedKeys(value: HclObject): string[] {
  return Object.keys(value).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
