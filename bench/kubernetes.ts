import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { stringify } from "yaml";
import type { KubernetesObject } from "@kubernetes/client-node";
import { connect } from "../src/kubernetes/client.js";
import type { Cluster } from "../src/kubernetes/client.js";
import { applyObjects, syncStatus } from "../src/kubernetes/sync.js";
import { KubernetesTarget } from "../src/kubernetes/target.js";
import { testRelease } from "../test/support/delivery.js";
import { K8S_BIN, startControlPlane } from "../test/support/kubernetes.js";
import type { ControlPlane } from "../test/support/kubernetes.js";
import { median, printTable, report, round } from "./util.js";

const run = promisify(execFile);
const ROUNDS = Number(process.env["SLIPWAY_BENCH_ROUNDS"] ?? 3);
const DEPLOYMENTS = 100;
const DRIFT_OBJECTS = 500;

/**
 * The Kubernetes target against the test control plane (scripts/k8s-testbed: real API server and
 * controllers, kwok as the node): 100 Deployments applied and rolled out by the target, against
 * `kubectl apply --server-side` of the same Deployments followed by `kubectl rollout status`,
 * interleaved in fresh namespaces, medians of the rounds. Then the drift of 500 objects (Deployments,
 * Services and ConfigMaps, one of them changed by hand) computed by syncStatus, against
 * `kubectl diff --server-side` on the same manifests.
 */
export async function benchKubernetes(): Promise<void> {
  const plane = await startControlPlane();
  const dir = await mkdtemp(path.join(tmpdir(), "slipway-bench-k8s-"));
  try {
    const cluster = connect({ kubeconfig: plane.kubeconfig });
    const target: number[] = [];
    const kubectl: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      // Alternating which goes first; each round's namespace is gone before the next starts.
      if (i % 2 === 0) kubectl.push(await kubectlRollout(plane, dir, `kubectl-${i}`));
      target.push(await targetRollout(plane, cluster, `target-${i}`));
      if (i % 2 === 1) kubectl.push(await kubectlRollout(plane, dir, `kubectl-${i}`));
    }
    const drift = await benchDrift(plane, cluster, dir);
    const ratio = median(kubectl) / median(target);
    report({
      bench: "kubernetes-rollout",
      deployments: DEPLOYMENTS,
      target_ms: round(median(target), 0),
      kubectl_ms: round(median(kubectl), 0),
      speed_vs_kubectl: round(ratio, 3),
    });
    printTable({ case: "case", value: "value", baseline: "baseline" }, [
      {
        case: `apply and roll out ${DEPLOYMENTS} Deployments (median of ${ROUNDS})`,
        value: `${round(median(target) / 1000, 2)} s with the target`,
        baseline: `${round(median(kubectl) / 1000, 2)} s kubectl apply --server-side + rollout status (${round(ratio, 2)}x)`,
      },
      {
        case: `drift of ${DRIFT_OBJECTS} objects, one changed (median of ${ROUNDS})`,
        value: `${round(drift.status / 1000, 2)} s syncStatus`,
        baseline: `${round(drift.kubectl / 1000, 2)} s kubectl diff --server-side (${round(drift.kubectl / drift.status, 2)}x)`,
      },
    ]);
  } finally {
    await plane.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** A Deployment of one container, its Pods labelled `app.kubernetes.io/name: NAME`. */
const CONTAINER = { name: "web", image: "registry.example/web:v1", ports: [{ containerPort: 8080 }] };

function deployment(namespace: string, name: string, replicas: number): KubernetesObject {
  const labels = { "app.kubernetes.io/name": name };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace, labels },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [CONTAINER] } },
    },
  } as KubernetesObject;
}

const serviceName = (i: number) => `svc-${String(i).padStart(3, "0")}`;

