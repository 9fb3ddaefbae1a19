import type { KubernetesObject } from "@kubernetes/client-node";
import { ConfigError, EnvironmentError, UsageError } from "../errors/index.js";
import type { SlipwayError } from "../errors/index.js";
import type { Diagnostic } from "../errors/index.js";
import { apiStatus, applyError, describe, kubernetesError } from "./client.js";
import type { Cluster } from "./client.js";
import { mapLimit } from "./concurrency.js";
import { fieldDiffs, comparable, equal } from "./diff.js";
import type { FieldDiff } from "./diff.js";
import { objectHealth, worstHealth } from "./health.js";
import type { Health } from "./health.js";
import { INVENTORY_LABEL, PRUNE_ANNOTATION, groupOf, objectKey } from "./identity.js";
import {
  CONFIGMAPS,
  checkInventoryName,
  entryKey,
  entryOf,
  inventoryConfigMap,
  readInventory,
} from "./inventory.js";
import type { InventoryEntry, SyncTarget } from "./inventory.js";
import { manifestSource } from "./manifests.js";
import { ApiClient } from "./rest.js";
import type { ResourceInfo } from "./rest.js";

export type { FieldDiff } from "./diff.js";
export type { Health } from "./health.js";
export type { SyncTarget } from "./inventory.js";

/**
 * Desired state, Argo CD style: a set of manifests (an "inventory") is server-side applied under
 * the field manager "slipway"; sync status compares what applying would make of each object with
 * the live one; self-heal re-applies what drifted. https://argo-cd.readthedocs.io/en/stable/user-guide/sync-options/
 * and https://kubernetes.io/docs/reference/using-api/server-side-apply/ are the semantics followed.
 */

export interface ApplyOptions extends SyncTarget {
  /** Take fields that other field managers own (a `kubectl scale` by hand, say). Default: false, and a conflict fails. */
  force?: boolean;
  /** Delete objects of the previous apply that are no longer in the manifests. Default: false. */
  prune?: boolean;
  /** Ask the API server what would happen; change nothing. Default: false. */
  dryRun?: boolean;
}

export interface ApplyResult {
  /** `Kind namespace/name`. */
  object: string;
  action: "created" | "configured" | "unchanged" | "pruned" | "kept";
  reason?: string;
}

export interface ObjectStatus {
  object: string;
  sync: "Synced" | "OutOfSync";
  /** missing: not in the cluster; changed: some fields differ; extra: applied before, no longer in the manifests. */
  reason?: "missing" | "changed" | "extra";
  fields: FieldDiff[];
  health: Health;
  message?: string;
}

export interface SyncStatus {
  sync: "Synced" | "OutOfSync";
  /** The worst object health (HEALTH_ORDER in health.ts). */
  health: Health;
  objects: ObjectStatus[];
}

/** Requests in flight at once: enough to make 500 objects a matter of a second, few enough not to be throttled. */
const CONCURRENCY = 16;
/** Kinds other objects need to exist first: applied (and, for CRDs, established) before the rest. */
const FIRST_KINDS = new Set(["Namespace", "CustomResourceDefinition"]);
const CRD_ESTABLISH_TIMEOUT_MS = 60_000;

/** An object as it will be applied. */
interface Planned {
  /** As the caller gave it: where manifestSource finds its file and line. */
  source: KubernetesObject;
  /** With the namespace defaulted and the inventory label. */
  body: KubernetesObject;
  key: string;
  name: string;
  /** Undefined while the kind is served by a CustomResourceDefinition of the same set not yet established. */
  resource: ResourceInfo | undefined;
}

interface Plan {
  planned: Planned[];
  /** Objects whose kind the API server does not serve (and no CRD of the set defines). */
  unserved: Planned[];
}

/**
 * Server-side applies `objects`: every one validated by a dry run first, so that an invalid
 * object or a conflict fails the apply before anything is written; then Namespaces and CRDs, then
 * the rest; then (with prune) deletes what the previous apply recorded and the manifests no longer
 * hold; then records the inventory. Without prune the inventory keeps what it held, so that a later
 * prune still finds objects dropped meanwhile.
 */
