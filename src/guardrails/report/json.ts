import type { Finding, Framework, RuleMeta, Severity, SourceSpan } from "../model.js";
import type { ScanResult } from "../scan.js";
import { counts, fingerprints, rulesById, TOOL_VERSION } from "./common.js";

/**
 * The JSON report (`slipway check --format json`). The shape is stable within a `version`: fields
 * are added, never renamed or removed, and every documented key is always present (absent values
 * are `null`, not missing), so scripts can read it without guarding each access.
 */
export interface JsonReport {
  /** The shape's version; 1 for this one. */
  version: 1;
  tool: { name: "slipway"; version: string };
  summary: JsonSummary;
  /** Findings that count, sorted by file, line, column and rule. */
  findings: JsonFinding[];
  /** Findings silenced by a `slipway:ignore` comment or the baseline. */
  suppressed: JsonSuppressedFinding[];
  /** `slipway:ignore` comments past their `expires=` date; their findings count again. */
  expiredSuppressions: { ruleId: string; reason: string; expires: string | null; location: JsonLocation }[];
  /** Files that could not be read as what they claim to be; the scan of the rest went on. */
  diagnostics: { location: JsonLocation; message: string; hint: string | null }[];
  notes: string[];
  /** Every rule that ran, built-in and custom. */
  rules: JsonRule[];
}

export interface JsonSummary {
  findings: number;
  bySeverity: Record<Severity, number>;
  suppressed: number;
  expiredSuppressions: number;
  diagnostics: number;
  files: number;
  filesByFramework: Partial<Record<Framework, number>>;
}

/** Lines and columns are 1-based; `endColumn` is exclusive; `file` is relative to the scan root. */
export interface JsonLocation {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number | null;
}

export interface JsonFinding {
  ruleId: string;
  severity: Severity;
  title: string;
  framework: Framework;
  message: string;
  location: JsonLocation;
  /** The resource as users address it (`aws_s3_bucket.logs`, `Deployment/web`), when there is one. */
  resource: string | null;
  /** Where the values the finding depends on were set, outermost first. */
  provenance: { description: string; location: JsonLocation }[];
  /** Stable across line moves; what baselines and SARIF `partialFingerprints` use. */
  fingerprint: string;
  remediation: string | null;
  fix: { description: string; replacements: { location: JsonLocation; text: string }[] } | null;
}

export interface JsonSuppressedFinding extends JsonFinding {
  suppression: { kind: "comment" | "baseline"; reason: string };
}

export interface JsonRule {
  id: string;
  title: string;
  severity: Severity;
  framework: Framework;
  rationale: string;
  remediation: string;
  references: string[];
}

export function location(span: SourceSpan): JsonLocation {
  return {
    file: span.file,
    line: span.line,
    column: span.column,
    endLine: span.endLine ?? span.line,
    endColumn: span.endColumn ?? null,
  };
}

export function toJsonReport(result: ScanResult): JsonReport {
  const rules = rulesById(result);
  const fingerprint = fingerprints(result);
  const finding = (f: Finding): JsonFinding => ({
    ruleId: f.ruleId,
    severity: f.severity,
    title: f.title,
    framework: f.framework,
    message: f.message,
    location: location(f.span),
    resource: f.resource ?? null,
    provenance: f.provenance.map((p) => ({ description: p.description, location: location(p.span) })),
    fingerprint: fingerprint(f),
    remediation: rules.get(f.ruleId)?.remediation ?? null,
    fix: f.fix
      ? {
          description: f.fix.description,
          replacements: f.fix.replacements.map((r) => ({ location: location(r.span), text: r.text })),
        }
      : null,
  });
  const c = counts(result);
  return {
    version: 1,
    tool: { name: "slipway", version: TOOL_VERSION },
    summary: {
      findings: c.findings,
      bySeverity: c.bySeverity,
      suppressed: c.suppressed,
      expiredSuppressions: result.expiredSuppressions.length,
      diagnostics: result.diagnostics.length,
      files: c.files,
      filesByFramework: c.filesByFramework,
    },
    findings: result.findings.map(finding),
    suppressed: result.suppressed.map((s) => ({
      ...finding(s.finding),
      suppression: { kind: s.by, reason: s.reason },
    })),
    expiredSuppressions: result.expiredSuppressions.map((s) => ({
      ruleId: s.ruleId,
      reason: s.reason,
      expires: s.expires ?? null,
      location: location(s.span),
    })),
    diagnostics: result.diagnostics.map((d) => ({
      location: location(d.span),
      message: d.message,
      hint: d.hint ?? null,
    })),
    notes: result.notes,
    rules: result.rules.map((r: RuleMeta): JsonRule => ({
      id: r.id,
      title: r.title,
      severity: r.severity,
      framework: r.framework,
      rationale: r.rationale,
      remediation: r.remediation,
      references: [...r.references],
    })),
  };
}

export function formatJson(result: ScanResult): string {
  return `${JSON.stringify(toJsonReport(result), null, 2)}\n`;
}
