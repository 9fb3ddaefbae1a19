import { afterAll, describe, expect, it } from "vitest";
import { scan, type CustomRule } from "../../../src/guardrails/index.js";
import { genericResource } from "../../../src/guardrails/terraform/generic.js";
import { terraformScanner } from "../../../src/guardrails/terraform/index.js";
import {
  lookup,
  moduleInstanceOf,
  resourcesOfType,
  sameModuleInstance,
} from "../../../src/guardrails/terraform/model.js";
import { UNKNOWN, load, removeTrees, resource, valueAt, writeTree } from "./helpers.js";
import { resourcesReferencing } from "../../../src/guardrails/terraform/links.js";

afterAll(removeTrees);

describe("addresses", () => {
  it("finds the module instance of an address, keys with dots included", () => {
    expect(moduleInstanceOf("aws_s3_bucket.b")).toBe("");
    expect(moduleInstanceOf("data.aws_iam_policy_document.p")).toBe("");
    expect(moduleInstanceOf('module.web["a.b"].module.db[0].aws_instance.this[1]')).toBe(
      'module.web["a.b"].module.db[0]',
    );
    expect(moduleInstanceOf('module.web["x"].aws_instance.this')).toBe('module.web["x"]');
  });

  it("connects a bucket to the public access block of the same module instance only", async () => {
    const result = await load({
      "main.tf": 'module "store" {\n  source = "./store"\n  count  = 2\n}\n',
      "store/main.tf": `resource "aws_s3_bucket" "this" {
  bucket_prefix = "store"
}
resource "aws_s3_bucket_public_access_block" "this" {
  bucket = aws_s3_bucket.this.id
}
`,
    });
    const [model] = result.models;
    if (!model) throw new Error("no model");
    const bucket1 = resource(result, "module.store[1].aws_s3_bucket.this");
    const pab0 = resource(result, "module.store[0].aws_s3_bucket_public_access_block.this");
    const pab1 = resource(result, "module.store[1].aws_s3_bucket_public_access_block.this");
    expect(sameModuleInstance(bucket1, pab1)).toBe(true);
    expect(sameModuleInstance(bucket1, pab0)).toBe(false);
    expect(resourcesReferencing(model, bucket1, "aws_s3_bucket_public_access_block", "bucket")).toEqual([
      pab1,
    ]);
    expect(resourcesOfType(model, "aws_s3_bucket").map((r) => r.address)).toEqual([
      "module.store[0].aws_s3_bucket.this",
      "module.store[1].aws_s3_bucket.this",
    ]);
  });
});

describe("generic resources for custom rules", () => {
  it("reads dotted paths through attributes and blocks, known or not", async () => {
    const result = await load({
      "main.tf": `variable "owner" {}
resource "aws_security_group" "sg" {
  tags = { team = "web", owner = var.owner }
  ingress {
    cidr_blocks = ["10.0.0.0/8"]
  }
  ingress {
    cidr_blocks = ["0.0.0.0/0"]
  }
}
`,
    });
    const generic = genericResource(resource(result, "aws_security_group.sg"));
    expect(generic).toMatchObject({
      framework: "terraform",
      type: "aws_security_group",
      address: "aws_security_group.sg",
    });
    expect(generic.get("tags.team")).toMatchObject({ known: true, value: "web" });
    expect(generic.get("tags.owner")).toEqual({ known: false });
    expect(generic.get("ingress.cidr_blocks")).toMatchObject({
      known: true,
      value: [["10.0.0.0/8"], ["0.0.0.0/0"]],
    });
    expect(generic.get("description")).toMatchObject({ known: true, value: undefined });
  });

  it("runs custom rules of the terraform framework through the scanner", async () => {
    const rule: CustomRule = {
      id: "CUSTOM-001",
      title: "Buckets must have an owner tag",
      severity: "medium",
      framework: "terraform",
      rationale: "Ownership.",
      remediation: "Add tags.owner.",
      references: ["https://example.com"],
      checkResources(resources, report) {
        for (const r of resources) {
          if (r.type !== "aws_s3_bucket") continue;
          const owner = r.get("tags.owner");
          if (owner.known && owner.value === undefined)
            report({ message: "no owner", span: r.span, resource: r.address });
        }
      },
    };
    const root = writeTree({
      "main.tf":
        'module "m" {\n  source = "./m"\n}\nresource "aws_s3_bucket" "tagged" {\n  tags = { owner = "me" }\n}\n',
      "m/main.tf": 'resource "aws_s3_bucket" "bare" {}\n',
    });
    const result = await scan({
      root,
      scanners: [terraformScanner],
      rules: ["CUSTOM-001"],
      customRules: [rule],
      env: {},
    });
    expect(result.findings.map((f) => [f.ruleId, f.resource, f.enclosing?.map((e) => e.line)])).toEqual([
      ["CUSTOM-001", "module.m.aws_s3_bucket.bare", [1]],
    ]);
  });
});

