import { createHash } from "node:crypto";
import type {
  KubernetesObject,
  RbacV1Subject,
  V1Namespace,
  V1ResourceQuota,
  V1Role,
  V1RoleBinding,
  V2HorizontalPodAutoscaler,
} from "@kubernetes/client-node";
import type { ContainerLimits, Member, NetworkRule, Tenant, TenantsConfig } from "./model.js";
import { PRESET_RULES, ROLE_PRESETS } from "./presets.js";

/** On the Namespace and on every object generated for a tenant: which tenant it belongs to. */
export const TENANT_LABEL = "slipway.dev/tenant";
/** The well-known label (https://kubernetes.io/docs/concepts/overview/working-with-objects/common-labels/). */
export const MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
export const MANAGED_BY = "slipway";
/** Namespace annotations recording the tenant's scaling defaults, for people and for other tools. */
export const SCALING_ANNOTATIONS = {
  minReplicas: "slipway.dev/scaling-min-replicas",
  maxReplicas: "slipway.dev/scaling-max-replicas",
  targetCPUUtilization: "slipway.dev/scaling-target-cpu-utilization",
} as const;

const RBAC = "rbac.authorization.k8s.io";
/** Set by the API server on every namespace (Kubernetes 1.21+): peers are named without labelling anything. */
const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

/*
 * LimitRange and NetworkPolicy in their JSON field names, as the sync engine sends them (plain
 * JSON): the client's models call two of these fields `_default` and `_from`.
 */
interface Selector {
  matchLabels?: Record<string, string>;
}
interface NetworkPolicyPeer {
  namespaceSelector?: Selector;
  podSelector?: Selector;
  ipBlock?: { cidr: string };
}
interface NetworkPolicyRule {
  from?: NetworkPolicyPeer[];
  to?: NetworkPolicyPeer[];
  ports?: { protocol: string; port: number }[];
}
interface NetworkPolicySpec {
  podSelector: Selector;
  policyTypes: string[];
  ingress?: NetworkPolicyRule[];
  egress?: NetworkPolicyRule[];
}
export interface NetworkPolicy extends KubernetesObject {
  spec: NetworkPolicySpec;
}
export interface LimitRange extends KubernetesObject {
  spec: { limits: ({ type: "Container" } & ContainerLimits)[] };
}

/**
 * Every object the file declares, tenant by tenant, Namespace first. The HorizontalPodAutoscalers
 * of `scaling:` depend on the Deployments in the cluster and come from `scalingObjects`.
 */
export function tenantObjects(config: TenantsConfig): KubernetesObject[] {
  return config.tenants.flatMap(objectsOf);
}

function objectsOf(tenant: Tenant): KubernetesObject[] {
  const ns = tenant.namespace;
  const labels = managedLabels(tenant);
  const meta = (name: string) => ({ name, namespace: ns, labels: { ...labels } });
  const objects: KubernetesObject[] = [namespaceOf(tenant)];

  if (tenant.quota) {
    const quota: V1ResourceQuota = {
      apiVersion: "v1",
      kind: "ResourceQuota",
      metadata: meta("slipway-quota"),
      spec: { hard: tenant.quota },
    };
    objects.push(quota);
  }
  if (tenant.limits && Object.keys(tenant.limits).length > 0) {
    const limitRange: LimitRange = {
      apiVersion: "v1",
      kind: "LimitRange",
      metadata: meta("slipway-limits"),
      spec: { limits: [{ type: "Container", ...tenant.limits }] },
    };
    objects.push(limitRange);
  }

  // Only the presets someone holds: a Role nobody is bound to is one more thing to read in an audit.
  for (const preset of ROLE_PRESETS.filter((p) => tenant.members.some((m) => m.role === p))) {
    const role: V1Role = {
      apiVersion: `${RBAC}/v1`,
      kind: "Role",
      metadata: meta(roleName(preset)),
      rules: [...PRESET_RULES[preset]],
    };
    objects.push(role);
  }
  for (const member of tenant.members) {
    const binding: V1RoleBinding = {
      apiVersion: `${RBAC}/v1`,
      kind: "RoleBinding",
      metadata: meta(bindingName(member)),
      roleRef: { apiGroup: RBAC, kind: "Role", name: roleName(member.role) },
      subjects: [subjectOf(member)],
    };
    objects.push(binding);
  }

  objects.push(...networkPolicies(tenant, meta));
  return objects;
}

