/**
 * Reading evaluated resources the way every Terraform rule needs to: an attribute is absent
 * (the provider default applies), unknown (nothing can be said, so nothing is reported) or
 * known (judged, and reported where it was written with where its value came from).
 */
import type { Provenance, Reporter, RuleMeta, SourceSpan } from "../../model.js";
import {
  blockValue,
  containsUnknown,
  isUnknown,
  UNKNOWN,
  type HclValue,
  type Lookup,
  type TfAttribute,
  type TfBlock,
  type TfResource,
} from "../model.js";

export type Target = TfResource | TfBlock;

export { companions, dataSourcesOfType, ofType, referencedResources, refersTo } from "../links.js";

/** Metadata every Terraform rule shares. */
export function tf(meta: Omit<RuleMeta, "framework">): RuleMeta {
  return { ...meta, framework: "terraform" };
}

export const AWS_DOCS = "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/";
export const GOOGLE_DOCS = "https://registry.terraform.io/providers/hashicorp/google/latest/docs/resources/";
export const AZURE_DOCS = "https://registry.terraform.io/providers/hashicorp/azurerm/latest/docs/resources/";

function bodyOf(target: Target): TfBlock {
  return "body" in target ? target.body : target;
}

/**
 * Every value at a dotted path. Unlike `lookupAll`, a name may also step into an attribute that
 * holds objects or lists of objects, which is how plans and the attribute syntax
 * (`ingress = [{ ... }]`) spell nested blocks; lists are flattened one level per name.
 */
export function findAll(target: Target, path: string): Lookup[] {
  return walk(bodyOf(target), path.split("."));
}

/** The first value at a dotted path, or `undefined` when it is absent. */
export function find(target: Target, path: string): Lookup | undefined {
  return findAll(target, path)[0];
}

function walk(block: TfBlock, names: readonly string[]): Lookup[] {
  const [head, ...rest] = names;
  if (head === undefined) return [];
  const attribute = block.attributes.get(head);
  if (attribute) {
    const { span, provenance, references } = attribute;
    return descend(attribute.value, rest).map((value) => ({ value, span, provenance, references }));
  }
  const nested = block.blocks.filter((b) => b.type === head);
  if (rest.length === 0)
    return nested.map((b) => ({ value: blockValue(b), span: b.span, provenance: [], references: [] }));
  return nested.flatMap((b) => walk(b, rest));
}

const INDEX = /^\d+$/;

function descend(value: HclValue, names: readonly string[]): HclValue[] {
  const [head, ...rest] = names;
  if (head === undefined) return [value];
  if (isUnknown(value)) return [UNKNOWN];
  if (Array.isArray(value)) {
    if (INDEX.test(head)) {
      const item = value[Number(head)];
      return item === undefined ? [] : descend(item, rest);
    }
    return value.flatMap((item) => descend(item, names));
  }
  if (value !== null && typeof value === "object") {
    const item = value[head];
    return item === undefined ? [] : descend(item, rest);
  }
  return [];
}

/**
 * The nested blocks called `name`, whether written as blocks (dynamic ones already expanded)
 * or as an attribute holding a list of objects. Objects that are UNKNOWN are left out: a rule
 * cannot judge them.
 */
export function blocksOf(target: Target, name: string): TfBlock[] {
  const block = bodyOf(target);
  const attribute = block.attributes.get(name);
  if (!attribute) return block.blocks.filter((b) => b.type === name);
  const items = Array.isArray(attribute.value) ? attribute.value : [attribute.value];
  return items.flatMap((item) => (isObject(item) ? [objectBlock(name, item, attribute)] : []));
}

function objectBlock(name: string, value: { [key: string]: HclValue }, from: TfAttribute): TfBlock {
  const attributes = new Map<string, TfAttribute>();
  for (const [key, item] of Object.entries(value))
    attributes.set(key, {
      name: key,
      value: item,
      span: from.span,
      provenance: from.provenance,
      references: from.references,
    });
  return { type: name, labels: [], span: from.span, attributes, blocks: [] };
}

export function isObject(value: unknown): value is { [key: string]: HclValue } {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Terraform converts "true"/"false" strings to booleans for bool arguments; so do rules. */
export function asBool(value: HclValue): boolean | undefined {
  if (typeof value === "boolean") return value;
  if (value === "true") return true;
  if (value === "false") return false;
  return undefined;
}

export function asNumber(value: HclValue): number | undefined {
  if (typeof value === "number") return value;
  if (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value)))
    return Number(value);
  return undefined;
}