export async function applyObjects(
  cluster: Cluster,
  objects: KubernetesObject[],
  options: ApplyOptions,
): Promise<ApplyResult[]> {
  const api = ApiClient.for(cluster);
  const { planned, unserved } = await plan(api, objects, options);
  if (unserved.length > 0) throw unservedError(unserved);
  const previous = await readInventory(api, options);
  // As Argo CD without allowEmpty: an empty set (a wrong path, a generator that printed nothing)
  // must not read as "delete everything".
  if (options.prune && planned.length === 0 && previous.length > 0) {
    throw new UsageError(
      `no objects to apply, and --prune would delete all ${previous.length} objects of the inventory ${options.inventory}`,
      { hint: "check the manifests' path; to delete the objects, delete them by name (kubectl delete)" },
    );
  }
  const newNamespaces = new Set(
    planned.filter((p) => p.body.kind === "Namespace").map((p) => p.body.metadata?.name),
  );

  // 1. Validate everything, persisting nothing.
  const lives = await liveObjects(api, planned, options);
  const failures: { planned: Planned; error: unknown }[] = [];
  const previews = await mapLimit(planned, CONCURRENCY, async (p, i) => {
    const live = lives[i];
    try {
      if (!p.resource) return { live: undefined, predicted: undefined };
      const predicted = (await api.apply(p.body, p.resource, { force: options.force, dryRun: true })).body;
      return { live, predicted };
    } catch (error) {
      // An object in a Namespace this apply creates cannot be dry-run before the Namespace exists.
      if (missingNamespace(error, newNamespaces)) return { live, predicted: undefined };
      failures.push({ planned: p, error });
      return { live, predicted: undefined };
    }
  });
  if (!newNamespaces.has(options.inventoryNamespace)) {
    try {
      await api.apply(inventoryConfigMap(options, []), CONFIGMAPS, { force: true, dryRun: true });
    } catch (error) {
      throw kubernetesError(
        `cannot write the inventory to the namespace ${options.inventoryNamespace}`,
        error,
      );
    }
  }
  if (failures.length > 0) {
    // In the manifests' order, not the order the concurrent requests happened to fail in.
    failures.sort((x, y) => planned.indexOf(x.planned) - planned.indexOf(y.planned));
    throw applyFailure(failures);
  }

  const desiredKeys = new Set(planned.map((p) => p.key));
  if (options.dryRun) {
    const results: ApplyResult[] = planned.map((p, i) => {
      const { live, predicted } = previews[i] ?? {};
      const action = !live
        ? "created"
        : predicted && equal(comparable(predicted), comparable(live))
          ? "unchanged"
          : "configured";
      return { object: p.name, action };
    });
    if (options.prune) results.push(...(await prune(api, previous, desiredKeys, planned, options)).results);
    return results;
  }

  // 2. Apply: what others depend on first.
  const results = new Map<Planned, ApplyResult>();
  const applied: Planned[] = [];
  const errors: unknown[] = [];
  const applyOne = async (p: Planned, i: number) => {
    try {
      const resource = p.resource ?? (await establishedResource(api, p));
      const live = previews[i]?.live;
      const answer = await api.apply(p.body, resource, { force: options.force });
      const action =
        answer.status === 201
          ? "created"
          : live && answer.body.metadata?.resourceVersion === live.metadata?.resourceVersion
            ? "unchanged"
            : "configured";
      results.set(p, { object: p.name, action });
      applied.push(p);
    } catch (error) {
      errors.push(applyError(p.name, error));
    }
  };
  const indexed = planned.map((p, i) => ({ p, i }));
  const first = indexed.filter(({ p }) => FIRST_KINDS.has(p.body.kind ?? ""));
  await mapLimit(first, CONCURRENCY, ({ p, i }) => applyOne(p, i));
  if (errors.length === 0) {
    try {
      await waitForCrds(
        api,
        first.map(({ p }) => p).filter((p) => p.body.kind === "CustomResourceDefinition"),
      );
    } catch (error) {
      errors.push(error);
    }
  }
  if (errors.length === 0) {
    const rest = indexed.filter(({ p }) => !FIRST_KINDS.has(p.body.kind ?? ""));
    await mapLimit(rest, CONCURRENCY, ({ p, i }) => applyOne(p, i));
  }
  const ordered = planned.flatMap((p) => results.get(p) ?? []);

  // 3. Prune, only when everything applied: a failed apply must not delete what it did not replace.
  const recorded = new Map<string, InventoryEntry>();
  const record = (entry: InventoryEntry) => recorded.set(entryKey(entry), entry);
  if (errors.length > 0 || !options.prune) previous.forEach(record);
  applied.forEach((p) => record(entryOf(p.body)));
  if (errors.length === 0 && options.prune) {
    const pruned = await prune(api, previous, desiredKeys, planned, options);
    ordered.push(...pruned.results);
    pruned.stillRecorded.forEach(record);
    errors.push(...pruned.errors);
  }

  // 4. Record the inventory last: it then never names an object that was not applied.
  try {
    await api.apply(inventoryConfigMap(options, [...recorded.values()]), CONFIGMAPS, { force: true });
  } catch (error) {
    errors.unshift(
      kubernetesError(`cannot record the inventory in the namespace ${options.inventoryNamespace}`, error),
    );
  }
  if (errors.length > 0) throw errors[0];
  return ordered;
}

