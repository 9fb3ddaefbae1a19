import { describe, expect, it } from "vitest";
import { cloudformationScanner } from "../../../src/guardrails/cloudformation/index.js";
import { places, scanFiles } from "../kubernetes/scan-helper.js";

const file = (path: string, text: string) => ({ path, absolutePath: `/repo/${path}`, text });

describe("claims", () => {
  it("takes templates by content, in YAML, JSON and .template files", () => {
    expect(
      cloudformationScanner.claims(file("infra/stack.yaml", 'AWSTemplateFormatVersion: "2010-09-09"\n')),
    ).toBe(true);
    expect(
      cloudformationScanner.claims(
        file("infra/stack.json", '{"Resources": {"B": {"Type": "AWS::S3::Bucket"}}}'),
      ),
    ).toBe(true);
    expect(
      cloudformationScanner.claims(
        file("infra/app.template", "Resources:\n  B:\n    Type: AWS::SNS::Topic\n"),
      ),
    ).toBe(true);
  });

  it("leaves Kubernetes manifests, workflows and unrelated YAML alone", () => {
    expect(cloudformationScanner.claims(file("k8s/pod.yaml", "apiVersion: v1\nkind: Pod\n"))).toBe(false);
    expect(cloudformationScanner.claims(file("ci.yml", "on: push\njobs: {}\n"))).toBe(false);
    expect(cloudformationScanner.claims(file("stack.py", 'AWSTemplateFormatVersion = "x"'))).toBe(false);
  });
});

describe("scanning templates", () => {
  it("checks a Resources-only template and ignores a YAML file that merely mentions AWS types", async () => {
    const result = await scanFiles(cloudformationScanner, {
      "topic.yaml": "Resources:\n  Alerts:\n    Type: AWS::SNS::Topic\n",
      "notes.yaml": "Resources:\n  - see AWS::SNS::Topic docs\n",
    });
    expect(places(result)).toEqual(["CFN-013 topic.yaml:2:3"]);
    expect(result.files.map((f) => f.path)).toEqual(["topic.yaml"]);
  });

  it("points at the offending property in JSON templates", async () => {
    const text = JSON.stringify(
      {
        Resources: {
          Db: {
            Type: "AWS::RDS::DBInstance",
            Properties: { StorageEncrypted: true, PubliclyAccessible: "true" },
          },
        },
      },
      null,
      2,
    );
    const result = await scanFiles(cloudformationScanner, { "db.json": text }, { rules: ["CFN-006"] });
    expect(result.findings[0]?.span).toMatchObject({ file: "db.json", line: 7, column: 9, endLine: 7 });
  });

  it("reports syntax errors of a template with positions, and a resource without Type", async () => {
    const result = await scanFiles(cloudformationScanner, {
      "broken.yaml": 'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  Bucket: [\n',
      "untyped.yaml": 'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  Bucket:\n    Properties: {}\n',
    });
    expect(result.diagnostics.length).toBeGreaterThan(0);
    for (const d of result.diagnostics) expect(d.span.line).toBeGreaterThan(0);
    expect(result.diagnostics).toContainEqual(
      expect.objectContaining({
        message: "resource Bucket has no Type",
        span: expect.objectContaining({ file: "untyped.yaml", line: 3 }),
      }),
    );
  });

  it("never reports a property whose value is unknown", async () => {
    const result = await scanFiles(cloudformationScanner, {
      "stack.yaml": `Parameters:
  Public: {Type: String}
Conditions:
  InRegion: !Equals [!Ref "AWS::Region", eu-west-1]
Resources:
  Db:
    Type: AWS::RDS::DBInstance
    Properties:
      StorageEncrypted: !If [InRegion, true, false]
      PubliclyAccessible: !Ref Public
  Sg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: x
      SecurityGroupIngress:
        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: !ImportValue office-cidr}
  Bucket:
    Type: AWS::S3::Bucket
    Properties: !If [InRegion, {}, {BucketName: x}]
`,
    });
    expect(result.findings).toEqual([]);
  });
});

describe("SAM templates", () => {
  it("check a function URL declared inline on AWS::Serverless::Function", async () => {
    const result = await scanFiles(
      cloudformationScanner,
      {
        "template.yaml": `AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Webhook:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs20.x
      Handler: index.handler
      FunctionUrlConfig:
        AuthType: NONE
`,
      },
      { rules: ["CFN-014"] },
    );
    expect(places(result)).toEqual(["CFN-014 template.yaml:10:9"]);
  });
});
