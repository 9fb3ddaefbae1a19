import { describe, expect, it } from "vitest";
import type { CustomRule } from "../../../src/guardrails/model.js";
import { analyzeWorkflowFile } from "../../../src/guardrails/github-actions/analyze.js";
import {
  expressionSources,
  findExpressions,
  pathText,
} from "../../../src/guardrails/github-actions/expressions.js";
import { claimsWorkflow } from "../../../src/guardrails/github-actions/index.js";
import { untrustedField } from "../../../src/guardrails/github-actions/contexts.js";

const all = { ruleFilter: () => true, customRules: [] };
const only = (id: string) => ({ ruleFilter: (rule: string) => rule === id, customRules: [] });

function workflow(text: string, path = ".github/workflows/ci.yml") {
  const result = analyzeWorkflowFile({ path, text }, all);
  expect(result.diagnostics).toEqual([]);
  return result.workflows[0]!;
}

describe("workflow triggers", () => {
  it("reads `on` as a string, a list or a map", () => {
    expect(workflow("on: push\njobs: {}\n").triggers.map((t) => t.event)).toEqual(["push"]);
    expect(workflow("on: [push, pull_request_target]\njobs: {}\n").triggers.map((t) => t.event)).toEqual([
      "push",
      "pull_request_target",
    ]);
    const map = workflow(
      "on:\n  push:\n    branches: [main]\n  issue_comment:\n  workflow_dispatch:\n    inputs:\n      tag:\n        type: string\n      dry:\n        type: boolean\njobs: {}\n",
    );
    expect(map.triggers.map((t) => [t.event, t.span.line])).toEqual([
      ["push", 2],
      ["issue_comment", 4],
      ["workflow_dispatch", 5],
    ]);
    expect([...map.inputs.values()].map((i) => [i.name, i.type])).toEqual([
      ["tag", "string"],
      ["dry", "boolean"],
    ]);
  });

  it("reads permissions at workflow and job level", () => {
    const wf = workflow(
      "on: push\npermissions: read-all\njobs:\n  a:\n    runs-on: x\n    permissions:\n      contents: write\n      id-token: write\n    steps: []\n",
    );
    expect(wf.permissions?.all).toBe("read-all");
    expect(
      [...(wf.jobs[0]?.permissions?.scopes.entries() ?? [])].map(([k, v]) => [k, v.value, v.span.line]),
    ).toEqual([
      ["contents", "write", 7],
      ["id-token", "write", 8],
    ]);
  });
});

describe("expressions", () => {
  it("are found with `}}` inside string literals", () => {
    expect(findExpressions("a ${{ format('{0}}}', x) }} b ${{ y }}").map((e) => e.source)).toEqual([
      "format('{0}}}', x)",
      "y",
    ]);
  });

  it("pass on the context values that reach their result", () => {
    const sources = (source: string) => expressionSources(source).map(pathText);
    expect(sources("github.event.issue.title")).toEqual(["github.event.issue.title"]);
    expect(sources("format('{0} by {1}', github.event.pull_request.title, github.actor)")).toEqual([
      "github.event.pull_request.title",
      "github.actor",
    ]);
    expect(sources("github.event['pull_request']['head'].ref")).toEqual([
      "github.event.pull_request.head.ref",
    ]);
    expect(sources("github.event.commits[0].message")).toEqual(["github.event.commits.*.message"]);
    expect(sources("contains(github.event.issue.title, 'bug')")).toEqual([]);
    expect(sources("github.event.issue.title == 'x'")).toEqual([]);
    expect(sources("!github.event.issue.locked")).toEqual([]);
    expect(sources("github.head_ref || github.ref_name")).toEqual(["github.head_ref", "github.ref_name"]);
  });

  it("recognize untrusted fields, also whole objects serialized with toJSON", () => {
    const untrusted = (source: string) => expressionSources(source).map(untrustedField).filter(Boolean);
    expect(untrusted("toJSON(github.event.issue)")).toEqual(["github.event.issue"]);
    expect(untrusted("github.event.issue")).toEqual([]);
    expect(untrusted("github.event.pages[1].page_name")).toEqual(["github.event.pages.*.page_name"]);
    expect(untrusted("GITHUB.EVENT.ISSUE.BODY")).toEqual(["GITHUB.EVENT.ISSUE.BODY"]);
    expect(untrusted("github.event.issue.number")).toEqual([]);
  });

  it("are positioned inside literal and folded block scalars and quoted strings", () => {
    const text = [
      "on: issues",
      "permissions: {}",
      "jobs:",
      "  a:",
      "    runs-on: ubuntu-latest",
      "    steps:",
      "      - run: |",
      "          echo start",
      '            echo "${{ github.event.issue.title }}"',
      "      - run: >-",
      "          echo one",
      "          ${{ github.event.issue.body }}",
      '      - run: "echo ${{ github.event.comment.body }}"',
      "      - run: echo ${{ github.head_ref }}",
      "",
    ].join("\n");
    const findings = analyzeWorkflowFile({ path: ".github/workflows/x.yml", text }, only("GHA-001")).findings;
    expect(findings.map((f) => [f.span.line, f.span.column, f.span.endColumn])).toEqual([
      [9, 19, 50],
      [12, 11, 41],
      [13, 20, 52],
      [14, 19, 41],
    ]);
  });
});

