import { afterAll, describe, expect, it } from "vitest";
import { lookup } from "../../../src/guardrails/terraform/model.js";
import { UNKNOWN, load, removeTrees, resource, valueAt } from "./helpers.js";

afterAll(removeTrees);

const MAIN = `variable "cidr" {
  type    = string
  default = "10.0.0.0/8"
}
resource "aws_security_group_rule" "ssh" {
  cidr_blocks = [var.cidr]
}
`;

const cidrOf = async (files: Record<string, string>, options: Parameters<typeof load>[1] = {}) => {
  const result = await load({ "main.tf": MAIN, ...files }, options);
  const at = lookup(resource(result, "aws_security_group_rule.ssh"), "cidr_blocks");
  return {
    value: at?.value,
    provenance: at?.provenance.map((p) => `${p.description} @${p.span.file}:${p.span.line}`),
  };
};

describe("variable precedence", () => {
  it("uses the default when nothing else sets the variable", async () => {
    expect(await cidrOf({})).toEqual({
      value: ["10.0.0.0/8"],
      provenance: ['variable "cidr" default @main.tf:3'],
    });
  });

  it("lets TF_VAR_ override the default", async () => {
    expect(await cidrOf({}, { env: { TF_VAR_cidr: "1.0.0.0/8" } })).toEqual({
      value: ["1.0.0.0/8"],
      provenance: ["var.cidr set by TF_VAR_cidr @main.tf:1"],
    });
  });

  it("lets terraform.tfvars override TF_VAR_", async () => {
    const files = { "terraform.tfvars": 'cidr = "2.0.0.0/8"\n' };
    expect(await cidrOf(files, { env: { TF_VAR_cidr: "1.0.0.0/8" } })).toEqual({
      value: ["2.0.0.0/8"],
      provenance: ["var.cidr set in terraform.tfvars @terraform.tfvars:1"],
    });
  });

  it("lets terraform.tfvars.json override terraform.tfvars, and *.auto.tfvars both, in lexical order", async () => {
    const files = {
      "terraform.tfvars": 'cidr = "2.0.0.0/8"\n',
      "terraform.tfvars.json": '{\n  "cidr": "3.0.0.0/8"\n}\n',
    };
    expect((await cidrOf(files)).value).toEqual(["3.0.0.0/8"]);
    const auto = {
      ...files,
      "b.auto.tfvars": '# later\ncidr = "5.0.0.0/8"\n',
      "a.auto.tfvars.json": '{"cidr": "4.0.0.0/8"}',
    };
    expect(await cidrOf(auto)).toEqual({
      value: ["5.0.0.0/8"],
      provenance: ["var.cidr set in b.auto.tfvars @b.auto.tfvars:2"],
    });
  });

  it("lets -var-file files override everything, the last one winning", async () => {
    const files = {
      "terraform.tfvars": 'cidr = "2.0.0.0/8"\n',
      "z.auto.tfvars": 'cidr = "5.0.0.0/8"\n',
      "env/prod.tfvars": 'other = 1\ncidr  = "0.0.0.0/0"\n',
      "env/last.tfvars": 'cidr = "6.0.0.0/8"\n',
    };
    expect(
      await cidrOf(files, {
        varFiles: ["env/prod.tfvars"],
        scan: ["main.tf", "terraform.tfvars", "z.auto.tfvars"],
      }),
    ).toEqual({
      value: ["0.0.0.0/0"],
      provenance: ["var.cidr set in env/prod.tfvars @env/prod.tfvars:2"],
    });
    expect((await cidrOf(files, { varFiles: ["env/prod.tfvars", "env/last.tfvars"] })).value).toEqual([
      "6.0.0.0/8",
    ]);
  });

  it("is UNKNOWN when no value is set anywhere", async () => {
    const result = await load({
      "main.tf": 'variable "cidr" {}\nresource "x" "y" {\n  cidr = var.cidr\n}\n',
    });
    expect(valueAt(result, "x.y", "cidr")).toBe(UNKNOWN);
  });

  it("converts values to the declared type and fills optional object attributes", async () => {
    const result = await load({
      "main.tf": `variable "port" {
  type = number
}
variable "rules" {
  type = list(object({
    port     = number
    protocol = optional(string, "tcp")
    cidrs    = optional(list(string))
  }))
}
variable "names" {
  type    = set(string)
  default = ["b", "a", "b"]
}
resource "x" "y" {
  port  = var.port
  rules = var.rules
  names = var.names
}
`,
      "terraform.tfvars": 'port = "22"\nrules = [{ port = "443" }]\n',
    });
    expect(valueAt(result, "x.y", "port")).toBe(22);
    expect(valueAt(result, "x.y", "rules")).toEqual([{ port: 443, protocol: "tcp", cidrs: null }]);
    expect(valueAt(result, "x.y", "names")).toEqual(["a", "b"]);
  });

  it("parses TF_VAR_ values of complex types as HCL", async () => {
    const result = await load(
      {
        "main.tf":
          'variable "cidrs" {\n  type = list(string)\n}\nresource "x" "y" {\n  cidrs = var.cidrs\n}\n',
      },
      { env: { TF_VAR_cidrs: '["0.0.0.0/0", "10.0.0.0/8"]' } },
    );
    expect(valueAt(result, "x.y", "cidrs")).toEqual(["0.0.0.0/0", "10.0.0.0/8"]);
  });

  it("notes root variables without value and tfvars files Terraform would not load", async () => {
    const result = await load({
      "main.tf": 'variable "admin_cidr" {}\nvariable "region" {\n  default = "eu-west-1"\n}\n',
      "prod.tfvars": 'admin_cidr = "10.0.0.0/8"\n',
    });
    expect(result.notes).toEqual([
      ".: no value for var.admin_cidr; what depends on them is treated as unknown",
      "prod.tfvars: not loaded automatically by Terraform; pass it with --var-file to check with its values",
    ]);
    const withFile = await load(
      { "main.tf": 'variable "admin_cidr" {}\n', "prod.tfvars": 'admin_cidr = "10.0.0.0/8"\n' },
      { varFiles: ["prod.tfvars"] },
    );
    expect(withFile.notes).toEqual([]);
  });

  it("reports a -var-file that does not exist as a note", async () => {
    const result = await load({ "main.tf": MAIN }, { varFiles: ["missing.tfvars"] });
    expect(result.notes).toContain("missing.tfvars: variable file not found; its values are not used");
  });
});
