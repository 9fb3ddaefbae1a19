/**
 * Terraform's built-in functions, as far as a static reading can compute them
 * (https://developer.hashicorp.com/terraform/language/functions). Functions that depend on
 * the machine or the clock (timestamp, uuid, abspath) and any function not listed here give
 * UNKNOWN: a value we cannot compute must never look like a value we did.
 */
import { createHash } from "node:crypto";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { UNKNOWN, type HclValue } from "./model.js";
import {
  EvalError,
  UnknownSignal,
  asBool,
  asList,
  asNumber,
  asObject,
  asString,
  distinctValues,
  equal,
  formatNumber,
  isObject,
  sortedKeys,
  typeName,
  unknownSignal,
  type HclObject,
} from "./values.js";

export interface FunctionContext {
  /** Reads a file named in the configuration (relative to the module), or undefined. */
  readFile(path: string): string | undefined;
  /** Renders a template file's text with variables. */
  renderTemplate(text: string, vars: HclObject, path: string): HclValue;
}

type Fn = (args: HclValue[], context: FunctionContext) => HclValue;

export function callFunction(name: string, args: HclValue[], context: FunctionContext): HclValue {
  const fn = FUNCTIONS[name.startsWith("core::") ? name.slice(6) : name];
  if (!fn) return UNKNOWN;
  if (!TOLERATES_UNKNOWN.has(name) && args.some((a) => a === UNKNOWN)) return UNKNOWN;
  try {
    return fn(args, context);
  } catch (error) {
    if (error instanceof UnknownSignal) return UNKNOWN;
    throw error;
  }
}

/** Functions whose result can be known with an unknown argument. */
const TOLERATES_UNKNOWN = new Set(["coalesce", "concat", "length", "merge", "tolist", "toset", "compact"]);

function arg(args: HclValue[], index: number): HclValue {
  if (index >= args.length) throw new EvalError(`missing argument ${index + 1}`);
  return args[index] as HclValue;
}

const str = (args: HclValue[], i: number) => asString(arg(args, i));
const num = (args: HclValue[], i: number) => asNumber(arg(args, i));
const list = (args: HclValue[], i: number) => asListOrSet(arg(args, i));

function asListOrSet(value: HclValue): HclValue[] {
  return asList(value);
}

function stringList(value: HclValue): string[] {
  return asList(value).map(asString);
}

/** Sets of strings and numbers iterate in sorted order in Terraform. */
export function toSet(values: readonly HclValue[]): HclValue[] {
  const out = distinctValues(values);
  if (out.every((v) => typeof v === "string"))
    return (out as string[]).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (out.every((v) => typeof v === "number")) return (out as number[]).sort((a, b) => a - b);
  return out;
}

const regexCache = new Map<string, RegExp>();