export function asString(value: HclValue): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return undefined;
}

/** A string or a list of strings as a list; UNKNOWN elements are dropped (callers check first). */
export function asStrings(value: HclValue): string[] {
  if (Array.isArray(value)) return value.flatMap((v) => (typeof v === "string" ? [v] : []));
  const single = asString(value);
  return single === undefined ? [] : [single];
}

/** An attribute's effective value: the known value with where it was set, or the default. */
export interface Setting<T> {
  value: T;
  /** Where the value was written; `undefined` when the default applies. */
  at: Lookup | undefined;
}

/**
 * Reads an attribute as the provider would apply it: absent or null gives `fallback`; a known
 * value is parsed; UNKNOWN (or a value that does not parse) gives `undefined` so the rule says
 * nothing.
 */
export function setting<T>(
  target: Target,
  path: string,
  parse: (value: HclValue) => T | undefined,
  fallback: T,
): Setting<T> | undefined {
  const at = find(target, path);
  if (at === undefined || at.value === null) return { value: fallback, at };
  if (containsUnknown(at.value)) return undefined;
  const value = parse(at.value);
  return value === undefined ? undefined : { value, at };
}

export function flag(target: Target, path: string, fallback: boolean): Setting<boolean> | undefined {
  return setting(target, path, asBool, fallback);
}

export function text(target: Target, path: string): Setting<string | undefined> | undefined {
  return setting<string | undefined>(target, path, asString, undefined);
}

export function num(target: Target, path: string): Setting<number | undefined> | undefined {
  return setting<number | undefined>(target, path, asNumber, undefined);
}

/** True when the attribute is set to something other than null (known or not). */
export function isSet(target: Target, path: string): boolean {
  const at = find(target, path);
  return at !== undefined && at.value !== null;
}

/** Where a finding points: a value's span and provenance. */
export interface Place {
  span: SourceSpan;
  provenance?: readonly Provenance[] | undefined;
}

/**
 * Reports on a resource: at the offending value when it is written, else at the nearest
 * enclosing place given (a nested block), else at the resource header. The value may be
 * written elsewhere (a data source statement, another resource); the resource header and its
 * module calls stay in `enclosing` so a suppression on the resource still applies.
 */
export function reportOn(
  report: Reporter,
  resource: TfResource,
  message: string,
  ...places: (Place | undefined)[]
): void {
  const written = places.filter((p): p is Place => p !== undefined);
  const span = written[0]?.span ?? resource.span;
  report({
    message,
    span,
    resource: resource.address,
    provenance: mergeProvenance(...written.map((p) => p.provenance ?? [])),
    enclosing: [...resource.enclosing, resource.span],
  });
}

export function mergeProvenance(...lists: (readonly Provenance[])[]): Provenance[] {
  const seen = new Set<string>();
  const out: Provenance[] = [];
  for (const list of lists)
    for (const p of list) {
      const key = `${p.description}@${p.span.file}:${p.span.line}:${p.span.column}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(p);
    }
  return out;
}

/** A value-less place for a nested block, so findings point into it. */
export function placeOf(block: TfBlock | undefined): Place | undefined {
  return block ? { span: block.span } : undefined;
}

const WORLD_CIDRS = new Set(["0.0.0.0/0", "::/0"]);

/** An address range that means "anyone on the internet". */
export function isWorldCidr(cidr: string): boolean {
  return WORLD_CIDRS.has(cidr.trim());
}

/** Whether a port range (inclusive) contains `port`. */
export function rangeIncludes(from: number, to: number, port: number): boolean {
  return from <= port && port <= to;
}

/** Whether a port written as `22`, `20-30` or `*` (GCP firewalls, Azure NSGs) includes `port`. */
export function portSpecIncludes(spec: string, port: number): boolean {
  const s = spec.trim();
  if (s === "*") return true;
  const [from, to] = s.split("-").map((n) => Number(n));
  if (from === undefined || !Number.isFinite(from)) return false;
  return rangeIncludes(from, to !== undefined && Number.isFinite(to) ? to : from, port);
}

export const ADMIN_PORTS: readonly { port: number; service: string }[] = [
  { port: 22, service: "SSH" },
  { port: 3389, service: "RDP" },
];

/** The known strings of a value (UNKNOWN elements dropped), or `undefined` when absent or UNKNOWN. */
export function knownStrings(at: Lookup | undefined): string[] | undefined {
  if (!at || at.value === null || isUnknown(at.value)) return undefined;
  return asStrings(at.value);
}