describe("script injection", () => {
  const base = (step: string, env = "") =>
    `on: issue_comment\npermissions: {}\n${env}jobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n${step}`;

  it("is safe through env read by the shell, unsafe through ${{ env.X }}", () => {
    const safe = base(
      '      - run: echo "$BODY"\n        env:\n          BODY: ${{ github.event.comment.body }}\n',
    );
    expect(
      analyzeWorkflowFile({ path: ".github/workflows/a.yml", text: safe }, only("GHA-001")).findings,
    ).toEqual([]);
    const unsafe = base(
      '      - run: echo "${{ env.BODY }}"\n',
      "env:\n  BODY: ${{ github.event.comment.body }}\n",
    );
    const findings = analyzeWorkflowFile(
      { path: ".github/workflows/a.yml", text: unsafe },
      only("GHA-001"),
    ).findings;
    expect(findings).toHaveLength(1);
    expect(findings[0]?.provenance).toEqual([
      expect.objectContaining({
        description: "env.BODY is set from github.event.comment.body",
        span: expect.objectContaining({ line: 4 }),
      }),
    ]);
  });

  it("covers actions/github-script code and composite actions", () => {
    const script = base(
      "      - uses: actions/github-script@v7\n        with:\n          script: console.log('${{ github.event.comment.body }}')\n",
    );
    expect(
      analyzeWorkflowFile({ path: ".github/workflows/a.yml", text: script }, only("GHA-001")).findings,
    ).toHaveLength(1);
    const action =
      "name: greet\ninputs:\n  who:\n    required: true\nruns:\n  using: composite\n  steps:\n    - run: echo '${{ github.event.pull_request.title }}' '${{ inputs.who }}'\n      shell: bash\n";
    const result = analyzeWorkflowFile({ path: "greet/action.yml", text: action }, all);
    expect(result.findings.map((f) => [f.ruleId, f.resource])).toEqual([
      ["GHA-001", "runs.steps[0]"],
      ["GHA-014", "runs.steps[0]"],
    ]);
  });
});

describe("pull_request_target", () => {
  it("flags a PR-head checkout followed by scripts, not a base checkout", () => {
    const wf = (ref: string) =>
      `on: pull_request_target\npermissions: {}\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n${ref}      - run: make test\n`;
    const flagged = analyzeWorkflowFile(
      {
        path: ".github/workflows/t.yml",
        text: wf("        with:\n          ref: refs/pull/${{ github.event.number }}/merge\n"),
      },
      only("GHA-002"),
    );
    expect(flagged.findings.map((f) => f.span.line)).toEqual([9]);
    expect(
      analyzeWorkflowFile({ path: ".github/workflows/t.yml", text: wf("") }, only("GHA-002")).findings,
    ).toEqual([]);
  });

  it("sees gh pr checkout in a script", () => {
    const text =
      "on:\n  pull_request_target:\npermissions: {}\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: |\n          gh pr checkout ${{ github.event.pull_request.number }}\n          npm test\n";
    expect(
      analyzeWorkflowFile({ path: ".github/workflows/t.yml", text }, only("GHA-002")).findings.map(
        (f) => f.span.line,
      ),
    ).toEqual([9]);
  });
});

