// Rules that read several objects together: they must relate objects within a namespace only,
// and stay silent when the objects they would need are not in the scan.
import { describe, expect, it } from "vitest";
import { kubernetesScanner } from "../../../src/guardrails/kubernetes/index.js";
import { scanFiles } from "./scan-helper.js";

function deployment(name: string, namespace: string | undefined, labels: string, podExtra = ""): string {
  return `---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
${namespace ? `  namespace: ${namespace}\n` : ""}spec:
  selector: {matchLabels: ${labels}}
  template:
    metadata:
      labels: ${labels}
    spec:
${podExtra}      containers:
        - name: ${name}
          image: ghcr.io/acme/${name}:1.0.0
`;
}

function service(name: string, namespace: string, selector: string): string {
  return `---
apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  selector: ${selector}
  ports: [{port: 80}]
`;
}

const messages = async (files: Record<string, string>, rules: string[]) =>
  (await scanFiles(kubernetesScanner, files, { rules })).findings.map((f) => f.message);

describe("Service selectors (K8S-042)", () => {
  it("match pod templates of the Service's own namespace only", async () => {
    const files = {
      "apps.yaml":
        deployment("web", "shop", "{app: web}") +
        deployment("api", "admin", "{app: api, tier: backend}") +
        service("web", "shop", "{app: web}") +
        service("api", "shop", "{app: api}") +
        service("api", "admin", "{app: api, tier: frontend}"),
    };
    expect(await messages(files, ["K8S-042"])).toEqual([
      "Service/shop/api: selector app=api matches no pod template in namespace shop",
      "Service/admin/api: selector app=api,tier=frontend matches no pod template in namespace admin",
    ]);
  });

  it("say nothing about namespaces whose workloads are not in the scan", async () => {
    expect(await messages({ "svc.yaml": service("db", "data", "{app: postgres}") }, ["K8S-042"])).toEqual([]);
  });
});

describe("NetworkPolicy coverage (K8S-043)", () => {
  const policy = (namespace: string, selector: string) => `---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: ${namespace}}
spec:
  podSelector: ${selector}
  policyTypes: [Ingress]
`;

  it("reports a namespace with workloads and no policy, and pods no policy selects", async () => {
    const files = {
      "apps.yaml":
        deployment("web", "shop", "{app: web, tier: frontend}") +
        deployment("worker", "shop", "{app: worker, tier: jobs}") +
        deployment("tool", "ops", "{app: tool}") +
        policy("shop", "{matchExpressions: [{key: tier, operator: NotIn, values: [jobs]}]}"),
    };
    expect(await messages(files, ["K8S-043"])).toEqual([
      "Deployment/shop/worker: its pods are not selected by any NetworkPolicy of namespace shop",
      "Deployment/ops/tool: namespace ops has no NetworkPolicy: its pods accept traffic from any pod in the cluster",
    ]);
  });

  it("treats objects without a namespace as one namespace, the one they are applied to", async () => {
    const bare = deployment("web", undefined, "{app: web}");
    expect(await messages({ "a.yaml": bare }, ["K8S-043"])).toEqual([
      "Deployment/web: the namespace these objects are applied to has no NetworkPolicy: its pods accept traffic from any pod in the cluster",
    ]);
    const withPolicy = `${bare}---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny}\nspec: {podSelector: {}}\n`;
    expect(await messages({ "a.yaml": withPolicy }, ["K8S-043"])).toEqual([]);
  });
});

describe("RBAC across objects (K8S-044, K8S-045)", () => {
  const rbac = `---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: everything, namespace: shop}
rules: [{apiGroups: ["*"], resources: ["*"], verbs: ["*"]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: ci, namespace: shop}
roleRef: {kind: Role, name: everything, apiGroup: rbac.authorization.k8s.io}
subjects: [{kind: ServiceAccount, name: ci}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: ci, namespace: other}
roleRef: {kind: Role, name: everything, apiGroup: rbac.authorization.k8s.io}
subjects: [{kind: ServiceAccount, name: ci}]
`;

  it("connect a binding to the role of its namespace, with the role's verbs as provenance", async () => {
    const result = await scanFiles(kubernetesScanner, { "rbac.yaml": rbac }, { rules: ["K8S-044"] });
    expect(result.findings.map((f) => f.resource)).toEqual(["RoleBinding/shop/ci"]);
    expect(result.findings[0]?.provenance).toEqual([
      {
        description: 'Role/shop/everything verbs: ["*"]',
        span: expect.objectContaining({ line: 5, column: 54 }),
      },
    ]);
  });

  it("find workloads running as a ServiceAccount with admin-equivalent rights", async () => {
    const files = {
      "rbac.yaml": rbac,
      "apps.yaml":
        deployment("runner", "shop", "{app: runner}", "      serviceAccountName: ci\n") +
        deployment("runner", "other-ns", "{app: runner}", "      serviceAccountName: ci\n") +
        deployment("web", "shop", "{app: web}"),
    };
    expect(await messages(files, ["K8S-045"])).toEqual([
      "Deployment/shop/runner: runs as ServiceAccount ci, which RoleBinding/shop/ci binds to everything",
    ]);
  });
});

describe("defaults from other objects", () => {
  it("a LimitRange default memory limit satisfies K8S-017 in its namespace only", async () => {
    const limits = `---
apiVersion: v1
kind: LimitRange
metadata: {name: defaults, namespace: shop}
spec:
  limits: [{type: Container, default: {memory: 512Mi}, defaultRequest: {cpu: 100m}}]
`;
    const files = {
      "a.yaml": deployment("web", "shop", "{app: web}") + deployment("web", "ops", "{app: web}") + limits,
    };
    expect(await messages(files, ["K8S-017", "K8S-018"])).toEqual([
      "Deployment/ops/web container web: has no memory limit",
      "Deployment/ops/web container web: has no CPU request",
    ]);
  });

  it("a ServiceAccount that opts out of token mounting satisfies K8S-023 unless the pod opts back in", async () => {
    const account = `---
apiVersion: v1
kind: ServiceAccount
metadata: {name: web, namespace: shop}
automountServiceAccountToken: false
`;
    const files = {
      "a.yaml":
        account +
        deployment("web", "shop", "{app: web}", "      serviceAccountName: web\n") +
        deployment(
          "web2",
          "shop",
          "{app: web2}",
          "      serviceAccountName: web\n      automountServiceAccountToken: true\n",
        ),
    };
    expect(await messages(files, ["K8S-023"])).toEqual([
      "Deployment/shop/web2: sets automountServiceAccountToken: true",
    ]);
  });

  it("a PodDisruptionBudget without selector protects nothing, an empty one everything (K8S-046)", async () => {
    const pdb = (name: string, selector: string) =>
      `---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: ${name}, namespace: shop}\nspec:\n  maxUnavailable: 1\n${selector}`;
    const files = {
      "a.yaml": deployment("web", "shop", "{app: web}") + pdb("none", "") + pdb("all", "  selector: {}\n"),
    };
    expect(await messages(files, ["K8S-046"])).toEqual([
      "PodDisruptionBudget/shop/none: selector matches no pod template in namespace shop",
    ]);
  });
});