async function kubectlRollout(plane: ControlPlane, dir: string, namespace: string): Promise<number> {
  await plane.kubectl("create", "namespace", namespace);
  const file = path.join(dir, `${namespace}.yaml`);
  const docs = Array.from({ length: DEPLOYMENTS }, (_, i) =>
    stringify(deployment(namespace, serviceName(i), 2)),
  );
  await writeFile(file, docs.join("---\n"));
  const kubectl = (...args: string[]) =>
    run(path.join(K8S_BIN, "kubectl"), ["--kubeconfig", plane.kubeconfig, ...args], { maxBuffer: 64 << 20 });
  const start = performance.now();
  await kubectl("apply", "--server-side", "--field-manager", "bench", "-f", file);
  await kubectl("rollout", "status", "-f", file, "--timeout", "300s");
  const ms = performance.now() - start;
  await plane.kubectl("delete", "namespace", namespace, "--timeout=300s");
  return ms;
}

async function targetRollout(plane: ControlPlane, cluster: Cluster, namespace: string): Promise<number> {
  await plane.kubectl("create", "namespace", namespace);
  const targets = Array.from(
    { length: DEPLOYMENTS },
    (_, i) =>
      new KubernetesTarget({
        cluster,
        namespace,
        service: serviceName(i),
        podTemplate: () => ({ spec: { containers: [CONTAINER] } }),
      }),
  );
  const start = performance.now();
  await Promise.all(targets.map((t) => t.scale(testRelease("v1"), 2)));
  const ms = performance.now() - start;
  await plane.kubectl("delete", "namespace", namespace, "--timeout=300s");
  return ms;
}

/**
 * Deployments, Services and ConfigMaps in equal parts, `count` in all. The Deployments have 0
 * replicas: what is measured is the drift of the objects, not Pods on one fake node.
 */
function driftObjects(namespace: string, count: number): KubernetesObject[] {
  return Array.from({ length: count }, (_, i): KubernetesObject => {
    const name = `obj-${String(i).padStart(3, "0")}`;
    const labels = { "app.kubernetes.io/name": name };
    if (i % 3 === 0) return deployment(namespace, name, 0);
    if (i % 3 === 1) {
      return {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name, namespace },
        spec: { selector: labels, ports: [{ port: 80, targetPort: 8080 }] },
      } as KubernetesObject;
    }
    return {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name, namespace },
      data: { index: String(i) },
    } as KubernetesObject;
  });
}

async function benchDrift(
  plane: ControlPlane,
  cluster: Cluster,
  dir: string,
): Promise<{ status: number; kubectl: number }> {
  const namespace = "drift";
  await plane.kubectl("create", "namespace", namespace);
  const objects = driftObjects(namespace, DRIFT_OBJECTS);
  const target = { inventory: "drift", inventoryNamespace: namespace };
  await applyObjects(cluster, objects, target);
  await plane.kubectl("-n", namespace, "patch", "configmap", "obj-002", "-p", '{"data":{"index":"changed"}}');
  const file = path.join(dir, "drift.yaml");
  await writeFile(file, objects.map((o) => stringify(o)).join("---\n"));
  const status: number[] = [];
  const kubectl: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    let started = performance.now();
    const result = await syncStatus(cluster, objects, target);
    status.push(performance.now() - started);
    const drifted = result.objects.filter((o) => o.sync === "OutOfSync").map((o) => o.object);
    if (drifted.length !== 1) throw new Error(`expected one drifted object, got ${drifted.join(", ")}`);
    started = performance.now();
    // kubectl diff exits 1 when there is a difference, as here.
    await run(
      path.join(K8S_BIN, "kubectl"),
      [
        "--kubeconfig",
        plane.kubeconfig,
        "diff",
        "--server-side",
        "--force-conflicts",
        "--field-manager",
        "slipway",
        "-f",
        file,
      ],
      { maxBuffer: 64 << 20 },
    ).catch((error: { code?: number }) => {
      if (error.code !== 1) throw error;
    });
    kubectl.push(performance.now() - started);
  }
  report({
    bench: "kubernetes-drift",
    objects: DRIFT_OBJECTS,
    status_ms: round(median(status), 0),
    kubectl_diff_ms: round(median(kubectl), 0),
    speed_vs_kubectl: round(median(kubectl) / median(status), 3),
  });
  return { status: median(status), kubectl: median(kubectl) };
}
