import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { gitlabCiScanner } from "../../../src/guardrails/gitlab-ci/index.js";
import { scan } from "../../../src/guardrails/index.js";

describe("carefully written GitLab CI configurations", () => {
  it.each(["node", "go", "python"])("%s: no findings from any rule", async (ecosystem) => {
    const result = await scan({
      root: join(import.meta.dirname, "corpus", ecosystem),
      scanners: [gitlabCiScanner],
      env: {},
      today: "2026-01-01",
    });
    expect(result.files.map((f) => f.path)).toContain(".gitlab-ci.yml");
    expect(result.diagnostics).toEqual([]);
    expect(result.findings.map((f) => `${f.ruleId} ${f.span.file}:${f.span.line}: ${f.message}`)).toEqual([]);
  });
});
