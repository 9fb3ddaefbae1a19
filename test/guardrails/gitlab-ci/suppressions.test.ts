import { describe, expect, it } from "vitest";
import { analyzeGitlabFiles } from "../../../src/guardrails/gitlab-ci/analyze.js";
import { applySuppressions } from "../../../src/guardrails/suppression.js";

const all = { ruleFilter: () => true, customRules: [], root: "/nonexistent" };

async function outcome(text: string) {
  const result = await analyzeGitlabFiles(
    [{ path: ".gitlab-ci.yml", text, absolutePath: "/repo/.gitlab-ci.yml" }],
    all,
  );
  return { result, applied: applySuppressions(result.findings, result.suppressions, "2026-01-01") };
}

describe("GitLab suppressions", () => {
  it("above a job cover the job", async () => {
    const { result, applied } = await outcome(
      "stages: [build]\n\n# slipway:ignore GITLAB-003 throwaway job, image pinned by the registry proxy\nbuild:\n  image: node:latest\n  script: [make]\n\ntest:\n  image: node:latest\n  script: [make test]\n",
    );
    expect(result.suppressions.map((s) => [s.span.line, s.span.endLine])).toEqual([[4, 6]]);
    expect(applied.suppressed.map((s) => s.finding.resource)).toEqual(["build"]);
    expect(applied.active.filter((f) => f.ruleId === "GITLAB-003").map((f) => f.resource)).toEqual(["test"]);
  });

  it("above a template cover what jobs inherit from it", async () => {
    const { applied } = await outcome(
      '# slipway:ignore GITLAB-007 isolated runner network\n.dind:\n  services: [docker:27-dind]\n  variables:\n    DOCKER_TLS_CERTDIR: ""\nbuild:\n  extends: .dind\n  script: [docker build .]\n',
    );
    expect(applied.suppressed.map((s) => s.finding.ruleId)).toContain("GITLAB-007");
    expect(applied.active.map((f) => f.ruleId)).not.toContain("GITLAB-007");
  });

  it("at the top, followed by a blank line, cover the file", async () => {
    const { result } = await outcome(
      "# slipway:ignore GITLAB-004 images are mirrored and pinned by the proxy\n\nbuild:\n  image: node:20\n  script: [make]\n",
    );
    expect(result.suppressions.map((s) => [s.span.line, s.span.endLine])).toEqual([[1, 6]]);
  });
});