/** Go RE2 syntax to a JavaScript RegExp: named groups, leading flags, \A and \z. */
export function goRegex(pattern: string, global = false): RegExp {
  const key = `${global ? "g" : ""}/${pattern}`;
  const cached = regexCache.get(key);
  if (cached) return cached;
  let source = pattern;
  let flags = global ? "g" : "";
  const leading = /^\(\?([imsU]+)\)/.exec(source);
  if (leading) {
    source = source.slice(leading[0].length);
    for (const flag of leading[1] ?? "") if (flag !== "U" && !flags.includes(flag)) flags += flag;
  }
  source = source
    .replace(/\(\?P</g, "(?<")
    .replace(/\\A/g, "^")
    .replace(/\\z/g, "$");
  if (/\\[pP]/.test(source)) flags += "u";
  let regex: RegExp;
  try {
    regex = new RegExp(source, flags);
  } catch {
    throw new EvalError(`invalid regular expression ${JSON.stringify(pattern)}`);
  }
  if (regexCache.size > 500) regexCache.clear();
  regexCache.set(key, regex);
  return regex;
}

function matchResult(match: RegExpExecArray): HclValue {
  if (match.groups) {
    const out: HclObject = {};
    for (const [name, value] of Object.entries(match.groups)) out[name] = value ?? null;
    return out;
  }
  if (match.length === 1) return match[0];
  return match.slice(1).map((v) => v ?? null);
}

// ---- CIDR arithmetic (IPv4 and IPv6 as BigInt) ----

interface Cidr {
  address: bigint;
  prefix: number;
  bits: 32 | 128;
}

function parseIp(text: string): { address: bigint; bits: 32 | 128 } {
  if (text.includes(":")) {
    let [head = "", tail] = text.split("::");
    if (text.split("::").length > 2) throw new EvalError(`invalid IP address ${text}`);
    const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(tail ?? head);
    let extra: string[] = [];
    if (v4?.[1]) {
      const value = parseIp(v4[1]).address;
      extra = [((value >> 16n) & 0xffffn).toString(16), (value & 0xffffn).toString(16)];
      if (tail !== undefined) tail = tail.slice(0, -v4[1].length).replace(/:$/, "");
      else head = head.slice(0, -v4[1].length).replace(/:$/, "");
    }
    const headGroups = head ? head.split(":") : [];
    const tailGroups = [...(tail ? tail.split(":") : []), ...extra];
    if (tail === undefined) headGroups.push(...extra);
    const missing = 8 - headGroups.length - (tail === undefined ? 0 : tailGroups.length);
    if (missing < 0 || (tail === undefined && missing !== 0))
      throw new EvalError(`invalid IP address ${text}`);
    const groups =
      tail === undefined ? headGroups : [...headGroups, ...Array<string>(missing).fill("0"), ...tailGroups];
    let address = 0n;
    for (const group of groups) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(group)) throw new EvalError(`invalid IP address ${text}`);
      address = (address << 16n) | BigInt(Number.parseInt(group, 16));
    }
    return { address, bits: 128 };
  }
  const octets = text.split(".");
  if (octets.length !== 4) throw new EvalError(`invalid IP address ${text}`);
  let address = 0n;
  for (const octet of octets) {
    if (!/^\d{1,3}$/.test(octet) || Number(octet) > 255) throw new EvalError(`invalid IP address ${text}`);
    address = (address << 8n) | BigInt(Number(octet));
  }
  return { address, bits: 32 };
}

function parseCidr(text: string): Cidr {
  const [ip = "", prefixText] = text.split("/");
  if (prefixText === undefined || !/^\d+$/.test(prefixText)) throw new EvalError(`invalid CIDR ${text}`);
  const { address, bits } = parseIp(ip);
  const prefix = Number(prefixText);
  if (prefix > bits) throw new EvalError(`invalid CIDR ${text}`);
  const host = bits - prefix;
  return { address: (address >> BigInt(host)) << BigInt(host), prefix, bits };
}

