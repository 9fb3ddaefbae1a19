import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { KubernetesObject } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, EnvironmentError, UsageError } from "../../src/errors/index.js";
import { ApplyConflictError, connect } from "../../src/kubernetes/client.js";
import type { Cluster } from "../../src/kubernetes/client.js";
import { fieldDiffs } from "../../src/kubernetes/diff.js";
import { objectHealth, worstHealth } from "../../src/kubernetes/health.js";
import { loadManifests } from "../../src/kubernetes/manifests.js";
import { applyObjects, selfHeal, syncStatus } from "../../src/kubernetes/sync.js";
import type { ApplyResult, SyncStatus, SyncTarget } from "../../src/kubernetes/sync.js";
import { cliAsync } from "../support/cli.js";
import type { ControlPlane } from "../support/kubernetes.js";
import { startControlPlane } from "../support/kubernetes.js";

/**
 * Desired state against a real control plane (kube-apiserver with RBAC, the controller manager,
 * kwok as the node): server-side apply and its conflicts, drift by hand with kubectl, self-heal,
 * pruning and its protections, defaults, RBAC denials, and the CLI's exit code.
 */

const FIXTURES = path.join(import.meta.dirname, "..", "fixtures", "kubernetes", "sync");
const fixture = (...parts: string[]) => path.join(FIXTURES, ...parts);

let plane: ControlPlane;
let cluster: Cluster;

beforeAll(async () => {
  plane = await startControlPlane();
  cluster = connect({ kubeconfig: plane.kubeconfig });
}, 120_000);

afterAll(async () => {
  await plane?.stop();
});

async function namespace(name: string): Promise<SyncTarget> {
  await plane.kubectl("create", "namespace", name);
  return { inventory: name, inventoryNamespace: name };
}

async function live(...args: string[]): Promise<Record<string, unknown>> {
  return JSON.parse(await plane.kubectl("get", ...args, "-o", "json")) as Record<string, unknown>;
}

async function exists(...args: string[]): Promise<boolean> {
  return (await plane.kubectl("get", ...args, "--ignore-not-found", "-o", "name")).trim() !== "";
}

function actions(results: ApplyResult[]): Record<string, string> {
  return Object.fromEntries(results.map((r) => [r.object, r.action]));
}

function statusOf(status: SyncStatus, object: string) {
  const found = status.objects.find((o) => o.object === object);
  expect(found, `${object} in ${status.objects.map((o) => o.object).join(", ")}`).toBeDefined();
  return found!;
}

