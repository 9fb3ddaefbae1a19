import { describe, expect, it } from "vitest";
import { parseYamlRules } from "../../../src/guardrails/custom/index.js";
import type { FieldValue, GenericResource, Report } from "../../../src/guardrails/index.js";

/** A resource whose attributes are given as a flat map of dotted paths; `"?"` is unknown. */
function resource(type: string, address: string, fields: Record<string, unknown>): GenericResource {
  return {
    framework: "terraform",
    type,
    address,
    span: { file: "main.tf", line: 10, column: 1, endLine: 20 },
    get(path): FieldValue {
      if (!(path in fields)) return { known: true, value: undefined, provenance: [] };
      const value = fields[path];
      if (value === "?") return { known: false };
      return {
        known: true,
        value,
        span: { file: "main.tf", line: 12, column: 3 },
        provenance: [
          { description: "var.env from prod.tfvars", span: { file: "prod.tfvars", line: 2, column: 1 } },
        ],
      };
    },
  };
}

function rulesFrom(yaml: string) {
  const loaded = parseYamlRules(".slipway/rules/acme.yaml", yaml);
  expect(loaded.diagnostics).toEqual([]);
  return loaded.rules;
}

function check(yaml: string, resources: GenericResource[]): Report[] {
  const reports: Report[] = [];
  for (const rule of rulesFrom(yaml)) rule.checkResources(resources, (report) => reports.push(report));
  return reports;
}

const HEADER = `rules:
  - id: ACME-001
    title: Buckets name their owner
    severity: medium
    framework: terraform
    rationale: Without an owner nobody answers for the data.
    remediation: Add an owner tag.
    references: [https://wiki.acme.io/tagging]
    resource: [aws_s3_bucket]
`;

describe("declarative rules", () => {
  it("reports resources of the listed types that do not satisfy `require`", () => {
    const reports = check(`${HEADER}    require:\n      attribute: tags.owner\n      exists: true\n`, [
      resource("aws_s3_bucket", "aws_s3_bucket.logs", {}),
      resource("aws_s3_bucket", "aws_s3_bucket.site", { "tags.owner": "web" }),
      resource("aws_instance", "aws_instance.web", {}),
    ]);
    expect(reports).toEqual([
      {
        message: "`tags.owner` is not set",
        span: { file: "main.tf", line: 10, column: 1, endLine: 20 },
        resource: "aws_s3_bucket.logs",
        provenance: [],
        enclosing: [{ file: "main.tf", line: 10, column: 1, endLine: 20 }],
      },
    ]);
  });

  it("points at the attribute that failed, with where its value came from", () => {
    const [report] = check(
      `${HEADER}    require:\n      attribute: acl\n      in: [private, log-delivery-write]\n`,
      [resource("aws_s3_bucket", "aws_s3_bucket.logs", { acl: "public-read" })],
    );
    expect(report?.message).toBe('`acl` is "public-read", expected one of "private", "log-delivery-write"');
    expect(report?.span).toEqual({ file: "main.tf", line: 12, column: 3 });
    expect(report?.provenance?.[0]?.description).toBe("var.env from prod.tfvars");
  });

  it.each([
    ["exists: false", { x: 1 }, true],
    ["exists: false", {}, false],
    ["equals: 80", { x: "80" }, false],
    ["equals: true", { x: "true" }, false],
    ["equals: [a, b]", { x: ["a", "b"] }, false],
    ["not-equals: 0.0.0.0/0", { x: "0.0.0.0/0" }, true],
    ["not-in: [public-read, public-read-write]", { x: "private" }, false],
    ['matches: "^arn:aws:kms:"', { x: "alias/aws/s3" }, true],
    ['matches: "^arn:aws:kms:"', { x: 42 }, true],
    ['matches: "^arn:aws:kms:"', { x: "arn:aws:kms:eu-west-1:1:key/k" }, false],
    ["contains: owner", { x: { owner: "a" } }, false],
    ["contains: owner", { x: ["owner"] }, false],
    ["contains: prod", { x: "eu-prod-1" }, false],
    ["contains: prod", {}, true],
    ["greater-than: 89", { x: "90" }, false],
    ["greater-than: 89", { x: 30 }, true],
    ["greater-than: 89", { x: "n/a" }, true],
    ["less-than: 3600", { x: 7200 }, true],
  ])("`%s` on %j reports: %s", (test, fields, reports) => {
    const yaml = `${HEADER}    require:\n      attribute: x\n      ${test}\n`;
    expect(check(yaml, [resource("aws_s3_bucket", "b", fields)]).length > 0).toBe(reports);
  });

  it("never reports on unknown values, through all, any and not", () => {
    const yaml = (condition: string) => `${HEADER}    require:\n${condition}`;
    const unknown = resource("aws_s3_bucket", "b", { a: "?", b: "ok" });
    expect(check(yaml("      attribute: a\n      equals: x\n"), [unknown])).toEqual([]);
    expect(check(yaml("      not:\n        attribute: a\n        equals: x\n"), [unknown])).toEqual([]);
    expect(
      check(
        yaml(
          "      any:\n        - attribute: a\n          equals: x\n        - attribute: b\n          equals: no\n",
        ),
        [unknown],
      ),
    ).toEqual([]);
    // all: one known failure decides, whatever else is unknown.
    const all =
      "      all:\n        - attribute: a\n          equals: x\n        - attribute: b\n          equals: no\n";
    expect(check(yaml(all), [unknown]).map((r) => r.message)).toEqual(['`b` is "ok", expected "no"']);
  });

  it("combines tests with all, any and not", () => {
    const yaml = `${HEADER}    require:
      any:
        - attribute: versioning.enabled
          equals: true
        - all:
            - attribute: tags.env
              equals: dev
            - not:
                attribute: tags.data
                equals: customer
`;
    const reports = check(yaml, [
      resource("aws_s3_bucket", "versioned", { "versioning.enabled": true }),
      resource("aws_s3_bucket", "dev-scratch", { "tags.env": "dev", "tags.data": "synthetic" }),
      resource("aws_s3_bucket", "dev-customer", { "tags.env": "dev", "tags.data": "customer" }),
      resource("aws_s3_bucket", "prod", { "tags.env": "prod" }),
    ]);
    expect(reports.map((r) => r.resource)).toEqual(["dev-customer", "prod"]);
    // When no alternative holds, the first one explains the finding.
    expect(reports[0]?.message).toBe("`versioning.enabled` is not set, expected true");
  });

  it("checks only resources matching `when`, and takes a fixed message", () => {
    const yaml = `${HEADER.replace("resource: [aws_s3_bucket]", 'resource: "*"')}    message: production buckets need versioning
    when:
      attribute: tags.env
      equals: prod
    require:
      attribute: versioning.enabled
      equals: true
`;
    const reports = check(yaml, [
      resource("aws_s3_bucket", "dev", { "tags.env": "dev" }),
      resource("aws_dynamodb_table", "prod", { "tags.env": "prod" }),
      resource("aws_s3_bucket", "unknown-env", { "tags.env": "?" }),
    ]);
    expect(reports.map((r) => [r.resource, r.message])).toEqual([
      ["prod", "production buckets need versioning"],
    ]);
  });

  it("builds complete rule metadata", () => {
    const [rule] = rulesFrom(`${HEADER}    require:\n      attribute: x\n      exists: true\n`);
    expect(rule).toMatchObject({
      id: "ACME-001",
      title: "Buckets name their owner",
      severity: "medium",
      framework: "terraform",
      references: ["https://wiki.acme.io/tagging"],
    });
  });
});

