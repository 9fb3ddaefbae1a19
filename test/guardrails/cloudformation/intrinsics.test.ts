import { describe, expect, it } from "vitest";
import { prop } from "../../../src/guardrails/cloudformation/model.js";
import { resource, template, valueOf } from "./load.js";

const TEMPLATE = `AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Env:
    Type: String
    Default: prod
  Cidr:
    Type: String
    Default: 10.0.0.0/16
  NoDefault:
    Type: String
  Zones:
    Type: CommaDelimitedList
    Default: "a, b, c"
  Port:
    Type: Number
    Default: 443
Mappings:
  Sizes:
    prod: { Instance: m7g.large, Disk: 100 }
    dev: { Instance: t4g.small, Disk: 20 }
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  IsDev: !Not [!Condition IsProd]
  ProdAndPort: !And [!Condition IsProd, !Equals [!Ref Port, 443]]
  DevOrUnknown: !Or [!Condition IsDev, !Equals [!Ref NoDefault, x]]
  Unknown: !Equals [!Ref AWS::Region, us-east-1]
Resources:
  Bucket:
    Type: AWS::S3::Bucket
  Thing:
    Type: AWS::Test::Thing
    Properties:
      FromDefault: !Ref Cidr
      NoDefault: !Ref NoDefault
      Region: !Ref AWS::Region
      Removed: !Ref AWS::NoValue
      ResourceRef: !Ref Bucket
      AttrDotted: !GetAtt Bucket.Arn
      AttrList: !GetAtt [Bucket, DomainName]
      Sub: !Sub "\${Env}-\${Port}-\${!Literal}"
      SubVars: !Sub ["\${Name}.example.com", { Name: !FindInMap [Sizes, !Ref Env, Instance] }]
      SubUnknown: !Sub "arn:aws:s3:::\${Bucket}/*"
      SubAttr: !Sub "\${Bucket.Arn}/*"
      Join: !Join ["-", [!Ref Env, api, !Select [1, !Ref Zones]]]
      JoinUnknown: !Join ["", [!Ref AWS::StackName, x]]
      Split: !Split [",", "x,y"]
      Select: !Select [0, !Split ["/", !Ref Cidr]]
      Mapped: !FindInMap [Sizes, !Ref Env, Disk]
      MappedUnknown: !FindInMap [Sizes, !Ref NoDefault, Disk]
      Encoded: !Base64 hello
      IfKnown: !If [IsProd, big, small]
      IfNot: !If [IsDev, big, small]
      IfAnd: !If [ProdAndPort, yes-and, no-and]
      IfOr: !If [DevOrUnknown, yes-or, no-or]
      IfUnknown: !If [Unknown, a, b]
      IfSame: !If [Unknown, same, same]
      IfRemoves: !If [IsProd, !Ref AWS::NoValue, kept]
      Imported: !ImportValue shared-vpc-id
      Zones: !GetAZs ""
      Nested:
        List:
          - keep
          - !Ref AWS::NoValue
          - !If [IsProd, !Ref Port, 80]
  DevOnly:
    Type: AWS::S3::Bucket
    Condition: IsDev
  ProdOnly:
    Type: AWS::S3::Bucket
    Condition: IsProd
  MaybeOnly:
    Type: AWS::S3::Bucket
    Condition: Unknown
`;

