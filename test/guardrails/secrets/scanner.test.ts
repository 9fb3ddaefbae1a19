import { rm } from "node:fs/promises";
import { afterAll, describe, expect, it } from "vitest";
import { scan } from "../../../src/guardrails/index.js";
import { parseAllowList } from "../../../src/guardrails/secrets/allow-list.js";
import { secretsScanner } from "../../../src/guardrails/secrets/index.js";
import { writeTree } from "../custom/toy-scanner.js";
import { checksummedToken, prng, randomString } from "./tokens.js";

const random = prng(7);
const roots: string[] = [];
afterAll(async () => {
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
});

async function scanTree(files: Record<string, string>, options: Parameters<typeof scan>[0] = {}) {
  const root = await writeTree(files);
  roots.push(root);
  return scan({ root, scanners: [secretsScanner], env: {}, today: "2026-06-01", ...options });
}

const TOKEN = checksummedToken(random, "ghp_");
const PASSWORD = `${randomString(random, 10)}!7`;

describe("the secrets scanner", () => {
  it("reports a secret without ever putting it in the finding", async () => {
    const result = await scanTree({ "deploy/.env": `GITHUB_TOKEN=${TOKEN}\nDB_PASSWORD=${PASSWORD}\n` });
    expect(result.findings.map((f) => [f.ruleId, f.span.line, f.resource])).toEqual([
      ["SECRET-003", 1, undefined],
      ["SECRET-022", 2, "DB_PASSWORD"],
    ]);
    const [github, password] = result.findings;
    expect(github?.message).toBe("GitHub personal access token ghp_…(40 chars) is written in plain text");
    expect(password?.message).toBe(
      `Secret ${PASSWORD.slice(0, 3)}…(12 chars) assigned to DB_PASSWORD is written in plain text`,
    );
    const serialized = JSON.stringify(result.findings);
    expect(serialized).not.toContain(TOKEN);
    expect(serialized).not.toContain(PASSWORD);
    expect(result.files).toEqual([{ path: "deploy/.env", frameworks: ["secrets"] }]);
  });

  it("has complete rules, at least 22 of them, with no automatic fix", async () => {
    expect(secretsScanner.rules.length).toBeGreaterThanOrEqual(22);
    for (const rule of secretsScanner.rules) expect(rule.remediation).toMatch(/rotate/i);
    const result = await scanTree({ "a.env": `GITHUB_TOKEN=${TOKEN}\n` });
    expect(result.findings[0]?.fix).toBeUndefined();
  });

  it("does not read lock files or minified bundles", async () => {
    const result = await scanTree({
      "package-lock.json": `{"token": "${TOKEN}"}\n`,
      "public/app.min.js": `var t="${TOKEN}";\n`,
      "src/app.js": "export const x = 1;\n",
    });
    expect(result.findings).toEqual([]);
    expect(result.files.map((f) => f.path)).toEqual(["src/app.js"]);
  });

  describe("suppressions", () => {
    it.each([
      ["#", (c: string) => `# ${c}`],
      ["//", (c: string) => `// ${c}`],
      ["--", (c: string) => `-- ${c}`],
      [";", (c: string) => `; ${c}`],
      ["/* */", (c: string) => `/* ${c} */`],
      ["<!-- -->", (c: string) => `<!-- ${c} -->`],
    ])("reads %s comments on the line above", async (_syntax, comment) => {
      const result = await scanTree({
        "settings.txt": `${comment("slipway:ignore SECRET-003 revoked test token")}\ntoken=${TOKEN}\n`,
      });
      expect(result.findings).toEqual([]);
      expect(result.suppressed.map((s) => [s.finding.ruleId, s.reason])).toEqual([
        ["SECRET-003", "revoked test token"],
      ]);
    });

    it("reads a comment at the end of the secret's line, which then covers that line only", async () => {
      const result = await scanTree({
        "app.py": `GITHUB_TOKEN = "${TOKEN}"  # slipway:ignore SECRET-003 revoked, kept for the replay test\nOTHER = "${checksummedToken(random, "ghp_")}"\n`,
      });
      expect(result.suppressed.map((s) => s.finding.span.line)).toEqual([1]);
      expect(result.findings.map((f) => f.span.line)).toEqual([2]);
    });

    it("covers only the next line, and needs the marker to be in a comment", async () => {
      const result = await scanTree({
        "a.sh": `# slipway:ignore SECRET-003 fixture\n\nexport T=${TOKEN}\necho "slipway:ignore SECRET-003 not a comment"; export U=${TOKEN}\n`,
      });
      expect(result.findings.map((f) => f.span.line)).toEqual([3, 4]);
    });

    it("accepts `*`, and leaves other frameworks' rule ids to them", async () => {
      const result = await scanTree({
        "main.tf": `# slipway:ignore TF-001 public bucket\nlocals { token = "${TOKEN}" }\n# slipway:ignore * test data\nlocals { other = "${TOKEN}" }\n`,
      });
      expect(result.findings.map((f) => f.span.line)).toEqual([2]);
      expect(result.suppressed.map((s) => s.finding.span.line)).toEqual([4]);
    });

    it("reports a malformed suppression of a secret rule, with its position", async () => {
      const result = await scanTree({
        "a.env": `# slipway:ignore SECRET-003\nT=${TOKEN}\n# slipway:ignore TF-001\n`,
      });
      expect(result.diagnostics).toEqual([
        expect.objectContaining({
          span: { file: "a.env", line: 1, column: 3 },
          message: "slipway:ignore SECRET-003 needs a reason",
        }),
      ]);
      expect(result.findings.map((f) => f.ruleId)).toEqual(["SECRET-003"]);
    });
  });

  describe("the allow-list", () => {
    it("accepts values by regular expression and files by glob", async () => {
      const other = checksummedToken(random, "ghp_");
      const result = await scanTree({
        ".slipway/secrets-allow.yaml": `values:\n  - "^${other.slice(0, 12)}"\npaths:\n  - glob: "test/fixtures/**"\n    reason: recorded responses with revoked tokens\n`,
        "test/fixtures/github/user.json": `{"token": "${TOKEN}"}\n`,
        "config/a.env": `A=${other}\nB=${TOKEN}\n`,
      });
      expect(result.diagnostics).toEqual([]);
      expect(result.findings.map((f) => `${f.span.file}:${f.span.line}`)).toEqual(["config/a.env:2"]);
      // Allowed files still count as scanned.
      expect(result.files.map((f) => f.path)).toContain("test/fixtures/github/user.json");
    });

    it("reports a broken allow-list with positions and suggestions, and uses what is valid", () => {
      const { allowList, diagnostics } = parseAllowList(
        'values:\n  - "(unclosed"\n  - "^ok-"\npath:\n  - "docs/**"\n',
      );
      expect(diagnostics.map((d) => [d.span.line, d.span.column, d.message, d.hint])).toEqual([
        [4, 1, 'secrets allow-list: unknown key "path" at the top level', 'did you mean "paths"?'],
        [2, 5, expect.stringMatching(/^secrets allow-list: invalid regular expression/), undefined],
      ]);
      expect(allowList.allowsValue("ok-123")).toBe(true);
      expect(allowList.allowsPath("docs/a.md")).toBe(false);
    });
  });

  it("offers each candidate secret to custom rules as a `secret` resource", async () => {
    const seen: unknown[] = [];
    const result = await scanTree(
      { "deploy/.env": `GITHUB_TOKEN=${TOKEN}\nDB_PASSWORD=${PASSWORD}\n` },
      {
        customRules: [
          {
            id: "ACME-100",
            title: "Secrets in deploy/ are critical here",
            severity: "critical",
            framework: "secrets",
            rationale: "The deploy directory is mirrored to a public bucket.",
            remediation: "Move it out.",
            references: [],
            checkResources(resources, report) {
              for (const resource of resources) {
                const rule = resource.get("rule");
                seen.push([
                  resource.type,
                  resource.address,
                  rule.known ? rule.value : "?",
                  resource.get("redacted"),
                ]);
                const key = resource.get("key");
                if (key.known && key.value === "DB_PASSWORD")
                  report({
                    message: "a password in deploy/",
                    span: resource.span,
                    resource: resource.address,
                  });
              }
            },
          },
        ],
      },
    );
    expect(seen).toEqual([
      [
        "secret",
        "deploy/.env:1",
        "SECRET-003",
        expect.objectContaining({ known: true, value: "ghp_…(40 chars)" }),
      ],
      [
        "secret",
        "deploy/.env:2",
        "SECRET-022",
        expect.objectContaining({ known: true, value: `${PASSWORD.slice(0, 3)}…(12 chars)` }),
      ],
    ]);
    expect(
      result.findings.filter((f) => f.ruleId === "ACME-100").map((f) => [f.resource, f.severity]),
    ).toEqual([["deploy/.env:2", "critical"]]);
  });
});
