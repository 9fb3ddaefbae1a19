import type { V1PolicyRule } from "@kubernetes/client-node";

/**
 * The role presets a member of a tenant gets in its namespace, each a superset of the one before.
 *
 * - viewer: reads the workloads, their logs and events, and the namespace's quota and limits;
 *   never secrets (a viewer is often someone outside the team: support, an auditor).
 * - developer: viewer, plus creating, changing and deleting what a deploy touches (Deployments,
 *   Services, ConfigMaps, Pods, Jobs, CronJobs, HorizontalPodAutoscalers) and exec, attach and
 *   port-forward into pods. No `get`/`list` on secrets: that keeps secret values out of `kubectl
 *   get -o yaml`, dumps and listings, but it is not a wall: whoever may create a pod may mount any
 *   secret of the namespace into it. Keep people who must never see a secret's value out of the
 *   developer role of that namespace.
 * - operator: developer, plus secrets, StatefulSets, DaemonSets, claims, Ingresses,
 *   PodDisruptionBudgets, service accounts and evictions, and reading Roles and RoleBindings.
 *
 * Nobody gets write access to what the tenants file declares (RoleBindings, ResourceQuota,
 * LimitRange, NetworkPolicies, the Namespace): membership, quota and isolation change through the
 * file, and a NetworkPolicy a tenant added would only widen what reaches its pods (policies are
 * additive allows).
 */
export const ROLE_PRESETS = ["viewer", "developer", "operator"] as const;
export type RolePreset = (typeof ROLE_PRESETS)[number];

const READ = ["get", "list", "watch"];
const WRITE = ["create", "update", "patch", "delete", "deletecollection"];
// kubectl exec and port-forward over WebSockets start with a GET; Kubernetes 1.35+ also asks for create.
const STREAM = ["get", "create"];

const rule = (apiGroup: string, resources: string[], verbs: string[]): V1PolicyRule => ({
  apiGroups: [apiGroup],
  resources,
  verbs,
});

const VIEWER: V1PolicyRule[] = [
  rule(
    "",
    [
      "pods",
      "pods/log",
      "services",
      "endpoints",
      "configmaps",
      "persistentvolumeclaims",
      "events",
      "replicationcontrollers",
      "serviceaccounts",
      "resourcequotas",
      "limitranges",
    ],
    READ,
  ),
  // A RoleBinding lets `kubectl get namespace <its own namespace>` through, nothing more.
  rule("", ["namespaces"], ["get"]),
  rule(
    "apps",
    [
      "deployments",
      "deployments/scale",
      "replicasets",
      "replicasets/scale",
      "statefulsets",
      "statefulsets/scale",
      "daemonsets",
      "controllerrevisions",
    ],
    READ,
  ),
  rule("batch", ["jobs", "cronjobs"], READ),
  rule("autoscaling", ["horizontalpodautoscalers"], READ),
  rule("networking.k8s.io", ["ingresses", "networkpolicies"], READ),
  rule("policy", ["poddisruptionbudgets"], READ),
  rule("discovery.k8s.io", ["endpointslices"], READ),
  rule("events.k8s.io", ["events"], READ),
];

const DEVELOPER: V1PolicyRule[] = [
  ...VIEWER,
  rule("", ["pods", "services", "configmaps"], WRITE),
  rule("", ["pods/exec", "pods/attach", "pods/portforward"], STREAM),
  rule("apps", ["deployments", "deployments/scale", "replicasets"], WRITE),
  rule("batch", ["jobs", "cronjobs"], WRITE),
  rule("autoscaling", ["horizontalpodautoscalers"], WRITE),
];

const OPERATOR: V1PolicyRule[] = [
  ...DEVELOPER,
  rule("", ["secrets"], [...READ, ...WRITE]),
  rule("", ["persistentvolumeclaims", "serviceaccounts"], WRITE),
  rule("", ["serviceaccounts/token", "pods/eviction"], ["create"]),
  rule("apps", ["statefulsets", "statefulsets/scale", "daemonsets", "replicasets/scale"], WRITE),
  rule("networking.k8s.io", ["ingresses"], WRITE),
  rule("policy", ["poddisruptionbudgets"], WRITE),
  rule("rbac.authorization.k8s.io", ["roles", "rolebindings"], READ),
];

export const PRESET_RULES: Readonly<Record<RolePreset, readonly V1PolicyRule[]>> = {
  viewer: VIEWER,
  developer: DEVELOPER,
  operator: OPERATOR,
};

export function isRolePreset(name: string): name is RolePreset {
  return (ROLE_PRESETS as readonly string[]).includes(name);
}
