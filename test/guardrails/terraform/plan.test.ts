import { execFileSync } from "node:child_process";
import { cpSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { scan, type Rule } from "../../../src/guardrails/index.js";
import { createTerraformScanner, terraformScanner } from "../../../src/guardrails/terraform/index.js";
import { applyUnknown, isPlanJson, loadPlan } from "../../../src/guardrails/terraform/load-plan.js";
import { UNKNOWN, lookup, lookupAll, type TerraformModel } from "../../../src/guardrails/terraform/model.js";
import { removeTrees, writeTree } from "./helpers.js";
import { terraformBinary } from "../../support/terraform.js";
import { resourcesReferencing } from "../../../src/guardrails/terraform/links.js";

afterAll(removeTrees);

const PLANS = join(import.meta.dirname, "fixtures", "plan");

function loadFixture(name: string) {
  const text = readFileSync(join(PLANS, name), "utf8");
  const { model, diagnostics } = loadPlan(`plans/${name}`, text);
  expect(diagnostics).toEqual([]);
  if (!model) throw new Error("no model");
  return model;
}

describe("plan JSON detection", () => {
  it("claims terraform show -json output by content, not other JSON", () => {
    const plan = readFileSync(join(PLANS, "aws.plan.json"), "utf8");
    expect(isPlanJson("tfplan.json", plan)).toBe(true);
    expect(isPlanJson("package.json", '{"name": "x", "version": "1.0.0"}')).toBe(false);
    expect(isPlanJson("main.tf.json", plan)).toBe(false);
    expect(
      terraformScanner.claims({ path: "out/plan.json", absolutePath: "/x/out/plan.json", text: plan }),
    ).toBe(true);
  });
});

describe("AWS-shaped plan", () => {
  const model = loadFixture("aws.plan.json");

  it("builds resources from planned_values, modules included, with exact values", () => {
    expect(model.resources.map((r) => [r.address, r.configAddress, r.origin])).toEqual([
      ["aws_s3_bucket.logs", "aws_s3_bucket.logs", "plan"],
      ["aws_s3_bucket_public_access_block.logs", "aws_s3_bucket_public_access_block.logs", "plan"],
      ['module.web["api"].aws_security_group.this', "module.web.aws_security_group.this", "plan"],
    ]);
    const bucket = model.resources[0];
    expect(bucket && lookup(bucket, "bucket")?.value).toBe("corp-logs");
    expect(bucket && lookup(bucket, "tags.Team")?.value).toBe("platform");
    expect(model.resources[2]?.modulePath).toEqual(["web"]);
    expect(model.directory).toBe("plans");
  });

  it("marks after_unknown values UNKNOWN", () => {
    const [bucket, pab] = model.resources;
    expect(bucket && lookup(bucket, "arn")?.value).toBe(UNKNOWN);
    expect(bucket && lookup(bucket, "tags_all")?.value).toBe(UNKNOWN);
    expect(pab && lookup(pab, "bucket")?.value).toBe(UNKNOWN);
    expect(pab && lookup(pab, "block_public_policy")?.value).toBe(false);
  });

  it("reads nested blocks back as blocks, with spans at the lines of the plan", () => {
    const group = model.resources[2];
    if (!group) throw new Error("missing");
    expect(lookupAll(group, "ingress").length).toBe(1);
    expect(lookup(group, "ingress.cidr_blocks")?.value).toEqual(["0.0.0.0/0"]);
    expect(lookup(group, "ingress.from_port")?.span).toMatchObject({ file: "plans/aws.plan.json", line: 64 });
    expect(group.span).toMatchObject({ file: "plans/aws.plan.json", line: 52 });
  });

  it("takes references from the configuration, so rules can connect resources", () => {
    const [bucket, pab] = model.resources;
    if (!bucket || !pab) throw new Error("missing");
    expect(lookup(pab, "bucket")?.references).toEqual(["aws_s3_bucket.logs"]);
    expect(resourcesReferencing(model, bucket, "aws_s3_bucket_public_access_block", "bucket")).toEqual([pab]);
  });

  it("applies after_unknown masks inside lists and objects", () => {
    expect(applyUnknown({ a: [1, 2], b: { c: 1 } }, { a: [false, true], b: { d: true } })).toEqual({
      a: [1, UNKNOWN],
      b: { c: 1, d: UNKNOWN },
    });
    expect(applyUnknown(null, true)).toBe(UNKNOWN);
  });

  it("is scanned through the framework like HCL, with findings pointing into the plan", async () => {
    const rule: Rule<TerraformModel> = {
      id: "TEST-010",
      title: "SSH open to the world",
      severity: "high",
      framework: "terraform",
      rationale: "Anyone can connect.",
      remediation: "Narrow the CIDR.",
      references: ["https://example.com"],
      check(m, report) {
        for (const r of m.resources)
          for (const cidr of lookupAll(r, "ingress.cidr_blocks"))
            if (Array.isArray(cidr.value) && cidr.value.includes("0.0.0.0/0"))
              report({ message: "open", span: cidr.span, resource: r.address });
      },
    };
    const root = writeTree({});
    cpSync(join(PLANS, "aws.plan.json"), join(root, "tfplan.json"));
    const result = await scan({ root, scanners: [createTerraformScanner([rule])], env: {} });
    expect(result.findings.map((f) => [f.resource, f.span.file, f.span.line])).toEqual([
      ['module.web["api"].aws_security_group.this', "tfplan.json", 62],
    ]);
  });

  it("turns a broken plan into a diagnostic with a position", () => {
    const { model: broken, diagnostics } = loadPlan(
      "p.json",
      '{\n  "format_version": "1.2",\n  "planned_values": {\n    "root_module": [,\n',
    );
    expect(broken).toBeUndefined();
    expect(diagnostics[0]?.span).toMatchObject({ file: "p.json", line: 4 });
  });
});

describe("plans produced by terraform itself", () => {
  function check(model: TerraformModel) {
    expect(model.resources.map((r) => r.address)).toEqual([
      "terraform_data.after",
      'terraform_data.rule["https"]',
      'terraform_data.rule["ssh"]',
      "module.child[0].terraform_data.this",
      "module.child[1].terraform_data.this",
    ]);
    const [after, https, ssh, child0] = model.resources;
    expect(ssh && lookup(ssh, "input")?.value).toEqual({ cidrs: ["0.0.0.0/0"], port: 22 });
    expect(ssh?.index).toBe("ssh");
    expect(https && lookup(https, "input.port")?.value).toBe(443);
    expect(after && lookup(after, "input")?.value).toBe(UNKNOWN);
    expect(after && lookup(after, "triggers_replace")?.value).toEqual([UNKNOWN]);
    expect(after && lookup(after, "input")?.references).toEqual([
      "terraform_data.rule",
      'terraform_data.rule["ssh"]',
    ]);
    expect(child0 && lookup(child0, "input.name")?.value).toBe("c0");
    expect(child0?.configAddress).toBe("module.child.terraform_data.this");
  }

  it("loads a plan JSON that terraform 1.11 wrote (committed, reformatted by prettier)", () => {
    check(loadFixture("terraform-data.plan.json"));
  });

  // Regenerates the plan with the real terraform (or OpenTofu): the built-in terraform_data
  // resource needs no provider download.
  it("loads the plan JSON of a fresh terraform plan", () => {
    const binary = terraformBinary();
    const dir = writeTree({});
    cpSync(join(PLANS, "terraform-data"), dir, { recursive: true });
    const env = {
      ...process.env,
      TF_IN_AUTOMATION: "1",
      CHECKPOINT_DISABLE: "1",
      TF_CLI_CONFIG_FILE: "/dev/null",
    };
    const terraform = (...args: string[]) =>
      execFileSync(binary, args, { cwd: dir, env, encoding: "utf8", stdio: "pipe" });
    terraform("init", "-input=false", "-no-color", "-backend=false");
    terraform("plan", "-input=false", "-no-color", "-out=plan.bin");
    const json = terraform("show", "-json", "plan.bin");
    expect(isPlanJson("plan.json", json)).toBe(true);
    const { model, diagnostics } = loadPlan("plan.json", json);
    expect(diagnostics).toEqual([]);
    if (!model) throw new Error("no model");
    check(model);
  });
});
