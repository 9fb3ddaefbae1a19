import { describe, expect, it } from "vitest";
import { analyzeWorkflowFile } from "../../../src/guardrails/github-actions/analyze.js";

const all = { ruleFilter: () => true, customRules: [] };
const covers = (text: string) =>
  analyzeWorkflowFile({ path: ".github/workflows/ci.yml", text }, all).suppressions.map((s) => [
    s.ruleId,
    s.span.line,
    s.span.endLine,
  ]);

const body = (top: string, jobs: string, job: string, step: string) => `${top}name: CI
on: pull_request
permissions: {}
${jobs}jobs:
${job}  build:
    runs-on: [self-hosted]
    steps:
      - uses: actions/checkout@v4
${step}      - uses: acme/setup@v1
        with:
          version: 2
      - run: make
`;

describe("workflow suppressions", () => {
  it("above a job cover the job", () => {
    expect(covers(body("", "", "  # slipway:ignore GHA-009 isolated ephemeral runner\n", ""))).toEqual([
      ["GHA-009", 6, 13],
    ]);
  });

  it("above a step cover the step", () => {
    expect(covers(body("", "", "", "      # slipway:ignore GHA-003 vendored fork we control\n"))).toEqual([
      ["GHA-003", 10, 12],
    ]);
  });

  it("above jobs: or at the top cover the file", () => {
    expect(covers(body("", "# slipway:ignore GHA-009 all jobs isolated\n", "", ""))).toEqual([
      ["GHA-009", 1, 14],
    ]);
    expect(covers(body("# slipway:ignore GHA-003 internal mirror\n", "", "", ""))).toEqual([
      ["GHA-003", 1, 14],
    ]);
  });

  it("at the end of a line cover that line, and inside a script the line below", () => {
    const text =
      'on: push\npermissions: {}\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: acme/x@v1 # slipway:ignore GHA-003 pinned by our proxy\n      - run: |\n          # slipway:ignore GHA-013 old runner image\n          echo "::set-output name=a::b"\n';
    const result = analyzeWorkflowFile({ path: ".github/workflows/a.yml", text }, all);
    expect(result.suppressions.map((s) => [s.ruleId, s.span.line, s.span.endLine])).toEqual([
      ["GHA-003", 7, 7],
      ["GHA-013", 10, 10],
    ]);
    const silenced = result.findings.filter((f) =>
      result.suppressions.some(
        (s) =>
          s.ruleId === f.ruleId &&
          f.span.line >= s.span.line &&
          f.span.line <= (s.span.endLine ?? s.span.line),
      ),
    );
    expect(silenced.map((f) => f.ruleId).sort()).toEqual(["GHA-003", "GHA-013"]);
  });

  it("that cover nothing are diagnostics, and a `#` in a string is not a comment", () => {
    const text =
      'on: push\npermissions: {}\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: echo "# slipway:ignore GHA-013 not a comment"\n\n# slipway:ignore GHA-003 dangling\n';
    const result = analyzeWorkflowFile({ path: ".github/workflows/a.yml", text }, all);
    expect(result.suppressions).toEqual([]);
    expect(result.diagnostics.map((d) => [d.span.line, d.message])).toEqual([
      [9, "slipway:ignore covers nothing here"],
    ]);
  });
});
