import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { analyzeGitlabFiles } from "../../../src/guardrails/gitlab-ci/analyze.js";
import { jobResources } from "../../../src/guardrails/gitlab-ci/generic.js";
import { filesUnder, mutate, prng } from "../support/mutate.js";

const seeds = filesUnder(
  join(import.meta.dirname, ".."),
  /(rules\/GITLAB-\d+|gitlab-ci\/corpus)\/.*\.ya?ml$/,
);

describe("GitLab CI reader under mutation", () => {
  it("has fixtures to mutate", () => {
    expect(seeds.length).toBeGreaterThan(25);
  });

  it("never throws and gives every diagnostic and finding a position", async () => {
    const random = prng(4242);
    const context = { ruleFilter: () => true, customRules: [], root: "/nonexistent" };
    for (let round = 0; round < 1000; round++) {
      const seed = seeds[round % seeds.length]!;
      const text = mutate(seed.text, random);
      const template = mutate(
        ".tpl:\n  script:\n    - !reference [.other, script]\n.other:\n  extends: .tpl\n  script: [echo]\n",
        random,
      );
      let result: Awaited<ReturnType<typeof analyzeGitlabFiles>> | undefined;
      try {
        result = await analyzeGitlabFiles(
          [
            { path: ".gitlab-ci.yml", text: `include: ci/t.yml\n${text}`, absolutePath: "/r/.gitlab-ci.yml" },
            { path: "ci/t.yml", text: template, absolutePath: "/r/ci/t.yml" },
          ],
          context,
        );
        for (const pipeline of result.pipelines)
          for (const resource of jobResources(pipeline)) resource.get("script.0");
      } catch (error) {
        throw new Error(`round ${round} (${seed.path}) threw on ${JSON.stringify(text)}: ${String(error)}`);
      }
      expect(
        result.diagnostics.every((d) => !d.message.startsWith("could not analyze")),
        JSON.stringify(text),
      ).toBe(true);
      for (const item of [...result.diagnostics, ...result.findings]) {
        expect(item.span.line, JSON.stringify(text)).toBeGreaterThan(0);
        expect(item.span.column, JSON.stringify(text)).toBeGreaterThan(0);
      }
    }
  });
});
