// Helm charts are rendered with `helm template`. helm is not installed on every machine, so the
// missing-helm path is tested with a command that does not exist, and the rendering path with a
// stand-in executable that prints what helm prints for this chart.
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createKubernetesScanner } from "../../../src/guardrails/kubernetes/index.js";
import { scanFiles, writeTree } from "./scan-helper.js";

const TEMPLATE = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "web.fullname" . }}
  labels:
    {{- include "web.labels" . | nindent 4 }}
spec:
  template:
    metadata:
      labels: {app: web}
    spec:
      # slipway:ignore K8S-008 the chart's node agent mode
      hostNetwork: {{ .Values.hostNetwork }}
      containers:
        - name: web
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
          securityContext:
            privileged: {{ .Values.privileged }}
`;

const CHART = {
  "charts/web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.3.0\n",
  "charts/web/values.yaml":
    "image:\n  repository: nginx\n  tag: '1.27'\nhostNetwork: true\nprivileged: true\n",
  "charts/web/templates/deployment.yaml": TEMPLATE,
  "charts/web/templates/serviceaccount.yaml":
    "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {{ .Release.Name }}\n",
  "manifests/config.yaml":
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: default\n",
};

const RENDERED = `---
# Source: web/templates/serviceaccount.yaml
apiVersion: v1
kind: ServiceAccount
metadata:
  name: release-name
---
# Source: web/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: release-name-web
  labels:
    app.kubernetes.io/name: web
spec:
  template:
    metadata:
      labels: {app: web}
    spec:
      # slipway:ignore K8S-008 the chart's node agent mode
      hostNetwork: true
      containers:
        - name: web
          image: "nginx:1.27"
          securityContext:
            privileged: true
`;

function fakeHelm(output: string, exitCode = 0): string {
  const dir = writeTree({ "rendered.yaml": output });
  const script = join(dir, "helm");
  writeFileSync(
    script,
    `#!/bin/sh\n[ "$1" = template ] || exit 64\n${exitCode === 0 ? `cat "${join(dir, "rendered.yaml")}"` : 'echo "Error: found in Chart.yaml, but missing in charts/ directory: postgresql" >&2'}\nexit ${exitCode}\n`,
  );
  chmodSync(script, 0o755);
  return script;
}

describe("Helm charts", () => {
  it("without helm: a clear note, no template read as YAML, the other manifests still checked", async () => {
    const scanner = createKubernetesScanner({ helm: "/nonexistent/slipway-test/helm" });
    const result = await scanFiles(scanner, CHART, { rules: ["K8S-001", "K8S-008", "K8S-041"] });
    expect(result.notes).toEqual([
      "charts/web: Helm chart not rendered: helm is not installed (install helm to check it)",
    ]);
    expect(result.diagnostics).toEqual([]);
    expect(result.findings.map((f) => `${f.ruleId} ${f.span.file}`)).toEqual([
      "K8S-041 manifests/config.yaml",
    ]);
  });

  it("rendered: findings point at the template named by helm's Source comment, comments still suppress", async () => {
    const scanner = createKubernetesScanner({ helm: fakeHelm(RENDERED) });
    const result = await scanFiles(scanner, CHART, { rules: ["K8S-001", "K8S-008", "K8S-014"] });
    expect(result.diagnostics).toEqual([]);
    expect(
      result.findings.map((f) => `${f.ruleId} ${f.span.file}:${f.span.line} ${f.resource ?? ""}`),
    ).toEqual(["K8S-001 charts/web/templates/deployment.yaml:18 Deployment/release-name-web"]);
    expect(
      result.suppressed.map((s) => `${s.finding.ruleId} ${s.finding.span.file}:${s.finding.span.line}`),
    ).toEqual(["K8S-008 charts/web/templates/deployment.yaml:13"]);
    expect(result.notes).toEqual([
      "charts/web: rendered with helm template; lines inside templates are approximate (helm keeps no line map)",
    ]);
    expect(result.files.map((f) => f.path)).toEqual(
      expect.arrayContaining(["charts/web/Chart.yaml", "charts/web/templates/deployment.yaml"]),
    );
  });

  it("a chart helm cannot render is a diagnostic on its Chart.yaml", async () => {
    const scanner = createKubernetesScanner({ helm: fakeHelm("", 1) });
    const result = await scanFiles(scanner, CHART, { rules: ["K8S-001"] });
    expect(result.diagnostics).toEqual([
      expect.objectContaining({
        span: { file: "charts/web/Chart.yaml", line: 1, column: 1 },
        message:
          "helm template charts/web failed: Error: found in Chart.yaml, but missing in charts/ directory: postgresql",
      }),
    ]);
    expect(result.findings).toEqual([]);
  });
});
