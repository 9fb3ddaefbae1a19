import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { analyzeWorkflowFile } from "../../../src/guardrails/github-actions/analyze.js";
import { workflowResources } from "../../../src/guardrails/github-actions/generic.js";
import { filesUnder, mutate, prng } from "../support/mutate.js";

const seeds = filesUnder(
  join(import.meta.dirname, ".."),
  /(rules\/GHA-\d+|github-actions\/corpus)\/.*\.ya?ml$/,
);

describe("workflow reader under mutation", () => {
  it("has fixtures to mutate", () => {
    expect(seeds.length).toBeGreaterThan(30);
  });

  it("never throws and gives every diagnostic and finding a position", () => {
    const random = prng(1337);
    const context = { ruleFilter: () => true, customRules: [] };
    for (let round = 0; round < 1200; round++) {
      const seed = seeds[round % seeds.length]!;
      const text = mutate(seed.text, random);
      let result: ReturnType<typeof analyzeWorkflowFile> | undefined;
      try {
        result = analyzeWorkflowFile({ path: ".github/workflows/fuzz.yml", text }, context);
        for (const workflow of result.workflows)
          for (const resource of workflowResources(workflow)) resource.get("steps.0.uses");
      } catch (error) {
        throw new Error(`round ${round} (${seed.path}) threw on ${JSON.stringify(text)}: ${String(error)}`);
      }
      for (const item of [...result.diagnostics, ...result.findings]) {
        expect(item.span.line, JSON.stringify(text)).toBeGreaterThan(0);
        expect(item.span.column, JSON.stringify(text)).toBeGreaterThan(0);
      }
    }
  });
});
