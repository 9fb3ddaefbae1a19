/**
 * `slipway check --kubeconfig FILE`: the live objects of a cluster, checked with the same
 * Kubernetes rules, suppressions, baseline and reports as manifest files.
 *
 * Each object becomes a virtual YAML file at `cluster://CONTEXT/NAMESPACE/Kind/NAME.yaml`
 * (`cluster://CONTEXT/Kind/NAME.yaml` when cluster-scoped), so every report format names the
 * object and shows the offending line in a code frame, and baselines fingerprint it like a file.
 * What the API server adds that says nothing about the object's intent (status, managedFields,
 * resourceVersion, uid, timestamps, kubectl's last-applied-configuration copy) is left out, so
 * findings point into the spec and baseline entries survive rollouts.
 *
 * Why not hand the files to the manifest scanner (index.ts): it renders Helm charts and
 * kustomizations and skips Helm templates by path (`templates/`, `kustomization.yaml`, `{{`), and
 * a namespace called `templates` or a Deployment called `kustomization` would trip it. Live
 * objects need none of that: they are parsed, modelled and checked with the same model, rules,
 * annotation suppressions and custom rules, and the pipeline from scan() on is shared.
 */
import { ApiException, type KubernetesObject } from "@kubernetes/client-node";
import { stringify } from "yaml";
import { EnvironmentError, UsageError } from "../../errors/index.js";
import { connect, kubernetesError } from "../../kubernetes/client.js";
import { mapLimit } from "../../kubernetes/concurrency.js";
import { ApiClient, type ResourceInfo } from "../../kubernetes/rest.js";
import { runCustomRules } from "../custom/run.js";
import type { FrameworkResult, FrameworkScanner, ScanContext, SourceFile } from "../model.js";
import { runRules } from "../rule.js";
import { scan, type ScanOptions, type ScanResult } from "../scan.js";
import { annotationSuppressions } from "./annotations.js";
import { genericResources } from "./generic.js";
import { objectsOf } from "./load.js";
import { buildModel, type K8sObject } from "./model.js";
import { KUBERNETES_RULES } from "./rules/index.js";
import { parseYamlFile } from "./yaml-tree.js";

/** Where virtual files of live objects start; no path on disk can. */
export const CLUSTER_SCHEME = "cluster://";

/**
 * The kinds the Kubernetes rules read (rules/*.ts): workloads and their pod templates, what
 * exposes them, RBAC, ServiceAccounts, LimitRanges (their defaults settle K8S-017/018),
 * PodDisruptionBudgets, Namespaces, plus HorizontalPodAutoscalers for custom rules. Secrets and
 * ConfigMaps are never read: no rule needs their values, and a report must not carry them.
 */
