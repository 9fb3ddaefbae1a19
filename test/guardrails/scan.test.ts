import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  baselineOf,
  fingerprintOf,
  parseSuppressionComment,
  scan,
  type Baseline,
  type Finding,
  type FrameworkScanner,
} from "../../src/guardrails/index.js";
import { toyScanner, writeTree } from "./custom/toy-scanner.js";

const roots: string[] = [];
afterAll(async () => {
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
});

async function tree(files: Record<string, string>): Promise<string> {
  const root = await writeTree(files);
  roots.push(root);
  return root;
}

const WORKER = `kind: Deployment
metadata:
  name: worker
spec:
  image: ghcr.io/acme/worker:latest
  privileged: true
`;

function run(root: string, options: Parameters<typeof scan>[0] = {}) {
  return scan({ root, scanners: [toyScanner], env: {}, today: "2026-06-01", ...options });
}

describe("scan", () => {
  it("turns a framework that throws into a diagnostic and keeps the others' findings", async () => {
    const root = await tree({ "a.yaml": WORKER });
    const broken: FrameworkScanner = {
      framework: "dockerfile",
      rules: [],
      claims: () => true,
      scan: () => Promise.reject(new Error("unexpected node")),
    };
    const result = await run(root, { scanners: [broken, toyScanner] });
    expect(result.diagnostics.map((d) => [d.span.file, d.message])).toEqual([
      ["a.yaml", "dockerfile: could not check 1 file(s): unexpected node"],
    ]);
    expect(result.findings.length).toBeGreaterThan(0);
  });

  it("collects findings from the frameworks, sorted by file, line and rule", async () => {
    const root = await tree({ "b.yaml": WORKER, "a.yaml": WORKER.replace("worker", "api") });
    const result = await run(root);
    expect(result.findings.map((f) => `${f.span.file}:${f.span.line} ${f.ruleId}`)).toEqual([
      "a.yaml:5 K8S-902",
      "a.yaml:6 K8S-901",
      "b.yaml:5 K8S-902",
      "b.yaml:6 K8S-901",
    ]);
    expect(result.files).toEqual([
      { path: "a.yaml", frameworks: ["kubernetes"] },
      { path: "b.yaml", frameworks: ["kubernetes"] },
    ]);
    expect(result.rules.map((r) => r.id)).toEqual(["K8S-901", "K8S-902"]);
    expect(result.sources.get("a.yaml")).toContain("name: api");
  });

  it("applies a suppression to a finding deeper in the object through its enclosing spans", async () => {
    const root = await tree({ "w.yaml": `# slipway:ignore K8S-901 needs the host network stack\n${WORKER}` });
    const result = await run(root);
    const suppressed = result.suppressed.map((s) => [s.finding.ruleId, s.finding.span.line, s.reason, s.by]);
    expect(suppressed).toEqual([["K8S-901", 7, "needs the host network stack", "comment"]]);
    // The comment covers only the `kind:` line (2); the finding is on line 7.
    expect(result.findings.map((f) => f.ruleId)).toEqual(["K8S-902"]);
  });

  it("does not let a suppression reach a finding outside its span when nothing encloses it", async () => {
    const plain: FrameworkScanner = {
      ...toyScanner,
      async scan(files, context) {
        const result = await toyScanner.scan(files, context);
        const findings = result.findings.map(({ enclosing: _enclosing, ...finding }): Finding => finding);
        return { ...result, findings };
      },
    };
    const root = await tree({ "w.yaml": `# slipway:ignore K8S-901 needs the host network stack\n${WORKER}` });
    const result = await scan({ root, scanners: [plain], env: {}, today: "2026-06-01" });
    expect(result.suppressed).toEqual([]);
    expect(result.findings.map((f) => f.ruleId)).toContain("K8S-901");
  });

  it("lists expired suppressions, notes them and counts their findings again", async () => {
    const root = await tree({
      "w.yaml": `# slipway:ignore K8S-901 expires=2026-03-31 until the node pool migration\n${WORKER}`,
    });
    const result = await run(root);
    expect(result.suppressed).toEqual([]);
    expect(result.findings.map((f) => f.ruleId)).toContain("K8S-901");
    expect(result.expiredSuppressions).toHaveLength(1);
    expect(result.expiredSuppressions[0]).toMatchObject({ ruleId: "K8S-901", expires: "2026-03-31" });
    expect(result.notes.join("\n")).toMatch(/w\.yaml:2: slipway:ignore K8S-901 expired on 2026-03-31/);

    const before = await run(root, { today: "2026-03-31" });
    expect(before.expiredSuppressions).toEqual([]);
    expect(before.suppressed.map((s) => s.finding.ruleId)).toEqual(["K8S-901"]);
  });

  it("reports malformed suppression comments as diagnostics with their position", async () => {
    const root = await tree({
      "w.yaml": `# slipway:ignore K8S-901\n${WORKER}\n---\n# slipway:ignore K8S-902 expires=31-12-2026 legacy\n${WORKER.replace("worker", "api")}`,
    });
    const result = await run(root);
    expect(result.diagnostics.map((d) => [d.span.file, d.span.line, d.message])).toEqual([
      ["w.yaml", 1, "slipway:ignore K8S-901 needs a reason"],
      ["w.yaml", 10, "slipway:ignore expects expires=YYYY-MM-DD, found expires=31-12-2026"],
    ]);
    // A malformed suppression silences nothing.
    expect(result.suppressed).toEqual([]);
    expect(result.findings).toHaveLength(4);
  });

  it("keeps baseline findings out when their line moves, and reports new ones", async () => {
    const root = await tree({ "w.yaml": WORKER });
    const first = await run(root);
    const baseline: Baseline = baselineOf(first);
    await writeFile(join(root, "w.yaml"), `# the worker\n\n${WORKER}`);
    const moved = await run(root, { baseline });
    expect(moved.findings).toEqual([]);
    const accepted = moved.suppressed.map((s) => [s.finding.ruleId, s.finding.span.line, s.by]);
    expect(accepted.sort()).toEqual([
      ["K8S-901", 8, "baseline"],
      ["K8S-902", 7, "baseline"],
    ]);

    await writeFile(join(root, "w.yaml"), `${WORKER}---\n${WORKER.replace("worker", "api")}`);
    const added = await run(root, { baseline });
    expect(added.findings.map((f) => f.resource)).toEqual(["Deployment/api", "Deployment/api"]);
  });

  it("runs only the rules asked for, and none of those skipped", async () => {
    const root = await tree({ "w.yaml": WORKER });
    const only = await run(root, { rules: ["K8S-901"] });
    expect(only.findings.map((f) => f.ruleId)).toEqual(["K8S-901"]);
    expect(only.rules.map((r) => r.id)).toEqual(["K8S-901"]);

    const skipped = await run(root, { skipRules: ["K8S-901"] });
    expect(skipped.findings.map((f) => f.ruleId)).toEqual(["K8S-902"]);
    expect(skipped.rules.map((r) => r.id)).toEqual(["K8S-902"]);

    const both = await run(root, { rules: ["K8S-901", "K8S-902"], skipRules: ["K8S-902"] });
    expect(both.findings.map((f) => f.ruleId)).toEqual(["K8S-901"]);
  });

  it("reports the same rule at the same place for the same resource once", async () => {
    const twice: FrameworkScanner = {
      ...toyScanner,
      async scan(files, context) {
        const result = await toyScanner.scan(files, context);
        return { ...result, findings: [...result.findings, ...result.findings.map((f) => ({ ...f }))] };
      },
    };
    const root = await tree({ "w.yaml": WORKER });
    const result = await scan({ root, scanners: [twice], env: {}, today: "2026-06-01" });
    expect(result.findings).toHaveLength(2);
  });

  it("scans only the frameworks asked for", async () => {
    const root = await tree({ "w.yaml": WORKER });
    const result = await run(root, { frameworks: ["terraform"] });
    expect(result.findings).toEqual([]);
    expect(result.files).toEqual([]);
  });
});

