/**
 * The Kubernetes objects of one scan, read together: rules see every document of every file (and
 * of rendered Helm charts and kustomizations) at once, so they can relate a Service to the pods it
 * selects or a RoleBinding to its Role.
 */
import type { SourceSpan } from "../model.js";
import { asMap, at, items, pairOf, str, type LMap, type LNode, type LPair } from "./yaml-tree.js";

export interface K8sObject {
  apiVersion: string;
  kind: string;
  name: string | undefined;
  /** As written; undefined means "the namespace it is applied to". */
  namespace: string | undefined;
  root: LMap;
  /** The whole object: its document, or its item in a `List`. */
  span: SourceSpan;
  /** `Kind/namespace/name`, namespace left out when absent. */
  address: string;
  file: string;
}

export type ContainerRole = "container" | "initContainer" | "ephemeralContainer";

export interface Container {
  name: string;
  role: ContainerRole;
  node: LMap;
  /** The map of the container (the `- name: ...` item). */
  span: SourceSpan;
}

/** An object that runs pods: a Pod, or a controller with a pod template. */
export interface Workload {
  object: K8sObject;
  podSpec: LMap;
  /** The `spec:` key of the pod spec, where pod-level findings point when a key is missing. */
  podSpecKey: SourceSpan;
  /** The pod's metadata (the object's for a Pod, the template's otherwise). */
  podMeta: LMap | undefined;
  labels: ReadonlyMap<string, string>;
  containers: Container[];
  /** Windows pods: Linux-only settings (capabilities, seccomp, read-only root, ...) do not apply. */
  windows: boolean;
}

export interface K8sModel {
  objects: readonly K8sObject[];
  workloads: readonly Workload[];
  /** Objects by kind, so cross-object rules do not rescan every object per lookup. */
  byKind: ReadonlyMap<string, readonly K8sObject[]>;
}

export function buildModel(objects: readonly K8sObject[]): K8sModel {
  const byKind = new Map<string, K8sObject[]>();
  const workloads: Workload[] = [];
  for (const object of objects) {
    const list = byKind.get(object.kind);
    if (list) list.push(object);
    else byKind.set(object.kind, [object]);
    const workload = workloadOf(object);
    if (workload) workloads.push(workload);
  }
  return { objects, workloads, byKind };
}

export const CLUSTER_SCOPED_KINDS = new Set([
  "Namespace",
  "Node",
  "PersistentVolume",
  "ClusterRole",
  "ClusterRoleBinding",
  "CustomResourceDefinition",
  "StorageClass",
  "PriorityClass",
  "IngressClass",
  "RuntimeClass",
  "MutatingWebhookConfiguration",
  "ValidatingWebhookConfiguration",
  "ValidatingAdmissionPolicy",
  "ValidatingAdmissionPolicyBinding",
  "APIService",
  "CSIDriver",
  "CSINode",
  "VolumeAttachment",
  "CertificateSigningRequest",
  "PodSecurityPolicy",
  "ClusterIssuer",
]);

/** Where each workload kind keeps its pod template, from the object root. */
const POD_TEMPLATE: Readonly<Record<string, readonly string[]>> = {
  Deployment: ["spec", "template"],
  StatefulSet: ["spec", "template"],
  DaemonSet: ["spec", "template"],
  ReplicaSet: ["spec", "template"],
  ReplicationController: ["spec", "template"],
  Job: ["spec", "template"],
  CronJob: ["spec", "jobTemplate", "spec", "template"],
};

/** Kinds whose pods run until stopped, where probes matter. */
export const LONG_RUNNING_KINDS = new Set([
  "Pod",
  "Deployment",
  "StatefulSet",
  "DaemonSet",
  "ReplicaSet",
  "ReplicationController",
]);

export function addressOf(kind: string, namespace: string | undefined, name: string | undefined): string {
  return [kind, namespace, name ?? "(unnamed)"].filter((part) => part !== undefined && part !== "").join("/");
}

/** The namespace objects without one share: the one `kubectl apply` targets. */
export function namespaceOf(object: K8sObject): string {
  return object.kind === "Namespace" ? (object.name ?? "") : (object.namespace ?? "");
}

