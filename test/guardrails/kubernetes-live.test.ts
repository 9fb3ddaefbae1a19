// `slipway check --kubeconfig`: the live objects of a real control plane (kube-apiserver with
// RBAC, controllers, scheduler, kwok as the node) checked with the rules manifest files get. The
// strongest check compares the two: the same manifests, applied and read back, must raise the
// same rules on the same objects as when scanned as files.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { XMLParser } from "fast-xml-parser";
import { createRequire } from "node:module";
import ajvDraft04 from "ajv-draft-04";
import ajvFormats from "ajv-formats";
import { parseAllDocuments } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EnvironmentError, UsageError } from "../../src/errors/index.js";
import { scan, type Finding, type ScanResult } from "../../src/guardrails/index.js";
import { kubernetesScanner } from "../../src/guardrails/kubernetes/index.js";
import { readLiveObjects, scanCluster } from "../../src/guardrails/kubernetes/live.js";
import { cliAsync } from "../support/cli.js";
import { startControlPlane, type ControlPlane } from "../support/kubernetes.js";

const TODAY = "2026-01-01";

// The API server of the test bed refuses `privileged: true` (it runs without --allow-privileged),
// so the risky pod settings here are the ones it admits: root, host namespaces, the runtime socket,
// SYS_ADMIN, privilege escalation.
const SHOP = `apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: v1
kind: LimitRange
metadata:
  name: memory
  namespace: shop
spec:
  limits:
    - type: Container
      default:
        memory: 256Mi
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: 2
  selector:
    matchLabels: { app: web }
  template:
    metadata:
      labels: { app: web }
    spec:
      containers:
        - name: web
          image: nginx:latest
          ports:
            - containerPort: 8080
          securityContext:
            allowPrivilegeEscalation: true
            capabilities:
              add: [SYS_ADMIN]
---
apiVersion: v1
kind: Pod
metadata:
  name: debug
  namespace: shop
spec:
  hostNetwork: true
  securityContext:
    runAsUser: 0
  containers:
    - name: shell
      image: busybox:1.36
      volumeMounts:
        - { name: docker, mountPath: /var/run/docker.sock }
  volumes:
    - name: docker
      hostPath:
        path: /var/run/docker.sock
---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
  namespace: shop
spec:
  selector:
    matchLabels: { app: agent }
  template:
    metadata:
      labels: { app: agent }
    spec:
      hostPID: true
      hostIPC: true
      automountServiceAccountToken: false
      containers:
        - name: agent
          image: registry.example/agent:2.1
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
  namespace: shop
spec:
  serviceName: db
  selector:
    matchLabels: { app: db }
  template:
    metadata:
      labels: { app: db }
    spec:
      containers:
        - name: db
          image: registry.example/postgres:17@sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0
          env:
            - name: POSTGRES_PASSWORD
              valueFrom:
                secretKeyRef: { name: db, key: password }
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: ci
  namespace: shop
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: ci-admin
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: cluster-admin
subjects:
  - kind: ServiceAccount
    name: ci
    namespace: shop
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: report
  namespace: shop
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          serviceAccountName: ci
          restartPolicy: OnFailure
          containers:
            - name: report
              image: registry.example/report:1.0
              env:
                - name: DB_PASSWORD
                  value: hunter2-in-production
---
apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
  namespace: shop
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: migrate
          image: registry.example/migrate:3.0
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
spec:
  type: NodePort
  selector: { app: web }
  ports:
    - port: 80
      targetPort: 8080
---
apiVersion: v1
kind: Service
metadata:
  name: legacy
  namespace: shop
spec:
  selector: { app: legacy }
  ports:
    - port: 80
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: shop
spec:
  rules:
    - host: shop.example
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service: { name: web, port: { number: 80 } }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: pod-admin
  namespace: shop
rules:
  - apiGroups: [""]
    resources: [pods, secrets]
    verbs: ["*"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: pod-admin
  namespace: shop
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: pod-admin
subjects:
  - kind: User
    name: alice
    apiGroup: rbac.authorization.k8s.io
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: web
  namespace: shop
spec:
  minAvailable: 1
  selector:
    matchLabels: { app: website }
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: web
  namespace: shop
spec:
  scaleTargetRef: { apiVersion: apps/v1, kind: Deployment, name: web }
  minReplicas: 2
  maxReplicas: 5
`;