/**
 * Each object's sync status and health. An object is Synced when applying it (a forced dry run,
 * so defaults the API server fills in and fields others own are accounted for) would leave the
 * live object as it is, status and server bookkeeping aside.
 */
export async function syncStatus(
  cluster: Cluster,
  objects: KubernetesObject[],
  target: SyncTarget,
): Promise<SyncStatus> {
  return (await compare(cluster, objects, target)).status;
}

/** Re-applies, forcing, the objects that are OutOfSync (changed or missing); extra objects stay. */
export async function selfHeal(
  cluster: Cluster,
  objects: KubernetesObject[],
  target: SyncTarget,
): Promise<ApplyResult[]> {
  const { status, sources } = await compare(cluster, objects, target);
  const drifted = status.objects.flatMap((s, i) => {
    const source = sources[i];
    return source && (s.reason === "missing" || s.reason === "changed") ? [source] : [];
  });
  if (drifted.length === 0) return [];
  // Named field by field: a caller's ApplyOptions (prune!) must not ride along with a partial set.
  return applyObjects(cluster, drifted, {
    inventory: target.inventory,
    inventoryNamespace: target.inventoryNamespace,
    force: true,
  });
}

async function compare(
  cluster: Cluster,
  objects: KubernetesObject[],
  target: SyncTarget,
): Promise<{ status: SyncStatus; sources: (KubernetesObject | undefined)[] }> {
  const api = ApiClient.for(cluster);
  const { planned } = await plan(api, objects, target);
  const [lives, previous] = await Promise.all([
    liveObjects(api, planned, target),
    readInventory(api, target),
  ]);
  const statuses = await mapLimit(planned, CONCURRENCY, (p, i) => objectStatus(api, p, lives[i]));
  const desiredKeys = new Set(planned.map((p) => p.key));
  const extras = (
    await mapLimit(
      previous.filter((e) => !desiredKeys.has(entryKey(e))),
      CONCURRENCY,
      (entry) => extraStatus(api, entry, target, planned),
    )
  ).flatMap((s) => s ?? []);
  const all = [...statuses, ...extras];
  return {
    status: {
      sync: all.every((s) => s.sync === "Synced") ? "Synced" : "OutOfSync",
      health: worstHealth(all.map((s) => s.health)),
      objects: all,
    },
    sources: planned.map((p) => p.source),
  };
}

/**
 * The live objects of `planned` (undefined where there is none). Kinds with several objects in a
 * namespace are read with one list of the inventory's label instead of a GET each: a status of 500
 * objects is then about 500 requests, not 1,000. What the list does not return (an object not
 * labelled yet, or a user allowed to get but not to list) is read one by one.
 */
