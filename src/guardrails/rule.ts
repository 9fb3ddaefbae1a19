import type {
  Finding,
  FrameworkResult,
  Provenance,
  Report,
  Rule,
  RuleMeta,
  ScanContext,
  SourceFile,
  SourceSpan,
} from "./model.js";

/** Runs a framework's rules over its model and attaches each rule's metadata to what it reports. */
export function runRules<Model>(
  model: Model,
  rules: readonly Rule<Model>[],
  context: Pick<ScanContext, "ruleFilter">,
): Finding[] {
  const findings: Finding[] = [];
  for (const rule of rules) {
    if (!context.ruleFilter(rule.id)) continue;
    rule.check(model, (report) => findings.push(toFinding(rule, report)));
  }
  return findings;
}

export function toFinding(rule: RuleMeta, report: Report): Finding {
  return {
    ...report,
    ruleId: rule.id,
    title: rule.title,
    severity: rule.severity,
    framework: rule.framework,
    provenance: report.provenance ?? [],
  };
}

/** Metadata only, for listings and SARIF `rules`. */
export function ruleMeta(rule: RuleMeta): RuleMeta {
  const { id, title, severity, framework, rationale, remediation, references } = rule;
  return { id, title, severity, framework, rationale, remediation, references };
}

/** True when `inner` lies within the lines of `outer` in the same file. */
export function spanContains(outer: SourceSpan, inner: SourceSpan): boolean {
  if (outer.file !== inner.file) return false;
  const outerEnd = outer.endLine ?? outer.line;
  return inner.line >= outer.line && inner.line <= outerEnd;
}

export type { Provenance };

/**
 * Runs a per-file analysis over each file and gathers the results. A file the analysis cannot
 * handle becomes a diagnostic: it must not hide the findings of all the others.
 */
export function scanEachFile(
  files: readonly SourceFile[],
  what: string,
  analyze: (file: SourceFile) => Pick<FrameworkResult, "findings" | "suppressions" | "diagnostics">,
): FrameworkResult {
  const result: FrameworkResult = { findings: [], suppressions: [], diagnostics: [], notes: [], files: [] };
  for (const file of files) {
    result.files.push(file.path);
    try {
      const analyzed = analyze(file);
      result.findings.push(...analyzed.findings);
      result.suppressions.push(...analyzed.suppressions);
      result.diagnostics.push(...analyzed.diagnostics);
    } catch (error) {
      result.diagnostics.push({
        span: { file: file.path, line: 1, column: 1 },
        message: `could not analyze this ${what}: ${error instanceof Error ? error.message : String(error)}`,
      });
    }
  }
  return result;
}
