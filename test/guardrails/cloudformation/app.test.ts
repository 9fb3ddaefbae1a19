// A realistic stack scanned with every CloudFormation rule: the hardened template is silent, the
// legacy one produces exactly the findings of its expected file, with provenance.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { scan } from "../../../src/guardrails/index.js";
import { cloudformationScanner } from "../../../src/guardrails/cloudformation/index.js";

const FIXTURES = join(import.meta.dirname, "fixtures");

describe("a CloudFormation stack", () => {
  it("hardened: no finding", async () => {
    const result = await scan({ root: join(FIXTURES, "good"), scanners: [cloudformationScanner], env: {} });
    expect(result.diagnostics).toEqual([]);
    expect(result.findings.map((f) => `${f.ruleId} ${f.message}`)).toEqual([]);
    expect(result.files.map((f) => f.path)).toEqual(["storefront.yaml"]);
  });

  it("legacy: every finding is the expected one", async () => {
    const result = await scan({ root: join(FIXTURES, "bad"), scanners: [cloudformationScanner], env: {} });
    expect(result.diagnostics).toEqual([]);
    const actual = result.findings.map((f) => ({
      ruleId: f.ruleId,
      file: f.span.file,
      line: f.span.line,
      column: f.span.column,
      resource: f.resource,
      message: f.message,
    }));
    expect(actual).toEqual(JSON.parse(readFileSync(join(FIXTURES, "bad.expected.json"), "utf8")) as unknown);
  });

  it("legacy: values from defaults and conditions say where they were set", async () => {
    const result = await scan({ root: join(FIXTURES, "bad"), scanners: [cloudformationScanner], env: {} });
    const rdp = result.findings.find((f) => f.ruleId === "CFN-004" && f.message.includes("3389"));
    expect(rdp?.provenance).toEqual([
      {
        description: "parameter AdminCidr default",
        span: expect.objectContaining({ line: 9, column: 5, endLine: 9 }),
      },
    ]);
    const publicDb = result.findings.find((f) => f.ruleId === "CFN-006");
    expect(publicDb?.provenance.map((p) => `${p.description}@${p.span.line}`)).toEqual([
      "condition IsProduction@15",
      "parameter Environment default@6",
    ]);
    const policy = result.findings.find((f) => f.ruleId === "CFN-018");
    expect(policy?.resource).toBe("ReportsBucket");
    expect(policy?.enclosing?.map((s) => s.line)).toEqual([28, 18]);
  });
});