async function liveObjects(
  api: ApiClient,
  planned: Planned[],
  target: SyncTarget,
): Promise<(KubernetesObject | undefined)[]> {
  const groups = new Map<string, Planned[]>();
  for (const p of planned) {
    if (!p.resource) continue;
    const key = `${p.body.apiVersion} ${p.body.kind} ${p.body.metadata?.namespace ?? ""}`;
    groups.set(key, [...(groups.get(key) ?? []), p]);
  }
  const listed = new Map<string, KubernetesObject>();
  const listable = [...groups.values()].filter((members) => members.length > 1);
  await mapLimit(listable, CONCURRENCY, async (members) => {
    const { body, resource } = members[0] as Planned & { resource: ResourceInfo };
    try {
      const items = await api.list(
        body.apiVersion ?? "v1",
        body.kind ?? "",
        resource,
        body.metadata?.namespace,
        `${INVENTORY_LABEL}=${target.inventory}`,
      );
      for (const item of items) listed.set(objectKey(item), item);
    } catch {
      // Read one by one below, where a real problem (RBAC, say) surfaces with the object's name.
    }
  });
  return mapLimit(planned, CONCURRENCY, async (p) => {
    if (!p.resource) return undefined;
    const found = listed.get(p.key);
    if (found) return found;
    try {
      return await api.get(
        p.body.apiVersion ?? "v1",
        p.resource,
        p.body.metadata?.namespace,
        p.body.metadata?.name ?? "",
      );
    } catch (error) {
      throw kubernetesError(`cannot read ${p.name}`, error);
    }
  });
}

async function objectStatus(
  api: ApiClient,
  p: Planned,
  live: KubernetesObject | undefined,
): Promise<ObjectStatus> {
  const missing = (message?: string): ObjectStatus => ({
    object: p.name,
    sync: "OutOfSync",
    reason: "missing",
    fields: [],
    health: "Missing",
    ...(message ? { message } : {}),
  });
  if (!p.resource) return missing(`the API server serves no ${p.body.kind} in ${p.body.apiVersion}`);
  if (!live) return missing();
  let predicted: KubernetesObject;
  try {
    predicted = (await api.apply(p.body, p.resource, { force: true, dryRun: true })).body;
  } catch (error) {
    throw applyError(p.name, error);
  }
  const fields = maskSecrets(p.body, fieldDiffs(predicted, live));
  const health = objectHealth(live);
  return {
    object: p.name,
    sync: fields.length > 0 ? "OutOfSync" : "Synced",
    ...(fields.length > 0 ? { reason: "changed" as const } : {}),
    fields,
    health: health.health,
    ...(health.message ? { message: health.message } : {}),
  };
}

async function extraStatus(
  api: ApiClient,
  entry: InventoryEntry,
  target: SyncTarget,
  planned: Planned[],
): Promise<ObjectStatus | undefined> {
  const found = await liveEntry(api, entry);
  if (!found) return undefined;
  const { live } = found;
  const health = objectHealth(live);
  const kept = keepReason(live, target, planned);
  return {
    object: describe(live),
    sync: "OutOfSync",
    reason: "extra",
    fields: [],
    health: health.health,
    message: [kept ?? "not in the manifests any more: apply --prune deletes it", health.message]
      .filter(Boolean)
      .join("; "),
  };
}

async function liveEntry(
  api: ApiClient,
  entry: InventoryEntry,
): Promise<{ live: KubernetesObject; resource: ResourceInfo } | undefined> {
  const resource = await api.resource(entry.apiVersion, entry.kind);
  // The kind is gone (its CRD deleted): so are its objects.
  if (!resource) return undefined;
  try {
    const live = await api.get(entry.apiVersion, resource, entry.namespace, entry.name);
    return live ? { live, resource } : undefined;
  } catch (error) {
    throw kubernetesError(
      `cannot read ${entry.kind} ${entry.namespace ? `${entry.namespace}/` : ""}${entry.name}`,
      error,
    );
  }
}