function namespaceOf(tenant: Tenant): V1Namespace {
  const annotations: Record<string, string> = { ...tenant.annotations };
  if (tenant.scaling) {
    annotations[SCALING_ANNOTATIONS.minReplicas] = String(tenant.scaling.minReplicas);
    annotations[SCALING_ANNOTATIONS.maxReplicas] = String(tenant.scaling.maxReplicas);
    annotations[SCALING_ANNOTATIONS.targetCPUUtilization] = String(tenant.scaling.targetCPUUtilization);
  }
  return {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: {
      name: tenant.namespace,
      labels: {
        ...tenant.labels,
        ...managedLabels(tenant),
        // https://kubernetes.io/docs/concepts/security/pod-security-admission/: without it a member
        // who may create pods may create a privileged one, and then the node is theirs.
        "pod-security.kubernetes.io/enforce": tenant.podSecurity,
      },
      // An empty map would read as a difference against a live object that has none.
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
    },
  };
}

function managedLabels(tenant: Tenant): Record<string, string> {
  return { [TENANT_LABEL]: tenant.name, [MANAGED_BY_LABEL]: MANAGED_BY };
}

export function roleName(preset: string): string {
  return `slipway-${preset}`;
}

/**
 * `slipway-developer-user-alice`. Subjects may hold characters a name may not (`alice@example.com`,
 * `system:...`) or differ only by case; those get a hash of the exact subject so names stay unique.
 */
export function bindingName(member: Member): string {
  const kind = member.kind === "ServiceAccount" ? "sa" : member.kind.toLowerCase();
  // A namespace has no dots: `ci.deployer` cannot be read two ways, as `ci-deployer` could.
  const subject = member.namespace === undefined ? member.name : `${member.namespace}.${member.name}`;
  const clean = subject
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, "-")
    .replace(/^[-.]+|[-.]+$/g, "")
    .slice(0, 200);
  const exact = clean === subject ? clean : `${clean}-${shortHash(`${member.kind}/${subject}`)}`;
  return `slipway-${member.role}-${kind}-${exact}`;
}

function subjectOf(member: Member): RbacV1Subject {
  return member.kind === "ServiceAccount"
    ? { kind: "ServiceAccount", name: member.name, namespace: member.namespace ?? "" }
    : { kind: member.kind, apiGroup: RBAC, name: member.name };
}

type Meta = (name: string) => { name: string; namespace: string; labels: Record<string, string> };

/**
 * Default deny, then allows: NetworkPolicies only ever add what may pass, so the deny is one policy
 * selecting every pod with no rules, and each exception a policy of its own (its own line in a
 * diff, and pruned on its own when the file drops it).
 */
function networkPolicies(tenant: Tenant, meta: Meta): NetworkPolicy[] {
  const { sameNamespace, ingress, egress } = tenant.network;
  const types = egress ? ["Ingress", "Egress"] : ["Ingress"];
  const all = {};
  const policies: NetworkPolicy[] = [
    policy(meta("slipway-default-deny"), { podSelector: all, policyTypes: types }),
  ];
  if (sameNamespace) {
    policies.push(
      policy(meta("slipway-allow-same-namespace"), {
        podSelector: all,
        policyTypes: types,
        ingress: [{ from: [{ podSelector: all }] }],
        ...(egress ? { egress: [{ to: [{ podSelector: all }] }] } : {}),
      }),
    );
  }
  if (egress) {
    // Any pod of kube-system on 53: the DNS pods' label differs between distributions.
    policies.push(
      policy(meta("slipway-allow-dns"), {
        podSelector: all,
        policyTypes: ["Egress"],
        egress: [
          {
            to: [{ namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: "kube-system" } } }],
            ports: [
              { protocol: "UDP", port: 53 },
              { protocol: "TCP", port: 53 },
            ],
          },
        ],
      }),
    );
  }
  for (const rule of ingress) {
    policies.push(
      policy(meta(`slipway-ingress-${rule.name}`), {
        podSelector: selector(rule.podSelector),
        policyTypes: ["Ingress"],
        ingress: [{ ...peers("from", rule), ...ports(rule) }],
      }),
    );
  }
  for (const rule of egress ?? []) {
    policies.push(
      policy(meta(`slipway-egress-${rule.name}`), {
        podSelector: selector(rule.podSelector),
        policyTypes: ["Egress"],
        egress: [{ ...peers("to", rule), ...ports(rule) }],
      }),
    );
  }
  return policies;
}

