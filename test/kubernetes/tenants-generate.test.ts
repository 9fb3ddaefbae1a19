import path from "node:path";
import type { KubernetesObject, V2HorizontalPodAutoscaler } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import {
  bindingName,
  PRESET_RULES,
  parseTenants,
  readTenantsFile,
  scalingObjects,
  tenantObjects,
} from "../../src/kubernetes/tenants/index.js";

const FIXTURES = path.join(import.meta.dirname, "..", "fixtures", "kubernetes", "tenants");

const id = (o: KubernetesObject) => `${o.kind} ${o.metadata?.namespace ?? ""}/${o.metadata?.name ?? ""}`;

/** What goes over the wire: the sync engine sends the objects' JSON as it is (src/kubernetes/rest.ts). */
function wire(object: KubernetesObject): Record<string, unknown> {
  return JSON.parse(JSON.stringify(object)) as Record<string, unknown>;
}

describe("tenant objects", async () => {
  const config = await readTenantsFile(path.join(FIXTURES, "two-tenants.yaml"));
  const objects = tenantObjects(config);
  const find = (kind: string, ns: string, name: string) =>
    objects.find((o) => o.kind === kind && o.metadata?.name === name && (o.metadata.namespace ?? "") === ns);

  it("are a namespace per tenant and what lives in it, each namespace first", () => {
    expect(objects.map(id)).toEqual([
      "Namespace /payments",
      "ResourceQuota payments/slipway-quota",
      "LimitRange payments/slipway-limits",
      "Role payments/slipway-viewer",
      "Role payments/slipway-developer",
      "Role payments/slipway-operator",
      "RoleBinding payments/slipway-developer-user-alice",
      "RoleBinding payments/slipway-operator-group-payments-oncall",
      "RoleBinding payments/slipway-viewer-user-bob",
      "NetworkPolicy payments/slipway-default-deny",
      "NetworkPolicy payments/slipway-allow-same-namespace",
      "NetworkPolicy payments/slipway-ingress-from-ingress-nginx",
      "Namespace /search",
      "ResourceQuota search/slipway-quota",
      "LimitRange search/slipway-limits",
      "Role search/slipway-developer",
      "RoleBinding search/slipway-developer-user-dave",
      "NetworkPolicy search/slipway-default-deny",
      "NetworkPolicy search/slipway-allow-dns",
      "NetworkPolicy search/slipway-egress-database",
    ]);
    for (const o of objects) {
      expect(o.metadata?.labels).toMatchObject({
        "slipway.dev/tenant": o.metadata?.namespace ?? o.metadata?.name,
        "app.kubernetes.io/managed-by": "slipway",
      });
    }
  });

  it("label the namespace with the tenant, its pod security level, and record the scaling defaults", () => {
    expect(wire(find("Namespace", "", "payments") ?? {})).toEqual({
      apiVersion: "v1",
      kind: "Namespace",
      metadata: {
        name: "payments",
        labels: {
          "cost-center": "cc-42",
          "slipway.dev/tenant": "payments",
          "app.kubernetes.io/managed-by": "slipway",
          "pod-security.kubernetes.io/enforce": "baseline",
        },
        annotations: {
          "slipway.dev/scaling-min-replicas": "2",
          "slipway.dev/scaling-max-replicas": "10",
          "slipway.dev/scaling-target-cpu-utilization": "70",
        },
      },
    });
    // No empty annotations map on a tenant without scaling: it would read as a difference.
    expect(find("Namespace", "", "search")?.metadata).not.toHaveProperty("annotations");
  });

  it("map the quota and the container defaults to ResourceQuota and LimitRange as sent", () => {
    expect(wire(find("ResourceQuota", "payments", "slipway-quota") ?? {})).toMatchObject({
      spec: { hard: { "requests.cpu": "4", "requests.memory": "8Gi", pods: "20" } },
    });
    expect(wire(find("LimitRange", "payments", "slipway-limits") ?? {})).toMatchObject({
      spec: {
        limits: [
          {
            type: "Container",
            default: { cpu: "500m", memory: "512Mi" },
            defaultRequest: { cpu: "100m", memory: "128Mi" },
          },
        ],
      },
    });
  });

  it("bind each member to its preset Role, users and groups as RBAC subjects", () => {
    expect(find("RoleBinding", "payments", "slipway-operator-group-payments-oncall")).toMatchObject({
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "slipway-operator" },
      subjects: [{ kind: "Group", apiGroup: "rbac.authorization.k8s.io", name: "payments-oncall" }],
    });
    const sa = parseTenants(
      "t.yaml",
      "tenants:\n  w:\n    members: [{ serviceAccount: ci/deployer, role: viewer }]\n",
    );
    expect(tenantObjects(sa).find((o) => o.kind === "RoleBinding")).toMatchObject({
      metadata: { name: "slipway-viewer-sa-ci.deployer" },
      subjects: [{ kind: "ServiceAccount", namespace: "ci", name: "deployer" }],
    });
  });

  it("name bindings of subjects that are not names uniquely", () => {
    const user = (name: string) => bindingName({ kind: "User", name, role: "viewer" });
    expect(user("alice")).toBe("slipway-viewer-user-alice");
    expect(user("alice@example.com")).toMatch(/^slipway-viewer-user-alice-example.com-[0-9a-f]{8}$/);
    expect(user("Alice")).not.toBe(user("alice"));
    expect(user("system:serviceaccount:x:y")).toMatch(
      /^slipway-viewer-user-system-serviceaccount-x-y-[0-9a-f]{8}$/,
    );
  });

  it("give presets that build on each other, with secrets for operators only", () => {
    const can = (preset: keyof typeof PRESET_RULES, verb: string, group: string, resource: string) =>
      PRESET_RULES[preset].some(
        (r) => r.apiGroups?.includes(group) && r.resources?.includes(resource) && r.verbs.includes(verb),
      );
    expect(can("viewer", "list", "apps", "deployments")).toBe(true);
    expect(can("viewer", "create", "apps", "deployments")).toBe(false);
    expect(can("viewer", "get", "", "secrets")).toBe(false);
    expect(can("developer", "create", "apps", "deployments")).toBe(true);
    expect(can("developer", "patch", "autoscaling", "horizontalpodautoscalers")).toBe(true);
    expect(can("developer", "get", "", "secrets")).toBe(false);
    expect(can("operator", "get", "", "secrets")).toBe(true);
    // What the file declares is changed through the file.
    for (const preset of ["viewer", "developer", "operator"] as const) {
      expect(can(preset, "create", "rbac.authorization.k8s.io", "rolebindings")).toBe(false);
      expect(can(preset, "patch", "", "resourcequotas")).toBe(false);
      expect(can(preset, "create", "networking.k8s.io", "networkpolicies")).toBe(false);
    }
    for (const rule of PRESET_RULES.viewer) expect(PRESET_RULES.developer).toContainEqual(rule);
    for (const rule of PRESET_RULES.developer) expect(PRESET_RULES.operator).toContainEqual(rule);
  });

  it("deny ingress by default, then allow the tenant's own pods and each exception", () => {
    expect(wire(find("NetworkPolicy", "payments", "slipway-default-deny") ?? {})).toMatchObject({
      spec: { podSelector: {}, policyTypes: ["Ingress"] },
    });
    expect(find("NetworkPolicy", "payments", "slipway-default-deny")).not.toHaveProperty("spec.ingress");
    expect(wire(find("NetworkPolicy", "payments", "slipway-allow-same-namespace") ?? {})).toMatchObject({
      spec: { podSelector: {}, policyTypes: ["Ingress"], ingress: [{ from: [{ podSelector: {} }] }] },
    });
    expect(wire(find("NetworkPolicy", "payments", "slipway-ingress-from-ingress-nginx") ?? {})).toMatchObject(
      {
        spec: {
          podSelector: {},
          policyTypes: ["Ingress"],
          ingress: [
            {
              from: [
                { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } } },
              ],
              ports: [{ protocol: "TCP", port: 8080 }],
            },
          ],
        },
      },
    );
  });

  it("deny egress when egress is declared, keeping DNS to kube-system open", () => {
    expect(find("NetworkPolicy", "search", "slipway-default-deny")).toMatchObject({
      spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
    });
    expect(wire(find("NetworkPolicy", "search", "slipway-allow-dns") ?? {})).toMatchObject({
      spec: {
        policyTypes: ["Egress"],
        egress: [
          {
            to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } } }],
            ports: [
              { protocol: "UDP", port: 53 },
              { protocol: "TCP", port: 53 },
            ],
          },
        ],
      },
    });
    expect(wire(find("NetworkPolicy", "search", "slipway-egress-database") ?? {})).toMatchObject({
      spec: { egress: [{ to: [{ ipBlock: { cidr: "10.0.0.0/8" } }], ports: [{ port: 5432 }] }] },
    });
  });

  it("select pods on both sides, and no peer for a rule from anywhere", () => {
    const config = parseTenants(
      "t.yaml",
      [
        "tenants:",
        "  w:",
        "    network:",
        "      allow:",
        "        - { fromNamespace: monitoring, fromPods: { app: prometheus }, pods: { app: api }, ports: [9090] }",
        "        - { name: public, ports: [443] }",
      ].join("\n"),
    );
    const policies = tenantObjects(config)
      .filter((o) => o.kind === "NetworkPolicy")
      .map(wire);
    expect(policies.map((p) => (p["metadata"] as { name: string }).name)).toEqual([
      "slipway-default-deny",
      "slipway-allow-same-namespace",
      "slipway-ingress-from-monitoring",
      "slipway-ingress-public",
    ]);
    expect(policies[2]?.["spec"]).toEqual({
      podSelector: { matchLabels: { app: "api" } },
      policyTypes: ["Ingress"],
      ingress: [
        {
          from: [
            {
              namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } },
              podSelector: { matchLabels: { app: "prometheus" } },
            },
          ],
          ports: [{ protocol: "TCP", port: 9090 }],
        },
      ],
    });
    expect(policies[3]?.["spec"]).toEqual({
      podSelector: {},
      policyTypes: ["Ingress"],
      ingress: [{ ports: [{ protocol: "TCP", port: 443 }] }],
    });
  });
});

