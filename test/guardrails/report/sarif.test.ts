import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import ajvDraft04 from "ajv-draft-04";
import ajvFormats from "ajv-formats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fingerprintOf, type ScanResult } from "../../../src/guardrails/index.js";
import { formatSarif } from "../../../src/guardrails/report/index.js";
import { richScan, TOKEN } from "./scan-result.js";

// The SARIF 2.1.0 JSON schema as Microsoft's SARIF tooling ships it (2.1.0-rtm.5, draft-04).
const require = createRequire(import.meta.url);
const schema = JSON.parse(
  readFileSync(require.resolve("@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json"), "utf8"),
) as Record<string, unknown>;
// unicodeRegExp off: one of the schema's patterns (`^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$`,
// for languages) is only valid without the `u` flag.
// Both are CommonJS modules whose class and function are their `default` export.
const Ajv = ajvDraft04.default;
const addFormats = ajvFormats.default;
const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
addFormats(ajv);
const validate = ajv.compile(schema);

let result: ScanResult;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ result, cleanup } = await richScan());
});
afterAll(() => cleanup());

interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  level: string;
  locations: { logicalLocations?: { fullyQualifiedName: string }[] }[];
  partialFingerprints: Record<string, string>;
  suppressions?: unknown[];
  [key: string]: unknown;
}

interface Sarif {
  runs: {
    tool: {
      driver: { name: string; version: string; informationUri?: string; rules: Record<string, unknown>[] };
    };
    results: SarifResult[];
    artifacts: { location: { uri: string; uriBaseId: string } }[];
    invocations: { executionSuccessful: boolean; toolExecutionNotifications: Record<string, unknown>[] }[];
    originalUriBaseIds?: Record<string, { uri: string }>;
  }[];
}

function sarif(r: ScanResult = result, options = {}): Sarif {
  return JSON.parse(formatSarif(r, options)) as Sarif;
}

describe("the SARIF report", () => {
  it("is valid SARIF 2.1.0", () => {
    const log = JSON.parse(formatSarif(result, { informationUri: "https://slipway.example.org/docs/check" }));
    const valid = validate(log);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it("is checked by a validator that rejects what the schema forbids", () => {
    const log = JSON.parse(formatSarif(result)) as Sarif;
    log.runs[0]!.results[0]!.level = "fatal";
    expect(validate(log)).toBe(false);
  });

  it("stays valid without findings, files or rules", () => {
    const empty: ScanResult = {
      ...result,
      findings: [],
      suppressed: [],
      diagnostics: [],
      notes: [],
      files: [],
      rules: [],
    };
    expect(validate(JSON.parse(formatSarif(empty)))).toBe(true);
  });

  it("describes every rule that ran, with help and a numeric security severity", () => {
    const { driver } = sarif().runs[0]!.tool;
    expect(driver.name).toBe("slipway");
    expect(driver.rules.map((r) => r["id"])).toEqual(result.rules.map((r) => r.id));
    expect(driver.rules[0]).toMatchObject({
      id: "K8S-901",
      name: "ToyContainerRunsPrivileged",
      shortDescription: { text: "Toy container runs privileged" },
      fullDescription: { text: expect.stringContaining("privileged container") },
      help: { text: "Set spec.privileged to false.", markdown: expect.stringContaining("**Remediation:**") },
      helpUri: "https://kubernetes.io/docs/concepts/security/pod-security-standards/",
      defaultConfiguration: { level: "error" },
      properties: { tags: ["kubernetes", "security"], "security-severity": "8.0" },
    });
    const severity = (id: string) =>
      (driver.rules.find((r) => r["id"] === id)?.["properties"] as Record<string, string>)[
        "security-severity"
      ];
    expect([severity("SECRET-003"), severity("K8S-902"), severity("SECRET-020")]).toEqual([
      "9.5",
      "5.5",
      "5.5",
    ]);
  });

  it("gives results their rule, level, location, fingerprint, provenance and fix", () => {
    const run = sarif().runs[0]!;
    const rules = run.tool.driver.rules;
    for (const r of run.results) expect(rules[r.ruleIndex]?.["id"]).toBe(r.ruleId);
    const web = run.results.filter(
      (r) => r.locations[0]?.logicalLocations?.[0]?.fullyQualifiedName === "Deployment/web",
    );
    const [latest, privileged] = web;
    expect(latest).toMatchObject({
      ruleId: "K8S-902",
      level: "warning",
      message: { text: "Deployment/web uses ghcr.io/acme/web:latest" },
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: "k8s/web.yaml", uriBaseId: "%SRCROOT%" },
            region: { startLine: 5, startColumn: 10 },
          },
        },
      ],
      relatedLocations: [
        {
          id: 0,
          message: { text: "tag set by the release values" },
          physicalLocation: {
            artifactLocation: { uri: "values/prod.yaml" },
            region: { startLine: 3, startColumn: 7 },
          },
        },
      ],
    });
    const finding = result.findings.find((f) => f.ruleId === "K8S-902" && f.resource === "Deployment/web")!;
    expect(latest?.partialFingerprints).toEqual({ "slipway/v1": fingerprintOf(finding, result.sources) });
    expect(privileged).toMatchObject({
      level: "error",
      locations: [
        { physicalLocation: { region: { startLine: 7, startColumn: 15, endLine: 7, endColumn: 19 } } },
      ],
      fixes: [
        {
          description: { text: "set privileged to false" },
          artifactChanges: [
            {
              artifactLocation: { uri: "k8s/web.yaml" },
              replacements: [
                {
                  deletedRegion: { startLine: 7, startColumn: 15, endColumn: 19 },
                  insertedContent: { text: "false" },
                },
              ],
            },
          ],
        },
      ],
    });
  });

  it("keeps suppressed findings, marked in source or external (baseline)", () => {
    const suppressed = sarif().runs[0]!.results.filter((r) => r.suppressions);
    expect(suppressed.map((r) => [r.ruleId, r.suppressions])).toEqual([
      [
        "K8S-901",
        [{ kind: "inSource", status: "accepted", justification: "the node agent needs host access" }],
      ],
      ["K8S-902", [{ kind: "external", status: "accepted", justification: "in baseline" }]],
    ]);
  });

  it("lists artifacts, escapes their URIs, and reports unreadable files as notifications", () => {
    const run = sarif().runs[0]!;
    expect(run.artifacts.map((a) => a.location.uri)).toContain("k8s/batch%20job.yaml");
    expect(run.artifacts.map((a) => a.location.uri)).toContain("values/prod.yaml");
    expect(run.originalUriBaseIds?.["%SRCROOT%"]?.uri).toMatch(/^file:\/\/\/.*\/$/);
    expect(sarif(result, { includeRoot: false }).runs[0]?.originalUriBaseIds).toBeUndefined();
    const [invocation] = run.invocations;
    expect(invocation?.executionSuccessful).toBe(false);
    expect(invocation?.toolExecutionNotifications[0]).toMatchObject({
      level: "error",
      message: { text: expect.stringMatching(/^YAML syntax/) },
      locations: [
        { physicalLocation: { artifactLocation: { uri: "k8s/broken.yaml" }, region: { startLine: 3 } } },
      ],
    });
  });

  it("never contains a secret", () => {
    expect(formatSarif(result)).not.toContain(TOKEN);
  });
});
