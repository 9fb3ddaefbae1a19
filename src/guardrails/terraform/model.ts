/**
 * The evaluated Terraform configuration that rules read. Both front doors produce it: HCL
 * files evaluated with their variables and modules (load-hcl), and `terraform show -json` plans
 * (load-plan). Rules never see unevaluated expressions: an attribute holds its value, or
 * UNKNOWN where Terraform itself would only know it at apply time or from an unset variable.
 */
import type { Provenance, SourceSpan } from "../model.js";

/** A value no static reading can know. Rules treat it as "could be anything" and stay silent. */
export const UNKNOWN: unique symbol = Symbol("unknown");
export type Unknown = typeof UNKNOWN;

export type HclValue = string | number | boolean | null | Unknown | HclValue[] | { [key: string]: HclValue };

export interface TfAttribute {
  name: string;
  value: HclValue;
  /**
   * From the attribute's name to the end of its expression (in a plan: the line of its key in
   * `planned_values`).
   */
  span: SourceSpan;
  /** Where the variables, locals and module arguments the value depends on were set. */
  provenance: readonly Provenance[];
  /**
   * The resources the value was computed from, directly or through variables, locals, module
   * arguments and outputs: each one's config address with its module path
   * (`module.store.aws_s3_bucket.this`) and, when the instance is known, its full address too
   * (`module.store[1].aws_s3_bucket.this[0]`). This is how rules connect a bucket to its
   * public-access block even though the bucket's id is UNKNOWN.
   */
  references: readonly string[];
}

/** A block after evaluation; `dynamic` blocks are already expanded into ordinary blocks. */
export interface TfBlock {
  type: string;
  labels: readonly string[];
  span: SourceSpan;
  attributes: ReadonlyMap<string, TfAttribute>;
  blocks: readonly TfBlock[];
}

export interface TfResource {
  mode: "managed" | "data";
  type: string;
  name: string;
  /** Full address with module path and instance key: `module.web["a"].aws_instance.this[0]`. */
  address: string;
  /** Address without instance keys, as references name it: `module.web.aws_instance.this`. */
  configAddress: string;
  /** `count.index` or `each.key` of this instance, when expanded. */
  index?: number | string | undefined;
  /**
   * True when `count`/`for_each` could not be known statically: the resource is kept as one
   * instance (address ending in `[?]`) whose `count.index`/`each.*` are UNKNOWN.
   */
  indexUnknown?: boolean | undefined;
  /** Module call names from the root, e.g. ["web", "db"]. */
  modulePath: readonly string[];
  body: TfBlock;
  /**
   * The resource block: `line` is its header line, `endLine` its closing brace (in a plan: the
   * line of the resource's `address`).
   */
  span: SourceSpan;
  /** The module call blocks that created it, outermost first; suppressions there apply too. */
  enclosing: readonly SourceSpan[];
  origin: "hcl" | "plan";
}

/** One root module evaluated (or one plan file): what the rules of a scan see at once. */
export interface TerraformModel {
  resources: readonly TfResource[];
  /**
   * Root directory of the configuration, relative to the scan root ("" for the root itself);
   * for a plan, the directory of the plan file.
   */
  directory: string;
}

/** A value read through a path, with where it was set; `undefined` when the path is absent. */
export interface Lookup {
  value: HclValue;
  span: SourceSpan;
  provenance: readonly Provenance[];
  references: readonly string[];
}

export function isUnknown(value: unknown): value is Unknown {
  return value === UNKNOWN;
}

/** True when a value holds UNKNOWN anywhere inside it. */
export function containsUnknown(value: HclValue): boolean {
  if (value === UNKNOWN) return true;
  if (Array.isArray(value)) return value.some(containsUnknown);
  if (value !== null && typeof value === "object") return Object.values(value).some(containsUnknown);
  return false;
}

/**
 * Reads `path` (dots between names, e.g. `versioning.enabled` or `ingress.cidr_blocks`) from a
 * resource. A name may be an attribute or a nested block; for repeated nested blocks, `lookupAll`
 * returns one result per block.
 */
export function lookup(resource: TfResource | TfBlock, path: string): Lookup | undefined {
  return lookupAll(resource, path)[0];
}

export function lookupAll(resource: TfResource | TfBlock, path: string): Lookup[] {
  const block = "body" in resource ? resource.body : resource;
  return walk(block, path.split("."));
}

function walk(block: TfBlock, names: readonly string[]): Lookup[] {
  const [head, ...rest] = names;
  if (head === undefined) return [];
  const attribute = block.attributes.get(head);
  if (attribute) {
    const value = rest.reduce<HclValue | undefined>((v, key) => child(v, key), attribute.value);
    if (value === undefined) return [];
    const { span, provenance, references } = attribute;
    return [{ value, span, provenance, references }];
  }
  const nested = block.blocks.filter((b) => b.type === head);
  if (rest.length === 0)
    return nested.map((b) => ({ value: blockValue(b), span: b.span, provenance: [], references: [] }));
  return nested.flatMap((b) => walk(b, rest));
}

function child(value: HclValue | undefined, key: string): HclValue | undefined {
  if (value === undefined) return undefined;
  if (value === UNKNOWN) return UNKNOWN;
  if (Array.isArray(value)) {
    const index = Number(key);
    return Number.isInteger(index) ? value[index] : undefined;
  }
  if (value !== null && typeof value === "object") return value[key];
  return undefined;
}

/** A nested block as a plain object value (attributes and sub-blocks as lists). */
export function blockValue(block: TfBlock): { [key: string]: HclValue } {
  const out: { [key: string]: HclValue } = {};
  for (const [name, attribute] of block.attributes) out[name] = attribute.value;
  for (const sub of block.blocks) {
    const list = (out[sub.type] ??= []) as HclValue[];
    list.push(blockValue(sub));
  }
  return out;
}

/** Resources of one type, or of any of several types. */
export function resourcesOfType(model: TerraformModel, ...types: string[]): TfResource[] {
  return model.resources.filter((r) => r.mode === "managed" && types.includes(r.type));
}

/** True when two resources were created by the same module instance (`module.web["a"]`). */
export function sameModuleInstance(a: TfResource, b: TfResource): boolean {
  return moduleInstanceOf(a.address) === moduleInstanceOf(b.address);
}

/**
 * The module instance part of an address: `module.web["a"].module.db[0]` for
 * `module.web["a"].module.db[0].aws_instance.this[1]`, "" for a root module resource.
 */
export function moduleInstanceOf(address: string): string {
  const steps = addressSteps(address);
  const out: string[] = [];
  for (let i = 0; i + 1 < steps.length && steps[i] === "module"; i += 2)
    out.push(`module.${steps[i + 1] ?? ""}`);
  return out.join(".");
}

/** Splits an address on the dots outside instance keys (`["a.b"]` stays whole). */
export function addressSteps(address: string): string[] {
  const steps: string[] = [];
  let current = "";
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < address.length; i++) {
    const c = address[i] ?? "";
    if (quoted) {
      current += c;
      if (c === "\\") current += address[++i] ?? "";
      else if (c === '"') quoted = false;
      continue;
    }
    if (c === '"') quoted = true;
    else if (c === "[") depth++;
    else if (c === "]") depth--;
    else if (c === "." && depth === 0) {
      steps.push(current);
      current = "";
      continue;
    }
    current += c;
  }
  steps.push(current);
  return steps;
}
