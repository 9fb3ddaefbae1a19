import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import type { KubernetesObject, V1Deployment, V1Pod, V1ReplicaSet } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiStatus, connect } from "../../src/kubernetes/client.js";
import type { Cluster } from "../../src/kubernetes/client.js";
import { applyTenants, readTenantsFile, tenantsStatus } from "../../src/kubernetes/tenants/index.js";
import type { TenantsConfig } from "../../src/kubernetes/tenants/index.js";
import { cliAsync } from "../support/cli.js";
import { K8S_BIN, startControlPlane } from "../support/kubernetes.js";
import type { ControlPlane } from "../support/kubernetes.js";
import { eventually } from "../support/slipway-server.js";

/**
 * Tenancy as code against a real control plane: the API server's RBAC, quota, LimitRanger and
 * PodSecurity admission, the quota, ReplicaSet and HPA controllers. What it cannot show is traffic
 * being dropped: no network plugin runs here (kwok plays the node), so the NetworkPolicies are
 * checked as the objects a plugin would enforce.
 */

const FIXTURES = path.join(import.meta.dirname, "..", "fixtures", "kubernetes", "tenants");
const TWO_TENANTS = path.join(FIXTURES, "two-tenants.yaml");
const PAYMENTS_ONLY = path.join(FIXTURES, "payments-only.yaml");
const run = promisify(execFile);

let plane: ControlPlane;
let admin: Cluster;
let config: TenantsConfig;

beforeAll(async () => {
  plane = await startControlPlane();
  admin = connect({ kubeconfig: plane.kubeconfig });
  config = await readTenantsFile(TWO_TENANTS);
}, 120_000);

afterAll(async () => {
  await plane?.stop();
});

/** A connection as a user with a real client certificate: every request meets RBAC. */
async function as(user: string, groups: string[] = []): Promise<Cluster> {
  return connect({ kubeconfig: await plane.user(user, groups) });
}

/** The API server's refusal (status and message) of what `attempt` did, or "allowed". */
async function refusal(
  attempt: Promise<unknown>,
): Promise<{ code: number | undefined; message: string | undefined } | "allowed"> {
  try {
    await attempt;
    return "allowed";
  } catch (error) {
    const status = apiStatus(error);
    if (!status) throw error;
    return { code: status.code, message: status.message };
  }
}

function deployment(name: string, namespace: string, replicas = 1): V1Deployment {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: "app", image: "example.com/app:1" }] },
      },
    },
  };
}

function pod(name: string, namespace: string, container: Record<string, unknown> = {}): V1Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace },
    spec: { containers: [{ name: "app", image: "example.com/app:1", ...container }] },
  };
}

async function getJson<T>(...args: string[]): Promise<T> {
  return JSON.parse(await plane.kubectl("get", ...args, "-o", "json")) as T;
}

/** The quota admission refuses every pod until the quota controller has first counted usage. */
async function quotaCounted(namespace: string): Promise<void> {
  await eventually(
    async () => {
      const quota = await getJson<{ status?: { hard?: object } }>(
        "resourcequota",
        "slipway-quota",
        "-n",
        namespace,
      );
      return quota.status?.hard ? true : undefined;
    },
    30_000,
    `the quota controller to count ${namespace}'s usage`,
  );
}

