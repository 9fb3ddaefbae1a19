import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  defineRule,
  loadCustomRules,
  readCustomRules,
  runCustomRules,
} from "../../../src/guardrails/custom/index.js";
import { ConfigError, UsageError } from "../../../src/errors/index.js";
import type { GenericResource, Report } from "../../../src/guardrails/index.js";
import { writeTree } from "./toy-scanner.js";

const roots: string[] = [];
afterAll(async () => {
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
});
async function tree(files: Record<string, string>): Promise<string> {
  const root = await writeTree(files);
  roots.push(root);
  return root;
}

const META = `title: "Deployments set a team label",
    severity: "low",
    framework: "kubernetes",
    rationale: "Alerts are routed by the team label.",
    remediation: "Add metadata.labels.team.",
    references: ["https://wiki.acme.io/labels"],`;

const TS_RULE = `import { defineRule } from "slipway/rules";
import { label } from "./lib/labels.js";

interface Resource { type: string; address: string; span: unknown; get(path: string): { known: boolean; value?: unknown } }

export const rules = [
  defineRule({
    id: "ACME-010",
    ${META}
    check(resources: Resource[], report: (r: object) => void) {
      for (const resource of resources) {
        const team = resource.get(label("team"));
        if (resource.type === "Deployment" && team.known && team.value === undefined)
          report({ message: \`\${resource.address} has no team label\`, span: resource.span, resource: resource.address });
      }
    },
  }),
];
`;

const deployment = (address: string, team: string | undefined): GenericResource => ({
  framework: "kubernetes",
  type: "Deployment",
  address,
  span: { file: "k8s/web.yaml", line: 1, column: 1 },
  get: (path) => ({ known: true, value: path === "metadata.labels.team" ? team : undefined, provenance: [] }),
});

function run(rules: Awaited<ReturnType<typeof loadCustomRules>>, resources: GenericResource[]) {
  return runCustomRules("kubernetes", resources, { customRules: rules, ruleFilter: () => true });
}