function policy(metadata: ReturnType<Meta>, spec: NetworkPolicySpec): NetworkPolicy {
  return { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata, spec };
}

function selector(labels: Record<string, string> | undefined): Selector {
  return labels && Object.keys(labels).length > 0 ? { matchLabels: labels } : {};
}

/** No peer at all: from (or to) anywhere, which is what an absent `from` means to Kubernetes. */
function peers(key: "from" | "to", rule: NetworkRule): Pick<NetworkPolicyRule, "from" | "to"> {
  let peer: NetworkPolicyPeer | undefined;
  if (rule.cidr !== undefined) peer = { ipBlock: { cidr: rule.cidr } };
  else if (rule.namespace !== undefined) {
    peer = {
      namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: rule.namespace } },
      ...(rule.pods ? { podSelector: selector(rule.pods) } : {}),
    };
  } else if (rule.pods !== undefined) peer = { podSelector: selector(rule.pods) };
  return peer ? { [key]: [peer] } : {};
}

function ports(rule: NetworkRule): Pick<NetworkPolicyRule, "ports"> {
  return rule.ports.length > 0
    ? { ports: rule.ports.map((p) => ({ protocol: p.protocol, port: p.port })) }
    : {};
}

/** What `scalingObjects` needs to know of the cluster: the tenant's Deployments and HPAs, as listed. */
export interface LiveWorkloads {
  deployments: KubernetesObject[];
  autoscalers: V2HorizontalPodAutoscaler[];
}

/**
 * A HorizontalPodAutoscaler with the tenant's defaults for each Deployment of its namespace that no
 * autoscaler of someone else's targets. Named after the Deployment, as `kubectl autoscale` does;
 * ours carry the managed labels, so they are told apart from a team's own, which always win.
 */
export function scalingObjects(tenant: Tenant, live: LiveWorkloads): V2HorizontalPodAutoscaler[] {
  const scaling = tenant.scaling;
  if (!scaling) return [];
  const ours = (hpa: V2HorizontalPodAutoscaler) =>
    hpa.metadata?.labels?.[MANAGED_BY_LABEL] === MANAGED_BY &&
    hpa.metadata.labels[TENANT_LABEL] === tenant.name;
  const theirs = live.autoscalers.filter((hpa) => !ours(hpa));
  const taken = new Set(
    theirs
      .filter((hpa) => hpa.spec?.scaleTargetRef.kind === "Deployment")
      .map((hpa) => hpa.spec?.scaleTargetRef.name),
  );
  const names = new Set(theirs.map((hpa) => hpa.metadata?.name));
  return live.deployments
    .filter((d) => d.metadata?.deletionTimestamp === undefined)
    .map((d) => d.metadata?.name ?? "")
    .filter((name) => name !== "" && !taken.has(name) && !names.has(name))
    .sort()
    .map((name) => ({
      apiVersion: "autoscaling/v2",
      kind: "HorizontalPodAutoscaler",
      metadata: { name, namespace: tenant.namespace, labels: managedLabels(tenant) },
      spec: {
        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name },
        minReplicas: scaling.minReplicas,
        maxReplicas: scaling.maxReplicas,
        metrics: [
          {
            type: "Resource",
            resource: {
              name: "cpu",
              target: { type: "Utilization", averageUtilization: scaling.targetCPUUtilization },
            },
          },
        ],
      },
    }));
}

function shortHash(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 8);
}