function formatIp(address: bigint, bits: 32 | 128): string {
  if (bits === 32) return [24n, 16n, 8n, 0n].map((shift) => String((address >> shift) & 0xffn)).join(".");
  const groups = Array.from({ length: 8 }, (_, i) => Number((address >> BigInt((7 - i) * 16)) & 0xffffn));
  // RFC 5952: the longest run (of two or more) of zero groups becomes "::".
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart === -1) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLength).join(":")}`;
}

function cidrsubnet(prefix: string, newbits: number, netnum: number): string {
  const base = parseCidr(prefix);
  const length = base.prefix + newbits;
  if (newbits < 0 || length > base.bits) throw new EvalError(`cannot extend ${prefix} by ${newbits} bits`);
  if (netnum < 0 || BigInt(netnum) >= 1n << BigInt(newbits))
    throw new EvalError(`prefix extension of ${newbits} does not accommodate a subnet numbered ${netnum}`);
  const address = base.address | (BigInt(netnum) << BigInt(base.bits - length));
  return `${formatIp(address, base.bits)}/${length}`;
}

function cidrhost(prefix: string, hostnum: number): string {
  const base = parseCidr(prefix);
  const size = 1n << BigInt(base.bits - base.prefix);
  const host = hostnum < 0 ? size + BigInt(hostnum) : BigInt(hostnum);
  if (host < 0n || host >= size) throw new EvalError(`prefix ${prefix} has no host number ${hostnum}`);
  return formatIp(base.address | host, base.bits);
}

function cidrsubnets(prefix: string, newbits: number[]): string[] {
  const base = parseCidr(prefix);
  let next = base.address;
  const end = base.address + (1n << BigInt(base.bits - base.prefix));
  return newbits.map((bits) => {
    const length = base.prefix + bits;
    if (bits < 1 || length > base.bits) throw new EvalError(`cannot extend ${prefix} by ${bits} bits`);
    const size = 1n << BigInt(base.bits - length);
    const start = ((next + size - 1n) / size) * size;
    if (start + size > end) throw new EvalError(`not enough remaining address space in ${prefix}`);
    next = start + size;
    return `${formatIp(start, base.bits)}/${length}`;
  });
}

// ---- format (Go's fmt verbs as Terraform documents them) ----

const FORMAT_VERB = /%%|%(?:\[(\d+)\])?([-+# 0]*)(\d+|\*)?(?:\.(\d+))?([a-zA-Z])?/g;

function format(spec: string, values: HclValue[]): string {
  let next = 0;
  return spec.replace(
    FORMAT_VERB,
    (
      match,
      explicit: string | undefined,
      flags: string,
      width: string | undefined,
      precision: string | undefined,
      verb: string | undefined,
    ) => {
      if (match === "%%") return "%";
      if (!verb) throw new EvalError(`invalid format verb in ${JSON.stringify(spec)}`);
      if (explicit) next = Number(explicit) - 1;
      if (next >= values.length)
        throw new EvalError(`not enough arguments for format ${JSON.stringify(spec)}`);
      const value = values[next++] as HclValue;
      if (value === UNKNOWN) unknownSignal();
      const text = formatOne(value, verb, flags, precision === undefined ? undefined : Number(precision));
      const pad = width === undefined || width === "*" ? 0 : Number(width);
      if (text.length >= pad) return text;
      if (flags.includes("-")) return text.padEnd(pad);
      if (flags.includes("0") && /[dfeEgGxXob]/.test(verb)) {
        const sign = /^[-+]/.test(text) ? (text[0] ?? "") : "";
        return sign + text.slice(sign.length).padStart(pad - sign.length, "0");
      }
      return text.padStart(pad);
    },
  );
}

function formatOne(value: HclValue, verb: string, flags: string, precision: number | undefined): string {
  const plus = (n: number, text: string) => (flags.includes("+") && n >= 0 ? `+${text}` : text);
  switch (verb) {
    case "v":
      if (flags.includes("#")) return jsonEncode(value);
      if (typeof value === "object" && value !== null) return jsonEncode(value);
      return value === null ? "null" : asString(value);
    case "t":
      return String(asBool(value));
    case "s":
      return precision === undefined ? asString(value) : [...asString(value)].slice(0, precision).join("");
    case "q":
      return JSON.stringify(asString(value));
    case "d": {
      const n = asNumber(value);
      if (!Number.isInteger(n)) throw new EvalError(`%d requires a whole number, found ${n}`);
      return plus(n, formatNumber(n));
    }
    case "b":
      return Math.trunc(asNumber(value)).toString(2);
    case "o":
      return Math.trunc(asNumber(value)).toString(8);
    case "x":
    case "X": {
      const text =
        typeof value === "string"
          ? Buffer.from(value).toString("hex")
          : Math.trunc(asNumber(value)).toString(16);
      return verb === "X" ? text.toUpperCase() : text;
    }
    case "e":
    case "E": {
      const n = asNumber(value);
      const text = n.toExponential(precision ?? 6).replace(/e([+-])(\d)$/, "e$10$2");
      return plus(n, verb === "E" ? text.toUpperCase() : text);
    }
    case "f":
    case "F": {
      const n = asNumber(value);
      return plus(n, n.toFixed(precision ?? 6));
    }
    case "g":
    case "G": {
      const n = asNumber(value);
      const text = precision === undefined ? String(n) : String(Number(n.toPrecision(precision)));
      return plus(n, verb === "G" ? text.toUpperCase() : text);
    }
    default:
      throw new EvalError(`unsupported format verb %${verb}`);
  }
}

// ---- encodings ----

function sortedForJson(value: HclValue): unknown {
  if (value === UNKNOWN) unknownSignal();
  if (Array.isArray(value)) return value.map(sortedForJson);
  if (isObject(value)) {
    const out: Record<string, unknown> = {};
    for (const key of sortedKeys(value)) out[key] = sortedForJson(value[key] as HclValue);
    return out;
  }
  return value;
}

/** Terraform sorts object keys and escapes <, >, & and the JavaScript line separators. */
export function jsonEncode(value: HclValue): string {
  return JSON.stringify(sortedForJson(value)).replace(/[<>&\u2028\u2029]/g, (c) => {
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
  });
}

export function fromJson(value: unknown): HclValue {
  if (value === null || typeof value === "string" || typeof value === "number" || typeof value === "boolean")
    return value;
  if (Array.isArray(value)) return value.map(fromJson);
  if (typeof value === "object") {
    const out: HclObject = {};
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) out[key] = fromJson(v);
    return out;
  }
  return null;
}

function jsonDecode(text: string): HclValue {
  try {
    return fromJson(JSON.parse(text));
  } catch {
    throw new EvalError("jsondecode: invalid JSON");
  }
}

function urlEncode(text: string): string {
  return Array.from(Buffer.from(text, "utf8"))
    .map((byte) => {
      const c = String.fromCharCode(byte);
      if (/[A-Za-z0-9\-_.~]/.test(c)) return c;
      if (c === " ") return "+";
      return `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
    })
    .join("");
}