describe("intrinsic functions", () => {
  const t = template(TEMPLATE);
  const thing = resource(t, "Thing");

  it("Ref: a parameter's default, UNKNOWN without one, pseudo parameters unknown, NoValue removes the key", () => {
    expect(valueOf(thing, "FromDefault")).toBe("10.0.0.0/16");
    expect(valueOf(thing, "NoDefault")).toBe("UNKNOWN");
    expect(valueOf(thing, "Region")).toBe("UNKNOWN");
    expect(valueOf(thing, "Removed")).toBe("ABSENT");
  });

  it("Ref: records where a default was set and where it is used", () => {
    const found = prop(thing, "FromDefault");
    expect(found?.span).toMatchObject({ line: 33, column: 7 });
    expect(found?.value.provenance).toEqual([
      { description: "parameter Cidr default", span: expect.objectContaining({ line: 8, column: 5 }) },
    ]);
  });

  it("Ref and GetAtt to resources are unknown but remember the resource", () => {
    for (const path of ["ResourceRef", "AttrDotted", "AttrList", "SubUnknown", "SubAttr"]) {
      const found = prop(thing, path);
      expect(found?.value.kind, path).toBe("unknown");
      expect(found?.value.refs, path).toEqual(["Bucket"]);
    }
  });

  it("Sub substitutes parameters, its own variables and escapes", () => {
    expect(valueOf(thing, "Sub")).toBe("prod-443-${Literal}");
    expect(valueOf(thing, "SubVars")).toBe("m7g.large.example.com");
  });

  it("Join, Select, Split, FindInMap and Base64 compute what they can", () => {
    expect(valueOf(thing, "Join")).toBe("prod-api-b");
    expect(valueOf(thing, "JoinUnknown")).toBe("UNKNOWN");
    expect(valueOf(thing, "Split")).toEqual(["x", "y"]);
    expect(valueOf(thing, "Select")).toBe("10.0.0.0");
    expect(valueOf(thing, "Mapped")).toBe(100);
    expect(prop(thing, "Mapped")?.value.provenance.map((p) => p.description)).toEqual([
      "parameter Env default",
      "mapping Sizes.prod.Disk",
    ]);
    expect(valueOf(thing, "MappedUnknown")).toBe("UNKNOWN");
    expect(valueOf(thing, "Encoded")).toBe("aGVsbG8=");
    expect(valueOf(thing, "Imported")).toBe("UNKNOWN");
    expect(valueOf(thing, "Zones")).toBe("UNKNOWN");
  });

  it("If follows conditions computed from defaults (Equals, Not, And, Or, Condition)", () => {
    expect(valueOf(thing, "IfKnown")).toBe("big");
    expect(valueOf(thing, "IfNot")).toBe("small");
    expect(valueOf(thing, "IfAnd")).toBe("yes-and");
    expect(prop(thing, "IfKnown")?.value.provenance.map((p) => p.description)).toEqual([
      "condition IsProd",
      "parameter Env default",
    ]);
    expect(valueOf(thing, "IfRemoves")).toBe("ABSENT");
  });

  it("If on an unknown condition is unknown, unless both branches are equal", () => {
    expect(valueOf(thing, "IfOr")).toBe("UNKNOWN");
    expect(valueOf(thing, "IfUnknown")).toBe("UNKNOWN");
    expect(valueOf(thing, "IfSame")).toBe("same");
  });

  it("drops NoValue items from lists and evaluates nested intrinsics", () => {
    expect(valueOf(thing, "Nested.List")).toEqual(["keep", 443]);
  });

  it("leaves out resources whose condition is known false, keeps unknown ones", () => {
    expect([...t.byId.keys()]).toEqual(["Bucket", "Thing", "ProdOnly", "MaybeOnly"]);
  });
});

describe("JSON long forms", () => {
  it("evaluate like the YAML short forms", () => {
    const json = JSON.stringify(
      {
        AWSTemplateFormatVersion: "2010-09-09",
        Parameters: { Env: { Type: "String", Default: "prod" } },
        Conditions: { IsProd: { "Fn::Equals": [{ Ref: "Env" }, "prod"] } },
        Resources: {
          Bucket: { Type: "AWS::S3::Bucket" },
          Thing: {
            Type: "AWS::Test::Thing",
            Properties: {
              Name: { "Fn::Sub": "${Env}-app" },
              Size: { "Fn::If": ["IsProd", 3, 1] },
              Arn: { "Fn::GetAtt": ["Bucket", "Arn"] },
              Gone: { Ref: "AWS::NoValue" },
              Joined: { "Fn::Join": [":", [{ Ref: "Env" }, "x"]] },
            },
          },
        },
      },
      null,
      2,
    );
    const thing = resource(template(json, "stack.json"), "Thing");
    expect(valueOf(thing, "Name")).toBe("prod-app");
    expect(valueOf(thing, "Size")).toBe(3);
    expect(valueOf(thing, "Arn")).toBe("UNKNOWN");
    expect(prop(thing, "Arn")?.value.refs).toEqual(["Bucket"]);
    expect(valueOf(thing, "Gone")).toBe("ABSENT");
    expect(valueOf(thing, "Joined")).toBe("prod:x");
    expect(prop(thing, "Name")?.span).toMatchObject({ file: "stack.json", line: 26, column: 9 });
  });

  it("survive condition cycles and deep nesting without throwing", () => {
    const t = template(`Conditions:
  A: !Condition B
  B: !Condition A
Resources:
  R:
    Type: AWS::Test::Thing
    Condition: A
    Properties:
      X: !If [A, 1, 2]
      Deep: ${'{"Fn::Base64": '.repeat(100)}x${"}".repeat(100)}
`);
    expect(valueOf(resource(t, "R"), "X")).toBe("UNKNOWN");
    expect(valueOf(resource(t, "R"), "Deep")).toBe("UNKNOWN");
  });
});
