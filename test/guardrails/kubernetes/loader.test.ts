import { describe, expect, it } from "vitest";
import { kubernetesScanner } from "../../../src/guardrails/kubernetes/index.js";
import { objectsOf } from "../../../src/guardrails/kubernetes/load.js";
import { workloadOf } from "../../../src/guardrails/kubernetes/model.js";
import { parseYamlFile } from "../../../src/guardrails/kubernetes/yaml-tree.js";
import { places, scanFiles } from "./scan-helper.js";

const file = (path: string, text: string) => ({ path, absolutePath: `/repo/${path}`, text });

const POD = `apiVersion: v1
kind: Pod
metadata:
  name: debug
spec:
  hostPID: true
  containers:
    - name: shell
      image: busybox:1.36
`;

describe("claims", () => {
  it("takes manifests by content, charts and kustomizations by name", () => {
    expect(kubernetesScanner.claims(file("deploy/web.yaml", POD))).toBe(true);
    expect(kubernetesScanner.claims(file("deploy/web.json", '{"apiVersion":"v1","kind":"Pod"}'))).toBe(true);
    expect(kubernetesScanner.claims(file("charts/web/Chart.yaml", "apiVersion: v2\nname: web\n"))).toBe(true);
    expect(
      kubernetesScanner.claims(file("overlays/prod/kustomization.yaml", "resources: [../../base]\n")),
    ).toBe(true);
  });

  it("leaves workflows, CloudFormation, compose files and other formats alone", () => {
    expect(
      kubernetesScanner.claims(file(".github/workflows/ci.yml", "on: push\njobs:\n  b:\n    runs-on: x\n")),
    ).toBe(false);
    expect(
      kubernetesScanner.claims(file("stack.yaml", "AWSTemplateFormatVersion: 2010-09-09\nResources: {}\n")),
    ).toBe(false);
    expect(kubernetesScanner.claims(file("compose.yaml", "services:\n  web:\n    image: nginx\n"))).toBe(
      false,
    );
    expect(kubernetesScanner.claims(file("pod.txt", POD))).toBe(false);
  });
});

describe("loading objects", () => {
  it("reads every document, unwraps Lists and ignores documents that are not objects", () => {
    const text = `${POD}---
# a compose-like document in the same file
services:
  web: {image: nginx}
---
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: ServiceAccount
    metadata: {name: web, namespace: shop}
  - apiVersion: rbac.authorization.k8s.io/v1
    kind: ClusterRole
    metadata: {name: reader, namespace: ignored-for-cluster-scope}
---
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources: [pod.yaml]
`;
    const objects = objectsOf(parseYamlFile("all.yaml", text));
    expect(objects.map((o) => o.address)).toEqual([
      "Pod/debug",
      "ServiceAccount/shop/web",
      "ClusterRole/reader",
    ]);
    expect(objects[1]?.span).toMatchObject({ line: 18, column: 5, endLine: 20 });
  });

  it("finds the pod spec of every workload kind, CronJob's jobTemplate included", () => {
    const cron = objectsOf(
      parseYamlFile(
        "cron.yaml",
        `apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec:
  schedule: "@daily"
  jobTemplate:
    spec:
      template:
        metadata: {labels: {app: nightly}}
        spec:
          initContainers: [{name: init, image: a:1}]
          containers: [{name: main, image: b:1}]
          ephemeralContainers: [{name: debug, image: c:1}]
`,
      ),
    )[0];
    const workload = cron ? workloadOf(cron) : undefined;
    expect(workload?.containers.map((c) => `${c.role}:${c.name}`)).toEqual([
      "initContainer:init",
      "container:main",
      "ephemeralContainer:debug",
    ]);
    expect(workload?.labels.get("app")).toBe("nightly");
    expect(workload?.podSpecKey).toMatchObject({ line: 10, column: 9 });
  });

  it("points findings at the offending key in YAML and in JSON", async () => {
    const result = await scanFiles(
      kubernetesScanner,
      {
        "pod.yaml": POD,
        "pod.json": JSON.stringify(
          {
            apiVersion: "v1",
            kind: "Pod",
            metadata: { name: "json" },
            spec: { hostIPC: true, containers: [] },
          },
          null,
          2,
        ),
      },
      { rules: ["K8S-009", "K8S-010"] },
    );
    expect(places(result)).toEqual(["K8S-010 pod.json:8:5", "K8S-009 pod.yaml:6:3"]);
    expect(result.findings[1]?.span).toMatchObject({ endLine: 6, endColumn: 16 });
  });

  it("reports malformed documents with positions and still checks the others", async () => {
    const result = await scanFiles(
      kubernetesScanner,
      { "mixed.yaml": `a: [1, 2\n---\n${POD}` },
      { rules: ["K8S-009"] },
    );
    expect(result.diagnostics).toHaveLength(1);
    expect(result.diagnostics[0]?.span).toMatchObject({ file: "mixed.yaml", line: expect.any(Number) });
    expect(places(result)).toEqual(["K8S-009 mixed.yaml:8:3"]);
  });

  it("skips Helm templates found outside a chart directory, with a note", async () => {
    const result = await scanFiles(kubernetesScanner, {
      "templates/deployment.yaml":
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n",
    });
    expect(result.diagnostics).toEqual([]);
    expect(result.notes).toEqual([
      expect.stringContaining("templates/deployment.yaml: looks like a Helm template"),
    ]);
  });

  it("exempts Windows pods from Linux-only settings", async () => {
    const windows = POD.replace("spec:\n", "spec:\n  os: {name: windows}\n");
    const result = await scanFiles(
      kubernetesScanner,
      { "pod.yaml": windows },
      { rules: ["K8S-002", "K8S-006", "K8S-021"] },
    );
    expect(result.findings).toEqual([]);
    const linux = await scanFiles(
      kubernetesScanner,
      { "pod.yaml": POD },
      { rules: ["K8S-002", "K8S-006", "K8S-021"] },
    );
    expect(linux.findings.map((f) => f.ruleId).sort()).toEqual(["K8S-002", "K8S-006", "K8S-021"]);
  });
});
