import type { KubernetesObject } from "@kubernetes/client-node";

/** The label every object Slipway applies carries: the inventory it belongs to. */
export const INVENTORY_LABEL = "slipway.dev/inventory";
/** `slipway.dev/prune: "disabled"` keeps an object in the cluster when it leaves the manifests. */
export const PRUNE_ANNOTATION = "slipway.dev/prune";

/**
 * Kinds without a namespace, known without asking the cluster, so that manifests can be loaded
 * (and their namespaces defaulted) offline. The sync engine asks API discovery, which also knows
 * custom cluster-scoped kinds, and drops a namespace from those.
 */
export const CLUSTER_SCOPED_KINDS: ReadonlySet<string> = new Set([
  "Namespace",
  "Node",
  "ClusterRole",
  "ClusterRoleBinding",
  "CustomResourceDefinition",
  "PersistentVolume",
  "StorageClass",
  "PriorityClass",
  "IngressClass",
  "RuntimeClass",
  "ValidatingWebhookConfiguration",
  "MutatingWebhookConfiguration",
  "ValidatingAdmissionPolicy",
  "ValidatingAdmissionPolicyBinding",
  "APIService",
  "CSIDriver",
  "VolumeAttachment",
]);

/** The API group of an apiVersion: "" for the core group (`v1`), `apps` for `apps/v1`. */
export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf("/");
  return slash < 0 ? "" : apiVersion.slice(0, slash);
}

/**
 * What makes two manifests the same object: group, kind, namespace and name (not the version,
 * which is only how the object is read: apps/v1 and apps/v1beta2 Deployments are one object).
 */
export function objectKey(object: KubernetesObject): string {
  return [
    groupOf(object.apiVersion ?? ""),
    object.kind ?? "",
    object.metadata?.namespace ?? "",
    object.metadata?.name ?? "",
  ].join("/");
}
