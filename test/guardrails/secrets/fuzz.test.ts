// Damaged input never throws: truncated, spliced and byte-flipped versions of the rule fixtures
// go through detection and suppression parsing, and every position that comes back is inside
// the file.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { secretsScanner } from "../../../src/guardrails/secrets/index.js";
import type { SourceFile, SourceSpan } from "../../../src/guardrails/index.js";
import { prng } from "./tokens.js";

const FIXTURES = join(import.meta.dirname, "..", "rules");

function fixtureTexts(): string[] {
  const texts: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else texts.push(readFileSync(path, "utf8"));
    }
  };
  for (const name of readdirSync(FIXTURES).filter((n) => n.startsWith("SECRET-"))) walk(join(FIXTURES, name));
  return texts;
}

const NOISE = [
  "-----BEGIN PRIVATE KEY-----",
  "\n",
  '"',
  "'",
  "slipway:ignore ",
  "# slipway:ignore SECRET-0",
  "://",
  "@",
  "=",
  "\\n",
  "eyJ",
  "\u0000",
  "\uD800",
  "password: ",
];

function mutate(text: string, random: () => number): string {
  let out = text;
  const edits = 1 + Math.floor(random() * 4);
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(random() * (out.length + 1));
    const choice = random();
    if (choice < 0.3) out = out.slice(0, at);
    else if (choice < 0.6)
      out = out.slice(0, at) + (NOISE[Math.floor(random() * NOISE.length)] ?? "") + out.slice(at);
    else if (choice < 0.8) out = out.slice(0, at) + out.slice(at + Math.floor(random() * 40));
    else out = out.slice(0, at) + out.slice(at).split("").reverse().join("");
  }
  return out;
}

function inside(span: SourceSpan, text: string): boolean {
  const lines = text.split("\n").length;
  return span.line >= 1 && span.line <= lines && span.column >= 1 && (span.endLine ?? span.line) <= lines;
}

describe("secrets scanner on damaged input", () => {
  it("never throws, and reports positions inside the file", async () => {
    const texts = fixtureTexts();
    expect(texts.length).toBeGreaterThan(40);
    const random = prng(424242);
    for (let round = 0; round < 400; round++) {
      const base = texts[Math.floor(random() * texts.length)] ?? "";
      const text = mutate(base, random);
      const file: SourceFile = { path: `f${round}.txt`, absolutePath: `/nowhere/f${round}.txt`, text };
      const result = await secretsScanner.scan([file], {
        root: "/nonexistent-slipway-root",
        ruleFilter: () => true,
        varFiles: [],
        env: {},
        customRules: [],
      });
      for (const finding of result.findings)
        expect(inside(finding.span, text), `${round}: ${finding.ruleId}`).toBe(true);
      for (const d of result.diagnostics) expect(inside(d.span, text), `${round}: ${d.message}`).toBe(true);
      for (const s of result.suppressions) expect(s.span.line).toBeGreaterThan(0);
    }
  });
});
