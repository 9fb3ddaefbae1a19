import { describe, expect, it } from "vitest";
import { cloudformationScanner } from "../../../src/guardrails/cloudformation/index.js";
import { scanFiles } from "../kubernetes/scan-helper.js";

const STACK = (metadata: string, comment = "") => `AWSTemplateFormatVersion: "2010-09-09"
Resources:
${comment}  Website:
    Type: AWS::S3::Bucket
${metadata}    Properties:
      PublicAccessBlockConfiguration:
        BlockPublicAcls: false
        BlockPublicPolicy: false
        IgnorePublicAcls: false
        RestrictPublicBuckets: false
  Topic:
    Type: AWS::SNS::Topic
`;

const RULES = ["CFN-001", "CFN-013"];

describe("Metadata suppressions", () => {
  it("cover the whole resource, until they expire", async () => {
    const metadata = `    Metadata:
      slipway:
        ignore:
          - id: CFN-001
            reason: static website served to the public
            expires: 2026-06-30
`;
    const live = await scanFiles(
      cloudformationScanner,
      { "site.yaml": STACK(metadata) },
      { rules: RULES, today: "2026-01-01" },
    );
    expect(live.findings.map((f) => f.ruleId)).toEqual(["CFN-013"]);
    expect(live.suppressed.map((s) => s.reason)).toEqual(
      Array(4).fill("static website served to the public"),
    );
    const expired = await scanFiles(
      cloudformationScanner,
      { "site.yaml": STACK(metadata) },
      { rules: RULES, today: "2026-07-01" },
    );
    expect(expired.findings.map((f) => f.ruleId)).toEqual([
      "CFN-001",
      "CFN-001",
      "CFN-001",
      "CFN-001",
      "CFN-013",
    ]);
    expect(expired.notes).toEqual([expect.stringContaining("slipway:ignore CFN-001 expired on 2026-06-30")]);
  });

  it("that are malformed come back as diagnostics", async () => {
    const metadata = `    Metadata:
      slipway:
        ignore:
          - id: CFN-001
          - reason: no id
`;
    const result = await scanFiles(cloudformationScanner, { "site.yaml": STACK(metadata) }, { rules: RULES });
    expect(result.diagnostics.map((d) => [d.span.line, d.message])).toEqual([
      [8, "slipway:ignore CFN-001 needs a reason"],
      [9, "Metadata.slipway.ignore entry of Website needs an id"],
    ]);
  });
});

describe("# slipway:ignore comments", () => {
  it("above a resource cover that resource only", async () => {
    const result = await scanFiles(
      cloudformationScanner,
      { "site.yaml": STACK("", "  # slipway:ignore CFN-001,CFN-013 public website\n") },
      { rules: RULES },
    );
    expect(result.findings.map((f) => `${f.ruleId} ${f.resource ?? ""}`)).toEqual(["CFN-013 Topic"]);
  });

  it("above a property cover that property only", async () => {
    const text = STACK("").replace(
      "        BlockPublicAcls: false\n",
      "        # slipway:ignore CFN-001 legacy ACL readers\n        BlockPublicAcls: false\n",
    );
    const result = await scanFiles(cloudformationScanner, { "site.yaml": text }, { rules: ["CFN-001"] });
    expect(result.findings.map((f) => f.message)).toEqual([
      "Website (AWS::S3::Bucket): BlockPublicPolicy is false",
      "Website (AWS::S3::Bucket): IgnorePublicAcls is false",
      "Website (AWS::S3::Bucket): RestrictPublicBuckets is false",
    ]);
  });
});
