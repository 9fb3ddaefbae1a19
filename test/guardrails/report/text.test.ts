import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatText } from "../../../src/guardrails/report/index.js";
import { codeFrame } from "../../../src/guardrails/report/code-frame.js";
import type { ScanResult } from "../../../src/guardrails/index.js";
import { richScan, TOKEN } from "./scan-result.js";

let result: ScanResult;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ result, cleanup } = await richScan());
});
afterAll(() => cleanup());

describe("the text report", () => {
  it("puts notes and unreadable files first, then findings by file, then the summary", () => {
    const text = formatText(result);
    const lines = text.split("\n");
    expect(lines[0]).toBe(
      "note: k8s/batch job.yaml:9: slipway:ignore K8S-902 expired on 2026-01-31; the finding counts again",
    );
    expect(text.indexOf("k8s/broken.yaml:3:1: error: YAML syntax")).toBeLessThan(
      text.indexOf("deploy/.env:1:15: CRITICAL"),
    );
    const headers = lines.filter((l) => /^\S+:\d+:\d+: [A-Z]+ /.test(l) || /^k8s\/|^deploy\//.test(l));
    expect(headers.filter((l) => !l.includes(":"))).toEqual([
      "deploy/.env",
      "k8s/batch job.yaml",
      "k8s/odd.yaml",
      "k8s/web.yaml",
    ]);
    expect(lines.at(-2)).toBe(
      "5 findings (1 critical, 2 high, 2 medium); 2 suppressed; 1 expired suppression(s); 1 file error; 7 files scanned (kubernetes 5, secrets 7)",
    );
  });

  it("shows each finding with its code frame, resource, provenance, fix and remediation", () => {
    const text = formatText(result);
    const block = text.slice(text.indexOf("k8s/web.yaml:5:10:"), text.indexOf("k8s/web.yaml:7:15:"));
    expect(block).toBe(
      [
        "k8s/web.yaml:5:10: MEDIUM K8S-902 Toy image uses the latest tag",
        "  Deployment/web uses ghcr.io/acme/web:latest",
        "    5 |   image: ghcr.io/acme/web:latest",
        "      |          ^",
        "  resource: Deployment/web",
        "  value set at values/prod.yaml:3: tag set by the release values",
        "  remediation: Pin the image to a version or a digest.",
        "",
        "",
      ].join("\n"),
    );
    expect(text).toContain(
      [
        "    7 |   privileged: true",
        "      |               ^^^^",
        "  resource: Deployment/web",
        "  fix: set privileged to false",
      ].join("\n"),
    );
  });

  it("masks secrets in code frames and keeps tabs aligned", () => {
    const text = formatText(result);
    expect(text).not.toContain(TOKEN);
    expect(text).toContain(
      `    1 | \tGITHUB_TOKEN=ghp_${"*".repeat(36)}\n      | \t             ${"^".repeat(40)}\n`,
    );
  });

  it("shows control characters from files as escapes, and colours only when asked", () => {
    const plain = formatText(result);
    expect(plain).toContain("Job/odd<&\"'>\\x07]]> runs privileged");
    // eslint-disable-next-line no-control-regex
    expect(plain).not.toMatch(/[\x00-\x08\x1b]/);
    const coloured = formatText(result, { color: true });
    expect(coloured).toContain("\x1b[1m\x1b[31mCRITICAL\x1b[39m\x1b[22m");
    // eslint-disable-next-line no-control-regex
    expect(coloured.replace(/\x1b\[\d+m/g, "")).toBe(plain);
  });

  it("says so when there is nothing to report", () => {
    const empty: ScanResult = {
      ...result,
      findings: [],
      suppressed: [],
      expiredSuppressions: [],
      diagnostics: [],
      notes: [],
    };
    expect(formatText(empty)).toBe("no findings; 0 suppressed; 7 files scanned (kubernetes 5, secrets 7)\n");
  });
});

describe("code frames", () => {
  const span = (column: number, endColumn?: number, endLine?: number) => ({
    file: "a",
    line: 12,
    column,
    endColumn,
    endLine,
  });

  it("underlines the span, or marks its first column", () => {
    expect(codeFrame('  cidr = "0.0.0.0/0"', span(10, 21))).toEqual([
      '12 |   cidr = "0.0.0.0/0"',
      "   |          ^^^^^^^^^^^",
    ]);
    expect(codeFrame("resource x {", span(1))).toEqual(["12 | resource x {", "   | ^"]);
  });

  it("underlines to the end of the line when the span goes on", () => {
    expect(codeFrame("  key: |", span(8, 3, 20))).toEqual(["12 |   key: |", "   |        ^"]);
    expect(codeFrame("-----BEGIN KEY-----", span(1, 20, 14))).toEqual([
      "12 | -----BEGIN KEY-----",
      `   | ${"^".repeat(19)}`,
    ]);
  });

  it("shows a window of a long line around the span", () => {
    const line = `${"a".repeat(300)}SECRET${"b".repeat(300)}`;
    const [text, marker] = codeFrame(line, span(301, 307));
    expect(text?.length).toBeLessThan(200);
    expect(text).toContain("…aaaa");
    expect(marker?.indexOf("^")).toBe(text?.indexOf("SECRET"));
  });
});