// A namespace that is mostly in order: a default-deny policy, a suppressed floating tag, and a
// workload whose ServiceAccount a ClusterRoleBinding makes cluster-admin.
const QUIET = `apiVersion: v1
kind: Namespace
metadata:
  name: quiet
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny
  namespace: quiet
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: deployer
  namespace: quiet
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: quiet-deployer
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: cluster-admin
subjects:
  - kind: ServiceAccount
    name: deployer
    namespace: quiet
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: calm
  namespace: quiet
  annotations:
    slipway.dev/ignore: "K8S-014 the registry mirror pins latest to a reviewed digest"
spec:
  selector:
    matchLabels: { app: calm }
  template:
    metadata:
      labels: { app: calm }
    spec:
      serviceAccountName: deployer
      containers:
        - name: calm
          image: nginx:latest
`;

let plane: ControlPlane;
let work: string;
let manifests: string;
/** The live scan of all namespaces, read once the controllers have made their objects. */
let live: ScanResult;

async function until(what: string, test: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await test())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

beforeAll(async () => {
  plane = await startControlPlane();
  work = mkdtempSync(path.join(os.tmpdir(), "slipway-live-"));
  manifests = path.join(work, "manifests");
  mkdirSync(manifests);
  writeFileSync(path.join(manifests, "shop.yaml"), SHOP);
  writeFileSync(path.join(manifests, "quiet.yaml"), QUIET);
  await plane.kubectl("apply", "-f", path.join(manifests, "shop.yaml"));
  await plane.kubectl("apply", "-f", path.join(manifests, "quiet.yaml"));
  // Objects the controllers make from templates: a Job from the CronJob, and a pod owned by
  // something that is not a workload controller (an operator's object; here a ConfigMap).
  await plane.kubectl("create", "job", "report-manual", "--from=cronjob/report", "-n", "shop");
  await plane.kubectl("create", "configmap", "operator-state", "-n", "quiet");
  const uid = await plane.kubectl(
    "get",
    "configmap",
    "operator-state",
    "-n",
    "quiet",
    "-o",
    "jsonpath={.metadata.uid}",
  );
  const owned = path.join(work, "owned-pod.yaml");
  writeFileSync(
    owned,
    `apiVersion: v1
kind: Pod
metadata:
  name: operated
  namespace: quiet
  ownerReferences:
    - { apiVersion: v1, kind: ConfigMap, name: operator-state, uid: ${uid}, controller: true }
spec:
  automountServiceAccountToken: false
  containers:
    - name: worker
      image: registry.example/worker:1.0
`,
  );
  await plane.kubectl("apply", "-f", owned);
  await plane.kubectl("rollout", "status", "deployment/web", "-n", "shop", "--timeout=60s");
  await plane.kubectl("rollout", "status", "daemonset/agent", "-n", "shop", "--timeout=60s");
  await plane.kubectl("rollout", "status", "statefulset/db", "-n", "shop", "--timeout=60s");
  const podsOf = async (selector: string) =>
    (await plane.kubectl("get", "pods", "-n", "shop", "-l", selector, "-o", "name")).trim() !== "";
  await until(
    "the jobs' pods",
    async () => (await podsOf("job-name=report-manual")) && (await podsOf("job-name=migrate")),
  );
  live = await scanCluster({ kubeconfig: plane.kubeconfig, today: TODAY });
}, 180_000);