describe("runners and pinning", () => {
  it("expands runs-on from the matrix", () => {
    const text =
      "on: pull_request\npermissions: {}\njobs:\n  t:\n    runs-on: ${{ matrix.os }}\n    strategy:\n      matrix:\n        os: [ubuntu-latest, [self-hosted, arm64]]\n    steps: []\n";
    expect(
      analyzeWorkflowFile({ path: ".github/workflows/t.yml", text }, only("GHA-009")).findings.map(
        (f) => f.span.line,
      ),
    ).toEqual([8]);
  });

  it("exempts GitHub's own actions and local ones from SHA pinning", () => {
    const text = `on: push\npermissions: {}\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - uses: github/codeql-action/init@v3\n      - uses: ./.github/actions/setup\n      - uses: acme/tool@${"a".repeat(40)}\n      - uses: acme/tool/sub@v1.2.3\n`;
    expect(
      analyzeWorkflowFile({ path: ".github/workflows/t.yml", text }, only("GHA-003")).findings.map(
        (f) => f.span.line,
      ),
    ).toEqual([11]);
  });
});

describe("claims", () => {
  it("claims workflows, actions and workflow-shaped YAML", () => {
    expect(claimsWorkflow({ path: ".github/workflows/ci.yaml", text: "" })).toBe(true);
    expect(
      claimsWorkflow({ path: "actions/setup/action.yml", text: "name: x\nruns:\n  using: node20\n" }),
    ).toBe(true);
    expect(
      claimsWorkflow({ path: "templates/ci.yml", text: "on: push\njobs:\n  a:\n    runs-on: x\n" }),
    ).toBe(true);
    expect(claimsWorkflow({ path: "k8s/deploy.yml", text: "apiVersion: v1\nkind: Pod\n" })).toBe(false);
    expect(claimsWorkflow({ path: "action.yml", text: "name: not an action\n" })).toBe(false);
  });
});

describe("workflow custom rules", () => {
  it("read jobs and steps by path, with the span of the value", () => {
    const rule: CustomRule = {
      id: "ACME-002",
      title: "Jobs declare a timeout in minutes",
      severity: "low",
      framework: "github-actions",
      rationale: "Hung jobs hold runners for six hours by default.",
      remediation: "Set timeout-minutes.",
      references: ["https://example.com/ci"],
      checkResources(resources, report) {
        for (const resource of resources) {
          const timeout = resource.get("timeout-minutes");
          if (resource.type === "github-job" && timeout.known && timeout.value === undefined)
            report({
              message: `${resource.address} has no timeout`,
              span: resource.span,
              resource: resource.address,
            });
          const uses = resource.get("uses");
          if (resource.type === "github-step" && uses.known && uses.value === "actions/checkout@v3")
            report({ message: "old checkout", span: uses.span ?? resource.span, resource: resource.address });
        }
      },
    };
    const text =
      "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: actions/checkout@v3\n  b:\n    runs-on: x\n    timeout-minutes: 5\n    steps: []\n";
    const result = analyzeWorkflowFile(
      { path: ".github/workflows/a.yml", text },
      { ruleFilter: () => true, customRules: [rule] },
    );
    expect(
      result.findings
        .filter((f) => f.ruleId === "ACME-002")
        .map((f) => [f.span.line, f.span.column, f.message]),
    ).toEqual([
      [4, 3, "jobs.a has no timeout"],
      [7, 15, "old checkout"],
    ]);
  });
});
