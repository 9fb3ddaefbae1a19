import type { KubernetesObject } from "@kubernetes/client-node";

/** One field where the live object is not what applying the manifests would make it. */
export interface FieldDiff {
  /** `spec.replicas`, `spec.template.spec.containers[name=web].image`, `metadata.labels["app.kubernetes.io/name"]`. */
  path: string;
  /** undefined: the field would not be there. */
  desired: unknown;
  /** undefined: the field is not there. */
  live: unknown;
}

/** Metadata the API server writes on every change, never a difference a user made. */
const IGNORED_METADATA = [
  "resourceVersion",
  "generation",
  "managedFields",
  "uid",
  "creationTimestamp",
  "selfLink",
];
/** Annotations controllers keep on objects they manage (a Deployment's rollout counter). */
const IGNORED_ANNOTATIONS = ["deployment.kubernetes.io/revision"];

/** The object without what is bookkeeping, not configuration: status and server-written metadata. */
export function comparable(object: KubernetesObject): Record<string, unknown> {
  const { status: _status, ...rest } = object as KubernetesObject & { status?: unknown };
  const metadata: Record<string, unknown> = { ...(object.metadata ?? {}) };
  for (const key of IGNORED_METADATA) delete metadata[key];
  const annotations = metadata["annotations"] as Record<string, string> | undefined;
  if (annotations) {
    const kept = Object.fromEntries(
      Object.entries(annotations).filter(([k]) => !IGNORED_ANNOTATIONS.includes(k)),
    );
    if (Object.keys(kept).length > 0) metadata["annotations"] = kept;
    else delete metadata["annotations"];
  }
  return { ...rest, metadata };
}

/**
 * Where `live` differs from `desired`, field by field. Lists of objects with unique `name`s
 * (containers, ports, env, volumes) are matched by name, as strategic merge and the API server's
 * list-map keys do, so inserting a container reports that container rather than every one after it.
 */
export function fieldDiffs(desired: KubernetesObject, live: KubernetesObject): FieldDiff[] {
  const out: FieldDiff[] = [];
  walk(comparable(desired), comparable(live), "", out);
  return out;
}

function walk(desired: unknown, live: unknown, path: string, out: FieldDiff[]): void {
  if (isMap(desired) && isMap(live)) {
    const keys = new Set([...Object.keys(desired), ...Object.keys(live)]);
    for (const key of [...keys].sort()) walk(desired[key], live[key], join(path, key), out);
    return;
  }
  if (Array.isArray(desired) && Array.isArray(live)) {
    const desiredByName = byName(desired);
    const liveByName = byName(live);
    if (desiredByName && liveByName) {
      const before = out.length;
      const names = new Set([...desiredByName.keys(), ...liveByName.keys()]);
      for (const name of names)
        walk(desiredByName.get(name), liveByName.get(name), `${path}[name=${name}]`, out);
      // The same members in another order: the order itself is the difference.
      if (out.length === before && !equal(namesOf(desired), namesOf(live)))
        out.push({ path, desired: namesOf(desired), live: namesOf(live) });
      return;
    }
    for (let i = 0; i < Math.max(desired.length, live.length); i++)
      walk(desired[i], live[i], `${path}[${i}]`, out);
    return;
  }
  if (!equal(desired, live)) out.push({ path, desired, live });
}

function byName(list: unknown[]): Map<string, unknown> | undefined {
  const map = new Map<string, unknown>();
  for (const item of list) {
    const name = isMap(item) ? item["name"] : undefined;
    if (typeof name !== "string" || map.has(name)) return undefined;
    map.set(name, item);
  }
  return map;
}

function namesOf(list: unknown[]): string[] {
  return list.map((item) => (item as { name: string }).name);
}

function join(path: string, key: string): string {
  if (/^[A-Za-z_$][\w$-]*$/.test(key)) return path === "" ? key : `${path}.${key}`;
  return `${path}[${JSON.stringify(key)}]`;
}

export function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => equal(x, b[i]));
  if (isMap(a) && isMap(b)) {
    const ak = Object.keys(a).filter((k) => a[k] !== undefined);
    const bk = Object.keys(b).filter((k) => b[k] !== undefined);
    return ak.length === bk.length && ak.every((k) => equal(a[k], b[k]));
  }
  return false;
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