export const LIVE_KINDS: readonly { apiVersion: string; kind: string }[] = [
  { apiVersion: "v1", kind: "Namespace" },
  { apiVersion: "v1", kind: "Pod" },
  { apiVersion: "v1", kind: "ReplicationController" },
  { apiVersion: "apps/v1", kind: "Deployment" },
  { apiVersion: "apps/v1", kind: "StatefulSet" },
  { apiVersion: "apps/v1", kind: "DaemonSet" },
  { apiVersion: "apps/v1", kind: "ReplicaSet" },
  { apiVersion: "batch/v1", kind: "Job" },
  { apiVersion: "batch/v1", kind: "CronJob" },
  { apiVersion: "v1", kind: "Service" },
  { apiVersion: "networking.k8s.io/v1", kind: "Ingress" },
  { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy" },
  { apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role" },
  { apiVersion: "rbac.authorization.k8s.io/v1", kind: "RoleBinding" },
  { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole" },
  { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRoleBinding" },
  { apiVersion: "v1", kind: "ServiceAccount" },
  { apiVersion: "v1", kind: "LimitRange" },
  { apiVersion: "policy/v1", kind: "PodDisruptionBudget" },
  { apiVersion: "autoscaling/v2", kind: "HorizontalPodAutoscaler" },
];

/**
 * Controllers whose template the rules already check: an object one of them controls (a
 * Deployment's ReplicaSets, the Pods of a ReplicaSet, StatefulSet, DaemonSet or Job, a CronJob's
 * Jobs) would repeat its controller's findings once per copy. An object controlled by anything
 * else (an operator's custom resource, a Node for static pods) is checked itself, since its
 * controller is not.
 */
const TEMPLATE_CONTROLLERS = new Set([
  "Deployment",
  "ReplicaSet",
  "ReplicationController",
  "StatefulSet",
  "DaemonSet",
  "Job",
  "CronJob",
]);

/** Requests in flight at once: enough to hide latency, few enough not to burden the API server. */
const LIST_CONCURRENCY = 6;

const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

export interface LiveOptions {
  /** The kubeconfig file. */
  kubeconfig: string;
  /** Its context to use; default: its current-context. */
  context?: string | undefined;
  /** Only these namespaces (and their Namespace objects); default: all. */
  namespaces?: readonly string[] | undefined;
}

export interface LiveObjects {
  /** The context the objects were read through; the first segment of every path. */
  context: string;
  /** One virtual YAML file per object, sorted by path. */
  files: SourceFile[];
  /**
   * Files read so that rules can relate objects to them (a binding to the role it grants), but
   * not reported on: what Kubernetes creates itself (default RBAC, each namespace's `default`
   * ServiceAccount, the `kubernetes` Service), and with `namespaces`, cluster-scoped roles and
   * bindings.
   */
  contextOnly: ReadonlySet<string>;
  /** What the user should know about what was and was not read. */
  notes: string[];
}

interface Fetched {
  kind: string;
  apiVersion: string;
  namespace: string | undefined;
  outcome: "listed" | "forbidden" | "not-served";
  objects: KubernetesObject[];
}

/**
 * Reads the objects the rules look at, as the kubeconfig's user: a kind it may not list (403) is
 * skipped with a note rather than failing the check, but a user who may list nothing gets an
 * error, since a report without findings would claim a cluster it never saw is clean.
 */
export async function readLiveObjects(options: LiveOptions): Promise<LiveObjects> {
  const cluster = connect({ kubeconfig: options.kubeconfig, context: options.context });
  const context = cluster.config.getCurrentContext();
  const api = ApiClient.for(cluster);
  const namespaces = options.namespaces?.length ? [...new Set(options.namespaces)].sort() : undefined;

  // Discovery first: a kind the cluster does not serve (an old one without policy/v1) is a note.
  const kinds = await Promise.all(
    LIVE_KINDS.map(async (k) => ({ ...k, resource: await api.resource(k.apiVersion, k.kind) })),
  );
  const requests: {
    apiVersion: string;
    kind: string;
    resource: ResourceInfo | undefined;
    namespace?: string;
  }[] = kinds.flatMap((k) => {
    if (!k.resource) return [k];
    // With --namespace, each named Namespace is read by name: listing them all would report the others.
    if (namespaces && (k.resource.namespaced || k.kind === "Namespace"))
      return namespaces.map((namespace) => ({ ...k, namespace }));
    return [k];
  });
  const fetched = await mapLimit(requests, LIST_CONCURRENCY, async (request): Promise<Fetched> => {
    const { apiVersion, kind, resource, namespace } = request;
    const base = { apiVersion, kind, namespace, objects: [] };
    if (!resource) return { ...base, outcome: "not-served" };
    try {
      if (kind === "Namespace" && namespace !== undefined) {
        const object = await api.get(apiVersion, resource, undefined, namespace);
        if (!object)
          throw new UsageError(`namespace ${namespace} does not exist in context ${context}`, {
            hint: "kubectl get namespaces lists them",
          });
        return { ...base, outcome: "listed", objects: [{ apiVersion, kind, ...object }] };
      }
      return {
        ...base,
        outcome: "listed",
        objects: await api.list(apiVersion, kind, resource, namespace, ""),
      };
    } catch (error) {
      if (error instanceof ApiException && error.code === 403) return { ...base, outcome: "forbidden" };
      if (error instanceof UsageError) throw error;
      const where = namespace === undefined ? "" : ` in namespace ${namespace}`;
      throw kubernetesError(`cannot list ${kind} objects${where} in context ${context}`, error);
    }
  });

  if (!fetched.some((f) => f.outcome === "listed")) {
    const user = cluster.config.getCurrentUser()?.name ?? "the kubeconfig's user";
    throw new EnvironmentError(
      `${user} may not read any of the objects slipway check looks at in context ${context}${namespaces ? ` (namespaces ${namespaces.join(", ")})` : ""}`,
      {
        hint: "grant it get/list on them, e.g. a binding to the built-in view ClusterRole plus get/list on roles, rolebindings, clusterroles and clusterrolebindings (kubectl auth can-i --list shows what it may do)",
      },
    );
  }

  const files: SourceFile[] = [];
  const contextOnly = new Set<string>();
  let owned = 0;
  let builtIn = 0;
  let outside = 0;
  const systemNamespaces: string[] = [];
  for (const { objects, kind } of fetched)
    for (const object of objects) {
      if (controlledByTemplateOwner(object)) {
        owned++;
        continue;
      }
      // Not even modelled: as a Namespace it would be "not covered by a NetworkPolicy" in every
      // cluster, pods or not; left out, the rule judges it by the workloads in it (K8S-043).
      if (kind === "Namespace" && SYSTEM_NAMESPACES.has(object.metadata?.name ?? "")) {
        systemNamespaces.push(object.metadata?.name ?? "");
        continue;
      }
      const path = livePath(context, kind, object.metadata?.namespace, object.metadata?.name ?? "(unnamed)");
      files.push({ path, absolutePath: path, text: stringify(manifestOf(object), YAML_OPTIONS) });
      if (isBuiltIn(object)) {
        builtIn++;
        contextOnly.add(path);
      } else if (namespaces && kind !== "Namespace" && object.metadata?.namespace === undefined) {
        outside++;
        contextOnly.add(path);
      }
    }
  files.sort((a, b) => a.path.localeCompare(b.path));

  const scope = namespaces
    ? `namespace${namespaces.length > 1 ? "s" : ""} ${namespaces.join(", ")}`
    : "all namespaces";
  const notes = [
    `${context} (${cluster.server}): checked ${files.length - contextOnly.size} live object(s) in ${scope}`,
  ];
  if (owned > 0)
    notes.push(
      `not checked again: ${owned} object(s) created by a Deployment, ReplicaSet, StatefulSet, DaemonSet, Job or CronJob, whose template was checked`,
    );
  if (builtIn > 0)
    notes.push(
      `not reported on: ${builtIn} object(s) Kubernetes creates itself (default RBAC, default ServiceAccounts, the kubernetes Service), read only to relate other objects to them`,
    );
  if (systemNamespaces.length > 0)
    notes.push(
      `not checked as Namespace objects: ${systemNamespaces.sort().join(", ")} (the API server's own; the objects in them are checked)`,
    );
  if (outside > 0)
    notes.push(
      `not reported on: ${outside} cluster-scoped role(s) and binding(s) outside --namespace, read only to relate bindings and workloads to them`,
    );
  const forbidden = summarize(fetched.filter((f) => f.outcome === "forbidden"));
  if (forbidden)
    notes.push(
      `not checked, the user may not list them (403): ${forbidden}; findings about them, and rules relating other objects to them, are missing`,
    );
  const missing = summarize(fetched.filter((f) => f.outcome === "not-served"));
  if (missing) notes.push(`not served by this cluster, not checked: ${missing}`);
  return { context, files, contextOnly, notes };
}

/** `Role, RoleBinding (in namespaces a, b)`: kinds, with the namespaces when not all of them. */
function summarize(list: readonly Fetched[]): string {
  const byKind = new Map<string, { apiVersion: string; namespaces: string[]; all: boolean }>();
  for (const f of list) {
    const entry = byKind.get(f.kind) ?? { apiVersion: f.apiVersion, namespaces: [], all: false };
    if (f.namespace === undefined || f.kind === "Namespace") entry.all = true;
    else entry.namespaces.push(f.namespace);
    byKind.set(f.kind, entry);
  }
  return [...byKind]
    .map(([kind, { apiVersion, namespaces, all }]) => {
      const version = apiVersion === "v1" ? "" : ` (${apiVersion})`;
      return all || namespaces.length === 0
        ? `${kind}${version}`
        : `${kind}${version} in ${namespaces.join(", ")}`;
    })
    .join(", ");
}

/** `lineWidth: 0`: long values (annotations, commands) stay on one line, as a finding quotes them. */
const YAML_OPTIONS = { lineWidth: 0, aliasDuplicateObjects: false } as const;

export function livePath(context: string, kind: string, namespace: string | undefined, name: string): string {
  return `${CLUSTER_SCHEME}${[context, namespace, kind, `${name}.yaml`].filter((part) => part !== undefined).join("/")}`;
}

function controlledByTemplateOwner(object: KubernetesObject): boolean {
  return (object.metadata?.ownerReferences ?? []).some(
    (owner) => owner.controller === true && TEMPLATE_CONTROLLERS.has(owner.kind),
  );
}

/** The namespaces the API server creates and keeps. */
const SYSTEM_NAMESPACES = new Set(["default", "kube-system", "kube-public", "kube-node-lease"]);

/**
 * Objects Kubernetes creates and reconciles itself (the API server's default RBAC and its
 * `kubernetes` Service, the ServiceAccount controller's `default` account in each namespace):
 * reporting them would fill every report with findings nobody can act on (cluster-admin grants
 * `*` by design; `default` in the default namespace is "placed in the default namespace").
 */
function isBuiltIn(object: KubernetesObject): boolean {
  const labels = object.metadata?.labels ?? {};
  if (labels["kubernetes.io/bootstrapping"] === "rbac-defaults") return true;
  if (object.kind === "ServiceAccount" && object.metadata?.name === "default") return true;
  return (
    object.kind === "Service" &&
    object.metadata?.namespace === "default" &&
    object.metadata.name === "kubernetes" &&
    labels["provider"] === "kubernetes" &&
    labels["component"] === "apiserver"
  );
}

/**
 * The object as its owner would have written it, in the order a manifest is: what the API server
 * records about it rather than asks of it is dropped. Defaults it filled in stay: they are what
 * runs (a Pod's serviceAccountName: default is real).
 */
function manifestOf(object: KubernetesObject): Record<string, unknown> {
  const { apiVersion, kind, metadata, ...rest } = object as KubernetesObject & Record<string, unknown>;
  delete rest["status"];
  const {
    name,
    namespace,
    labels,
    annotations,
    ownerReferences,
    managedFields: _managedFields,
    resourceVersion: _resourceVersion,
    uid: _uid,
    creationTimestamp: _creationTimestamp,
    generation: _generation,
    selfLink: _selfLink,
    deletionTimestamp: _deletionTimestamp,
    deletionGracePeriodSeconds: _deletionGracePeriodSeconds,
    ...otherMetadata
  } = metadata ?? {};
  const kept = Object.fromEntries(Object.entries(annotations ?? {}).filter(([key]) => key !== LAST_APPLIED));
  const meta: Record<string, unknown> = { name, namespace, labels };
  if (Object.keys(kept).length > 0) meta["annotations"] = kept;
  Object.assign(meta, otherMetadata);
  // Who controls the object (a custom resource, a Node for static pods) helps the reader; the uid does not.
  if (ownerReferences?.length)
    meta["ownerReferences"] = ownerReferences.map(
      ({ uid: _ownerUid, blockOwnerDeletion: _block, ...owner }) => owner,
    );
  for (const key of Object.keys(meta)) if (meta[key] === undefined) delete meta[key];
  return { apiVersion, kind, metadata: meta, ...rest };
}

/**
 * The Kubernetes framework over live objects. `contextOnly` files are modelled (a binding's
 * finding may name the role it grants) but their own findings are dropped and they do not count
 * as scanned.
 */
export function liveKubernetesScanner(contextOnly: ReadonlySet<string> = new Set()): FrameworkScanner {
  return {
    framework: "kubernetes",
    rules: KUBERNETES_RULES,
    claims: (file) => file.path.startsWith(CLUSTER_SCHEME),
    scan: (files, context) => Promise.resolve(scanLive(files, context, contextOnly)),
  };
}

function scanLive(
  files: readonly SourceFile[],
  context: ScanContext,
  contextOnly: ReadonlySet<string>,
): FrameworkResult {
  const result: FrameworkResult = { findings: [], suppressions: [], diagnostics: [], notes: [], files: [] };
  const objects: K8sObject[] = [];
  for (const file of files) {
    const tree = parseYamlFile(file.path, file.text);
    objects.push(...objectsOf(tree));
    result.diagnostics.push(...tree.diagnostics);
  }
  const model = buildModel(objects);
  for (const object of objects) {
    const annotation = annotationSuppressions(object);
    result.suppressions.push(...annotation.suppressions);
    result.diagnostics.push(...annotation.diagnostics);
  }
  const custom = runCustomRules("kubernetes", () => genericResources(model), context);
  const reported = (file: string) => !contextOnly.has(file);
  result.findings = [...runRules(model, KUBERNETES_RULES, context), ...custom.findings].filter((finding) =>
    reported(finding.span.file),
  );
  result.diagnostics = [...result.diagnostics.filter((d) => reported(d.span.file)), ...custom.diagnostics];
  result.files = files.map((file) => file.path).filter(reported);
  return result;
}

export type ClusterScanOptions = LiveOptions &
  Omit<ScanOptions, "paths" | "exclude" | "files" | "frameworks" | "scanners" | "varFiles">;

/**
 * The library entry point of `slipway check --kubeconfig`: reads the cluster's objects, then scans
 * them as scan() scans files (rules, `--rule`/`--skip-rule`, custom rules, `slipway.dev/ignore`
 * annotations, the baseline), with notes on what was not read first.
 */
export async function scanCluster(options: ClusterScanOptions): Promise<ScanResult> {
  const { kubeconfig, context, namespaces, ...scanOptions } = options;
  const live = await readLiveObjects({ kubeconfig, context, namespaces });
  const result = await scan({
    ...scanOptions,
    files: live.files,
    scanners: [liveKubernetesScanner(live.contextOnly)],
  });
  result.notes.unshift(...live.notes);
  return result;
}
