import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { analyzeDockerfile } from "../../../src/guardrails/dockerfile/analyze.js";
import { stageResources } from "../../../src/guardrails/dockerfile/generic.js";
import { filesUnder, mutate, prng } from "../support/mutate.js";

const seeds = filesUnder(join(import.meta.dirname, ".."), /(rules\/DOCKER-\d+\/.*|corpus\/.*)Dockerfile$/);

describe("Dockerfile parser under mutation", () => {
  it("has fixtures to mutate", () => {
    expect(seeds.length).toBeGreaterThan(50);
  });

  it("never throws and gives every diagnostic and finding a position", () => {
    const random = prng(20240917);
    const context = { ruleFilter: () => true, customRules: [] };
    for (let round = 0; round < 1500; round++) {
      const seed = seeds[round % seeds.length]!;
      const text = mutate(seed.text, random);
      let result: ReturnType<typeof analyzeDockerfile> | undefined;
      try {
        result = analyzeDockerfile({ path: "Dockerfile", text }, context);
        for (const resource of stageResources(result.model)) resource.get("image.tag");
      } catch (error) {
        throw new Error(`round ${round} (${seed.path}) threw on ${JSON.stringify(text)}: ${String(error)}`);
      }
      for (const item of [...result.diagnostics, ...result.findings]) {
        expect(item.span.line, JSON.stringify(text)).toBeGreaterThan(0);
        expect(item.span.column, JSON.stringify(text)).toBeGreaterThan(0);
        expect(item.span.file).toBe("Dockerfile");
      }
    }
  });
});