describe("declarative rule files with mistakes", () => {
  const diagnostics = (yaml: string) =>
    parseYamlRules("rules.yaml", yaml).diagnostics.map(
      (d) => `${d.position.line}:${d.position.column} ${d.message}${d.hint ? ` (${d.hint})` : ""}`,
    );

  it("points at unknown keys and suggests the intended one", () => {
    expect(diagnostics(`${HEADER}    requires:\n      attribute: x\n      exists: true\n`)).toEqual([
      '2:5 missing required key "require" in rules.0',
      '10:5 unknown key "requires" in rules.0 (did you mean "require"? Allowed: id, title, severity, framework, rationale, remediation, references, resource, message, when, require)',
    ]);
    expect(diagnostics(`${HEADER}    require:\n      attribute: x\n      equal: 1\n`)).toEqual([
      expect.stringMatching(/^11:7 rules\.0\.require: the test on `x` needs one of exists, equals/),
      expect.stringMatching(/^12:7 unknown key "equal" in rules\.0\.require \(did you mean "equals"\?/),
    ]);
  });

  it("rejects built-in prefixes, bad severities, two tests in one condition and bad regular expressions", () => {
    const yaml = HEADER.replace("ACME-001", "TF-900").replace("severity: medium", "severity: urgent");
    expect(
      diagnostics(
        `${yaml}    require:\n      all:\n        - attribute: x\n          exists: true\n          equals: 1\n        - attribute: y\n          matches: "(["\n`,
      ),
    ).toEqual([
      expect.stringMatching(/^2:9 rules\.0\.id: ids starting with TF-, CFN-, .* belong to built-in rules/),
      expect.stringMatching(/^4:15 rules\.0\.severity: /),
      expect.stringMatching(/^12:11 rules\.0\.require\.all\.0: the test on `x` has exists and equals/),
      expect.stringMatching(/^16:20 rules\.0\.require\.all\.1\.matches: invalid regular expression/),
    ]);
  });

  it("reports YAML syntax errors with their position", () => {
    expect(diagnostics("rules:\n  - id: ACME-1\n   title: x\n")[0]).toMatch(/^3:\d+ YAML syntax/);
  });
});