describe("tenants on a real control plane", () => {
  it("applies every tenant's objects once; applying again changes nothing and the status is Synced", async () => {
    const first = await applyTenants(admin, config);
    expect(first).toHaveLength(20);
    expect(first.every((r) => r.action === "created")).toBe(true);
    const second = await applyTenants(admin, config);
    expect(second.filter((r) => r.action !== "unchanged")).toEqual([]);
    const status = await tenantsStatus(admin, config);
    expect(status.sync).toBe("Synced");
    expect(status.objects).toHaveLength(20);

    const ns = await getJson<KubernetesObject>("namespace", "payments");
    expect(ns.metadata?.labels).toMatchObject({
      "slipway.dev/tenant": "payments",
      "cost-center": "cc-42",
      "pod-security.kubernetes.io/enforce": "baseline",
    });
    expect(ns.metadata?.annotations).toMatchObject({
      "slipway.dev/scaling-min-replicas": "2",
      "slipway.dev/scaling-max-replicas": "10",
      "slipway.dev/scaling-target-cpu-utilization": "70",
    });
  });

  it("lets a developer deploy in their tenant's namespace and forbids it in another tenant's", async () => {
    const alice = await as("alice");
    await alice.objects.create(deployment("web", "payments"));
    expect(await refusal(alice.objects.create(deployment("web", "search")))).toEqual({
      code: 403,
      message:
        'deployments.apps is forbidden: User "alice" cannot create resource "deployments" in API group "apps" in the namespace "search"',
    });
    // A developer changes workloads, not what the file declares.
    expect(
      await refusal(
        alice.objects.delete({
          apiVersion: "v1",
          kind: "ResourceQuota",
          metadata: { name: "slipway-quota", namespace: "payments" },
        }),
      ),
    ).toMatchObject({
      code: 403,
      message: expect.stringContaining('User "alice" cannot delete resource "resourcequotas"'),
    });
  });

  it("keeps secrets from viewers and developers, and gives a group's members the group's role", async () => {
    await plane.kubectl(
      "create",
      "secret",
      "generic",
      "db",
      "-n",
      "payments",
      "--from-literal=password=s3cret",
    );
    const secret = { apiVersion: "v1", kind: "Secret", metadata: { name: "db", namespace: "payments" } };
    const bob = await as("bob");
    expect(
      (await bob.objects.list("apps/v1", "Deployment", "payments")).items.map((d) => d.metadata?.name),
    ).toEqual(["web"]);
    expect(await refusal(bob.objects.read(secret))).toEqual({
      code: 403,
      message:
        'secrets "db" is forbidden: User "bob" cannot get resource "secrets" in API group "" in the namespace "payments"',
    });
    expect(await refusal(bob.objects.create(deployment("api", "payments")))).toMatchObject({ code: 403 });
    const alice = await as("alice");
    expect(await refusal(alice.objects.list("v1", "Secret", "payments"))).toMatchObject({
      code: 403,
      message: expect.stringContaining('User "alice" cannot list resource "secrets"'),
    });
    // carol is in no member list herself: her certificate's group payments-oncall is.
    const carol = await as("carol", ["payments-oncall"]);
    expect(await refusal(carol.objects.read(secret))).toBe("allowed");
    const outsider = await as("erin", ["search-oncall"]);
    expect(await refusal(outsider.objects.list("apps/v1", "Deployment", "payments"))).toMatchObject({
      code: 403,
    });
  });

  it("stops a Deployment at the quota's pod count, and refuses a pod beyond its CPU at admission", async () => {
    await quotaCounted("search");
    const dave = await as("dave");
    await dave.objects.create(deployment("indexer", "search", 5));
    const failure = await eventually(
      async () => {
        const sets = await dave.objects.list<V1ReplicaSet>("apps/v1", "ReplicaSet", "search");
        return sets.items[0]?.status?.conditions?.find((c) => c.type === "ReplicaFailure");
      },
      30_000,
      "the ReplicaSet's ReplicaFailure condition",
    );
    expect(failure).toMatchObject({ status: "True", reason: "FailedCreate" });
    expect(failure.message).toMatch(
      /forbidden: exceeded quota: slipway-quota, requested: pods=1, used: pods=3, limited: pods=3/,
    );
    expect((await dave.objects.list("v1", "Pod", "search")).items).toHaveLength(3);

    await quotaCounted("payments");
    const alice = await as("alice");
    const greedy = pod("greedy", "payments", { resources: { requests: { cpu: "5" }, limits: { cpu: "5" } } });
    expect(await refusal(alice.objects.create(greedy))).toMatchObject({
      code: 403,
      message: expect.stringMatching(
        /^pods "greedy" is forbidden: exceeded quota: slipway-quota, requested: requests\.cpu=5, used: requests\.cpu=[\d.m]+, limited: requests\.cpu=4$/,
      ),
    });
  });

  it("fills in a container's requests and limits from the LimitRange when it sets none", async () => {
    const alice = await as("alice");
    const created = await alice.objects.create(pod("plain", "payments"));
    expect(created.spec?.containers[0]?.resources).toEqual({
      requests: { cpu: "100m", memory: "128Mi" },
      limits: { cpu: "500m", memory: "512Mi" },
    });
  });

  it("enforces the baseline Pod Security Standard in a tenant's namespace", async () => {
    // The host's process namespace: one of baseline's ways out of a container onto the node.
    const hostPid = (namespace: string): V1Pod => ({
      ...pod("host-pid", namespace),
      spec: { ...pod("host-pid", namespace).spec!, hostPID: true },
    });
    const alice = await as("alice");
    expect(await refusal(alice.objects.create(hostPid("payments")))).toEqual({
      code: 403,
      message:
        'pods "host-pid" is forbidden: violates PodSecurity "baseline:latest": host namespaces (hostPID=true)',
    });
    // The same pod where no level is enforced: it is the namespace's label that refuses it.
    await plane.kubectl("create", "namespace", "unlabelled");
    expect(await refusal(admin.objects.create(hostPid("unlabelled")))).toBe("allowed");
  });

  it("writes a default-deny NetworkPolicy and one per exception (objects only: no network plugin runs here)", async () => {
    type Policy = { metadata: { name: string }; spec: Record<string, unknown> };
    const policies = async (ns: string) =>
      Object.fromEntries(
        (await getJson<{ items: Policy[] }>("networkpolicy", "-n", ns)).items.map((p) => [
          p.metadata.name,
          p.spec,
        ]),
      );
    const nsSelector = (name: string) => ({
      namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": name } },
    });
    expect(await policies("payments")).toEqual({
      "slipway-default-deny": { podSelector: {}, policyTypes: ["Ingress"] },
      "slipway-allow-same-namespace": {
        podSelector: {},
        policyTypes: ["Ingress"],
        ingress: [{ from: [{ podSelector: {} }] }],
      },
      "slipway-ingress-from-ingress-nginx": {
        podSelector: {},
        policyTypes: ["Ingress"],
        ingress: [{ from: [nsSelector("ingress-nginx")], ports: [{ protocol: "TCP", port: 8080 }] }],
      },
    });
    expect(await policies("search")).toEqual({
      "slipway-default-deny": { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
      "slipway-allow-dns": {
        podSelector: {},
        policyTypes: ["Egress"],
        egress: [
          {
            to: [nsSelector("kube-system")],
            ports: [
              { protocol: "UDP", port: 53 },
              { protocol: "TCP", port: 53 },
            ],
          },
        ],
      },
      "slipway-egress-database": {
        podSelector: {},
        policyTypes: ["Egress"],
        egress: [{ to: [{ ipBlock: { cidr: "10.0.0.0/8" } }], ports: [{ protocol: "TCP", port: 5432 }] }],
      },
    });
  });

  it("gives each Deployment without an autoscaler one with the tenant's defaults, which the HPA controller enforces", async () => {
    // alice's Deployment appeared after the apply: the file's policy is not met until the next one.
    const before = await tenantsStatus(admin, config);
    expect(before.objects.filter((o) => o.sync === "OutOfSync")).toEqual([
      expect.objectContaining({ object: "HorizontalPodAutoscaler payments/web", reason: "missing" }),
    ]);
    const results = await applyTenants(admin, config);
    expect(results.filter((r) => r.action !== "unchanged")).toEqual([
      { object: "HorizontalPodAutoscaler payments/web", action: "created" },
    ]);
    const hpa = await getJson<{ spec: Record<string, unknown> }>("hpa", "web", "-n", "payments");
    expect(hpa.spec).toMatchObject({
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" },
      minReplicas: 2,
      maxReplicas: 10,
      metrics: [
        {
          type: "Resource",
          resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } },
        },
      ],
    });
    // No metrics server runs here, but below minReplicas the controller scales without metrics.
    await eventually(
      async () =>
        (await getJson<V1Deployment>("deployment", "web", "-n", "payments")).spec?.replicas === 2
          ? true
          : undefined,
      60_000,
      "the HPA controller to scale payments/web to minReplicas",
    );
    // A team's own autoscaler wins: its Deployment gets none from the tenant.
    await plane.kubectl("create", "deployment", "api", "-n", "payments", "--image=example.com/api:1");
    await plane.kubectl("autoscale", "deployment", "api", "-n", "payments", "--max=3", "--name=api-own");
    expect((await tenantsStatus(admin, config)).sync).toBe("Synced");
  });

  it("shows a hand change in the status field by field, and apply takes it back", async () => {
    await plane.kubectl(
      "patch",
      "resourcequota",
      "slipway-quota",
      "-n",
      "payments",
      "--type=merge",
      "-p",
      '{"spec":{"hard":{"pods":"100"}}}',
    );
    await plane.kubectl(
      "patch",
      "rolebinding",
      "slipway-viewer-user-bob",
      "-n",
      "payments",
      "--type=json",
      "-p",
      '[{"op":"add","path":"/subjects/-","value":{"kind":"User","apiGroup":"rbac.authorization.k8s.io","name":"mallory"}}]',
    );
    const mallory = await as("mallory");
    expect(await refusal(mallory.objects.list("apps/v1", "Deployment", "payments"))).toBe("allowed");

    const drifted = await tenantsStatus(admin, config);
    expect(drifted.sync).toBe("OutOfSync");
    expect(drifted.objects.filter((o) => o.sync === "OutOfSync")).toEqual([
      expect.objectContaining({
        object: "ResourceQuota payments/slipway-quota",
        reason: "changed",
        fields: [{ path: "spec.hard.pods", desired: "20", live: "100" }],
      }),
      expect.objectContaining({
        object: "RoleBinding payments/slipway-viewer-user-bob",
        reason: "changed",
        fields: [
          {
            path: "subjects[name=mallory]",
            desired: undefined,
            live: { kind: "User", apiGroup: "rbac.authorization.k8s.io", name: "mallory" },
          },
        ],
      }),
    ]);

    const results = await applyTenants(admin, config);
    expect(results.filter((r) => r.action !== "unchanged")).toEqual([
      { object: "ResourceQuota payments/slipway-quota", action: "configured" },
      { object: "RoleBinding payments/slipway-viewer-user-bob", action: "configured" },
    ]);
    expect((await tenantsStatus(admin, config)).sync).toBe("Synced");
    expect(await refusal(mallory.objects.list("apps/v1", "Deployment", "payments"))).toMatchObject({
      code: 403,
    });
  });

  it("apply and diff through the built CLI: exit 1 and the field when drifted, 0 once applied", async () => {
    const cwd = FIXTURES;
    const kubeconfig = ["--kubeconfig", plane.kubeconfig];
    const diff = () => cliAsync(cwd, ["tenants", "diff", "two-tenants.yaml", ...kubeconfig]);
    const clean = await diff();
    expect(clean.status).toBe(0);
    expect(clean.stdout).toBe("all 21 objects in sync\n");

    await run(path.join(K8S_BIN, "kubectl"), [
      ...kubeconfig,
      "label",
      "rolebinding",
      "slipway-developer-user-alice",
      "-n",
      "payments",
      "slipway.dev/tenant=search",
      "--overwrite",
    ]);
    const drifted = await diff();
    expect(drifted.status).toBe(1);
    // The object, the field, the live and the desired value, as `slipway k8s diff` shows them.
    expect(drifted.stdout).toMatch(/^RoleBinding payments\/slipway-developer-user-alice \(changed\)$/m);
    expect(drifted.stdout).toContain('metadata.labels["slipway.dev/tenant"]');
    expect(drifted.stdout).toMatch(/live: +"search"/);
    expect(drifted.stdout).toMatch(/desired: +"payments"/);
    expect(drifted.stdout).toContain("1 of 21 objects out of sync");
    expect(drifted.stdout).toContain(
      "slipway tenants apply two-tenants.yaml makes the cluster match the file again",
    );
    const json = await cliAsync(cwd, ["tenants", "diff", "two-tenants.yaml", "--json", ...kubeconfig]);
    expect(json.status).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      sync: "OutOfSync",
      objects: [
        {
          object: "RoleBinding payments/slipway-developer-user-alice",
          fields: [{ path: 'metadata.labels["slipway.dev/tenant"]', live: "search", desired: "payments" }],
        },
      ],
    });

    const preview = await cliAsync(cwd, ["tenants", "apply", "two-tenants.yaml", "--dry-run", ...kubeconfig]);
    expect(preview.status).toBe(0);
    expect(preview.stdout).toContain("RoleBinding payments/slipway-developer-user-alice configured");
    expect(preview.stdout).toMatch(/21 objects: 1 configured, 20 unchanged \(dry run/);
    expect((await diff()).status).toBe(1);

    const applied = await cliAsync(cwd, ["tenants", "apply", "two-tenants.yaml", ...kubeconfig]);
    expect(applied.status).toBe(0);
    expect(applied.stdout).toContain("RoleBinding payments/slipway-developer-user-alice configured");
    expect(applied.stdout).toContain("Namespace payments unchanged");
    expect(await diff()).toMatchObject({ status: 0, stdout: "all 21 objects in sync\n" });
  });

  it("refuses a bad file before touching the cluster, at its line and column with a hint", async () => {
    const kubeconfig = ["--kubeconfig", plane.kubeconfig];
    const role = await cliAsync(FIXTURES, ["tenants", "apply", "unknown-role.yaml", ...kubeconfig]);
    expect(role.status).toBe(2);
    expect(role.stderr).toBe(
      [
        'unknown-role.yaml:5:28: error: unknown role preset "admin"',
        "  5 |       - { user: bob, role: admin }",
        "    |                            ^",
        "  hint: the presets are viewer, developer, operator (each includes the one before)",
        "",
        "1 error",
        "",
      ].join("\n"),
    );
    const key = await cliAsync(FIXTURES, ["tenants", "diff", "unknown-key.yaml", ...kubeconfig]);
    expect(key.status).toBe(2);
    expect(key.stderr).toContain('unknown-key.yaml:5:5: error: unknown key "quotas" in tenants.payments');
    expect(key.stderr).toContain('hint: did you mean "quota"?');
    expect(
      await getJson<{ items: unknown[] }>(
        "rolebinding",
        "-n",
        "payments",
        "-l",
        "slipway.dev/tenant=payments",
      ),
    ).toMatchObject({
      items: { length: 3 },
    });
  });

  it("prunes a tenant removed from the file only with --prune, namespace last", async () => {
    const smaller = await readTenantsFile(PAYMENTS_ONLY);
    const kept = await applyTenants(admin, smaller);
    expect(kept.filter((r) => r.action !== "unchanged")).toEqual([]);
    const status = await tenantsStatus(admin, smaller);
    const extra = status.objects.filter((o) => o.reason === "extra").map((o) => o.object);
    expect(extra).toHaveLength(8);
    expect(extra).toContain("Namespace search");

    const preview = await applyTenants(admin, smaller, { prune: true, dryRun: true });
    expect(preview.filter((r) => r.action === "pruned")).toHaveLength(8);
    expect(
      (await getJson<KubernetesObject>("namespace", "search")).metadata?.deletionTimestamp,
    ).toBeUndefined();

    const pruned = await applyTenants(admin, smaller, { prune: true });
    expect(pruned.filter((r) => r.action === "pruned").map((r) => r.object)).toEqual([
      "LimitRange search/slipway-limits",
      "Namespace search",
      "NetworkPolicy search/slipway-allow-dns",
      "NetworkPolicy search/slipway-default-deny",
      "NetworkPolicy search/slipway-egress-database",
      "ResourceQuota search/slipway-quota",
      "Role search/slipway-developer",
      "RoleBinding search/slipway-developer-user-dave",
    ]);
    expect(pruned.filter((r) => r.action !== "pruned" && r.action !== "unchanged")).toEqual([]);
    // The namespace controller deletes what the namespace held (dave's Deployment) before the namespace.
    await eventually(
      async () =>
        (await plane.kubectl("get", "namespaces", "-o", "name")).includes("namespace/search")
          ? undefined
          : true,
      90_000,
      "the search namespace to be deleted",
    );
    expect((await tenantsStatus(admin, smaller)).sync).toBe("Synced");
    const paymentsLeft = await getJson<{ items: unknown[] }>(
      "rolebinding",
      "-n",
      "payments",
      "-l",
      "slipway.dev/tenant=payments",
    );
    expect(paymentsLeft.items).toHaveLength(3);
  });
});