describe(".tf.json configurations", () => {
  it("reads resources, variables, locals and modules in JSON syntax with templates", async () => {
    const result = await load({
      "main.tf.json": JSON.stringify(
        {
          variable: { cidr: { type: "string", default: "0.0.0.0/0" } },
          locals: { name: "web-${var.cidr}" },
          resource: {
            aws_security_group: {
              web: {
                name: "${local.name}",
                ingress: [{ from_port: 22, to_port: 22, cidr_blocks: ["${var.cidr}"] }],
                tags: { Team: "x" },
              },
            },
          },
          module: { child: { source: "./child", port: 8080 } },
        },
        null,
        2,
      ),
      "child/main.tf": 'variable "port" {}\nresource "x" "y" {\n  port = var.port\n}\n',
    });
    expect(result.diagnostics).toEqual([]);
    expect(valueAt(result, "aws_security_group.web", "name")).toBe("web-0.0.0.0/0");
    expect(valueAt(result, "aws_security_group.web", "ingress.cidr_blocks")).toEqual(["0.0.0.0/0"]);
    expect(valueAt(result, "aws_security_group.web", "tags.Team")).toBe("x");
    expect(valueAt(result, "module.child.x.y", "port")).toBe(8080);
    expect(resource(result, "aws_security_group.web").span.line).toBe(13);
  });

  it("reports invalid JSON with a position", async () => {
    const result = await load({ "main.tf.json": '{\n  "resource": {\n    "x": [\n}\n' });
    expect(result.diagnostics.map((d) => d.span.line)).toEqual([4]);
    expect(
      valueAt(await load({ "main.tf": 'variable "v" {}\nresource "a" "b" {\n  v = var.v\n}\n' }), "a.b", "v"),
    ).toBe(UNKNOWN);
  });
});

describe("module calls that cannot be followed", () => {
  it("stops at a cycle of local modules with a note", async () => {
    const result = await load({
      "a/main.tf": 'module "b" {\n  source = "../b"\n}\nresource "x" "in_a" {}\n',
      "b/main.tf": 'module "a" {\n  source = "../a"\n}\nresource "x" "in_b" {}\n',
    });
    expect(result.models.flatMap((m) => m.resources.map((r) => r.address))).toEqual([
      "x.in_a",
      "module.b.x.in_b",
    ]);
    expect(result.notes.some((n) => n.includes('module "a" calls itself through ../a'))).toBe(true);
  });

  it("notes a local source without Terraform files and leaves its outputs unknown", async () => {
    const result = await load({
      "main.tf": 'module "gone" {\n  source = "./gone"\n}\nresource "x" "y" {\n  v = module.gone.out\n}\n',
    });
    expect(valueAt(result, "x.y", "v")).toBe(UNKNOWN);
    expect(result.notes).toEqual(['main.tf:1: module "gone": no Terraform files in ./gone; not evaluated']);
  });
});

describe("override files", () => {
  it("merge into the blocks they name, after the other files", async () => {
    const result = await load({
      "a_override.tf": 'resource "aws_s3_bucket" "b" {\n  acl = "private"\n}\nlocals {\n  env = "prod"\n}\n',
      "main.tf": `locals {
  env = "dev"
}
resource "aws_s3_bucket" "b" {
  bucket = "corp-\${local.env}"
  acl    = "public-read"
}
resource "aws_s3_bucket" "after" {}
`,
    });
    expect(result.models[0]?.resources.map((r) => r.address)).toEqual([
      "aws_s3_bucket.b",
      "aws_s3_bucket.after",
    ]);
    expect(valueAt(result, "aws_s3_bucket.b", "acl")).toBe("private");
    expect(valueAt(result, "aws_s3_bucket.b", "bucket")).toBe("corp-prod");
    expect(resource(result, "aws_s3_bucket.b").span.file).toBe("main.tf");
  });
});

describe("values between modules", () => {
  it("passes one module's output into another module, with provenance through both", async () => {
    const result = await load({
      "main.tf": `variable "prefix" {
  default = "corp"
}
module "naming" {
  source = "./naming"
  prefix = var.prefix
}
module "store" {
  source = "./store"
  name   = module.naming.bucket_name
}
`,
      "naming/main.tf": 'variable "prefix" {}\noutput "bucket_name" {\n  value = "${var.prefix}-logs"\n}\n',
      "store/main.tf": 'variable "name" {}\nresource "aws_s3_bucket" "this" {\n  bucket = var.name\n}\n',
    });
    const at = lookup(resource(result, "module.store.aws_s3_bucket.this"), "bucket");
    expect(at?.value).toBe("corp-logs");
    expect(at?.provenance.map((p) => `${p.description} @${p.span.file}:${p.span.line}`)).toEqual([
      'module "store" argument name @main.tf:10',
      'module "naming" argument prefix @main.tf:6',
      'variable "prefix" default @main.tf:2',
    ]);
  });
});

describe("remote modules", () => {
  it("are evaluated from .terraform/modules when terraform init downloaded them", async () => {
    const files = {
      "main.tf": `module "vpc" {
  source  = "terraform-aws-modules/vpc/aws"
  version = "5.8.1"
  cidr    = "10.0.0.0/16"
}
module "other" {
  source = "git::https://example.com/other.git"
}
`,
      ".terraform/modules/modules.json": JSON.stringify({
        Modules: [
          { Key: "", Source: "", Dir: "." },
          {
            Key: "vpc",
            Source: "registry.terraform.io/terraform-aws-modules/vpc/aws",
            Version: "5.8.1",
            Dir: ".terraform/modules/vpc",
          },
        ],
      }),
      ".terraform/modules/vpc/main.tf":
        'variable "cidr" {}\nresource "aws_vpc" "this" {\n  cidr_block = var.cidr\n}\n',
    };
    const result = await load(files);
    expect(valueAt(result, "module.vpc.aws_vpc.this", "cidr_block")).toBe("10.0.0.0/16");
    expect(resource(result, "module.vpc.aws_vpc.this").span.file).toBe(".terraform/modules/vpc/main.tf");
    expect(result.notes).toEqual([
      'main.tf:6: module "other" from git::https://example.com/other.git not evaluated: remote sources are not downloaded; its outputs are unknown (after `terraform init`, modules in .terraform/modules are read)',
    ]);
  });
});