async function until<T>(
  what: string,
  read: () => Promise<T>,
  ok: (value: T) => boolean,
  ms = 30_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  let value = await read();
  while (!ok(value)) {
    if (Date.now() > deadline)
      throw new Error(`${what}: not within ${ms} ms; last: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
    value = await read();
  }
  return value;
}

function configMap(name: string, data: Record<string, string>, annotations?: Record<string, string>) {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name, ...(annotations ? { annotations } : {}) },
    data,
  } as KubernetesObject;
}

describe("a Deployment, Service and ConfigMap", () => {
  let target: SyncTarget;
  let objects: KubernetesObject[];

  beforeAll(async () => {
    target = await namespace("shop");
    objects = await loadManifests(fixture("app"), { namespace: "shop" });
  });

  it("are created, labelled, recorded; Synced at once and Healthy once kwok runs the pods", async () => {
    const results = await applyObjects(cluster, objects, target);
    expect(actions(results)).toEqual({
      "ConfigMap shop/web-config": "created",
      "Deployment shop/web": "created",
      "Service shop/web": "created",
    });

    const status = await syncStatus(cluster, objects, target);
    expect(status.sync).toBe("Synced");
    expect(status.objects.every((o) => o.sync === "Synced" && o.fields.length === 0)).toBe(true);

    const healthy = await until(
      "the Deployment becomes available",
      () => syncStatus(cluster, objects, target),
      (s) => s.health === "Healthy",
    );
    expect(statusOf(healthy, "Deployment shop/web")).toMatchObject({ sync: "Synced", health: "Healthy" });

    const deployment = await live("-n", "shop", "deployment", "web");
    expect(
      (deployment["metadata"] as { labels: Record<string, string> }).labels["slipway.dev/inventory"],
    ).toBe("shop");
    const inventory = await live("-n", "shop", "configmap", "slipway-inventory-shop");
    expect(JSON.parse((inventory["data"] as { objects: string }).objects)).toEqual([
      { apiVersion: "v1", kind: "ConfigMap", namespace: "shop", name: "web-config" },
      { apiVersion: "v1", kind: "Service", namespace: "shop", name: "web" },
      { apiVersion: "apps/v1", kind: "Deployment", namespace: "shop", name: "web" },
    ]);
  });

  it("do not count the API server's defaults as drift, and a second apply changes nothing", async () => {
    // Fields the manifest leaves out and the API server fills in: there, and no difference.
    const deployment = (await live("-n", "shop", "deployment", "web")) as {
      spec: { strategy: { type: string }; template: { spec: { terminationGracePeriodSeconds: number } } };
    };
    expect(deployment.spec.strategy.type).toBe("RollingUpdate");
    expect(deployment.spec.template.spec.terminationGracePeriodSeconds).toBe(30);
    const service = (await live("-n", "shop", "service", "web")) as {
      spec: { clusterIP: string; type: string };
    };
    expect(service.spec.type).toBe("ClusterIP");
    expect(service.spec.clusterIP).toMatch(/^\d+\.\d+\.\d+\.\d+$/);

    const status = await syncStatus(cluster, objects, target);
    expect(status.objects.flatMap((o) => o.fields)).toEqual([]);
    expect(status.sync).toBe("Synced");

    const again = await applyObjects(cluster, objects, target);
    expect(new Set(again.map((r) => r.action))).toEqual(new Set(["unchanged"]));
  });

  it("drift by hand is OutOfSync field by field; a plain apply refuses naming kubectl; self-heal restores it", async () => {
    await plane.kubectl("-n", "shop", "scale", "deployment/web", "--replicas=5");

    const drifted = await syncStatus(cluster, objects, target);
    expect(drifted.sync).toBe("OutOfSync");
    expect(statusOf(drifted, "Deployment shop/web")).toMatchObject({
      sync: "OutOfSync",
      reason: "changed",
      fields: [{ path: "spec.replicas", desired: 2, live: 5 }],
    });
    expect(statusOf(drifted, "Service shop/web").sync).toBe("Synced");

    // The CLI, as users run it: exit 1 while out of sync, as kubectl diff.
    const dir = await mkdtemp(path.join(os.tmpdir(), "slipway-k8s-cli-"));
    const args = ["k8s", "diff", fixture("app"), "--inventory", "shop", "-n", "shop"];
    const diff = await cliAsync(dir, [...args, "--kubeconfig", plane.kubeconfig]);
    expect({ status: diff.status, stderr: diff.stderr }).toEqual({ status: 1, stderr: "" });
    expect(diff.stdout).toContain(
      "Deployment shop/web (changed)\n  spec.replicas\n    - live:    5\n    + desired: 2",
    );
    expect(diff.stdout).toContain("1 of 3 objects out of sync");

    // Validation runs before anything is written: the ConfigMap change below is not applied either.
    const changed = objects.map((o) =>
      o.kind === "ConfigMap" ? { ...o, data: { greeting: "changed" } } : o,
    ) as KubernetesObject[];
    const refused = await applyObjects(cluster, changed, target).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ApplyConflictError);
    expect((refused as ApplyConflictError).conflicts).toEqual([
      { manager: "kubectl", field: ".spec.replicas" },
    ]);
    expect((refused as ApplyConflictError).message).toContain(
      "Deployment shop/web: fields changed by another manager",
    );
    const config = (await live("-n", "shop", "configmap", "web-config")) as { data: Record<string, string> };
    expect(config.data["greeting"]).toBe("hello");

    const healed = await selfHeal(cluster, objects, target);
    expect(healed).toEqual([{ object: "Deployment shop/web", action: "configured" }]);
    const after = await syncStatus(cluster, objects, target);
    expect(after.sync).toBe("Synced");
    const deployment = (await live("-n", "shop", "deployment", "web")) as { spec: { replicas: number } };
    expect(deployment.spec.replicas).toBe(2);
    // Nothing left to heal.
    expect(await selfHeal(cluster, objects, target)).toEqual([]);

    const clean = await cliAsync(dir, [...args, "--kubeconfig", plane.kubeconfig]);
    expect({ status: clean.status, stderr: clean.stderr }).toEqual({ status: 0, stderr: "" });
    expect(clean.stdout).toContain("all 3 objects in sync");
  }, 60_000);

  it("reports a deleted object as missing, and self-heal re-creates it", async () => {
    await plane.kubectl("-n", "shop", "delete", "configmap", "web-config");
    const status = await syncStatus(cluster, objects, target);
    expect(statusOf(status, "ConfigMap shop/web-config")).toMatchObject({
      sync: "OutOfSync",
      reason: "missing",
      health: "Missing",
    });
    expect(status.health).toBe("Missing");
    expect(await selfHeal(cluster, objects, target)).toEqual([
      { object: "ConfigMap shop/web-config", action: "created" },
    ]);
    expect((await syncStatus(cluster, objects, target)).sync).toBe("Synced");
  });
});

describe("pruning", () => {
  it("deletes what left the manifests, keeps what is protected, and only when asked", async () => {
    const target = await namespace("prune");
    const a = configMap("a", { v: "1" });
    const b = configMap("b", { v: "1" }, { "slipway.dev/prune": "disabled" });
    const c = configMap("c", { v: "1" });
    await applyObjects(cluster, [a, b, c], target);

    // Without prune, the dropped objects stay, and stay recorded.
    expect(actions(await applyObjects(cluster, [a], target))).toEqual({ "ConfigMap prune/a": "unchanged" });
    expect(await exists("-n", "prune", "configmap", "c")).toBe(true);
    const extra = await syncStatus(cluster, [a], target);
    expect(extra.sync).toBe("OutOfSync");
    expect(statusOf(extra, "ConfigMap prune/c")).toMatchObject({ sync: "OutOfSync", reason: "extra" });

    // A dry run says what a prune would delete, and deletes nothing.
    const dry = await applyObjects(cluster, [a], { ...target, prune: true, dryRun: true });
    expect(dry).toContainEqual({ object: "ConfigMap prune/c", action: "pruned", reason: "dry run" });
    expect(await exists("-n", "prune", "configmap", "c")).toBe(true);

    const pruned = await applyObjects(cluster, [a], { ...target, prune: true });
    expect(pruned).toEqual([
      { object: "ConfigMap prune/a", action: "unchanged" },
      { object: "ConfigMap prune/b", action: "kept", reason: "annotated slipway.dev/prune: disabled" },
      { object: "ConfigMap prune/c", action: "pruned" },
    ]);
    await until(
      "c is deleted",
      () => exists("-n", "prune", "configmap", "c"),
      (e) => !e,
    );
    expect(await exists("-n", "prune", "configmap", "b")).toBe(true);
    // An empty set never prunes everything.
    const empty = await applyObjects(cluster, [], { ...target, prune: true }).catch((e: unknown) => e);
    expect(empty).toBeInstanceOf(UsageError);
    expect((empty as UsageError).message).toMatch(
      /--prune would delete all 2 objects of the inventory prune/,
    );
    expect(await exists("-n", "prune", "configmap", "a")).toBe(true);
    // The kept object is still this inventory's, shown as extra until someone decides.
    const status = await syncStatus(cluster, [a], target);
    expect(status.objects.map((o) => [o.object, o.reason ?? o.sync])).toEqual([
      ["ConfigMap prune/a", "Synced"],
      ["ConfigMap prune/b", "extra"],
    ]);
  });

  it("keeps an object another inventory took over, and a namespace that still holds kept objects", async () => {
    const target = await namespace("takeover");
    const ns = {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: "takeover-extra" },
    } as KubernetesObject;
    const inExtra = { ...configMap("kept", { v: "1" }, { "slipway.dev/prune": "disabled" }) };
    inExtra.metadata = { ...inExtra.metadata, namespace: "takeover-extra" };
    const mine = configMap("mine", { v: "1" });
    const theirs = configMap("theirs", { v: "1" });
    expect(actions(await applyObjects(cluster, [ns, inExtra, mine, theirs], target))).toMatchObject({
      "Namespace takeover-extra": "created",
      "ConfigMap takeover-extra/kept": "created",
    });
    await applyObjects(cluster, [theirs], { inventory: "other", inventoryNamespace: "takeover" });

    const results = await applyObjects(cluster, [mine], { ...target, prune: true });
    expect(results).toEqual([
      { object: "ConfigMap takeover/mine", action: "unchanged" },
      {
        object: "ConfigMap takeover-extra/kept",
        action: "kept",
        reason: "annotated slipway.dev/prune: disabled",
      },
      {
        object: "ConfigMap takeover/theirs",
        action: "kept",
        reason: "labelled slipway.dev/inventory=other: another inventory manages it now",
      },
      {
        object: "Namespace takeover-extra",
        action: "kept",
        reason: "the namespace holds objects kept from pruning",
      },
    ]);
    expect(await exists("namespace", "takeover-extra")).toBe(true);
    expect(await exists("-n", "takeover", "configmap", "theirs")).toBe(true);
  });
});

describe("validation", () => {
  it("points the API server's refusals at the manifest's lines, and applies nothing", async () => {
    const target = await namespace("invalid");
    const file = fixture("bad", "invalid-fields.yaml");
    const objects = await loadManifests(file, { namespace: "invalid" });
    const error = await applyObjects(cluster, objects, target).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    const diagnostics = (error as ConfigError).diagnostics.map((d) => ({
      ...d.position,
      message: d.message,
    }));
    expect(diagnostics).toEqual([
      // A typo the typed client models would silently drop; the API server's schema refuses it.
      {
        file,
        line: 13,
        column: 13,
        message: "Deployment invalid/typo: spec.replicaz: field not declared in schema",
      },
      {
        file,
        line: 33,
        column: 13,
        message: expect.stringMatching(
          /^Service invalid\/bad-port: spec\.ports\[1\]\.port: Invalid value: 99999: must be between 1 and 65535/,
        ),
      },
    ]);
    // The valid ConfigMap of the same set was not applied either.
    expect(await exists("-n", "invalid", "configmap", "would-be-fine")).toBe(false);
    expect(await exists("-n", "invalid", "configmap", "slipway-inventory-invalid")).toBe(false);
  });

  it("applies a CRD, the Namespace and a custom resource together, keeping the schema's keywords", async () => {
    const objects = await loadManifests(fixture("crd"));
    const target = { inventory: "widgets", inventoryNamespace: "widgets" };
    // Before anything exists, a dry run says what would be created without failing on the missing kind.
    expect(actions(await applyObjects(cluster, objects, { ...target, dryRun: true }))).toEqual({
      "CustomResourceDefinition widgets.example.slipway.dev": "created",
      "Namespace widgets": "created",
      "Widget widgets/w1": "created",
    });
    expect(await exists("namespace", "widgets")).toBe(false);

    expect(actions(await applyObjects(cluster, objects, target))).toEqual({
      "CustomResourceDefinition widgets.example.slipway.dev": "created",
      "Namespace widgets": "created",
      "Widget widgets/w1": "created",
    });
    const crd = (await live("crd", "widgets.example.slipway.dev")) as {
      spec: {
        versions: { schema: { openAPIV3Schema: { properties: { spec: { properties: unknown } } } } }[];
      };
    };
    expect(crd.spec.versions[0]?.schema.openAPIV3Schema.properties.spec.properties).toEqual({
      size: { type: "string", enum: ["small", "large"], default: "small" },
      extra: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
    });
    // The default from the schema is applied, and is no drift.
    const widget = (await live("-n", "widgets", "widget", "w1")) as { spec: Record<string, unknown> };
    expect(widget.spec).toEqual({ size: "small", extra: { anything: [1, 2] } });
    const status = await syncStatus(cluster, objects, target);
    expect(status).toMatchObject({ sync: "Synced", health: "Healthy" });
  }, 90_000);
});

describe("RBAC", () => {
  it("gives a user without permissions a clear forbidden error", async () => {
    const target = await namespace("locked");
    const nobody = connect({ kubeconfig: await plane.user("nobody") });
    const objects = [configMap("settings", { v: "1" })];
    for (const attempt of [applyObjects(nobody, objects, target), syncStatus(nobody, objects, target)]) {
      const error = await attempt.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EnvironmentError);
      expect((error as EnvironmentError).message).toMatch(
        /^cannot read .*: configmaps .* is forbidden: User "nobody" cannot (get|list) resource "configmaps"/,
      );
      expect((error as EnvironmentError).hint).toMatch(/RBAC/);
    }
    expect(await exists("-n", "locked", "configmap", "settings")).toBe(false);
  });
});

describe("many objects", () => {
  it("computes the status of 500 objects, and finds the one changed by hand among them", async () => {
    // How fast is measured by `npm run bench -- kubernetes`, not here.
    const target = await namespace("many");
    const objects = Array.from({ length: 500 }, (_, i) => configMap(`settings-${i}`, { value: String(i) }));
    await applyObjects(cluster, objects, target);
    const synced = await syncStatus(cluster, objects, target);
    expect(synced.objects).toHaveLength(500);
    expect(synced.sync).toBe("Synced");
    await plane.kubectl(
      "-n",
      target.inventoryNamespace,
      "patch",
      "configmap",
      "settings-321",
      "-p",
      '{"data":{"value":"x"}}',
    );
    const drifted = await syncStatus(cluster, objects, target);
    expect(drifted.objects.filter((o) => o.sync === "OutOfSync")).toEqual([
      expect.objectContaining({
        object: expect.stringContaining("settings-321") as string,
        fields: [{ path: "data.value", desired: "321", live: "x" }],
      }),
    ]);
  }, 120_000);
});

describe("field diffs", () => {
  const deployment = (containers: unknown[], extra: Record<string, unknown> = {}) =>
    ({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", namespace: "shop", resourceVersion: "1", generation: 1, ...extra },
      spec: { template: { spec: { containers } } },
      status: { replicas: 1 },
    }) as KubernetesObject;

  it("keys lists by name, quotes odd keys, and ignores status and server bookkeeping", () => {
    const desired = deployment(
      [
        { name: "web", image: "web:2" },
        { name: "sidecar", image: "proxy:1" },
      ],
      { annotations: { "team.example/owner": "dev" } },
    );
    const live = deployment(
      [
        { name: "sidecar", image: "proxy:1" },
        { name: "web", image: "web:1" },
      ],
      {
        resourceVersion: "99",
        generation: 7,
        annotations: { "deployment.kubernetes.io/revision": "3", "team.example/owner": "ops" },
      },
    );
    expect(fieldDiffs(desired, live)).toEqual([
      { path: 'metadata.annotations["team.example/owner"]', desired: "dev", live: "ops" },
      { path: "spec.template.spec.containers[name=web].image", desired: "web:2", live: "web:1" },
    ]);
  });

  it("reports a list reordered, and index paths for lists without names", () => {
    const a = deployment([{ name: "a" }, { name: "b" }]);
    const b = deployment([{ name: "b" }, { name: "a" }]);
    expect(fieldDiffs(a, b)).toEqual([
      { path: "spec.template.spec.containers", desired: ["a", "b"], live: ["b", "a"] },
    ]);
    const args = (list: string[]) => deployment([{ name: "web", args: list }]);
    expect(fieldDiffs(args(["--a", "--b"]), args(["--a"]))).toEqual([
      { path: "spec.template.spec.containers[name=web].args[1]", desired: "--b", live: undefined },
    ]);
  });
});

describe("health", () => {
  const deployment = (spec: Record<string, unknown>, status: Record<string, unknown>, generation = 2) =>
    ({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", generation },
      spec,
      status,
    }) as KubernetesObject;

  it("follows Argo CD's Deployment rules", () => {
    const done = { observedGeneration: 2, replicas: 3, updatedReplicas: 3, availableReplicas: 3 };
    expect(objectHealth(deployment({ replicas: 3 }, done)).health).toBe("Healthy");
    expect(objectHealth(deployment({ replicas: 3 }, { ...done, observedGeneration: 1 })).health).toBe(
      "Progressing",
    );
    expect(objectHealth(deployment({ replicas: 3 }, { ...done, availableReplicas: 2 }))).toEqual({
      health: "Progressing",
      message: "2 of 3 replicas available",
    });
    expect(objectHealth(deployment({ replicas: 3 }, { ...done, replicas: 4 })).health).toBe("Progressing");
    const stuck = {
      ...done,
      updatedReplicas: 1,
      conditions: [{ type: "Progressing", reason: "ProgressDeadlineExceeded", message: "timed out" }],
    };
    expect(objectHealth(deployment({ replicas: 3 }, stuck))).toEqual({
      health: "Degraded",
      message: "timed out",
    });
    expect(objectHealth(deployment({ replicas: 3, paused: true }, done)).health).toBe("Suspended");
  });

  it("judges Pods, Services, claims and Jobs; anything else is Healthy", () => {
    const of = (apiVersion: string, kind: string, spec: unknown, status: unknown) =>
      objectHealth({ apiVersion, kind, metadata: { name: "x" }, spec, status } as KubernetesObject).health;
    expect(of("v1", "Pod", {}, { phase: "Running", conditions: [{ type: "Ready", status: "True" }] })).toBe(
      "Healthy",
    );
    expect(of("v1", "Pod", {}, { phase: "Running", conditions: [{ type: "Ready", status: "False" }] })).toBe(
      "Progressing",
    );
    expect(of("v1", "Pod", {}, { phase: "Pending" })).toBe("Progressing");
    expect(of("v1", "Pod", {}, { phase: "Failed" })).toBe("Degraded");
    expect(
      of(
        "v1",
        "Pod",
        {},
        {
          phase: "Pending",
          containerStatuses: [{ name: "web", state: { waiting: { reason: "ImagePullBackOff" } } }],
        },
      ),
    ).toBe("Degraded");
    expect(of("v1", "Service", { type: "LoadBalancer" }, { loadBalancer: {} })).toBe("Progressing");
    expect(
      of("v1", "Service", { type: "LoadBalancer" }, { loadBalancer: { ingress: [{ ip: "1.2.3.4" }] } }),
    ).toBe("Healthy");
    expect(of("v1", "Service", { type: "ClusterIP" }, {})).toBe("Healthy");
    expect(of("v1", "PersistentVolumeClaim", {}, { phase: "Pending" })).toBe("Progressing");
    expect(of("v1", "PersistentVolumeClaim", {}, { phase: "Bound" })).toBe("Healthy");
    expect(of("batch/v1", "Job", {}, { conditions: [{ type: "Complete", status: "True" }] })).toBe("Healthy");
    expect(of("batch/v1", "Job", {}, { conditions: [{ type: "Failed", status: "True" }] })).toBe("Degraded");
    expect(of("batch/v1", "Job", {}, {})).toBe("Progressing");
    expect(of("v1", "ConfigMap", undefined, undefined)).toBe("Healthy");
  });

  it("takes the worst health as the overall one", () => {
    expect(worstHealth([])).toBe("Healthy");
    expect(worstHealth(["Healthy", "Suspended", "Unknown"])).toBe("Suspended");
    expect(worstHealth(["Progressing", "Missing", "Healthy"])).toBe("Missing");
    expect(worstHealth(["Missing", "Degraded"])).toBe("Degraded");
  });
});
