import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll } from "vitest";
import {
  scan,
  type FrameworkScanner,
  type ScanOptions,
  type ScanResult,
} from "../../../src/guardrails/index.js";

const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

/** Writes `files` (path → text) under a fresh temporary directory and returns it. */
export function writeTree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "slipway-guardrails-"));
  roots.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

/** Scans `files` with one scanner, as the fixture harness does. */
export function scanFiles(
  scanner: FrameworkScanner,
  files: Record<string, string>,
  options: Partial<ScanOptions> = {},
): Promise<ScanResult> {
  return scan({ root: writeTree(files), scanners: [scanner], env: {}, today: "2026-01-01", ...options });
}

/** `RULE file:line:col` of each finding, sorted, for compact assertions. */
export function places(result: ScanResult): string[] {
  return result.findings.map((f) => `${f.ruleId} ${f.span.file}:${f.span.line}:${f.span.column}`);
}
