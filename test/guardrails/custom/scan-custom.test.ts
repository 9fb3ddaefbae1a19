import { rm } from "node:fs/promises";
import { afterAll, describe, expect, it } from "vitest";
import { loadCustomRules } from "../../../src/guardrails/custom/index.js";
import { scan } from "../../../src/guardrails/index.js";
import { secretsScanner } from "../../../src/guardrails/secrets/index.js";
import { checksummedToken, prng } from "../secrets/tokens.js";
import { toyScanner, writeTree } from "./toy-scanner.js";

const roots: string[] = [];
afterAll(async () => {
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
});

const YAML_RULES = `rules:
  - id: ACME-001
    title: Deployments run more than one replica
    severity: medium
    framework: kubernetes
    rationale: A single replica makes every node drain an outage.
    remediation: Set spec.replicas to 2 or more.
    references: [https://wiki.acme.io/availability]
    resource: [Deployment, StatefulSet]
    when:
      attribute: metadata.labels.tier
      not-equals: batch
    require:
      attribute: spec.replicas
      greater-than: 1
`;

const TS_RULES = `import { defineRule } from "slipway/rules";

export const rules = [
  defineRule({
    id: "ACME-002",
    title: "Images come from the company registry",
    severity: "high",
    framework: "kubernetes",
    rationale: "Only images from the registry are scanned and signed.",
    remediation: "Push the image to registry.acme.io and use it from there.",
    references: ["https://wiki.acme.io/registry"],
    check(resources, report) {
      for (const resource of resources) {
        const image = resource.get("spec.image");
        if (!image.known || typeof image.value !== "string") continue;
        if (!image.value.startsWith("registry.acme.io/"))
          report({
            message: \`\${resource.address} pulls \${image.value}\`,
            span: image.span ?? resource.span,
            resource: resource.address,
            enclosing: [resource.span],
          });
      }
    },
  }),
];
`;

const MANIFESTS = `kind: Deployment
metadata:
  name: web
  labels: { tier: frontend }
spec:
  replicas: 1
  image: registry.acme.io/web:1.4.0
---
# slipway:ignore ACME-002 vendor image, mirrored nightly
kind: Deployment
metadata:
  name: api
  labels: { tier: backend }
spec:
  replicas: 3
  image: docker.io/vendor/api:2.0
---
kind: StatefulSet
metadata:
  name: reports
  labels: { tier: batch }
spec:
  replicas: 1
  image: ghcr.io/acme/reports:7
---
kind: Deployment
metadata:
  name: cache
spec:
  replicas: (unknown)
  image: registry.acme.io/cache:1
`;

describe("custom rules in a scan", () => {
  it("run YAML and TypeScript rules next to the framework's own, with suppressions and filters", async () => {
    const root = await writeTree({
      ".slipway/rules/availability.yaml": YAML_RULES,
      ".slipway/rules/registry.ts": TS_RULES,
      "k8s/apps.yaml": MANIFESTS,
    });
    roots.push(root);
    const customRules = await loadCustomRules(root);
    const result = await scan({ root, scanners: [toyScanner], customRules, env: {}, today: "2026-06-01" });
    expect(result.diagnostics).toEqual([]);
    expect(result.findings.map((f) => [f.ruleId, f.resource, f.span.line, f.message])).toEqual([
      ["ACME-001", "Deployment/web", 6, "`spec.replicas` is 1, expected more than 1"],
      ["ACME-002", "StatefulSet/reports", 24, "StatefulSet/reports pulls ghcr.io/acme/reports:7"],
    ]);
    expect(result.findings[1]).toMatchObject({
      severity: "high",
      title: "Images come from the company registry",
    });
    expect(result.suppressed.map((s) => [s.finding.ruleId, s.finding.resource, s.reason])).toEqual([
      ["ACME-002", "Deployment/api", "vendor image, mirrored nightly"],
    ]);
    expect(result.rules.map((r) => r.id)).toEqual(["K8S-901", "K8S-902", "ACME-001", "ACME-002"]);

    const only = await scan({ root, scanners: [toyScanner], customRules, rules: ["ACME-001"], env: {} });
    expect(only.findings.map((f) => f.ruleId)).toEqual(["ACME-001"]);
  });

  it("runs a YAML rule over the secrets scanner's candidates", async () => {
    const token = checksummedToken(prng(3), "ghp_");
    const root = await writeTree({
      ".slipway/rules/secrets.yaml": `rules:
  - id: ACME-003
    title: No credentials at all under deploy/
    severity: critical
    framework: secrets
    rationale: deploy/ is copied into the public release artefact.
    remediation: Keep credentials out of deploy/.
    resource: secret
    require:
      attribute: file
      not-in: [deploy/release.env]
`,
      "deploy/release.env": `GITHUB_TOKEN=${token}\n`,
      "ops/tools.env": `GITHUB_TOKEN=${token}\n`,
    });
    roots.push(root);
    const customRules = await loadCustomRules(root);
    const result = await scan({ root, scanners: [secretsScanner], customRules, env: {} });
    expect(result.findings.map((f) => [f.ruleId, f.span.file, f.severity])).toEqual([
      ["ACME-003", "deploy/release.env", "critical"],
      ["SECRET-003", "deploy/release.env", "critical"],
      ["SECRET-003", "ops/tools.env", "critical"],
    ]);
    expect(result.findings[0]?.message).toBe('`file` is "deploy/release.env", which is not allowed');
  });
});