describe("parseSuppressionComment", () => {
  const at = { file: "main.tf", line: 3, column: 3 };
  const covers = { file: "main.tf", line: 4, column: 1, endLine: 9 };

  it("reads several ids, an expiry date and the reason", () => {
    expect(
      parseSuppressionComment("slipway:ignore TF-001,TF-002 expires=2026-12-31 public website", covers, at),
    ).toEqual({
      suppressions: [
        { ruleId: "TF-001", reason: "public website", expires: "2026-12-31", span: covers },
        { ruleId: "TF-002", reason: "public website", expires: "2026-12-31", span: covers },
      ],
    });
  });

  it("rejects dates that do not exist, which Date.parse would roll over", () => {
    expect(parseSuppressionComment("slipway:ignore TF-001 expires=2026-02-30 legacy", covers, at)).toEqual({
      diagnostic: { span: at, message: "slipway:ignore has an invalid date 2026-02-30" },
    });
    expect(
      parseSuppressionComment("slipway:ignore TF-001 expires=2028-02-29 leap day", covers, at),
    ).toMatchObject({
      suppressions: [{ expires: "2028-02-29" }],
    });
  });

  it("is not a suppression without the marker, and malformed without an id", () => {
    expect(parseSuppressionComment("just a comment", covers, at)).toBeUndefined();
    expect(parseSuppressionComment("slipway:ignore because", covers, at)).toMatchObject({
      diagnostic: { message: "slipway:ignore needs the rule id it silences" },
    });
  });
});

describe("fingerprintOf", () => {
  const finding = (line: number): Finding => ({
    ruleId: "K8S-901",
    title: "t",
    severity: "high",
    framework: "kubernetes",
    message: "m",
    span: { file: "w.yaml", line, column: 1 },
    resource: "Deployment/worker",
    provenance: [],
  });

  it("depends on the line's text, not its number", () => {
    const before = new Map([["w.yaml", "a\n  privileged: true\n"]]);
    const after = new Map([["w.yaml", "a\nb\nc\n  privileged: true\n"]]);
    const changed = new Map([["w.yaml", "a\n  privileged: false\n"]]);
    expect(fingerprintOf(finding(2), before)).toBe(fingerprintOf(finding(4), after));
    expect(fingerprintOf(finding(2), before)).not.toBe(fingerprintOf(finding(2), changed));
  });
});
