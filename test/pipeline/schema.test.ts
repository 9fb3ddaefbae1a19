import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { nativeJsonSchema } from "../../src/pipeline/native/schema.js";
import { ROOT } from "../support/cli.js";

describe("the shipped JSON Schema", () => {
  it("is the one generated from the zod schema (run `npm run build` after changing the format)", () => {
    const shipped = JSON.parse(
      readFileSync(path.join(ROOT, "schema", "slipway.schema.json"), "utf8"),
    ) as unknown;
    expect(shipped).toEqual(nativeJsonSchema());
  });

  it("documents the job and step keys and forbids unknown ones", () => {
    const schema = nativeJsonSchema() as {
      additionalProperties: boolean;
      properties: {
        jobs: {
          additionalProperties: { properties: Record<string, unknown>; additionalProperties: boolean };
        };
      };
    };
    expect(schema.additionalProperties).toBe(false);
    const job = schema.properties.jobs.additionalProperties;
    expect(job.additionalProperties).toBe(false);
    expect(Object.keys(job.properties)).toEqual(
      expect.arrayContaining([
        "needs",
        "if",
        "env",
        "timeout-minutes",
        "continue-on-error",
        "outputs",
        "matrix",
        "concurrency",
        "cache",
        "artifacts",
        "reports",
        "steps",
      ]),
    );
  });
});
