import { afterAll, describe, expect, it } from "vitest";
import { scan, type Rule } from "../../../src/guardrails/index.js";
import { createTerraformScanner } from "../../../src/guardrails/terraform/index.js";
import { hclParser } from "../../../src/guardrails/terraform/parser.js";
import { fileSuppressions } from "../../../src/guardrails/terraform/suppressions.js";
import type { TerraformModel } from "../../../src/guardrails/terraform/model.js";
import { removeTrees, writeTree } from "./helpers.js";

afterAll(removeTrees);

async function suppressionsOf(text: string) {
  const parser = await hclParser();
  return fileSuppressions(parser.parse(text, "main.tf").file);
}

describe("suppression comments", () => {
  it("cover the whole block they precede or sit in", async () => {
    const { suppressions, diagnostics } = await suppressionsOf(
      [
        "# slipway:ignore TF-001 public website",
        "# (reviewed by security)",
        'resource "aws_s3_bucket" "site" {',
        '  acl = "public-read"',
        "}",
        "",
        'resource "aws_s3_bucket" "logs" {',
        "  // slipway:ignore TF-002,TF-003 expires=2026-06-30 migrating",
        '  acl = "private"',
        "}",
        "",
      ].join("\n"),
    );
    expect(diagnostics).toEqual([]);
    expect(suppressions).toEqual([
      {
        ruleId: "TF-001",
        reason: "public website",
        expires: undefined,
        span: { file: "main.tf", line: 3, column: 1, endLine: 5 },
      },
      {
        ruleId: "TF-002",
        reason: "migrating",
        expires: "2026-06-30",
        span: { file: "main.tf", line: 7, column: 1, endLine: 10 },
      },
      {
        ruleId: "TF-003",
        reason: "migrating",
        expires: "2026-06-30",
        span: { file: "main.tf", line: 7, column: 1, endLine: 10 },
      },
    ]);
  });

  it("does not reach a block separated by code, and report malformed ones", async () => {
    const { suppressions, diagnostics } = await suppressionsOf(
      [
        "# slipway:ignore TF-001 not above a block",
        'x = "a"',
        'resource "a" "b" {',
        "  # slipway:ignore",
        "}",
        "",
      ].join("\n"),
    );
    expect(suppressions.map((s) => [s.ruleId, s.span.line, s.span.endLine])).toEqual([["TF-001", 1, 2]]);
    expect(diagnostics.map((d) => [d.message, d.span.line])).toEqual([
      ["slipway:ignore needs the rule id it silences", 4],
    ]);
  });

  it("silence findings of the block, and of everything a module call creates", async () => {
    const everyBucket: Rule<TerraformModel> = {
      id: "TEST-020",
      title: "Every bucket is reported",
      severity: "low",
      framework: "terraform",
      rationale: "A rule for this test.",
      remediation: "None needed here.",
      references: ["https://example.com"],
      check(model, report) {
        for (const r of model.resources) report({ message: "bucket", span: r.span, resource: r.address });
      },
    };
    const root = writeTree({
      "main.tf": [
        'resource "aws_s3_bucket" "kept" {}',
        "",
        "# slipway:ignore TEST-020 fixture",
        'resource "aws_s3_bucket" "silenced" {}',
        "",
        "# slipway:ignore * everything in this module is accepted",
        'module "store" {',
        '  source = "./store"',
        "}",
        "",
      ].join("\n"),
      "store/main.tf": 'resource "aws_s3_bucket" "inner" {}\n',
    });
    const result = await scan({
      root,
      scanners: [createTerraformScanner([everyBucket])],
      env: {},
      today: "2026-01-01",
    });
    expect(result.findings.map((f) => f.resource)).toEqual(["aws_s3_bucket.kept"]);
    expect(result.suppressed.map((s) => s.finding.resource).sort()).toEqual([
      "aws_s3_bucket.silenced",
      "module.store.aws_s3_bucket.inner",
    ]);
  });
});
