import { XMLParser, XMLValidator } from "fast-xml-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fingerprintOf, type ScanResult } from "../../../src/guardrails/index.js";
import { formatJson, formatJunit, type JsonReport } from "../../../src/guardrails/report/index.js";
import { parseJUnit } from "../../../src/pipeline/junit.js";
import { richScan, TOKEN } from "./scan-result.js";

let result: ScanResult;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ result, cleanup } = await richScan());
});
afterAll(() => cleanup());

describe("the JSON report", () => {
  it("has the documented shape, with every key present", () => {
    const report = JSON.parse(formatJson(result)) as JsonReport;
    expect(Object.keys(report)).toEqual([
      "version",
      "tool",
      "summary",
      "findings",
      "suppressed",
      "expiredSuppressions",
      "diagnostics",
      "notes",
      "rules",
    ]);
    expect(report.version).toBe(1);
    expect(report.tool.name).toBe("slipway");
    expect(report.summary).toEqual({
      findings: 5,
      bySeverity: { info: 0, low: 0, medium: 2, high: 2, critical: 1 },
      suppressed: 2,
      expiredSuppressions: 1,
      diagnostics: 1,
      files: 7,
      filesByFramework: { kubernetes: 5, secrets: 7 },
    });
    const web = report.findings.find((f) => f.ruleId === "K8S-902" && f.resource === "Deployment/web");
    const finding = result.findings.find((f) => f.ruleId === "K8S-902" && f.resource === "Deployment/web")!;
    expect(web).toEqual({
      ruleId: "K8S-902",
      severity: "medium",
      title: "Toy image uses the latest tag",
      framework: "kubernetes",
      message: "Deployment/web uses ghcr.io/acme/web:latest",
      location: { file: "k8s/web.yaml", line: 5, column: 10, endLine: 5, endColumn: null },
      resource: "Deployment/web",
      provenance: [
        {
          description: "tag set by the release values",
          location: { file: "values/prod.yaml", line: 3, column: 7, endLine: 3, endColumn: null },
        },
      ],
      fingerprint: fingerprintOf(finding, result.sources),
      remediation: "Pin the image to a version or a digest.",
      fix: null,
    });
    expect(
      report.findings.find((f) => f.ruleId === "K8S-901" && f.resource === "Deployment/web")?.fix,
    ).toEqual({
      description: "set privileged to false",
      replacements: [
        { location: { file: "k8s/web.yaml", line: 7, column: 15, endLine: 7, endColumn: 19 }, text: "false" },
      ],
    });
  });

  it("lists suppressed findings with why, expired suppressions, diagnostics and notes", () => {
    const report = JSON.parse(formatJson(result)) as JsonReport;
    expect(report.suppressed.map((s) => [s.ruleId, s.resource, s.suppression])).toEqual([
      ["K8S-901", "DaemonSet/agent", { kind: "comment", reason: "the node agent needs host access" }],
      ["K8S-902", "Deployment/legacy", { kind: "baseline", reason: "in baseline" }],
    ]);
    expect(report.expiredSuppressions).toEqual([
      {
        ruleId: "K8S-902",
        reason: 'pinned after the <migration> & "cutover"',
        expires: "2026-01-31",
        location: { file: "k8s/batch job.yaml", line: 9, column: 1, endLine: 9, endColumn: null },
      },
    ]);
    expect(report.diagnostics).toEqual([
      {
        location: { file: "k8s/broken.yaml", line: 3, column: 1, endLine: 3, endColumn: null },
        message: expect.stringMatching(/^YAML syntax/),
        hint: expect.any(String),
      },
    ]);
    expect(report.notes).toHaveLength(1);
    expect(report.rules.map((r) => r.id)).toEqual(result.rules.map((r) => r.id));
  });

  it("never contains a secret", () => {
    expect(formatJson(result)).not.toContain(TOKEN);
  });
});

interface Case {
  classname: string;
  name: string;
  file?: string;
  failure?: { "#text": string; message: string; type: string };
  skipped?: { message: string };
  error?: { message: string };
}
interface Suite {
  name: string;
  tests: string;
  failures: string;
  errors: string;
  skipped: string;
  testcase: Case[];
}

function parse(xml: string): { testsuites: { tests: string; failures: string; testsuite: Suite[] } } {
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: "",
    parseAttributeValue: false,
    parseTagValue: false,
    isArray: (name) => name === "testsuite" || name === "testcase",
  });
  return parser.parse(xml) as ReturnType<typeof parse>;
}

describe("the JUnit report", () => {
  it("is well-formed XML", () => {
    expect(XMLValidator.validate(formatJunit(result))).toBe(true);
  });

  it("has a suite per framework with a failing case per rule and resource, and passing cases for quiet rules", () => {
    const { testsuites } = parse(formatJunit(result));
    expect(testsuites.testsuite.map((s) => [s.name, s.tests, s.failures, s.errors, s.skipped])).toEqual([
      ["kubernetes", "6", "4", "0", "2"],
      ["secrets", "26", "1", "0", "0"],
      ["slipway", "1", "0", "1", "0"],
    ]);
    const secrets = testsuites.testsuite[1]!;
    expect(secrets.testcase[0]).toMatchObject({
      classname: "secrets.SECRET-003",
      name: "SECRET-003 GitHub access token in a file: deploy/.env",
      file: "deploy/.env",
      failure: {
        type: "critical",
        message: "GitHub personal access token ghp_…(40 chars) is written in plain text",
      },
    });
    const passing = secrets.testcase.filter((c) => !c.failure);
    expect(passing.map((c) => c.classname)).toContain("secrets.SECRET-001");
    expect(passing.every((c) => c.failure === undefined && c.skipped === undefined)).toBe(true);
  });

  it("escapes what it must and replaces characters XML cannot hold", () => {
    const xml = formatJunit(result);
    const { testsuites } = parse(xml);
    const odd = testsuites.testsuite[0]!.testcase.find((c) => c.name.includes("Job/odd"));
    expect(odd?.name).toBe("K8S-901 Toy container runs privileged: Job/odd<&\"'>\uFFFD]]>");
    expect(odd?.failure?.["#text"]).toContain("Job/odd<&\"'>\uFFFD]]> runs privileged");
  });

  it("reads back with the JUnit reader the pipeline engine uses", () => {
    const cases = parseJUnit(formatJunit(result), "slipway-check.xml");
    const byStatus = (status: string) => cases.filter((c) => c.status === status).length;
    expect(cases).toHaveLength(33);
    expect([byStatus("failed"), byStatus("error"), byStatus("skipped"), byStatus("passed")]).toEqual([
      5, 1, 2, 25,
    ]);
  });
});
