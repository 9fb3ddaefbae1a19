// The framework end to end on realistic multi-file configurations, with a rule defined here
// so these tests do not depend on the built-in rule set.
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { scan, type Rule } from "../../../src/guardrails/index.js";
import { createTerraformScanner } from "../../../src/guardrails/terraform/index.js";
import {
  containsUnknown,
  lookupAll,
  resourcesOfType,
  type TerraformModel,
} from "../../../src/guardrails/terraform/model.js";
import { removeTrees, writeTree } from "./helpers.js";

afterAll(removeTrees);

const FIXTURES = join(import.meta.dirname, "fixtures");

/** Security group ingress open to the whole internet on SSH. */
const openSsh: Rule<TerraformModel> = {
  id: "TEST-001",
  title: "SSH open to the internet",
  severity: "high",
  framework: "terraform",
  rationale: "Anyone can try to log in.",
  remediation: "Restrict the CIDR.",
  references: ["https://example.com"],
  check(model, report) {
    for (const group of resourcesOfType(model, "aws_security_group"))
      for (const ingress of group.body.blocks.filter((b) => b.type === "ingress")) {
        const from = ingress.attributes.get("from_port")?.value;
        const to = ingress.attributes.get("to_port")?.value;
        const cidrs = ingress.attributes.get("cidr_blocks");
        if (typeof from !== "number" || typeof to !== "number" || !cidrs || containsUnknown(cidrs.value))
          continue;
        if (from <= 22 && 22 <= to && Array.isArray(cidrs.value) && cidrs.value.includes("0.0.0.0/0"))
          report({
            message: `${group.address} allows SSH from 0.0.0.0/0`,
            span: cidrs.span,
            resource: group.address,
            provenance: cidrs.provenance,
            enclosing: group.enclosing,
          });
      }
  },
};

const scanner = createTerraformScanner([openSsh]);
const run = (root: string, extra: Parameters<typeof scan>[0] = {}) =>
  scan({ root, scanners: [scanner], env: {}, today: "2026-01-01", ...extra });

describe("network-stack fixture: for_each modules, two module levels, tfvars", () => {
  const root = join(FIXTURES, "network-stack");

  it("finds the open port through two modules with the provenance of the value", async () => {
    const result = await run(root, { paths: ["envs/prod"] });
    expect(result.diagnostics).toEqual([]);
    expect(result.findings.map((f) => f.resource)).toEqual([
      'module.web["api"].module.sg.aws_security_group.this',
    ]);
    const [finding] = result.findings;
    expect(finding?.span).toMatchObject({ file: "modules/web/sg/main.tf", line: 23 });
    expect(finding?.provenance.map((p) => [p.description, `${p.span.file}:${p.span.line}`])).toEqual([
      ['module "sg" argument cidr', "modules/web/main.tf:18"],
      ['module "web" argument ingress_cidr', "envs/prod/main.tf:21"],
      ["var.allowed_cidr set in envs/prod/terraform.tfvars", "envs/prod/terraform.tfvars:2"],
    ]);
    expect(finding?.enclosing?.map((s) => `${s.file}:${s.line}`)).toEqual([
      "envs/prod/main.tf:16",
      "modules/web/main.tf:14",
    ]);
  });

  it("suppresses what a module call creates when the call carries slipway:ignore", async () => {
    const result = await run(root, { paths: ["envs/prod"] });
    expect(result.suppressed.map((s) => [s.finding.resource, s.reason])).toEqual([
      ["module.bastion[0].aws_security_group.bastion", "the bastion is reached through the VPN only"],
      ["module.bastion[1].aws_security_group.bastion", "the bastion is reached through the VPN only"],
    ]);
  });

  it("says nothing about a value that is unknown (a variable without value, a remote module output)", async () => {
    const result = await run(root, { paths: ["envs/prod"] });
    const everything = [...result.findings, ...result.suppressed.map((s) => s.finding)];
    // Only the literal 0.0.0.0/0 of the bastion's second ingress, never the unset admin_cidr.
    expect(
      everything.filter((f) => f.span.file === "modules/bastion/main.tf").map((f) => f.span.line),
    ).toEqual([24, 24]);
    expect(
      result.notes.some((n) => n.includes('module "vpc" from terraform-aws-modules/vpc/aws not evaluated')),
    ).toBe(true);
  });

  it("lets a -var-file override terraform.tfvars so the finding goes away", async () => {
    const dir = writeTree({ "safe.tfvars": 'allowed_cidr = "10.0.0.0/8"\n' });
    const result = await run(root, { paths: ["envs/prod"], varFiles: [join(dir, "safe.tfvars")] });
    expect(result.findings).toEqual([]);
  });

  it("treats the modules as modules, not as roots, when the whole tree is scanned", async () => {
    const result = await run(root);
    expect(result.findings.map((f) => f.resource)).toEqual([
      'module.web["api"].module.sg.aws_security_group.this',
    ]);
    expect(result.files.map((f) => f.path)).toContain("modules/web/sg/main.tf");
  });
});

describe("count-modules fixture: modules with count, outputs flowing back", () => {
  const root = join(FIXTURES, "count-modules");

  it("evaluates each module instance with its own count.index and reads outputs back", async () => {
    const { loadTree } = await import("./helpers.js");
    const result = await loadTree(root);
    expect(result.diagnostics).toEqual([]);
    const [model] = result.models;
    const addresses = model?.resources.map((r) => r.address);
    expect(addresses).toEqual([
      "aws_route53_record.primary",
      "module.subnet[0].aws_subnet.this",
      "module.subnet[0].aws_network_acl_rule.ssh",
      "module.subnet[1].aws_subnet.this",
      "module.subnet[1].aws_network_acl_rule.ssh",
      "module.subnet[2].aws_subnet.this",
      "module.subnet[2].aws_network_acl_rule.ssh",
    ]);
    const subnet = model?.resources.find((r) => r.address === "module.subnet[2].aws_subnet.this");
    expect(subnet && lookupAll(subnet, "cidr_block").map((l) => l.value)).toEqual(["10.0.2.0/24"]);
    const record = model?.resources.find((r) => r.address === "aws_route53_record.primary");
    expect(record && lookupAll(record, "name").map((l) => l.value)).toEqual(["subnet-1.internal"]);
    expect(record && lookupAll(record, "records")[0]?.references).toContain("module.subnet.aws_subnet.this");
  });

  it("reports a finding per affected module instance", async () => {
    const acl: Rule<TerraformModel> = {
      ...openSsh,
      id: "TEST-002",
      check(model, report) {
        for (const rule of resourcesOfType(model, "aws_network_acl_rule")) {
          const cidr = rule.body.attributes.get("cidr_block");
          if (cidr?.value === "0.0.0.0/0")
            report({ message: "open", span: cidr.span, resource: rule.address, provenance: cidr.provenance });
        }
      },
    };
    const result = await scan({
      root,
      scanners: [createTerraformScanner([acl])],
      env: {},
      today: "2026-01-01",
    });
    expect(result.findings.map((f) => f.resource)).toEqual([
      "module.subnet[0].aws_network_acl_rule.ssh",
      "module.subnet[2].aws_network_acl_rule.ssh",
    ]);
    // The argument, then what it was computed from: count.index (from local.zones) chose the branch.
    expect(result.findings[0]?.provenance.map((p) => p.description)).toEqual([
      'module "subnet" argument public',
      "local.zones",
      "local.public_acl",
    ]);
  });
});