/** Why an object of the previous apply must not be deleted, or undefined when it may be. */
function keepReason(
  live: KubernetesObject,
  target: SyncTarget,
  planned: Planned[],
  keptNamespaces: ReadonlySet<string> = new Set(),
): string | undefined {
  if (live.metadata?.annotations?.[PRUNE_ANNOTATION] === "disabled")
    return `annotated ${PRUNE_ANNOTATION}: disabled`;
  const owner = live.metadata?.labels?.[INVENTORY_LABEL];
  if (owner !== target.inventory)
    return owner
      ? `labelled ${INVENTORY_LABEL}=${owner}: another inventory manages it now`
      : `no longer labelled ${INVENTORY_LABEL}=${target.inventory}: someone took it over`;
  if (live.kind === "Namespace") {
    const name = live.metadata?.name;
    if (name === target.inventoryNamespace) return "the namespace holds the inventory";
    if (planned.some((p) => p.body.metadata?.namespace === name))
      return "the namespace holds objects of the manifests";
    // Deleting the namespace would delete what was just kept.
    if (name && keptNamespaces.has(name)) return "the namespace holds objects kept from pruning";
  }
  return undefined;
}

async function prune(
  api: ApiClient,
  previous: InventoryEntry[],
  desiredKeys: Set<string>,
  planned: Planned[],
  options: ApplyOptions,
): Promise<{ results: ApplyResult[]; stillRecorded: InventoryEntry[]; errors: unknown[] }> {
  const candidates = previous.filter((e) => !desiredKeys.has(entryKey(e)));
  const results: ApplyResult[] = [];
  const stillRecorded: InventoryEntry[] = [];
  const errors: unknown[] = [];
  const keptNamespaces = new Set<string>();
  const pruneOne = async (entry: InventoryEntry) => {
    try {
      const found = await liveEntry(api, entry);
      if (!found) return;
      const { live, resource } = found;
      const kept = keepReason(live, options, planned, keptNamespaces);
      if (kept) {
        results.push({ object: describe(live), action: "kept", reason: kept });
        if (live.metadata?.namespace) keptNamespaces.add(live.metadata.namespace);
        // Still this inventory's (only not to be deleted): keep tracking it. Taken over: let go.
        if (live.metadata?.labels?.[INVENTORY_LABEL] === options.inventory) stillRecorded.push(entry);
        return;
      }
      await api
        .request("DELETE", api.objectPath(entry.apiVersion, resource, entry.namespace, entry.name), {
          // In the body, not the query: with a DeleteOptions body the API server ignores query parameters.
          body: {
            apiVersion: "v1",
            kind: "DeleteOptions",
            ...(options.dryRun ? { dryRun: ["All"] } : {}),
            // Dependents (a Deployment's ReplicaSets and Pods) go first; the object goes when they are gone.
            propagationPolicy: "Foreground",
            // Only the object that was applied: not one someone re-created under the same name since.
            preconditions: { uid: live.metadata?.uid },
          },
        })
        .catch((error: unknown) => {
          if (apiStatus(error)?.code !== 404) throw error;
        });
      results.push({
        object: describe(live),
        action: "pruned",
        ...(options.dryRun ? { reason: "dry run" } : {}),
      });
    } catch (error) {
      stillRecorded.push(entry);
      errors.push(
        kubernetesError(
          `cannot prune ${entry.kind} ${entry.namespace ? `${entry.namespace}/` : ""}${entry.name}`,
          error,
        ),
      );
    }
  };
  // Namespaces and CRDs last: deleting them first would take the other objects with them unreported.
  await mapLimit(
    candidates.filter((e) => !FIRST_KINDS.has(e.kind)),
    CONCURRENCY,
    pruneOne,
  );
  await mapLimit(
    candidates.filter((e) => FIRST_KINDS.has(e.kind)),
    CONCURRENCY,
    pruneOne,
  );
  // In code-unit order, the same on every machine (localeCompare depends on the locale).
  results.sort((a, b) => (a.object < b.object ? -1 : a.object > b.object ? 1 : 0));
  return { results, stillRecorded, errors };
}

/** A Secret's values never leave the cluster in a diff (kubectl diff masks them alike): only that they differ. */
function maskSecrets(object: KubernetesObject, fields: FieldDiff[]): FieldDiff[] {
  if (object.kind !== "Secret" || groupOf(object.apiVersion ?? "") !== "") return fields;
  const mask = (value: unknown) => (value === undefined ? undefined : "***");
  return fields.map((f) =>
    /^(data|stringData)\b/.test(f.path) ? { path: f.path, desired: mask(f.desired), live: mask(f.live) } : f,
  );
}