export function describeNamespace(namespace: string): string {
  return namespace === "" ? "the namespace these objects are applied to" : `namespace ${namespace}`;
}

/** Builds the workload view of an object, when it runs pods. */
export function workloadOf(object: K8sObject): Workload | undefined {
  let podSpecPair: LPair | undefined;
  let podMeta: LMap | undefined;
  if (object.kind === "Pod") {
    podSpecPair = pairOf(object.root, "spec");
    podMeta = asMap(at(object.root, "metadata"));
  } else {
    const path = POD_TEMPLATE[object.kind];
    if (!path) return undefined;
    const template = at(object.root, ...path);
    podSpecPair = pairOf(template, "spec");
    podMeta = asMap(at(template, "metadata"));
  }
  const podSpec = asMap(podSpecPair?.value);
  if (!podSpecPair || !podSpec) return undefined;
  const containers: Container[] = [];
  const roles: [string, ContainerRole][] = [
    ["initContainers", "initContainer"],
    ["containers", "container"],
    ["ephemeralContainers", "ephemeralContainer"],
  ];
  for (const [key, role] of roles)
    for (const item of items(at(podSpec, key))) {
      if (item.kind !== "map") continue;
      containers.push({ name: str(at(item, "name")) ?? "(unnamed)", role, node: item, span: item.span });
    }
  const os = str(at(podSpec, "os", "name")) ?? str(at(podSpec, "nodeSelector", "kubernetes.io/os"));
  return {
    object,
    podSpec,
    podSpecKey: podSpecPair.keySpan,
    podMeta,
    labels: stringMap(at(podMeta, "labels")),
    containers,
    windows: os === "windows",
  };
}

/** A mapping of strings (labels, annotations, a Service selector). */
export function stringMap(node: LNode | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (node?.kind !== "map") return out;
  for (const pair of node.pairs)
    if (pair.value.kind === "scalar" && pair.value.value !== null)
      out.set(pair.key, String(pair.value.value));
  return out;
}

export type LabelMatcher = (labels: ReadonlyMap<string, string>) => boolean;

/**
 * A `LabelSelector` (matchLabels and matchExpressions) as a function of a pod's labels, read once
 * and applied to many pods. An empty selector selects everything, as it does for NetworkPolicy
 * and PodDisruptionBudget.
 */
export function labelSelector(selector: LNode | undefined): LabelMatcher {
  if (selector === undefined || selector.kind !== "map") return () => true;
  const required = stringMap(at(selector, "matchLabels"));
  const expressions = items(at(selector, "matchExpressions")).flatMap((expression) => {
    const key = str(at(expression, "key"));
    if (key === undefined) return [];
    const operator = str(at(expression, "operator"));
    const values = new Set(
      items(at(expression, "values")).map((v) => (v.kind === "scalar" ? String(v.value) : "")),
    );
    return [{ key, operator, values }];
  });
  return (labels) => {
    for (const [key, value] of required) if (labels.get(key) !== value) return false;
    for (const { key, operator, values } of expressions) {
      const label = labels.get(key);
      if (operator === "In" && (label === undefined || !values.has(label))) return false;
      if (operator === "NotIn" && label !== undefined && values.has(label)) return false;
      if (operator === "Exists" && label === undefined) return false;
      if (operator === "DoesNotExist" && label !== undefined) return false;
    }
    return true;
  };
}

/** Whether a Service-style selector (a plain map, all entries required) selects `labels`. */
export function mapSelectorMatches(
  selector: ReadonlyMap<string, string>,
  labels: ReadonlyMap<string, string>,
): boolean {
  for (const [key, value] of selector) if (labels.get(key) !== value) return false;
  return true;
}

export function objectsOfKind(model: K8sModel, ...kinds: string[]): readonly K8sObject[] {
  if (kinds.length === 1) return model.byKind.get(kinds[0] ?? "") ?? [];
  return kinds.flatMap((kind) => model.byKind.get(kind) ?? []);
}
