// Custom rules see Kubernetes objects and containers, and CloudFormation resources, through the
// framework-neutral GenericResource view.
import { describe, expect, it } from "vitest";
import type { CustomRule, GenericResource, Reporter } from "../../../src/guardrails/index.js";
import { cloudformationScanner } from "../../../src/guardrails/cloudformation/index.js";
import { kubernetesScanner } from "../../../src/guardrails/kubernetes/index.js";
import { scanFiles } from "./scan-helper.js";

function customRule(
  id: string,
  framework: CustomRule["framework"],
  check: (resources: readonly GenericResource[], report: Reporter) => void,
): CustomRule {
  return {
    id,
    title: "Custom rule under test",
    severity: "medium",
    framework,
    rationale: "Only for the test of the generic view.",
    remediation: "Nothing to do.",
    references: ["https://example.com"],
    checkResources: check,
  };
}

describe("custom rules", () => {
  it("read Kubernetes objects and containers by dotted path, with the span of the value", async () => {
    const seen: string[] = [];
    const rule = customRule("ACME-001", "kubernetes", (resources, report) => {
      for (const resource of resources) {
        seen.push(`${resource.type} ${resource.address}`);
        const team = resource.get("metadata.labels.team");
        if (resource.type === "Deployment" && team.known && team.value === undefined)
          report({
            message: `${resource.address} has no team label`,
            span: resource.span,
            resource: resource.address,
          });
        const image = resource.get("image");
        if (resource.type === "Container" && image.known && image.span)
          report({
            message: `image ${String(image.value)}`,
            span: image.span,
            enclosing: resource.enclosing,
          });
      }
    });
    const result = await scanFiles(
      kubernetesScanner,
      {
        "web.yaml": `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      containers:
        - name: app
          image: nginx:1.27
`,
      },
      { customRules: [rule], rules: ["ACME-001"] },
    );
    expect(seen).toEqual(["Deployment Deployment/web", "Container Deployment/web container app"]);
    expect(result.findings.map((f) => `${f.ruleId} ${f.span.line}:${f.span.column} ${f.message}`)).toEqual([
      "ACME-001 1:1 Deployment/web has no team label",
      "ACME-001 9:11 image nginx:1.27",
    ]);
  });

  it("read evaluated CloudFormation properties, unknown where only deployment can tell", async () => {
    const values: unknown[] = [];
    const rule = customRule("ACME-002", "cloudformation", (resources) => {
      for (const resource of resources)
        values.push(
          resource.get("Properties.TopicName"),
          resource.get("KmsMasterKeyId"),
          resource.get("Missing"),
        );
    });
    await scanFiles(
      cloudformationScanner,
      {
        "t.yaml": `Parameters:
  Name: {Type: String, Default: alerts}
Resources:
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: !Ref Name
      KmsMasterKeyId: !ImportValue key-arn
`,
      },
      { customRules: [rule] },
    );
    expect(values).toEqual([
      {
        known: true,
        value: "alerts",
        span: expect.objectContaining({ line: 7, column: 7 }),
        provenance: [expect.objectContaining({ description: "parameter Name default" })],
      },
      { known: false },
      expect.objectContaining({ known: true, value: undefined }),
    ]);
  });
});