/** Resolves kinds, defaults namespaces, adds the inventory label, and refuses duplicates. */
async function plan(api: ApiClient, objects: KubernetesObject[], target: SyncTarget): Promise<Plan> {
  checkInventoryName(target.inventory);
  for (const object of objects) {
    if (!object.apiVersion || !object.kind || !object.metadata?.name)
      throw new UsageError(`an object without apiVersion, kind or metadata.name: ${describe(object)}`, {
        hint: "every Kubernetes object needs apiVersion, kind and metadata.name",
      });
  }
  // Kinds the set's own CRDs will serve: known once those are applied and established.
  const crdKinds = new Map<string, boolean>();
  for (const object of objects) {
    if (object.kind !== "CustomResourceDefinition") continue;
    const spec = (object as { spec?: { group?: string; names?: { kind?: string }; scope?: string } }).spec;
    if (spec?.group && spec.names?.kind)
      crdKinds.set(`${spec.group}/${spec.names.kind}`, spec.scope !== "Cluster");
  }
  const resources = await mapLimit(objects, CONCURRENCY, (o) =>
    api.resource(o.apiVersion ?? "v1", o.kind ?? ""),
  );
  const planned: Planned[] = [];
  const unserved: Planned[] = [];
  const seen = new Map<string, Planned>();
  objects.forEach((source, i) => {
    const resource = resources[i];
    const fromCrd = crdKinds.get(`${groupOf(source.apiVersion ?? "")}/${source.kind}`);
    const namespaced = resource?.namespaced ?? fromCrd ?? true;
    const body = structuredClone(source);
    const metadata = (body.metadata ??= {});
    if (!namespaced) delete metadata.namespace;
    else metadata.namespace ??= target.inventoryNamespace;
    metadata.labels = { ...metadata.labels, [INVENTORY_LABEL]: target.inventory };
    const p: Planned = { source, body, key: objectKey(body), name: describe(body), resource };
    const twin = seen.get(p.key);
    if (twin) {
      throw new UsageError(`${p.name} is in the manifests twice`, {
        hint: "each object (group, kind, namespace, name) may appear once",
      });
    }
    seen.set(p.key, p);
    planned.push(p);
    if (!resource && fromCrd === undefined) unserved.push(p);
  });
  return { planned, unserved };
}

function unservedError(unserved: Planned[]): SlipwayError {
  const message = (p: Planned) => `the API server serves no kind ${p.body.kind} in ${p.body.apiVersion}`;
  const hint =
    "check apiVersion and kind (kubectl api-resources lists them), or install the CustomResourceDefinition first";
  const diagnostics = diagnosticsFor(unserved, (p) => [{ field: "apiVersion", message: message(p), hint }]);
  if (diagnostics) return new ConfigError(diagnostics);
  const first = unserved[0] as Planned;
  return new UsageError(`${first.name}: ${message(first)}`, { hint });
}

/** Diagnostics at the objects' source positions, or undefined when one of them has no source. */
function diagnosticsFor(
  items: Planned[],
  problems: (p: Planned) => { field: string; message: string; hint?: string }[],
): Diagnostic[] | undefined {
  const out: Diagnostic[] = [];
  for (const p of items) {
    const source = manifestSource(p.source);
    if (!source) return undefined;
    for (const problem of problems(p))
      out.push({
        position: problem.field ? source.positionOf(problem.field) : source.position,
        message: problem.message,
        hint: problem.hint,
      });
  }
  return out;
}