describe("rules written in code", () => {
  it("loads TypeScript with its relative imports and `slipway/rules`, and leaves no compiled copy behind", async () => {
    const root = await tree({
      ".slipway/rules/labels.ts": TS_RULE,
      ".slipway/rules/lib/labels.ts": "export const unused = 1;\n",
      ".slipway/rules/lib/labels.js": "export const label = (name) => `metadata.labels.${name}`;\n",
    });
    const rules = await loadCustomRules(root);
    expect(rules.map((r) => [r.id, r.framework, r.severity])).toEqual([["ACME-010", "kubernetes", "low"]]);
    const { findings, diagnostics } = run(rules, [
      deployment("Deployment/web", undefined),
      deployment("Deployment/api", "payments"),
    ]);
    expect(diagnostics).toEqual([]);
    expect(findings.map((f) => [f.ruleId, f.message, f.title])).toEqual([
      ["ACME-010", "Deployment/web has no team label", "Deployments set a team label"],
    ]);
    expect((await readdir(join(root, ".slipway/rules"))).sort()).toEqual(["labels.ts", "lib"]);
  });

  it("loads JavaScript modules, with or without defineRule", async () => {
    const root = await tree({
      "rules/plain.mjs": `export const rules = [{ id: "ACME-011", ${META} check(resources, report) { for (const r of resources) report({ message: "seen", span: r.span }); } }];\n`,
      "rules/helper.mjs": `import { defineRule } from "slipway/rules";\nexport default defineRule({ id: "ACME-012", ${META} check() {} });\n`,
    });
    const rules = await loadCustomRules(root, ["rules"]);
    expect(rules.map((r) => r.id)).toEqual(["ACME-012", "ACME-011"]);
    expect(run(rules, [deployment("Deployment/web", "a")]).findings.map((f) => f.ruleId)).toEqual([
      "ACME-011",
    ]);
  });

  it("maps TypeScript syntax errors to the rule file's line and column", async () => {
    const root = await tree({
      ".slipway/rules/broken.ts": "export const rules = [\n  { id: 'ACME-013', title: },\n];\n",
    });
    const { rules, diagnostics } = await readCustomRules(root);
    expect(rules).toEqual([]);
    expect(diagnostics).toEqual([
      expect.objectContaining({
        position: { file: ".slipway/rules/broken.ts", line: 2, column: 28 },
        message: 'Unexpected "}"',
      }),
    ]);
  });

  it("reports invalid metadata at the rule's id, and a module without rules", async () => {
    const root = await tree({
      ".slipway/rules/a.mjs": `export const rules = [\n  {\n    id: "SECRET-100", ${META.replace('"low"', '"urgent"')}\n    check() {},\n  },\n];\n`,
      ".slipway/rules/b.mjs": "export const something = 1;\n",
      ".slipway/rules/c.mjs": `export const rules = [{ id: "ACME-020", ${META} }];\n`,
    });
    const { diagnostics } = await readCustomRules(root);
    expect(diagnostics.map((d) => `${d.position.file}:${d.position.line} ${d.message}`)).toEqual([
      expect.stringMatching(/^\.slipway\/rules\/a\.mjs:3 rules\[0\]\.id: ids starting with TF-/),
      expect.stringMatching(/^\.slipway\/rules\/a\.mjs:3 rules\[0\]\.severity: /),
      ".slipway/rules/b.mjs:1 the module exports no rules",
      ".slipway/rules/c.mjs:1 rule ACME-020 has no check function",
    ]);
    await expect(loadCustomRules(root)).rejects.toBeInstanceOf(ConfigError);
  });

  it("reports an error thrown while loading at the rule file", async () => {
    const root = await tree({
      ".slipway/rules/throws.mjs": "const x = 1;\nthrow new Error('missing configuration');\n",
    });
    const { diagnostics } = await readCustomRules(root);
    expect(diagnostics).toEqual([
      expect.objectContaining({
        position: expect.objectContaining({ file: ".slipway/rules/throws.mjs", line: 2 }),
        message: "cannot load rules: missing configuration",
      }),
    ]);
  });

  it("turns a rule that throws, or reports without a span, into a diagnostic at the rule", async () => {
    const root = await tree({
      ".slipway/rules/bad.mjs": `export const rules = [\n  { id: "ACME-030", ${META} check() { throw new Error("boom"); } },\n  { id: "ACME-031", ${META} check(resources, report) { report({ message: "no span" }); } },\n];\n`,
    });
    const rules = await loadCustomRules(root);
    const { findings, diagnostics } = run(rules, [deployment("Deployment/web", "a")]);
    expect(findings).toEqual([]);
    expect(diagnostics.map((d) => [d.span.file, d.span.line, d.message])).toEqual([
      [".slipway/rules/bad.mjs", 2, "custom rule ACME-030 (.slipway/rules/bad.mjs:2) failed: boom"],
      [
        ".slipway/rules/bad.mjs",
        8,
        "custom rule ACME-031 (.slipway/rules/bad.mjs:8) failed: it reported without a message and a span with file, line and column",
      ],
    ]);
  });

  it("rejects two rules with the same id across files", async () => {
    const yaml = `rules:\n  - id: ACME-040\n    title: t\n    severity: low\n    framework: kubernetes\n    rationale: r\n    remediation: m\n    resource: Deployment\n    require:\n      attribute: x\n      exists: true\n`;
    const root = await tree({
      ".slipway/rules/a.yaml": yaml,
      ".slipway/rules/b.mjs": `export const rules = [{ id: "ACME-040", ${META} check() {} }];\n`,
    });
    const { rules, diagnostics } = await readCustomRules(root);
    expect(rules).toHaveLength(1);
    expect(diagnostics.map((d) => `${d.position.file}:${d.position.line} ${d.message}`)).toEqual([
      ".slipway/rules/b.mjs:1 rule id ACME-040 is already defined at .slipway/rules/a.yaml:2",
    ]);
  });

  it("has no rules without a rules directory, and refuses a named path that does not exist", async () => {
    const root = await tree({ "README.md": "x\n" });
    expect(await loadCustomRules(root)).toEqual([]);
    await expect(loadCustomRules(root, ["policies"])).rejects.toBeInstanceOf(UsageError);
  });

  it("defineRule turns a check into checkResources", () => {
    const reports: Report[] = [];
    const rule = defineRule({
      id: "ACME-050",
      title: "Every resource is reported",
      severity: "info",
      framework: "terraform",
      rationale: "r",
      remediation: "m",
      references: [],
      check: (resources, report) => resources.forEach((r) => report({ message: r.address, span: r.span })),
    });
    rule.checkResources([deployment("Deployment/web", "a")], (r) => reports.push(r));
    expect(reports.map((r) => r.message)).toEqual(["Deployment/web"]);
  });
});
