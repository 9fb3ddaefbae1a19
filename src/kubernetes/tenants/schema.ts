import { z } from "zod";

/**
 * The tenants file: one entry per tenant, each a namespace with its members, quota, container
 * defaults, network isolation and scaling defaults. Keys follow the Kubernetes fields they become
 * (`defaultRequest`, `minReplicas`), so the generated objects read like the file.
 */

/** Kubernetes' resource.Quantity grammar: a decimal with an optional binary or decimal suffix. */
export const QUANTITY = /^[+]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+|[KMGTPE]i|[numkMGTPE])?$/;

// YAML reads `cpu: 4` as a number; the quantity is its text, as kubectl would send it.
const quantity = z
  .union([z.string(), z.number().nonnegative()])
  .transform(String)
  .pipe(z.string().regex(QUANTITY, "a Kubernetes quantity such as 500m, 2, 512Mi or 8Gi"));

const count = z.number().int().min(0);

// Label values are strings; YAML may give `tier: 2`, which means "2".
const labels = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String));

/** RFC 1123 label: what a namespace name must be. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

const namespaceName = z.string().regex(DNS_LABEL, "a namespace name: lowercase letters, digits and '-'");

const member = z
  .strictObject({
    user: z.string().min(1).optional(),
    group: z.string().min(1).optional(),
    serviceAccount: z
      .string()
      .regex(/^[a-z0-9][-a-z0-9.]*\/[a-z0-9][-a-z0-9.]*$/, "namespace/name, e.g. ci/deployer")
      .optional()
      .meta({ description: "A service account as namespace/name." }),
    role: z.string().meta({ description: "A role preset: viewer, developer or operator." }),
  })
  .meta({ description: "One of user, group or serviceAccount, and the role it gets in the namespace." });

const resources = z.strictObject({ cpu: quantity.optional(), memory: quantity.optional() });

const quota = z
  .strictObject({
    cpu: quantity.optional().meta({ description: "Sum of the CPU requests (requests.cpu)." }),
    memory: quantity.optional().meta({ description: "Sum of the memory requests (requests.memory)." }),
    limits: resources
      .optional()
      .meta({ description: "Sums of the CPU and memory limits (limits.cpu, limits.memory)." }),
    pods: count.optional(),
    services: count.optional(),
    configMaps: count.optional(),
    secrets: count.optional(),
    persistentVolumeClaims: count.optional(),
    storage: quantity.optional().meta({ description: "Sum of the storage requested by claims." }),
  })
  .meta({ description: "The namespace's ResourceQuota." });

const limits = z
  .strictObject({
    default: resources.optional().meta({ description: "A container's limits when it sets none." }),
    defaultRequest: resources.optional().meta({ description: "A container's requests when it sets none." }),
    max: resources.optional(),
    min: resources.optional(),
  })
  .meta({ description: "The namespace's LimitRange for containers." });

const port = z.union([
  z.number().int().min(1).max(65535),
  z.string().regex(/^\d{1,5}(\/(TCP|UDP|SCTP))?$/, "a port number, optionally with /TCP, /UDP or /SCTP"),
]);

const peer = {
  name: z
    .string()
    .regex(DNS_LABEL, "lowercase letters, digits and '-'")
    .optional()
    .meta({ description: "Names the NetworkPolicy (default: from the peer)." }),
  pods: labels.optional().meta({ description: "Which of the tenant's pods the rule is for (default: all)." }),
  ports: z.array(port).optional().meta({ description: "Default: every port." }),
};

const ingressRule = z
  .strictObject({
    ...peer,
    fromNamespace: namespaceName.optional(),
    fromPods: labels
      .optional()
      .meta({ description: "Pods by label (in fromNamespace, else in the tenant's)." }),
    fromCIDR: z.string().optional(),
  })
  .meta({ description: "An exception to the default-deny ingress; with no from*, from anywhere." });

const egressRule = z
  .strictObject({
    ...peer,
    toNamespace: namespaceName.optional(),
    toPods: labels.optional(),
    toCIDR: z.string().optional(),
  })
  .meta({ description: "An exception to the default-deny egress; with no to*, to anywhere." });

const network = z.strictObject({
  sameNamespace: z
    .boolean()
    .optional()
    .meta({ description: "Pods of the tenant reach each other (default true)." }),
  allow: z.array(ingressRule).optional(),
  egress: z
    .strictObject({ allow: z.array(egressRule).optional() })
    .optional()
    .meta({ description: "Present: egress is denied too, except DNS and these rules." }),
});

const scaling = z
  .strictObject({
    minReplicas: z.number().int().min(1).optional().meta({ description: "Default 1." }),
    maxReplicas: z.number().int().min(1),
    targetCPUUtilization: z
      .number()
      .int()
      .min(1)
      .optional()
      .meta({ description: "Percent of the pods' CPU requests (default 80)." }),
  })
  .meta({ description: "HorizontalPodAutoscaler defaults for the tenant's Deployments." });

export const tenantSchema = z.strictObject({
  namespace: namespaceName.optional().meta({ description: "Default: the tenant's name." }),
  labels: labels.optional(),
  annotations: labels.optional(),
  podSecurity: z
    .enum(["privileged", "baseline", "restricted"])
    .optional()
    .meta({ description: "The Pod Security Standard enforced in the namespace (default baseline)." }),
  members: z.array(member).optional(),
  quota: quota.optional(),
  limits: limits.optional(),
  network: network.optional(),
  scaling: scaling.optional(),
});

export const tenantsFileSchema = z.strictObject({
  tenants: z.record(
    z.string().regex(DNS_LABEL, "lowercase letters, digits and '-', at most 63, as a namespace name"),
    tenantSchema,
  ),
});

export type TenantsFileDocument = z.infer<typeof tenantsFileSchema>;
export type TenantDocument = z.infer<typeof tenantSchema>;
export type MemberDocument = z.infer<typeof member>;
export type IngressRuleDocument = z.infer<typeof ingressRule>;
export type EgressRuleDocument = z.infer<typeof egressRule>;
export type ResourcesDocument = z.infer<typeof resources>;

/** Allowed keys by where a mapping sits, for "did you mean" hints; read from the schema so they cannot drift. */
export const TENANT_KEYS = {
  file: Object.keys(tenantsFileSchema.shape),
  tenant: Object.keys(tenantSchema.shape),
  member: Object.keys(member.shape),
  quota: Object.keys(quota.shape),
  quotaLimits: Object.keys(resources.shape),
  limits: Object.keys(limits.shape),
  resources: Object.keys(resources.shape),
  network: Object.keys(network.shape),
  ingress: Object.keys(ingressRule.shape),
  egress: Object.keys(network.shape.egress.unwrap().shape),
  egressRule: Object.keys(egressRule.shape),
  scaling: Object.keys(scaling.shape),
};
