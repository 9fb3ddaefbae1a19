// Malformed templates never throw: each mutation of valid templates either scans or becomes
// diagnostics that carry a position.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { ScanContext, SourceFile } from "../../../src/guardrails/index.js";
import { cloudformationScanner } from "../../../src/guardrails/cloudformation/index.js";
import { prng } from "../support/mutate.js";

const SNIPPETS = [
  "!Ref ",
  "!If [",
  "!Sub ",
  "!GetAtt ",
  "!Condition ",
  "{",
  "}",
  "[",
  "]",
  ": ",
  "- ",
  "&x ",
  "*x",
  '"',
  "\n  ",
  "Fn::If",
];

function mutate(text: string, random: () => number): string {
  const pick = (n: number) => Math.floor(random() * n);
  let out = text;
  for (let i = 0, steps = 1 + pick(4); i < steps; i++) {
    const at = pick(out.length + 1);
    const choice = pick(4);
    if (choice === 0) out = out.slice(0, at);
    else if (choice === 1) out = out.slice(0, at) + (SNIPPETS[pick(SNIPPETS.length)] ?? "") + out.slice(at);
    else if (choice === 2) out = out.slice(0, at) + out.slice(at + 1 + pick(30));
    else {
      const lines = out.split("\n");
      lines.splice(pick(lines.length), 0, lines[pick(lines.length)] ?? "");
      out = lines.join("\n");
    }
  }
  return out;
}

const context: ScanContext = { root: "/", ruleFilter: () => true, varFiles: [], env: {}, customRules: [] };

describe("fuzzed templates", () => {
  it("never throw, and every diagnostic and finding has a position", async () => {
    const dirs = ["good", "bad"].map((d) => join(import.meta.dirname, "fixtures", d));
    const json = join(import.meta.dirname, "..", "rules", "CFN-017", "pass");
    const files: SourceFile[] = [...dirs, json].flatMap((dir) =>
      readdirSync(dir).map((name) => ({
        path: name,
        absolutePath: join(dir, name),
        text: readFileSync(join(dir, name), "utf8"),
      })),
    );
    const random = prng(424242);
    let diagnostics = 0;
    for (let round = 0; round < 300; round++) {
      const source = files[round % files.length];
      if (!source) continue;
      const result = await cloudformationScanner.scan(
        [{ ...source, text: mutate(source.text, random) }],
        context,
      );
      diagnostics += result.diagnostics.length;
      for (const d of result.diagnostics) {
        expect(d.span.file).toBe(source.path);
        expect(d.span.line).toBeGreaterThan(0);
        expect(d.span.column).toBeGreaterThan(0);
      }
      for (const f of result.findings) expect(f.span.line).toBeGreaterThan(0);
    }
    expect(diagnostics).toBeGreaterThan(30);
  });
});
