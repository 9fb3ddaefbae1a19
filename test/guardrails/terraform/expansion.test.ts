import { afterAll, describe, expect, it } from "vitest";
import { blockValue, lookup, lookupAll } from "../../../src/guardrails/terraform/model.js";
import { UNKNOWN, load, removeTrees, resource, resources, valueAt } from "./helpers.js";

afterAll(removeTrees);

describe("count and for_each", () => {
  it("expands count into indexed instances with count.index", async () => {
    const result = await load({
      "main.tf": 'resource "aws_instance" "web" {\n  count = 3\n  name  = "web-${count.index}"\n}\n',
    });
    expect(resources(result).map((r) => [r.address, r.index, lookup(r, "name")?.value])).toEqual([
      ["aws_instance.web[0]", 0, "web-0"],
      ["aws_instance.web[1]", 1, "web-1"],
      ["aws_instance.web[2]", 2, "web-2"],
    ]);
    expect(resource(result, "aws_instance.web[1]").configAddress).toBe("aws_instance.web");
  });

  it("expands for_each over maps and sets of strings with each.key and each.value", async () => {
    const result = await load({
      "main.tf": `locals {
  buckets = { logs = "private", site = "public-read" }
}
resource "aws_s3_bucket" "b" {
  for_each = local.buckets
  bucket   = "corp-\${each.key}"
  acl      = each.value
}
resource "aws_iam_user" "u" {
  for_each = toset(["bob", "alice"])
  name     = each.value
}
`,
    });
    expect(valueAt(result, 'aws_s3_bucket.b["logs"]', "acl")).toBe("private");
    expect(valueAt(result, 'aws_s3_bucket.b["site"]', "bucket")).toBe("corp-site");
    expect(
      resources(result)
        .filter((r) => r.type === "aws_iam_user")
        .map((r) => r.address),
    ).toEqual(['aws_iam_user.u["alice"]', 'aws_iam_user.u["bob"]']);
  });

  it("drops instances when count is zero", async () => {
    const result = await load({
      "main.tf": 'variable "on" {\n  default = false\n}\nresource "x" "y" {\n  count = var.on ? 1 : 0\n}\n',
    });
    expect(resources(result)).toEqual([]);
  });

  it("keeps one instance with an unknown index when count or for_each is unknown", async () => {
    const result = await load({
      "main.tf": `variable "n" {}
variable "names" {}
resource "aws_instance" "a" {
  count = var.n
  name  = "a-\${count.index}"
  ami   = "ami-1"
}
resource "aws_instance" "b" {
  for_each = var.names
  name     = each.key
}
`,
    });
    const a = resource(result, "aws_instance.a[?]");
    expect(a.indexUnknown).toBe(true);
    expect(a.index).toBeUndefined();
    expect(lookup(a, "name")?.value).toBe(UNKNOWN);
    expect(lookup(a, "ami")?.value).toBe("ami-1");
    expect(valueAt(result, "aws_instance.b[?]", "name")).toBe(UNKNOWN);
    expect(result.notes).toContain(
      "aws_instance.a: count is not known statically; checked as one instance aws_instance.a[?]",
    );
  });

  it("records count/for_each provenance on values that use count.index and each", async () => {
    const result = await load({
      "main.tf":
        'variable "ports" {\n  default = { ssh = 22 }\n}\nresource "r" "p" {\n  for_each = var.ports\n  port = each.value\n}\n',
    });
    expect(lookup(resource(result, 'r.p["ssh"]'), "port")?.provenance.map((p) => p.description)).toEqual([
      'variable "ports" default',
    ]);
  });
});