afterAll(async () => {
  await plane?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** `RULE resource` of each finding, sorted: what a rule said about which object. */
function verdicts(findings: readonly Finding[], only?: ReadonlySet<string>): string[] {
  return findings
    .filter((f) => !only || only.has(f.resource ?? ""))
    .map((f) => `${f.ruleId} ${f.resource ?? f.span.file}`)
    .sort();
}

/** The addresses (`Kind/namespace/name`) of the objects in manifest text. */
function addresses(...texts: string[]): Set<string> {
  const out = new Set<string>();
  for (const text of texts)
    for (const doc of parseAllDocuments(text)) {
      const object = doc.toJS() as { kind: string; metadata: { name: string; namespace?: string } };
      out.add([object.kind, object.metadata.namespace, object.metadata.name].filter(Boolean).join("/"));
    }
  return out;
}

function finding(result: ScanResult, ruleId: string, resource: string): Finding {
  const found = result.findings.find((f) => f.ruleId === ruleId && f.resource === resource);
  if (!found) throw new Error(`no ${ruleId} on ${resource} in:\n${verdicts(result.findings).join("\n")}`);
  return found;
}

describe("slipway check of a live cluster", () => {
  it("raises the same rules on the same objects as the manifests they were applied from", async () => {
    const files = await scan({ root: manifests, scanners: [kubernetesScanner], env: {}, today: TODAY });
    const applied = addresses(SHOP, QUIET);
    const fromFiles = verdicts(files.findings);
    const fromCluster = verdicts(live.findings, applied);
    // Every verdict on a manifest holds for its live object, and nothing else is said about
    // them, but for one thing the cluster knows and the files do not: the built-in cluster-admin
    // ClusterRole grants `*`, so binding it is also "a role with wildcard verbs".
    const extra = fromCluster.filter((v) => !fromFiles.includes(v));
    expect(fromCluster.filter((v) => !extra.includes(v))).toEqual(fromFiles);
    expect(extra).toEqual([
      "K8S-044 ClusterRoleBinding/ci-admin",
      "K8S-044 ClusterRoleBinding/quiet-deployer",
    ]);
    // A broad spread of the rules took part: pod security, host access, images, RBAC, network;
    // and the LimitRange was read, or every container in shop would lack a memory limit (K8S-017).
    expect(new Set(fromFiles.map((v) => v.split(" ")[0])).size).toBeGreaterThanOrEqual(25);
    expect(
      verdicts(
        live.suppressed.map((s) => s.finding),
        applied,
      ),
    ).toEqual(verdicts(files.suppressed.map((s) => s.finding)));
    expect(live.diagnostics).toEqual([]);
  });

  it("names the live object: its context, namespace, kind and name, with the offending line", () => {
    const socket = finding(live, "K8S-012", "Pod/shop/debug");
    expect(socket.span.file).toBe("cluster://testbed/shop/Pod/debug.yaml");
    expect(socket.message).toMatch(/^Pod\/shop\/debug: mounts \/var\/run\/docker\.sock/);
    const text = live.sources.get(socket.span.file) ?? "";
    expect(text.split("\n")[socket.span.line - 1]).toContain("path: /var/run/docker.sock");
    // What the API server records rather than what the object asks for is left out.
    for (const serverSet of [
      "status:",
      "managedFields",
      "resourceVersion",
      "uid:",
      "creationTimestamp",
      "last-applied-configuration",
    ])
      expect(text).not.toContain(serverSet);
    expect(text).toMatch(/^apiVersion: v1\nkind: Pod\nmetadata:\n {2}name: debug\n {2}namespace: shop\n/);
    expect(finding(live, "K8S-039", "ClusterRoleBinding/ci-admin").span.file).toBe(
      "cluster://testbed/ClusterRoleBinding/ci-admin.yaml",
    );
    // The binding's wildcard finding points at the cluster's own cluster-admin role as the reason.
    const wildcard = finding(live, "K8S-044", "ClusterRoleBinding/ci-admin");
    expect(wildcard.provenance[0]?.span.file).toBe("cluster://testbed/ClusterRole/cluster-admin.yaml");
  });

  it("checks a controller's template once, not again in each ReplicaSet, Pod or Job it makes", () => {
    const files = live.files.map((f) => f.path);
    expect(files).toContain("cluster://testbed/shop/Deployment/web.yaml");
    expect(files).toContain("cluster://testbed/shop/Job/migrate.yaml");
    expect(files.filter((f) => /\/(ReplicaSet|Pod)\/(web|agent|db|migrate|report)/.test(f))).toEqual([]);
    expect(files.filter((f) => f.includes("/Job/report-manual"))).toEqual([]);
    // Controlled by something whose template no rule reads: checked itself, or never at all.
    expect(files).toContain("cluster://testbed/quiet/Pod/operated.yaml");
    expect(live.notes.join("\n")).toMatch(/not checked again: \d+ object\(s\) created by a Deployment/);
    // The K8S-007 of web's container is reported once, at the Deployment.
    expect(live.findings.filter((f) => f.ruleId === "K8S-007").map((f) => f.resource)).toEqual([
      "Deployment/shop/web",
    ]);
  });

  it("leaves out what Kubernetes creates itself, but uses it to judge what refers to it", () => {
    expect(
      live.files
        .map((f) => f.path)
        .filter((f) => /ClusterRole\/|\/ServiceAccount\/default|Service\/kubernetes/.test(f)),
    ).toEqual([]);
    expect(live.findings.filter((f) => /^Namespace\/(default|kube-)/.test(f.resource ?? ""))).toEqual([]);
    // A workload whose ServiceAccount is bound to cluster-admin: found through the binding.
    expect(finding(live, "K8S-045", "Deployment/quiet/calm").provenance[0]?.description).toBe(
      "ClusterRoleBinding/quiet-deployer roleRef",
    );
    expect(live.notes.join("\n")).toMatch(/not reported on: \d+ object\(s\) Kubernetes creates itself/);
  });

  it("honours slipway.dev/ignore annotations, including ones added to the live object", async () => {
    const calm = live.suppressed.find((s) => s.finding.resource === "Deployment/quiet/calm");
    expect(calm?.finding.ruleId).toBe("K8S-014");
    expect(calm?.reason).toBe("the registry mirror pins latest to a reviewed digest");

    await plane.kubectl(
      "annotate",
      "--overwrite",
      "pod/debug",
      "-n",
      "shop",
      "slipway.dev/ignore=K8S-012 the node's runtime is podman, which has no docker.sock; K8S-008 expires=2025-06-30 was a debugging session",
    );
    try {
      const after = await scanCluster({ kubeconfig: plane.kubeconfig, namespaces: ["shop"], today: TODAY });
      const suppressed = after.suppressed.filter((s) => s.finding.resource === "Pod/shop/debug");
      expect(suppressed.map((s) => s.finding.ruleId)).toEqual(["K8S-012"]);
      // An expired entry does not suppress, and says so.
      expect(after.findings.some((f) => f.ruleId === "K8S-008" && f.resource === "Pod/shop/debug")).toBe(
        true,
      );
      expect(after.expiredSuppressions.map((s) => s.ruleId)).toEqual(["K8S-008"]);
    } finally {
      await plane.kubectl("annotate", "pod/debug", "-n", "shop", "slipway.dev/ignore-");
    }
  });

  it("limits the check to --namespace, reading cluster-scoped bindings only to relate them", async () => {
    const quiet = await scanCluster({ kubeconfig: plane.kubeconfig, namespaces: ["quiet"], today: TODAY });
    expect(quiet.files.map((f) => f.path)).toEqual([
      "cluster://testbed/Namespace/quiet.yaml",
      "cluster://testbed/quiet/Deployment/calm.yaml",
      "cluster://testbed/quiet/NetworkPolicy/default-deny.yaml",
      "cluster://testbed/quiet/Pod/operated.yaml",
      "cluster://testbed/quiet/ServiceAccount/deployer.yaml",
    ]);
    expect(new Set(quiet.findings.map((f) => f.span.file.split("/").slice(0, 4).join("/")))).toEqual(
      new Set(["cluster://testbed/quiet"]),
    );
    // The binding is outside the namespace and not reported, but it still makes calm cluster-admin.
    expect(quiet.findings.some((f) => f.ruleId === "K8S-039")).toBe(false);
    finding(quiet, "K8S-045", "Deployment/quiet/calm");
    expect(quiet.notes.join("\n")).toMatch(/checked 5 live object\(s\) in namespace quiet/);
    expect(quiet.notes.join("\n")).toMatch(/cluster-scoped role\(s\) and binding\(s\) outside --namespace/);
    // The same verdicts as the all-namespace check on those objects.
    const inQuiet = (f: Finding) => f.span.file.startsWith("cluster://testbed/quiet/");
    expect(verdicts(quiet.findings.filter(inQuiet))).toEqual(verdicts(live.findings.filter(inQuiet)));

    const nowhere = scanCluster({ kubeconfig: plane.kubeconfig, namespaces: ["nowhere"] });
    await expect(nowhere).rejects.toBeInstanceOf(UsageError);
    await expect(nowhere).rejects.toThrow("namespace nowhere does not exist in context testbed");
  });

  it("skips the kinds a user may not list, with a note, and refuses a user who may list nothing", async () => {
    const nobody = await plane.user("nobody");
    const refused = scanCluster({ kubeconfig: nobody });
    await expect(refused).rejects.toBeInstanceOf(EnvironmentError);
    await expect(refused).rejects.toThrow(
      /user-nobody may not read any of the objects slipway check looks at in context testbed/,
    );

    // The built-in view role reads workloads, Services and policies, but no RBAC objects.
    const auditor = await plane.user("auditor");
    await plane.kubectl(
      "create",
      "clusterrolebinding",
      "auditor-view",
      "--clusterrole=view",
      "--user=auditor",
    );
    const audit = await scanCluster({ kubeconfig: auditor, today: TODAY });
    const skipped = audit.notes.find((n) => n.startsWith("not checked, the user may not list them (403)"));
    expect(skipped).toContain(
      "Role (rbac.authorization.k8s.io/v1), RoleBinding (rbac.authorization.k8s.io/v1), ClusterRole (rbac.authorization.k8s.io/v1), ClusterRoleBinding (rbac.authorization.k8s.io/v1)",
    );
    finding(audit, "K8S-012", "Pod/shop/debug");
    expect(audit.findings.some((f) => /^(Cluster)?Role(Binding)?\//.test(f.resource ?? ""))).toBe(false);

    // A developer who may only view one namespace checks it; cluster-scoped kinds are skipped.
    const developer = await plane.user("developer");
    await plane.kubectl(
      "create",
      "rolebinding",
      "developer-view",
      "--clusterrole=view",
      "--user=developer",
      "-n",
      "quiet",
    );
    const own = await readLiveObjects({ kubeconfig: developer, namespaces: ["quiet"] });
    expect(own.files.map((f) => f.path)).toContain("cluster://testbed/quiet/Deployment/calm.yaml");
    expect(own.notes.join("\n")).toMatch(/\(403\): .*ClusterRoleBinding/);
    await expect(readLiveObjects({ kubeconfig: developer })).rejects.toThrow(/may not read any/);
  });
});

describe("slipway check --kubeconfig (the built CLI)", () => {
  it("prints the findings of the live objects and exits 1 at or above --fail-on", async () => {
    const text = await cliAsync(work, ["check", "--kubeconfig", plane.kubeconfig]);
    expect(text.status, text.stderr).toBe(1);
    expect(text.stdout).toContain("cluster://testbed/shop/Pod/debug.yaml:");
    expect(text.stdout).toContain("CRITICAL K8S-012");
    expect(text.stdout).toMatch(
      /note: testbed \(https:\/\/127\.0\.0\.1:\d+\): checked \d+ live object\(s\) in all namespaces/,
    );

    // quiet's worst finding is high (K8S-045): critical does not fail, high does.
    const quiet = ["check", "--kubeconfig", plane.kubeconfig, "--namespace", "quiet"];
    expect((await cliAsync(work, [...quiet, "--fail-on", "critical"])).status).toBe(0);
    expect((await cliAsync(work, [...quiet, "--fail-on", "high"])).status).toBe(1);
    expect(
      (
        await cliAsync(work, [
          "check",
          "--kubeconfig",
          plane.kubeconfig,
          "--context",
          "testbed",
          "--namespace",
          "shop",
          "quiet",
          "--fail-on",
          "none",
        ])
      ).status,
    ).toBe(0);
  });

  it("writes SARIF, JSON and JUnit reports that name the live objects", async () => {
    const sarif = await cliAsync(work, [
      "check",
      "--kubeconfig",
      plane.kubeconfig,
      "--format",
      "sarif",
      "--namespace",
      "shop",
    ]);
    expect(sarif.status, sarif.stderr).toBe(1);
    const log = JSON.parse(sarif.stdout) as {
      runs: {
        results: {
          ruleId: string;
          locations: {
            physicalLocation: { artifactLocation: { uri: string } };
            logicalLocations?: { fullyQualifiedName: string }[];
          }[];
        }[];
      }[];
    };
    const validate = sarifValidator();
    expect(validate(log), JSON.stringify(validate.errors)).toBe(true);
    const socket = log.runs[0]?.results.find((r) => r.ruleId === "K8S-012");
    expect(socket?.locations[0]?.physicalLocation.artifactLocation.uri).toBe(
      "cluster%3A//testbed/shop/Pod/debug.yaml",
    );
    expect(socket?.locations[0]?.logicalLocations?.[0]?.fullyQualifiedName).toBe("Pod/shop/debug");

    const json = await cliAsync(work, [
      "check",
      "--kubeconfig",
      plane.kubeconfig,
      "--format",
      "json",
      "--namespace",
      "shop",
    ]);
    const report = JSON.parse(json.stdout) as {
      findings: { ruleId: string; resource: string; location: { file: string } }[];
      notes: string[];
    };
    expect(report.findings.find((f) => f.ruleId === "K8S-012")).toMatchObject({
      resource: "Pod/shop/debug",
      location: { file: "cluster://testbed/shop/Pod/debug.yaml" },
    });
    expect(report.notes[0]).toMatch(/in namespace shop$/);

    const junit = path.join(work, "check.xml");
    expect(
      (await cliAsync(work, ["check", "--kubeconfig", plane.kubeconfig, "--format", "junit", "-o", junit]))
        .status,
    ).toBe(1);
    const xml = JSON.stringify(new XMLParser({ ignoreAttributes: false }).parse(readFileSync(junit, "utf8")));
    expect(xml).toContain("K8S-012 Pod mounts the container runtime socket: Pod/shop/debug");
    expect(xml).toContain("cluster://testbed/shop/Pod/debug.yaml");
  });

  it("accepts a baseline of the live findings, stable from one read of the cluster to the next", async () => {
    const baseline = path.join(work, "cluster-baseline.json");
    const written = await cliAsync(work, [
      "check",
      "--kubeconfig",
      plane.kubeconfig,
      "--write-baseline",
      baseline,
    ]);
    expect(written.status, written.stderr).toBe(0);
    // Pods were rescheduled, resourceVersions moved: the fingerprints must not.
    await plane.kubectl("rollout", "restart", "deployment/web", "-n", "shop");
    await plane.kubectl("rollout", "status", "deployment/web", "-n", "shop", "--timeout=60s");
    const again = await cliAsync(work, ["check", "--kubeconfig", plane.kubeconfig, "--baseline", baseline]);
    expect(again.status, again.stdout).toBe(0);
    expect(again.stdout).toMatch(/no findings; \d+ suppressed/);
  });

  it("refuses paths with --kubeconfig, and cluster options without it, with a hint", async () => {
    const both = await cliAsync(work, ["check", "--kubeconfig", plane.kubeconfig, "manifests"]);
    expect(both.status).toBe(2);
    expect(both.stderr).toContain("--kubeconfig checks a cluster, not files: manifests given too");
    expect(both.stderr).toContain(
      "hint: run `slipway check PATH...` and `slipway check --kubeconfig FILE` separately",
    );
    const alone = await cliAsync(work, ["check", "--namespace", "shop"]);
    expect(alone.status).toBe(2);
    expect(alone.stderr).toContain("hint: add --kubeconfig FILE");
    const nobody = await cliAsync(work, ["check", "--kubeconfig", await plane.user("nobody2")]);
    expect(nobody.status).toBe(3);
    expect(nobody.stderr).toMatch(/error: user-nobody2 may not read any of the objects/);
  });
});

function sarifValidator() {
  const require = createRequire(import.meta.url);
  const schema = JSON.parse(
    readFileSync(require.resolve("@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json"), "utf8"),
  ) as Record<string, unknown>;
  const ajv = new ajvDraft04.default({ allErrors: true, strict: false, unicodeRegExp: false });
  ajvFormats.default(ajv);
  return ajv.compile(schema);
}