function hash(algorithm: string): Fn {
  return (args) => createHash(algorithm).update(str(args, 0)).digest("hex");
}

function codePoints(text: string): string[] {
  return Array.from(text);
}

function flattenDeep(values: readonly HclValue[]): HclValue[] {
  const out: HclValue[] = [];
  for (const value of values) {
    if (value === UNKNOWN) unknownSignal();
    if (Array.isArray(value)) out.push(...flattenDeep(value));
    else out.push(value);
  }
  return out;
}

function numbers(args: HclValue[]): number[] {
  const values = args.length === 1 && Array.isArray(args[0]) ? args[0] : args;
  if (values.length === 0) throw new EvalError("at least one number is required");
  return values.map(asNumber);
}

function containsValue(values: readonly HclValue[], wanted: HclValue): boolean | typeof UNKNOWN {
  let unknown = false;
  for (const value of values) {
    const same = equal(value, wanted);
    if (same === true) return true;
    if (same === UNKNOWN) unknown = true;
  }
  return unknown ? UNKNOWN : false;
}

function toStringValue(value: HclValue): HclValue {
  if (value === null) return null;
  if (typeof value === "object") throw new EvalError(`cannot convert ${typeName(value)} to string`);
  return asString(value);
}

const FUNCTIONS: Record<string, Fn> = {
  // collections
  merge: (args) => {
    const out: HclObject = {};
    for (const value of args) {
      if (value === null) continue;
      if (value === UNKNOWN) return UNKNOWN;
      Object.assign(out, asObject(value));
    }
    return out;
  },
  lookup: (args) => {
    const map = asObject(arg(args, 0));
    const key = str(args, 1);
    if (key in map) return map[key] as HclValue;
    if (args.length > 2) return args[2] as HclValue;
    throw new EvalError(`lookup: no key ${JSON.stringify(key)}`);
  },
  concat: (args) => {
    if (args.some((a) => a === UNKNOWN)) return UNKNOWN;
    return args.flatMap((a) => asList(a));
  },
  coalesce: (args) => {
    for (const value of args) {
      if (value === UNKNOWN) return UNKNOWN;
      if (value !== null && value !== "") return value;
    }
    throw new EvalError("coalesce: no non-null, non-empty argument");
  },
  coalescelist: (args) => {
    for (const value of args) if (asList(value).length > 0) return value;
    throw new EvalError("coalescelist: no non-empty list");
  },
  contains: (args) => containsValue(list(args, 0), arg(args, 1)),
  length: (args) => {
    const value = arg(args, 0);
    if (value === UNKNOWN) return UNKNOWN;
    if (typeof value === "string") return codePoints(value).length;
    if (Array.isArray(value)) return value.length;
    if (isObject(value)) return Object.keys(value).length;
    throw new EvalError(`length: a collection or string is required, found ${typeName(value)}`);
  },
  element: (args) => {
    const values = list(args, 0);
    const index = num(args, 1);
    if (values.length === 0) throw new EvalError("element: the list is empty");
    if (index < 0) throw new EvalError("element: negative index");
    return values[Math.floor(index) % values.length] as HclValue;
  },
  index: (args) => {
    const values = list(args, 0);
    for (let i = 0; i < values.length; i++) {
      const same = equal(values[i] as HclValue, arg(args, 1));
      if (same === UNKNOWN) return UNKNOWN;
      if (same) return i;
    }
    throw new EvalError("index: the value is not in the list");
  },
  keys: (args) => sortedKeys(asObject(arg(args, 0))),
  values: (args) => {
    const map = asObject(arg(args, 0));
    return sortedKeys(map).map((key) => map[key] as HclValue);
  },
  flatten: (args) => flattenDeep(list(args, 0)),
  distinct: (args) => distinctValues(list(args, 0)),
  compact: (args) => {
    const value = arg(args, 0);
    if (value === UNKNOWN) return UNKNOWN;
    const values = asList(value);
    if (values.some((v) => v === UNKNOWN)) return UNKNOWN;
    return values.filter((v) => v !== null && v !== "").map(asString);
  },
  zipmap: (args) => {
    const keys = stringList(arg(args, 0));
    const values = list(args, 1);
    if (keys.length !== values.length) throw new EvalError("zipmap: lists of different lengths");
    const out: HclObject = {};
    keys.forEach((key, i) => (out[key] = values[i] as HclValue));
    return out;
  },
  range: (args) => {
    const [start, end, step] =
      args.length === 1
        ? [0, num(args, 0), 1]
        : [num(args, 0), num(args, 1), args.length > 2 ? num(args, 2) : undefined];
    const by = step ?? (end >= start ? 1 : -1);
    if (by === 0) throw new EvalError("range: step cannot be zero");
    const out: number[] = [];
    for (let i = start; by > 0 ? i < end : i > end; i += by) {
      out.push(i);
      if (out.length > 1024) throw new EvalError("range: more than 1024 elements");
    }
    return out;
  },
  slice: (args) => {
    const values = list(args, 0);
    const start = num(args, 1);
    const end = num(args, 2);
    if (start < 0 || end > values.length || start > end) throw new EvalError("slice: index out of range");
    return values.slice(start, end);
  },
  reverse: (args) => [...list(args, 0)].reverse(),
  sort: (args) => stringList(arg(args, 0)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
  sum: (args) => numbers([arg(args, 0)]).reduce((a, b) => a + b, 0),
  one: (args) => {
    const values = list(args, 0);
    if (values.length > 1) throw new EvalError("one: more than one element");
    return values[0] ?? null;
  },
  alltrue: (args) => {
    const values = list(args, 0);
    if (values.some((v) => v === false || v === "false")) return false;
    if (values.some((v) => v === UNKNOWN)) return UNKNOWN;
    return values.every((v) => asBool(v));
  },
  anytrue: (args) => {
    const values = list(args, 0);
    if (values.some((v) => v === true || v === "true")) return true;
    if (values.some((v) => v === UNKNOWN)) return UNKNOWN;
    return false;
  },
  chunklist: (args) => {
    const values = list(args, 0);
    const size = num(args, 1);
    if (size <= 0) return [values];
    const out: HclValue[] = [];
    for (let i = 0; i < values.length; i += size) out.push(values.slice(i, i + size));
    return out;
  },
  setunion: (args) => toSet(args.flatMap((a) => asList(a))),
  setintersection: (args) => {
    const [first = [], ...rest] = args.map((a) => asList(a));
    return toSet(first.filter((v) => rest.every((other) => containsValue(other, v) === true)));
  },
  setsubtract: (args) => {
    const other = list(args, 1);
    return toSet(list(args, 0).filter((v) => containsValue(other, v) !== true));
  },
  setproduct: (args) => {
    let out: HclValue[][] = [[]];
    for (const values of args.map((a) => asList(a)))
      out = out.flatMap((prefix) => values.map((value) => [...prefix, value]));
    return out.length > 4096 ? UNKNOWN : out;
  },
  matchkeys: (args) => {
    const values = list(args, 0);
    const keys = list(args, 1);
    const search = list(args, 2);
    return values.filter((_, i) => containsValue(search, keys[i] ?? null) === true);
  },
  transpose: (args) => {
    const map = asObject(arg(args, 0));
    const out: Record<string, string[]> = {};
    for (const key of sortedKeys(map))
      for (const value of stringList(map[key] ?? [])) (out[value] ??= []).push(key);
    return out;
  },
  tolist: (args) => {
    const value = arg(args, 0);
    if (value === UNKNOWN || value === null) return value;
    return [...asList(value)];
  },
  toset: (args) => {
    const value = arg(args, 0);
    if (value === UNKNOWN || value === null) return value;
    const values = asList(value);
    if (values.some((v) => v === UNKNOWN)) return UNKNOWN;
    return toSet(values);
  },
  tomap: (args) => {
    const value = arg(args, 0);
    return value === null ? null : { ...asObject(value) };
  },
  tostring: (args) => toStringValue(arg(args, 0)),
  tonumber: (args) => (arg(args, 0) === null ? null : num(args, 0)),
  tobool: (args) => (arg(args, 0) === null ? null : asBool(arg(args, 0))),
  sensitive: (args) => arg(args, 0),
  nonsensitive: (args) => arg(args, 0),
  ephemeralasnull: (args) => arg(args, 0),

  // numbers
  min: (args) => Math.min(...numbers(args)),
  max: (args) => Math.max(...numbers(args)),
  abs: (args) => Math.abs(num(args, 0)),
  ceil: (args) => Math.ceil(num(args, 0)),
  floor: (args) => Math.floor(num(args, 0)),
  signum: (args) => Math.sign(num(args, 0)),
  pow: (args) => num(args, 0) ** num(args, 1),
  log: (args) => Math.log(num(args, 0)) / Math.log(num(args, 1)),
  parseint: (args) => {
    const value = Number.parseInt(str(args, 0), num(args, 1));
    if (Number.isNaN(value)) throw new EvalError("parseint: not a number");
    return value;
  },

  // strings
  format: (args) => format(str(args, 0), args.slice(1)),
  formatlist: (args) => {
    const spec = str(args, 0);
    const rest = args.slice(1);
    const lengths = rest.filter((v) => Array.isArray(v)).map((v) => (v as HclValue[]).length);
    if (lengths.length === 0) return [format(spec, rest)];
    const count = lengths[0] ?? 0;
    if (lengths.some((l) => l !== count)) throw new EvalError("formatlist: lists of different lengths");
    return Array.from({ length: count }, (_, i) =>
      format(
        spec,
        rest.map((v) => (Array.isArray(v) ? (v[i] as HclValue) : v)),
      ),
    );
  },
  join: (args) => {
    const separator = str(args, 0);
    return args
      .slice(1)
      .flatMap((a) => asList(a))
      .map(asString)
      .join(separator);
  },
  split: (args) => {
    const separator = str(args, 0);
    const text = str(args, 1);
    if (text === "") return [""];
    return text.split(separator);
  },
  lower: (args) => str(args, 0).toLowerCase(),
  upper: (args) => str(args, 0).toUpperCase(),
  title: (args) =>
    str(args, 0).replace(/(^|[^\p{L}\p{N}])(\p{L})/gu, (_, a: string, b: string) => a + b.toUpperCase()),
  replace: (args) => {
    const text = str(args, 0);
    const search = str(args, 1);
    const replacement = str(args, 2);
    if (search.length > 1 && search.startsWith("/") && search.endsWith("/")) {
      const regex = goRegex(search.slice(1, -1), true);
      const js = replacement.replace(
        /\$\{(\w+)\}|\$(\d+)/g,
        (_m, named: string | undefined, digits: string | undefined) =>
          named !== undefined ? (/^\d+$/.test(named) ? `$${named}` : `$<${named}>`) : `$${digits ?? ""}`,
      );
      return text.replace(regex, js);
    }
    return text.split(search).join(replacement);
  },
  trim: (args) => {
    const chars = new Set(codePoints(str(args, 1)));
    const points = codePoints(str(args, 0));
    let start = 0;
    let end = points.length;
    while (start < end && chars.has(points[start] ?? "")) start++;
    while (end > start && chars.has(points[end - 1] ?? "")) end--;
    return points.slice(start, end).join("");
  },
  trimprefix: (args) => {
    const text = str(args, 0);
    const prefix = str(args, 1);
    return prefix && text.startsWith(prefix) ? text.slice(prefix.length) : text;
  },
  trimsuffix: (args) => {
    const text = str(args, 0);
    const suffix = str(args, 1);
    return suffix && text.endsWith(suffix) ? text.slice(0, -suffix.length) : text;
  },
  trimspace: (args) => str(args, 0).trim(),
  chomp: (args) => str(args, 0).replace(/(\r?\n)+$/, ""),
  indent: (args) => {
    const pad = " ".repeat(num(args, 0));
    return str(args, 1).replace(/\n/g, `\n${pad}`);
  },
  strrev: (args) => codePoints(str(args, 0)).reverse().join(""),
  startswith: (args) => str(args, 0).startsWith(str(args, 1)),
  endswith: (args) => str(args, 0).endsWith(str(args, 1)),
  strcontains: (args) => str(args, 0).includes(str(args, 1)),
  substr: (args) => {
    const points = codePoints(str(args, 0));
    let offset = num(args, 1);
    const length = num(args, 2);
    if (offset < 0) offset = Math.max(0, points.length + offset);
    if (offset > points.length) throw new EvalError("substr: offset beyond the string");
    return points.slice(offset, length < 0 ? undefined : offset + length).join("");
  },
  regex: (args) => {
    const match = goRegex(str(args, 0)).exec(str(args, 1));
    if (!match) throw new EvalError("regex: no match");
    return matchResult(match);
  },
  regexall: (args) => {
    const regex = goRegex(str(args, 0), true);
    return [...str(args, 1).matchAll(regex)].map((m) => matchResult(m));
  },

  // encodings
  base64encode: (args) => Buffer.from(str(args, 0), "utf8").toString("base64"),
  base64decode: (args) => Buffer.from(str(args, 0), "base64").toString("utf8"),
  jsonencode: (args) => jsonEncode(arg(args, 0)),
  jsondecode: (args) => jsonDecode(str(args, 0)),
  yamlencode: (args) => stringifyYaml(sortedForJson(arg(args, 0))),
  yamldecode: (args) => {
    try {
      return fromJson(parseYaml(str(args, 0)));
    } catch {
      throw new EvalError("yamldecode: invalid YAML");
    }
  },
  urlencode: (args) => urlEncode(str(args, 0)),
  md5: hash("md5"),
  sha1: hash("sha1"),
  sha256: hash("sha256"),
  sha512: hash("sha512"),

  // network
  cidrsubnet: (args) => cidrsubnet(str(args, 0), num(args, 1), num(args, 2)),
  cidrhost: (args) => cidrhost(str(args, 0), num(args, 1)),
  cidrnetmask: (args) => {
    const cidr = parseCidr(str(args, 0));
    if (cidr.bits !== 32) throw new EvalError("cidrnetmask only supports IPv4");
    return formatIp(((1n << 32n) - 1n) ^ ((1n << BigInt(32 - cidr.prefix)) - 1n), 32);
  },
  cidrsubnets: (args) => cidrsubnets(str(args, 0), args.slice(1).map(asNumber)),

  // files
  file: (args, context) => {
    const text = context.readFile(str(args, 0));
    if (text === undefined) return UNKNOWN;
    return text;
  },
  fileexists: (args, context) => context.readFile(str(args, 0)) !== undefined,
  filebase64: (args, context) => {
    const text = context.readFile(str(args, 0));
    return text === undefined ? UNKNOWN : Buffer.from(text, "utf8").toString("base64");
  },
  templatefile: (args, context) => {
    const path = str(args, 0);
    const vars = asObject(arg(args, 1));
    const text = context.readFile(path);
    if (text === undefined) return UNKNOWN;
    return context.renderTemplate(text, vars, path);
  },
  basename: (args) => str(args, 0).replace(/\/+$/, "").split("/").pop() ?? "",
  dirname: (args) => {
    const path = str(args, 0);
    const at = path.lastIndexOf("/");
    return at === -1 ? "." : at === 0 ? "/" : path.slice(0, at);
  },
};
