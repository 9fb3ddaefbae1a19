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
  lookup,
  UNKNOWN,
  type HclValue,
  type Lookup,
  type TerraformModel,
  type TfAttribute,
  type TfBlock,
  type TfResource,
} from "../model.js";

export type Target = TfResource | TfBlock;

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

/**
 * True when an expression's references name `resource`. A reference to one instance
 * (`aws_s3_bucket.this[0].id`, or `aws_security_group.web` from inside `module.web[0]`, recorded
 * as `module.web[0].aws_security_group.web`) also names the collection; then only that instance
 * counts, not its siblings in other instances of the resource or of the module. References are
 * full addresses, so they link across module boundaries too (a bucket created in a module and
 * configured in the root through a module output).
 */
function names(references: ReadonlySet<string>, resource: TfResource): boolean {
  if (references.has(resource.address)) return true;
  if (!references.has(resource.configAddress)) return false;
  const instances = [...references].filter(
    (ref) => ref !== resource.configAddress && withoutKeys(ref) === resource.configAddress,
  );
  if (instances.length === 0) return true;
  return instances.some((ref) => resource.address.startsWith(`${ref}[`));
}

/** An address without its instance keys: `module.web[0].aws_instance.this["a"]` to `module.web.aws_instance.this`. */
function withoutKeys(address: string): string {
  return address.replace(/\[(?:"(?:[^"\\]|\\.)*"|[^\]]*)\]/g, "");
}

/** True when the expression at `at` refers to `target`. */
export function refersTo(at: Lookup | undefined, target: TfResource): boolean {
  return at !== undefined && names(new Set(at.references), target);
}

/**
 * Lookups that cross-resource rules make per resource, indexed once per model so that large
 * configurations stay linear: resources by type and by address, and configuration resources by
 * what they point at.
 */
interface ModelIndex {
  byType: Map<string, TfResource[]>;
  byAddress: Map<string, TfResource>;
  byConfigAddress: Map<string, TfResource[]>;
  links: Map<string, LinkIndex>;
}

interface LinkIndex {
  byReference: Map<string, TfResource[]>;
  byValue: Map<string, TfResource[]>;
  /** Some resource of the type points at an unknown value that names no resource of the target type. */
  unresolved: boolean;
}

const indexes = new WeakMap<TerraformModel, ModelIndex>();

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function indexOf(model: TerraformModel): ModelIndex {
  let index = indexes.get(model);
  if (index) return index;
  index = { byType: new Map(), byAddress: new Map(), byConfigAddress: new Map(), links: new Map() };
  for (const resource of model.resources) {
    push(index.byType, `${resource.mode}:${resource.type}`, resource);
    index.byAddress.set(resource.address, resource);
    push(index.byConfigAddress, resource.configAddress, resource);
  }
  indexes.set(model, index);
  return index;
}

/** Managed resources of the given types (like `resourcesOfType`), from the model index. */
export function ofType(model: TerraformModel, ...types: string[]): readonly TfResource[] {
  const byType = indexOf(model).byType;
  if (types.length === 1) return byType.get(`managed:${types[0] ?? ""}`) ?? [];
  return types.flatMap((type) => byType.get(`managed:${type}`) ?? []);
}

export function dataSourcesOfType(model: TerraformModel, type: string): readonly TfResource[] {
  return indexOf(model).byType.get(`data:${type}`) ?? [];
}

/** Resources, managed or data, an expression refers to. */
export function referencedResources(
  model: TerraformModel,
  at: Lookup | undefined,
  type?: string,
): TfResource[] {
  if (!at || at.references.length === 0) return [];
  const index = indexOf(model);
  const refs = new Set(at.references);
  const out = new Set<TfResource>();
  for (const ref of refs) {
    const exact = index.byAddress.get(ref);
    if (exact) out.add(exact);
    for (const instance of index.byConfigAddress.get(ref) ?? []) if (names(refs, instance)) out.add(instance);
  }
  return [...out].filter((r) => type === undefined || r.type === type);
}

function linkIndex(model: TerraformModel, type: string, attribute: string, targetType: string): LinkIndex {
  const index = indexOf(model);
  const key = `${type}\0${attribute}\0${targetType}`;
  const cached = index.links.get(key);
  if (cached) return cached;
  const targets = new Set(ofType(model, targetType).flatMap((r) => [r.address, r.configAddress]));
  const link: LinkIndex = { byReference: new Map(), byValue: new Map(), unresolved: false };
  for (const candidate of ofType(model, type)) {
    const at = lookup(candidate, attribute);
    if (!at) continue;
    for (const ref of new Set(at.references)) push(link.byReference, ref, candidate);
    if (typeof at.value === "string") push(link.byValue, at.value, candidate);
    if (containsUnknown(at.value) && !at.references.some((ref) => targets.has(ref))) link.unresolved = true;
  }
  index.links.set(key, link);
  return link;
}

const OWN_NAMES = ["bucket", "name", "id"];

/**
 * The resources of `type` that configure `target` through `attribute` (the versioning of a
 * bucket, the flow log of a VPC): by reference, or by the target's known name. `undetermined`
 * is true when none is linked but some resource of that type points at something unknown,
 * which might be `target`: absence is then not proven and rules stay silent.
 */
export function companions(
  model: TerraformModel,
  target: TfResource,
  type: string,
  attribute: string,
): { linked: TfResource[]; undetermined: boolean } {
  const link = linkIndex(model, type, attribute, target.type);
  const linked = new Set<TfResource>(link.byReference.get(target.address) ?? []);
  for (const candidate of link.byReference.get(target.configAddress) ?? [])
    if (refersTo(lookup(candidate, attribute), target)) linked.add(candidate);
  for (const name of OWN_NAMES) {
    const value = lookup(target, name)?.value;
    if (typeof value === "string")
      for (const candidate of link.byValue.get(value) ?? []) linked.add(candidate);
  }
  return { linked: [...linked], undetermined: linked.size === 0 && link.unresolved };
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