describe("scaling defaults", () => {
  const config = parseTenants("t.yaml", "tenants:\n  web:\n    scaling: { maxReplicas: 5 }\n  api: {}\n");
  const [web, api] = config.tenants;
  const deployment = (name: string): KubernetesObject => ({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace: "web" },
  });
  const hpa = (
    name: string,
    target: string,
    labels: Record<string, string> = {},
  ): V2HorizontalPodAutoscaler => ({
    metadata: { name, namespace: "web", labels },
    spec: { scaleTargetRef: { kind: "Deployment", name: target }, maxReplicas: 3 },
  });

  it("give each Deployment without an autoscaler of its own one with the tenant's defaults", () => {
    const objects = scalingObjects(web!, {
      deployments: [deployment("shop"), deployment("cart"), deployment("search"), deployment("queue")],
      autoscalers: [
        hpa("search-hpa", "search"), // the team's own: left alone
        hpa("queue", "worker"), // the name is taken by someone else's
        hpa("cart", "cart", { "app.kubernetes.io/managed-by": "slipway", "slipway.dev/tenant": "web" }), // ours
      ],
    });
    expect(objects.map((o) => o.metadata?.name)).toEqual(["cart", "shop"]);
    expect(objects[1]).toEqual({
      apiVersion: "autoscaling/v2",
      kind: "HorizontalPodAutoscaler",
      metadata: {
        name: "shop",
        namespace: "web",
        labels: { "slipway.dev/tenant": "web", "app.kubernetes.io/managed-by": "slipway" },
      },
      spec: {
        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "shop" },
        minReplicas: 1,
        maxReplicas: 5,
        metrics: [
          {
            type: "Resource",
            resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 80 } },
          },
        ],
      },
    });
  });

  it("give none to a tenant without scaling", () => {
    expect(scalingObjects(api!, { deployments: [deployment("x")], autoscalers: [] })).toEqual([]);
  });
});
