// Every built-in rule proves itself on two fixtures: `rules/<ID>/fail` must produce a finding of
// that rule and `rules/<ID>/pass` must not. Fixtures are directories, so cross-file rules
// (modules, tfvars, a Service and its Deployment) are tested the same way as one-file rules.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FRAMEWORK_SCANNERS, scan } from "../../src/guardrails/index.js";

const FIXTURES = join(import.meta.dirname, "rules");
const PREFIX: Record<string, string> = {
  terraform: "TF",
  cloudformation: "CFN",
  kubernetes: "K8S",
  dockerfile: "DOCKER",
  "github-actions": "GHA",
  "gitlab-ci": "GITLAB",
  secrets: "SECRET",
};

describe("built-in rules", () => {
  const all = FRAMEWORK_SCANNERS.flatMap((scanner) => scanner.rules.map((rule) => ({ scanner, rule })));

  it("have unique ids with their framework's prefix and complete metadata", () => {
    const ids = all.map(({ rule }) => rule.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { scanner, rule } of all) {
      expect(rule.framework).toBe(scanner.framework);
      expect(rule.id).toMatch(new RegExp(`^${PREFIX[rule.framework]}-\\d{3}$`));
      expect(rule.title.length, rule.id).toBeGreaterThan(10);
      expect(rule.rationale.length, rule.id).toBeGreaterThan(20);
      expect(rule.remediation.length, rule.id).toBeGreaterThan(10);
      expect(rule.references.length, rule.id).toBeGreaterThan(0);
    }
  });

  describe.each(all.map(({ scanner, rule }) => [rule.id, scanner] as const))("%s", (id, scanner) => {
    it("reports its fail fixture", async () => {
      const root = join(FIXTURES, id, "fail");
      expect(existsSync(root), `missing fixture ${root}`).toBe(true);
      const result = await scan({ root, scanners: [scanner], rules: [id], env: {}, today: "2026-01-01" });
      expect(result.diagnostics).toEqual([]);
      expect(result.findings.map((f) => f.ruleId)).toContain(id);
      for (const finding of result.findings) {
        expect(finding.span.line).toBeGreaterThan(0);
        expect(result.sources.has(finding.span.file), finding.span.file).toBe(true);
      }
    });

    it("passes its pass fixture", async () => {
      const root = join(FIXTURES, id, "pass");
      expect(existsSync(root), `missing fixture ${root}`).toBe(true);
      const result = await scan({ root, scanners: [scanner], rules: [id], env: {}, today: "2026-01-01" });
      expect(result.diagnostics).toEqual([]);
      expect(result.files.length).toBeGreaterThan(0);
      expect(result.findings.filter((f) => f.ruleId === id)).toEqual([]);
    });
  });
});
