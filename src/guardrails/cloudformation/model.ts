/**
 * CloudFormation templates after evaluation. Rules never see intrinsic functions: a property
 * holds its value (a parameter's default, a mapping entry, the branch of a known condition) or
 * `unknown` where only deployment can tell (a resource's attribute, a parameter without a
 * default, the region). Unknown never yields a finding.
 */
import type { Provenance, SourceSpan } from "../model.js";
import type { LNode } from "../kubernetes/yaml-tree.js";

interface ValueBase {
  /** Where the value is written in the resource (for a `!Ref`, the reference). */
  span: SourceSpan;
  /** Where the parameter defaults, mappings and conditions it came from are set. */
  provenance: readonly Provenance[];
  /** Logical ids of the resources it refers to (`!Ref Bucket`, `!GetAtt Bucket.Arn`). */
  refs: readonly string[];
}

export type CfnScalar = ValueBase & { kind: "scalar"; value: string | number | boolean | null };
export type CfnMap = ValueBase & { kind: "map"; entries: ReadonlyMap<string, CfnEntry> };
export type CfnList = ValueBase & { kind: "list"; items: readonly CfnValue[] };
export type CfnUnknown = ValueBase & { kind: "unknown" };
export type CfnValue = CfnScalar | CfnMap | CfnList | CfnUnknown;

export interface CfnEntry {
  key: string;
  keySpan: SourceSpan;
  /** From the key to the end of the value as written. */
  span: SourceSpan;
  value: CfnValue;
}

export interface CfnResource {
  logicalId: string;
  type: string;
  file: string;
  /** The whole resource, from its logical id to its last line: what suppressions cover. */
  span: SourceSpan;
  /** The logical id key: where findings about missing properties point. */
  keySpan: SourceSpan;
  /** The evaluated Properties; undefined when the resource has none. */
  properties: CfnValue | undefined;
  propertiesKey: SourceSpan | undefined;
  /** As written, for suppressions. */
  metadata: LNode | undefined;
}

export interface CfnTemplate {
  file: string;
  resources: readonly CfnResource[];
  byId: ReadonlyMap<string, CfnResource>;
}

export interface CfnModel {
  templates: readonly CfnTemplate[];
  /** Resources by type and templates by file, so rules do not rescan every resource per lookup. */
  byType: ReadonlyMap<string, readonly CfnResource[]>;
  byFile: ReadonlyMap<string, CfnTemplate>;
}

export function buildModel(templates: readonly CfnTemplate[]): CfnModel {
  const byType = new Map<string, CfnResource[]>();
  for (const template of templates)
    for (const resource of template.resources) {
      const list = byType.get(resource.type);
      if (list) list.push(resource);
      else byType.set(resource.type, [resource]);
    }
  return { templates, byType, byFile: new Map(templates.map((t) => [t.file, t])) };
}

/** A property read through a path: its value and the span to report (`Key: value`). */
export interface Found {
  value: CfnValue;
  span: SourceSpan;
}

/**
 * Reads `A.B.0.C` below a resource's Properties. An unknown value on the way makes the result
 * unknown (the rule must stay silent); a missing key makes it undefined (the property is absent).
 */
export function prop(resource: CfnResource, path: string): Found | undefined {
  if (!resource.properties) return undefined;
  return child({ value: resource.properties, span: resource.propertiesKey ?? resource.keySpan }, path);
}

export function child(from: Found, path: string): Found | undefined {
  let current: Found = from;
  for (const segment of path.split(".")) {
    const value = current.value;
    if (value.kind === "unknown") return current;
    if (value.kind === "map") {
      const entry = value.entries.get(segment);
      if (!entry) return undefined;
      current = { value: entry.value, span: entry.value.kind === "scalar" ? entry.span : entry.keySpan };
    } else if (value.kind === "list" && /^\d+$/.test(segment)) {
      const item = value.items[Number(segment)];
      if (!item) return undefined;
      current = { value: item, span: item.span };
    } else return undefined;
  }
  return current;
}

/** Items of a list value (a single value counts as a list of one, as IAM reads it). */
export function listItems(value: CfnValue | undefined): readonly CfnValue[] {
  if (!value) return [];
  if (value.kind === "list") return value.items;
  return [value];
}

export function isUnknown(value: CfnValue | undefined): boolean {
  return value?.kind === "unknown";
}

/** True, false, or undefined when unknown or not a boolean; CloudFormation accepts "true" strings. */
export function truth(value: CfnValue | undefined): boolean | undefined {
  if (value?.kind !== "scalar") return undefined;
  if (typeof value.value === "boolean") return value.value;
  if (typeof value.value === "string") {
    const v = value.value.toLowerCase();
    if (v === "true") return true;
    if (v === "false") return false;
  }
  return undefined;
}

export function scalarText(value: CfnValue | undefined): string | undefined {
  return value?.kind === "scalar" && value.value !== null ? String(value.value) : undefined;
}

/** Whether a value holds `unknown` anywhere inside. */
export function containsUnknown(value: CfnValue): boolean {
  if (value.kind === "unknown") return true;
  if (value.kind === "list") return value.items.some(containsUnknown);
  if (value.kind === "map") return [...value.entries.values()].some((e) => containsUnknown(e.value));
  return false;
}

/** The value as plain JavaScript; unknown parts become undefined. */
export function plain(value: CfnValue): unknown {
  if (value.kind === "scalar") return value.value;
  if (value.kind === "list") return value.items.map(plain);
  if (value.kind === "map")
    return Object.fromEntries([...value.entries].map(([k, e]) => [k, plain(e.value)]));
  return undefined;
}

export function resourcesOfType(model: CfnModel, ...types: string[]): readonly CfnResource[] {
  if (types.length === 1) return model.byType.get(types[0] ?? "") ?? [];
  return types.flatMap((type) => model.byType.get(type) ?? []);
}
