// Kustomizations are rendered with the real `kubectl kustomize` (it works offline) and findings are
// mapped back to the files the output was built from.
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createKubernetesScanner, kubernetesScanner } from "../../../src/guardrails/kubernetes/index.js";
import { scanFiles, writeTree } from "./scan-helper.js";

const BASE = {
  "base/kustomization.yaml": "resources:\n  - deployment.yaml\n  - service.yaml\n",
  "base/deployment.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          # slipway:ignore K8S-015 digests are pinned by the release pipeline
          image: nginx
          securityContext:
            readOnlyRootFilesystem: true
`,
  "base/service.yaml": `apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  type: NodePort
  selector: {app: web}
  ports: [{port: 80}]
`,
};

const OVERLAY = {
  "overlays/prod/kustomization.yaml": `resources:
  - ../../base
namespace: prod
namePrefix: prod-
images:
  - name: nginx
    newTag: "1.27.3"
patches:
  - path: security.yaml
`,
  "overlays/prod/security.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: web
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: false
`,
};

const RULES = ["K8S-002", "K8S-005", "K8S-014", "K8S-015", "K8S-031", "K8S-041"];

describe("kustomize", () => {
  it("checks the rendered overlay and reports at the base or patch line that set each value", async () => {
    const result = await scanFiles(kubernetesScanner, { ...BASE, ...OVERLAY }, { rules: RULES });
    expect(result.diagnostics).toEqual([]);
    expect(
      result.findings.map((f) => `${f.ruleId} ${f.span.file}:${f.span.line} ${f.resource ?? ""}`),
    ).toEqual([
      "K8S-031 base/service.yaml:6 Service/prod/prod-web",
      "K8S-005 overlays/prod/security.yaml:12 Deployment/prod/prod-web",
    ]);
    // The patch fixed allowPrivilegeEscalation and kustomize pinned the tag: neither is reported.
    expect(
      result.suppressed.map((s) => `${s.finding.ruleId} ${s.finding.span.file}:${s.finding.span.line}`),
    ).toEqual(["K8S-015 base/deployment.yaml:15"]);
    expect(result.notes).toEqual([
      "overlays/prod: rendered with kubectl kustomize; findings point at the files it is built from",
    ]);
    expect(result.files.map((f) => f.path)).toEqual([
      "base/deployment.yaml",
      "base/service.yaml",
      "overlays/prod/kustomization.yaml",
      "overlays/prod/security.yaml",
    ]);
  });

  it("renders a base on its own when no overlay in the scan uses it", async () => {
    const result = await scanFiles(kubernetesScanner, BASE, { rules: RULES });
    expect(result.findings.map((f) => `${f.ruleId} ${f.resource ?? ""}`)).toEqual([
      "K8S-014 Deployment/web",
      "K8S-002 Deployment/web",
      "K8S-031 Service/web",
    ]);
    expect(result.notes).toEqual([
      "base: rendered with kubectl kustomize; findings point at the files it is built from",
    ]);
  });

  it("reports where the kustomization sets the namespace", async () => {
    const result = await scanFiles(
      kubernetesScanner,
      {
        ...BASE,
        ...OVERLAY,
        "overlays/prod/kustomization.yaml": OVERLAY["overlays/prod/kustomization.yaml"].replace(
          "prod\n",
          "default\n",
        ),
      },
      { rules: ["K8S-041"] },
    );
    expect(result.findings.map((f) => `${f.span.file}:${f.span.line}:${f.span.column}`)).toEqual([
      "overlays/prod/kustomization.yaml:3:1",
      "overlays/prod/kustomization.yaml:3:1",
    ]);
  });

  it("without kubectl, says so and checks the resources as written (never the patches)", async () => {
    const scanner = createKubernetesScanner({ kubectl: "/nonexistent/slipway-test/kubectl" });
    const result = await scanFiles(scanner, { ...BASE, ...OVERLAY }, { rules: RULES });
    expect(result.notes).toEqual([
      "overlays/prod: kustomization not rendered: kubectl is not installed (install kubectl to check it as deployed); its resources were checked as written",
    ]);
    expect(result.findings.map((f) => `${f.ruleId} ${f.span.file} ${f.resource ?? ""}`)).toEqual([
      "K8S-014 base/deployment.yaml Deployment/web",
      "K8S-002 base/deployment.yaml Deployment/web",
      "K8S-031 base/service.yaml Service/web",
    ]);
  });

  it("reports a kustomization kubectl cannot build, and checks its resources as written", async () => {
    const broken = {
      ...BASE,
      "base/kustomization.yaml": "resources:\n  - deployment.yaml\n  - missing.yaml\n",
    };
    const result = await scanFiles(kubernetesScanner, broken, { rules: ["K8S-014"] });
    expect(result.diagnostics).toEqual([
      expect.objectContaining({
        span: { file: "base/kustomization.yaml", line: 1, column: 1 },
        message: expect.stringContaining("kubectl kustomize base failed"),
      }),
    ]);
    expect(result.findings.map((f) => `${f.ruleId} ${f.span.file}`)).toEqual([
      "K8S-014 base/deployment.yaml",
    ]);
  });

  it("stops a render that hangs, reports it and goes on", async () => {
    const dir = writeTree({});
    const kubectl = join(dir, "kubectl");
    writeFileSync(kubectl, "#!/bin/sh\nexec sleep 30\n");
    chmodSync(kubectl, 0o755);
    const scanner = createKubernetesScanner({ kubectl, timeoutMs: 300 });
    const started = Date.now();
    const result = await scanFiles(scanner, BASE, { rules: ["K8S-014"] });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(result.diagnostics.map((d) => d.message)).toEqual([
      `kubectl kustomize base failed: ${kubectl} did not finish within 0.3s`,
    ]);
    expect(result.findings.map((f) => f.ruleId)).toEqual(["K8S-014"]);
  });
});
