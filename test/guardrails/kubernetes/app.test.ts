// A realistic application, scanned with every Kubernetes rule: the hardened version must be
// silent, and the legacy version must produce exactly the findings listed in its expected file.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { scan } from "../../../src/guardrails/index.js";
import { kubernetesScanner } from "../../../src/guardrails/kubernetes/index.js";

const FIXTURES = join(import.meta.dirname, "fixtures");

describe("a multi-document application", () => {
  it("hardened: namespace, Deployment, Service, NetworkPolicies, PDB, Ingress and RBAC yield no finding", async () => {
    const result = await scan({ root: join(FIXTURES, "good-app"), scanners: [kubernetesScanner], env: {} });
    expect(result.diagnostics).toEqual([]);
    expect(result.findings.map((f) => `${f.ruleId} ${f.message}`)).toEqual([]);
    expect(result.files.map((f) => f.path)).toEqual([
      "namespace.yaml",
      "network-policies.yaml",
      "rbac.yaml",
      "storefront.yaml",
    ]);
  });

  it("legacy: every finding, with its position, resource and message, is the expected one", async () => {
    const result = await scan({ root: join(FIXTURES, "bad-app"), scanners: [kubernetesScanner], env: {} });
    expect(result.diagnostics).toEqual([]);
    const actual = result.findings.map((f) => ({
      ruleId: f.ruleId,
      file: f.span.file,
      line: f.span.line,
      column: f.span.column,
      resource: f.resource,
      message: f.message,
    }));
    const expected: unknown = JSON.parse(readFileSync(join(FIXTURES, "bad-app.expected.json"), "utf8"));
    expect(actual).toEqual(expected);
  });

  it("legacy: container findings carry their object's span, so object-level suppressions reach them", async () => {
    const result = await scan({ root: join(FIXTURES, "bad-app"), scanners: [kubernetesScanner], env: {} });
    const escalation = result.findings.find((f) => f.ruleId === "K8S-002");
    expect(escalation?.enclosing).toEqual([
      expect.objectContaining({ file: "billing.yaml", line: 1, endLine: 34 }),
    ]);
    const secret = result.findings.find((f) => f.ruleId === "K8S-025");
    expect(secret?.message).not.toContain("bk-prod-7Qm2xR9vLw4Zt8Np");
  });
});