describe("dynamic blocks", () => {
  it("expands dynamic blocks with the default iterator, a named iterator, and nesting", async () => {
    const result = await load({
      "main.tf": `locals {
  rules = [
    { port = 22, cidrs = ["10.0.0.0/8"] },
    { port = 443, cidrs = ["0.0.0.0/0", "::/0"] },
  ]
}
resource "aws_security_group" "sg" {
  name = "web"
  dynamic "ingress" {
    for_each = local.rules
    content {
      from_port   = ingress.value.port
      cidr_blocks = ingress.value.cidrs
      description = "rule \${ingress.key}"
    }
  }
  dynamic "egress" {
    for_each = { all = 0 }
    iterator = rule
    content {
      from_port = rule.value
      dynamic "nested" {
        for_each = [rule.key]
        content {
          name = nested.value
        }
      }
    }
  }
}
`,
    });
    const sg = resource(result, "aws_security_group.sg");
    expect(lookupAll(sg, "ingress").map((l) => l.value)).toEqual([
      { from_port: 22, cidr_blocks: ["10.0.0.0/8"], description: "rule 0" },
      { from_port: 443, cidr_blocks: ["0.0.0.0/0", "::/0"], description: "rule 1" },
    ]);
    expect(sg.body.blocks.map((b) => b.type)).toEqual(["ingress", "ingress", "egress"]);
    const egress = sg.body.blocks[2];
    expect(egress && blockValue(egress)).toEqual({ from_port: 0, nested: [{ name: "all" }] });
    expect(lookup(sg, "ingress.from_port")?.provenance.map((p) => p.description)).toEqual(["local.rules"]);
  });

  it("stands one block with unknown values for a dynamic block over an unknown collection", async () => {
    const result = await load({
      "main.tf": `variable "rules" {}
resource "aws_security_group" "sg" {
  dynamic "ingress" {
    for_each = var.rules
    content {
      from_port   = ingress.value.port
      protocol    = "tcp"
    }
  }
}
`,
    });
    expect(lookupAll(resource(result, "aws_security_group.sg"), "ingress").map((l) => l.value)).toEqual([
      { from_port: UNKNOWN, protocol: "tcp" },
    ]);
  });
});

describe("references between resources", () => {
  it("gives configured attributes, leaves computed ones UNKNOWN and records the reference", async () => {
    const result = await load({
      "main.tf": `resource "aws_s3_bucket" "logs" {
  bucket = "corp-logs"
}
resource "aws_s3_bucket_public_access_block" "logs" {
  bucket = aws_s3_bucket.logs.id
  name   = aws_s3_bucket.logs.bucket
}
resource "aws_instance" "web" {
  count = 2
  ami   = "ami-\${count.index}"
}
resource "x" "y" {
  first = aws_instance.web[0].ami
  all   = aws_instance.web[*].ami
  ids   = aws_instance.web[*].id
  doc   = data.aws_iam_policy_document.p.json
}
data "aws_iam_policy_document" "p" {
  statement {
    actions = ["s3:*"]
  }
}
`,
    });
    const pab = resource(result, "aws_s3_bucket_public_access_block.logs");
    expect(lookup(pab, "bucket")).toMatchObject({ value: UNKNOWN, references: ["aws_s3_bucket.logs"] });
    expect(lookup(pab, "name")?.value).toBe("corp-logs");
    const y = resource(result, "x.y");
    expect(lookup(y, "first")).toMatchObject({
      value: "ami-0",
      references: ["aws_instance.web", "aws_instance.web[0]"],
    });
    expect(lookup(y, "all")?.value).toEqual(["ami-0", "ami-1"]);
    expect(lookup(y, "ids")?.value).toEqual([UNKNOWN, UNKNOWN]);
    expect(lookup(y, "doc")).toMatchObject({
      value: UNKNOWN,
      references: ["data.aws_iam_policy_document.p"],
    });
    expect(resource(result, "data.aws_iam_policy_document.p").mode).toBe("data");
  });

  it("keeps provider references as text", async () => {
    const result = await load({ "main.tf": 'resource "aws_s3_bucket" "b" {\n  provider = aws.west\n}\n' });
    expect(valueAt(result, "aws_s3_bucket.b", "provider")).toBe("aws.west");
  });
});
