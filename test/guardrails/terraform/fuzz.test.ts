// Malformed input never stops a scan: truncated and randomly edited configurations, tfvars
// and plans must come back as diagnostics with positions, never as exceptions.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import type { ScanDiagnostic, SourceFile } from "../../../src/guardrails/index.js";
import { terraformScanner } from "../../../src/guardrails/terraform/index.js";
import { loadHcl } from "../../../src/guardrails/terraform/load-hcl.js";
import { loadPlan } from "../../../src/guardrails/terraform/load-plan.js";
import { hclParser } from "../../../src/guardrails/terraform/parser.js";
import { prng } from "../support/mutate.js";

const FIXTURES = join(import.meta.dirname, "fixtures");

const SIGNIFICANT = [
  "{",
  "}",
  "[",
  "]",
  "(",
  ")",
  '"',
  "=",
  "$",
  "%",
  "~",
  "<",
  "-",
  "\n",
  "#",
  "/",
  "*",
  ".",
  ",",
  ":",
  "?",
  "\\",
  "\u0000",
  "é",
];

function mutate(text: string, random: () => number): string {
  const at = () => Math.floor(random() * (text.length + 1));
  const pick = () => SIGNIFICANT[Math.floor(random() * SIGNIFICANT.length)] ?? "";
  switch (Math.floor(random() * 5)) {
    case 0:
      return text.slice(0, at());
    case 1: {
      const i = at();
      return text.slice(0, i) + pick() + text.slice(i + 1);
    }
    case 2: {
      const i = at();
      return text.slice(0, i) + pick() + pick() + text.slice(i);
    }
    case 3: {
      const i = at();
      return text.slice(0, i) + text.slice(i + 1 + Math.floor(random() * 40));
    }
    default: {
      let out = text;
      for (let k = 0; k < 5; k++) {
        const i = Math.floor(random() * (out.length + 1));
        out = out.slice(0, i) + pick() + out.slice(i + 1);
      }
      return out;
    }
  }
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

function expectPositions(diagnostics: readonly ScanDiagnostic[]) {
  for (const diagnostic of diagnostics) {
    expect(diagnostic.span.line).toBeGreaterThanOrEqual(1);
    expect(diagnostic.span.column).toBeGreaterThanOrEqual(1);
    expect(diagnostic.message.length).toBeGreaterThan(0);
  }
}

describe("fuzzed input", () => {
  const sources = filesUnder(FIXTURES).filter((p) => /\.(tf|tfvars)$/.test(p));

  it("parses mutated HCL into diagnostics with positions", async () => {
    const parser = await hclParser();
    const random = prng(20260101);
    let withDiagnostics = 0;
    for (let i = 0; i < 400; i++) {
      const source = sources[i % sources.length] ?? "";
      const text = mutate(readFileSync(source, "utf8"), random);
      const { diagnostics } = parser.parse(text, "fuzz.tf");
      expectPositions(diagnostics);
      if (diagnostics.length > 0) withDiagnostics++;
    }
    expect(withDiagnostics).toBeGreaterThan(100);
  });

  it("evaluates mutated configurations without exceptions", async () => {
    const random = prng(7);
    const root = join(FIXTURES, "network-stack");
    const originals = filesUnder(root).map((absolutePath) => ({
      path: relative(root, absolutePath),
      absolutePath,
      text: readFileSync(absolutePath, "utf8"),
    }));
    for (let i = 0; i < 60; i++) {
      const files: SourceFile[] = originals.map((file) =>
        random() < 0.5 ? { ...file, text: mutate(file.text, random) } : file,
      );
      const result = await loadHcl({ root, files, varFiles: [], env: {} });
      expectPositions(result.diagnostics);
      const scanned = await terraformScanner.scan(files, {
        root,
        ruleFilter: () => true,
        varFiles: [],
        env: {},
        customRules: [],
      });
      expectPositions(scanned.diagnostics);
    }
  });

  it("loads mutated plan JSON and tfvars JSON as diagnostics with positions", async () => {
    const random = prng(99);
    const plan = readFileSync(join(FIXTURES, "plan", "aws.plan.json"), "utf8");
    for (let i = 0; i < 200; i++) {
      const { diagnostics } = loadPlan("plan.json", mutate(plan, random));
      expectPositions(diagnostics);
    }
    const root = "/nonexistent-fuzz-root";
    for (let i = 0; i < 50; i++) {
      const text = mutate('{\n  "allowed_cidr": "0.0.0.0/0",\n  "ports": [22, 443]\n}\n', random);
      const result = await loadHcl({
        root,
        files: [
          { path: "main.tf", absolutePath: `${root}/main.tf`, text: 'variable "allowed_cidr" {}\n' },
          { path: "terraform.tfvars.json", absolutePath: `${root}/terraform.tfvars.json`, text },
        ],
        varFiles: [],
        env: {},
      });
      expectPositions(result.diagnostics);
    }
  });
});
