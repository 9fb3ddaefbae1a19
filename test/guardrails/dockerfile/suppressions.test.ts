import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { analyzeDockerfile } from "../../../src/guardrails/dockerfile/analyze.js";
import { dockerfileScanner } from "../../../src/guardrails/dockerfile/index.js";
import { scan } from "../../../src/guardrails/index.js";

const all = { ruleFilter: () => true, customRules: [] };

function covers(text: string): { rule: string; lines: [number, number | undefined] }[] {
  return analyzeDockerfile({ path: "Dockerfile", text }, all).suppressions.map((s) => ({
    rule: s.ruleId,
    lines: [s.span.line, s.span.endLine],
  }));
}

describe("Dockerfile suppressions", () => {
  it("cover the instruction directly below, continuation lines included", () => {
    const text =
      "FROM debian:12\n# slipway:ignore DOCKER-008 image size does not matter here\n# (a second comment line)\nRUN apt-get update \\\n && apt-get install -y curl\nUSER 1000\n";
    expect(covers(text)).toEqual([{ rule: "DOCKER-008", lines: [4, 5] }]);
  });

  it("cover a whole stage when written above its FROM", () => {
    const text =
      "# slipway:ignore DOCKER-013,DOCKER-023 legacy builder\nFROM debian:12 AS build\nRUN sudo make\n\nFROM alpine:3.20\nUSER 1000\n";
    expect(covers(text)).toEqual([
      { rule: "DOCKER-013", lines: [2, 4] },
      { rule: "DOCKER-023", lines: [2, 4] },
    ]);
  });

  it("cover the whole file from the top when followed by a blank line", () => {
    const text =
      "# syntax=docker/dockerfile:1.7\n# slipway:ignore DOCKER-015 orchestrator probes the container\n\nFROM alpine:3.20\nUSER 1000\n";
    expect(covers(text)).toEqual([{ rule: "DOCKER-015", lines: [1, 6] }]);
  });

  it("cover the next line when written inside a continuation", () => {
    const text =
      "FROM debian:12\nRUN apt-get update \\\n # slipway:ignore DOCKER-008 tiny package\n && apt-get install -y curl \\\n && rm -rf /var/lib/apt/lists/*\n";
    expect(covers(text)).toEqual([{ rule: "DOCKER-008", lines: [4, 4] }]);
  });

  it("report suppressions that cover nothing or lack a reason", () => {
    const text =
      'FROM alpine:3.20\nUSER 1000\n# slipway:ignore DOCKER-015 forgotten\n\n# slipway:ignore DOCKER-001\nCMD ["x"]\n';
    const result = analyzeDockerfile({ path: "Dockerfile", text }, all);
    expect(result.suppressions).toEqual([]);
    expect(result.diagnostics.map((d) => [d.span.line, d.message])).toEqual([
      [3, "slipway:ignore covers nothing here"],
      [5, "slipway:ignore DOCKER-001 needs a reason"],
    ]);
  });

  it("silence findings through the scan, until they expire", async () => {
    const dir = mkdtempSync(join(tmpdir(), "slipway-dockerfile-"));
    writeFileSync(
      join(dir, "Dockerfile"),
      "FROM alpine:3.20\n# slipway:ignore DOCKER-020 expires=2026-06-30 entrypoint script handles signals\nCMD /entrypoint.sh\n# slipway:ignore DOCKER-003 expires=2025-01-01 migrating to a non-root user\nHEALTHCHECK NONE\n",
    );
    const result = await scan({
      root: dir,
      scanners: [dockerfileScanner],
      rules: ["DOCKER-020", "DOCKER-003"],
      env: {},
      today: "2026-01-01",
    });
    expect(result.suppressed.map((s) => s.finding.ruleId)).toEqual(["DOCKER-020"]);
    expect(result.findings.map((f) => f.ruleId)).toEqual(["DOCKER-003"]);
    expect(result.expiredSuppressions.map((s) => s.ruleId)).toEqual(["DOCKER-003"]);
  });
});