/** What the dry run found, as one error: every invalid object at its line when all are from files. */
function applyFailure(failures: { planned: Planned; error: unknown }[]): unknown {
  const hint = "the API server refused the object; fix the field it names";
  const invalid = failures.map((f) => ({ ...f, causes: invalidCauses(f.error) }));
  if (invalid.every((f) => f.causes)) {
    const causes = new Map(invalid.map((f) => [f.planned, f.causes ?? []]));
    const diagnostics = diagnosticsFor(
      invalid.map((f) => f.planned),
      (p) =>
        (causes.get(p) ?? []).map((c) => ({
          field: c.field,
          message: `${p.name}: ${c.field ? `${c.field}: ` : ""}${c.message}`,
          hint,
        })),
    );
    if (diagnostics) return new ConfigError(diagnostics);
    const first = invalid[0] as (typeof invalid)[number];
    return new UsageError(
      `cannot apply ${first.planned.name}: ${apiStatus(first.error)?.message ?? "invalid"}`,
      {
        hint,
        cause: first.error,
      },
    );
  }
  const first = failures[0] as { planned: Planned; error: unknown };
  return applyError(first.planned.name, first.error);
}

/**
 * The fields the API server refused, when the failure is the object's fault: a validation error
 * (422, 400), or server-side apply's own check of the object against the schema, which answers
 * 500 "failed to create typed patch object (...): .spec.replicaz: field not declared in schema".
 */
function invalidCauses(error: unknown): { field: string; message: string }[] | undefined {
  const status = apiStatus(error);
  if (status?.code === 400 || status?.code === 422) {
    const causes = (status.details?.causes ?? []).filter((c) => c.message);
    if (causes.length === 0) return [{ field: "", message: status.message ?? "invalid" }];
    return causes.map((c) => ({ field: c.field ?? "", message: c.message ?? "" }));
  }
  const typed = /^failed to create typed patch object \([^)]*\): ([\s\S]*)$/.exec(status?.message ?? "");
  if (status?.code === 500 && typed) {
    const lines = (typed[1] ?? "").split("\n").map((line) => line.trim().replace(/^errors:\s*/, ""));
    const causes = lines.flatMap((line) => {
      const m = /^(\.\S+): (.+)$/.exec(line);
      return m ? [{ field: (m[1] ?? "").replace(/^\./, ""), message: m[2] ?? "" }] : [];
    });
    return causes.length > 0 ? causes : [{ field: "", message: typed[1] ?? "" }];
  }
  return undefined;
}

function missingNamespace(error: unknown, creating: Set<string | undefined>): boolean {
  const status = apiStatus(error) as
    { code?: number; details?: { kind?: string; name?: string } } | undefined;
  return status?.code === 404 && status.details?.kind === "namespaces" && creating.has(status.details.name);
}

/** After its CRD is applied, a custom kind is served once the CRD is Established. */
async function waitForCrds(api: ApiClient, crds: Planned[]): Promise<void> {
  const resource = await api.resource("apiextensions.k8s.io/v1", "CustomResourceDefinition");
  if (!resource) return;
  await Promise.all(
    crds.map(async (p) => {
      const deadline = Date.now() + CRD_ESTABLISH_TIMEOUT_MS;
      for (;;) {
        const live = (await api.get(
          p.body.apiVersion ?? "",
          resource,
          undefined,
          p.body.metadata?.name ?? "",
        )) as
          (KubernetesObject & { status?: { conditions?: { type: string; status: string }[] } }) | undefined;
        if (live?.status?.conditions?.some((c) => c.type === "Established" && c.status === "True")) break;
        if (Date.now() > deadline)
          throw new EnvironmentError(
            `${p.name} was not Established within ${CRD_ESTABLISH_TIMEOUT_MS / 1000} s`,
            {
              hint: "kubectl describe the CustomResourceDefinition: its conditions say why",
            },
          );
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const spec = (p.body as { spec?: { group?: string; versions?: { name: string }[] } }).spec;
      for (const version of spec?.versions ?? []) api.forget(`${spec?.group}/${version.name}`);
    }),
  );
}

async function establishedResource(api: ApiClient, p: Planned): Promise<ResourceInfo> {
  const resource = await api.resource(p.body.apiVersion ?? "", p.body.kind ?? "");
  if (!resource)
    throw new EnvironmentError(
      `the API server serves no ${p.body.kind} in ${p.body.apiVersion}, after its CRD was applied`,
      {
        hint: "check that the CustomResourceDefinition serves this version",
      },
    );
  return resource;
}
