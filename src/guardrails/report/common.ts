import { fingerprintOf, type ScanResult } from "../scan.js";
import {
  FRAMEWORKS,
  SEVERITIES,
  type Finding,
  type Framework,
  type RuleMeta,
  type Severity,
} from "../model.js";

declare const __SLIPWAY_VERSION__: string | undefined;

/** The version reports name; set at build time, "dev" when running from sources. */
export const TOOL_VERSION = typeof __SLIPWAY_VERSION__ === "string" ? __SLIPWAY_VERSION__ : "dev";

export interface Counts {
  bySeverity: Record<Severity, number>;
  findings: number;
  suppressed: number;
  files: number;
  filesByFramework: Partial<Record<Framework, number>>;
}

export function counts(result: ScanResult): Counts {
  const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const finding of result.findings) bySeverity[finding.severity]++;
  const filesByFramework: Partial<Record<Framework, number>> = {};
  for (const framework of FRAMEWORKS) {
    const n = result.files.filter((file) => file.frameworks.includes(framework)).length;
    if (n > 0) filesByFramework[framework] = n;
  }
  return {
    bySeverity,
    findings: result.findings.length,
    suppressed: result.suppressed.length,
    files: result.files.length,
    filesByFramework,
  };
}

/** Rules by id, for the remediation and references of a finding. */
export function rulesById(result: ScanResult): Map<string, RuleMeta> {
  return new Map(result.rules.map((rule) => [rule.id, rule]));
}

/** Splits each source once per report, however many findings point into it. */
export class SourceLines {
  private readonly cache = new Map<string, string[]>();

  constructor(private readonly sources: ReadonlyMap<string, string>) {}

  line(file: string, line: number): string | undefined {
    let lines = this.cache.get(file);
    if (!lines) {
      const text = this.sources.get(file);
      if (text === undefined) return undefined;
      lines = text.split(/\r?\n/);
      this.cache.set(file, lines);
    }
    return lines[line - 1];
  }
}

/** Fingerprints, computed once per finding per report. */
export function fingerprints(result: ScanResult): (finding: Finding) => string {
  const cache = new Map<Finding, string>();
  return (finding) => {
    let value = cache.get(finding);
    if (value === undefined) {
      value = fingerprintOf(finding, result.sources);
      cache.set(finding, value);
    }
    return value;
  };
}
