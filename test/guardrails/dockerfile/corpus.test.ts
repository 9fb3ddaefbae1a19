import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { dockerfileScanner } from "../../../src/guardrails/dockerfile/index.js";
import { scan } from "../../../src/guardrails/index.js";

describe("carefully written Dockerfiles", () => {
  it.each(["node", "go", "python"])("%s: no findings from any rule", async (ecosystem) => {
    const result = await scan({
      root: join(import.meta.dirname, "corpus", ecosystem),
      scanners: [dockerfileScanner],
      env: {},
      today: "2026-01-01",
    });
    expect(result.files.map((f) => f.path)).toEqual(["Dockerfile"]);
    expect(result.diagnostics).toEqual([]);
    expect(result.findings.map((f) => `${f.ruleId} ${f.span.line}: ${f.message}`)).toEqual([]);
  });
});
