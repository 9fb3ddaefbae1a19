// Malformed manifests never throw: each mutation of valid files either scans or becomes
// diagnostics that carry a position.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { ScanContext, SourceFile } from "../../../src/guardrails/index.js";
import { kubernetesScanner } from "../../../src/guardrails/kubernetes/index.js";
import { prng } from "../support/mutate.js";

const SNIPPETS = [
  ":",
  "- ",
  "{",
  "}",
  "[",
  "]",
  "&a ",
  "*a",
  "!!binary ",
  "'",
  '"',
  "\t",
  "\n  ",
  "---\n",
  "<<: *a\n",
  "#",
  "|\n",
];

function mutate(text: string, random: () => number): string {
  const pick = (n: number) => Math.floor(random() * n);
  let out = text;
  const steps = 1 + pick(4);
  for (let i = 0; i < steps; i++) {
    const at = pick(out.length + 1);
    switch (pick(5)) {
      case 0:
        out = out.slice(0, at);
        break;
      case 1:
        out = out.slice(0, at) + (SNIPPETS[pick(SNIPPETS.length)] ?? "") + out.slice(at);
        break;
      case 2:
        out = out.slice(0, at) + out.slice(at + 1 + pick(20));
        break;
      case 3: {
        const lines = out.split("\n");
        const line = pick(lines.length);
        lines.splice(line, 0, lines[pick(lines.length)] ?? "");
        out = lines.join("\n");
        break;
      }
      default: {
        const lines = out.split("\n");
        const line = pick(lines.length);
        lines[line] = " ".repeat(pick(6)) + (lines[line] ?? "").trimStart();
        out = lines.join("\n");
      }
    }
  }
  return out;
}

function corpus(): SourceFile[] {
  const dirs = [
    join(import.meta.dirname, "fixtures", "good-app"),
    join(import.meta.dirname, "fixtures", "bad-app"),
  ];
  return dirs.flatMap((dir) =>
    readdirSync(dir).map((name) => ({
      path: name,
      absolutePath: join(dir, name),
      text: readFileSync(join(dir, name), "utf8"),
    })),
  );
}

const context: ScanContext = { root: "/", ruleFilter: () => true, varFiles: [], env: {}, customRules: [] };

describe("fuzzed manifests", () => {
  it("never throw, and every diagnostic and finding has a position", async () => {
    const random = prng(20260101);
    const files = corpus();
    let diagnostics = 0;
    for (let round = 0; round < 400; round++) {
      const source = files[round % files.length];
      if (!source) continue;
      const mutated = { ...source, text: mutate(source.text, random) };
      const result = await kubernetesScanner.scan([mutated], context);
      diagnostics += result.diagnostics.length;
      for (const d of result.diagnostics) {
        expect(d.span.file).toBe(source.path);
        expect(d.span.line).toBeGreaterThan(0);
        expect(d.span.column).toBeGreaterThan(0);
      }
      for (const f of result.findings)
        expect(f.span.line, `${f.ruleId} in round ${round}`).toBeGreaterThan(0);
    }
    // The mutations do break files: the test exercises the error paths, not only the happy one.
    expect(diagnostics).toBeGreaterThan(50);
  });
});
