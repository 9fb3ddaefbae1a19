import type { RolePreset } from "./presets.js";

/** A tenants file, checked and with its defaults filled in: what the objects are generated from. */
export interface TenantsConfig {
  file: string;
  tenants: Tenant[];
}

export interface Tenant {
  name: string;
  /** Default: the tenant's name. */
  namespace: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Default "baseline": without it, anyone who may create a pod may create a privileged one and own the node. */
  podSecurity: "privileged" | "baseline" | "restricted";
  members: Member[];
  /** ResourceQuota `spec.hard`, in Kubernetes' names (`requests.cpu`, `pods`). */
  quota?: Record<string, string>;
  limits?: ContainerLimits;
  network: NetworkIsolation;
  scaling?: ScalingDefaults;
}

export interface Member {
  kind: "User" | "Group" | "ServiceAccount";
  /** For a ServiceAccount, its name; its namespace is `namespace`. */
  name: string;
  namespace?: string;
  role: RolePreset;
}

export type Resources = Partial<Record<"cpu" | "memory", string>>;

export interface ContainerLimits {
  default?: Resources;
  defaultRequest?: Resources;
  max?: Resources;
  min?: Resources;
}

export interface NetworkIsolation {
  /** Pods of the tenant may reach each other (default true). */
  sameNamespace: boolean;
  ingress: NetworkRule[];
  /** Present: egress is denied too, except DNS to kube-system and these rules. */
  egress?: NetworkRule[];
}

/** One allowed peer: a namespace, pods, a CIDR, or (none of them) anywhere. */
export interface NetworkRule {
  /** The NetworkPolicy's name without its `slipway-ingress-` / `slipway-egress-` prefix. */
  name: string;
  namespace?: string;
  pods?: Record<string, string>;
  cidr?: string;
  /** Which of the tenant's pods the rule is for; undefined: all. */
  podSelector?: Record<string, string>;
  ports: { port: number; protocol: "TCP" | "UDP" | "SCTP" }[];
}

export interface ScalingDefaults {
  minReplicas: number;
  maxReplicas: number;
  targetCPUUtilization: number;
}
