import type { Finding, Framework, GenericResource, Report, ScanContext, ScanDiagnostic } from "../model.js";
import { toFinding } from "../rule.js";
import { ruleSource } from "./source.js";

/**
 * Runs the user's rules for one framework over that framework's resources. Every framework calls
 * this after its own rules. A rule that throws, or reports something without a usable position,
 * becomes a diagnostic at the rule's definition: user code never stops the scan.
 */
export function runCustomRules(
  framework: Framework,
  /** The resources, or a function building them, called only when a rule applies. */
  resources: readonly GenericResource[] | (() => readonly GenericResource[]),
  context: Pick<ScanContext, "customRules" | "ruleFilter">,
): { findings: Finding[]; diagnostics: ScanDiagnostic[] } {
  const findings: Finding[] = [];
  const diagnostics: ScanDiagnostic[] = [];
  const rules = context.customRules.filter(
    (rule) => rule.framework === framework && context.ruleFilter(rule.id),
  );
  if (rules.length === 0) return { findings, diagnostics };
  const view = typeof resources === "function" ? resources() : resources;
  for (const rule of rules) {
    const where = ruleSource(rule) ?? { file: rule.id, line: 1, column: 1 };
    try {
      rule.checkResources(view, (report: Report) => {
        if (isUsableReport(report)) findings.push(toFinding(rule, report));
        else
          diagnostics.push({
            span: where,
            message: `custom rule ${rule.id} reported without a message and a span with file, line and column`,
            hint: "report({ message, span: resource.span, resource: resource.address })",
          });
      });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      diagnostics.push({
        span: where,
        message: message.startsWith(`custom rule ${rule.id} `)
          ? message
          : `custom rule ${rule.id} failed: ${message}`,
      });
    }
  }
  return { findings, diagnostics };
}

/** A report the output formats can place: a message and a span with a file, a line and a column. */
export function isUsableReport(report: Report | undefined): report is Report {
  if (!report || typeof report !== "object" || typeof report.message !== "string") return false;
  const span: unknown = report.span;
  if (!span || typeof span !== "object") return false;
  const { file, line, column } = span as Record<string, unknown>;
  return (
    typeof file === "string" && Number.isInteger(line) && Number.isInteger(column) && (line as number) >= 1
  );
}
