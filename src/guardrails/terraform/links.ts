/**
 * How Terraform resources point at each other: through references in their expressions, or
 * through a known name (a bucket's `bucket`). Cross-resource rules ask "which resources of this
 * type configure that one?"; the answers are indexed once per model so large configurations
 * stay linear.
 */
import { containsUnknown, lookup, type Lookup, type TerraformModel, type TfResource } from "./model.js";

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

/** The resources of `type` that point at `target` through `attribute` (see `companions`). */
export function resourcesReferencing(
  model: TerraformModel,
  target: TfResource,
  type: string,
  attribute: string,
): TfResource[] {
  return companions(model, target, type, attribute).linked;
}
