import type { Finding, Framework } from "../model.js";
import type { ScanResult } from "../scan.js";
import { rulesById } from "./common.js";

/**
 * JUnit XML for CI dashboards: one `<testsuite>` per framework that read files, one `<testcase>`
 * per rule and resource (or file) with a `<failure>` listing its findings, a passing testcase for
 * each rule that ran without a finding (so dashboards show what was checked), `<skipped>` for
 * suppressed findings, and a `slipway` suite with an `<error>` per file that could not be read.
 */
export function formatJunit(result: ScanResult): string {
  const rules = rulesById(result);
  const scanned = new Set<Framework>(result.files.flatMap((f) => f.frameworks));
  for (const finding of result.findings) scanned.add(finding.framework);

  const suites: string[] = [];
  let totalTests = 0;
  let totalFailures = 0;
  let totalErrors = 0;
  let totalSkipped = 0;

  const frameworks = [...scanned].sort();
  for (const framework of frameworks) {
    const cases: string[] = [];
    let failures = 0;
    let skipped = 0;
    const frameworkRules = result.rules.filter((rule) => rule.framework === framework);
    const reported = new Set<string>();
    const groups = group(result.findings.filter((f) => f.framework === framework));
    const silenced = group(
      result.suppressed.filter((s) => s.finding.framework === framework).map((s) => s.finding),
    );
    for (const findings of groups.values()) {
      const first = findings[0];
      if (!first) continue;
      reported.add(first.ruleId);
      failures++;
      const rule = rules.get(first.ruleId);
      const body = [
        ...findings.map(
          (f) => `${f.span.file}:${f.span.line}:${f.span.column}: ${f.severity.toUpperCase()} ${f.message}`,
        ),
        ...(rule ? ["", `remediation: ${rule.remediation}`] : []),
      ].join("\n");
      cases.push(
        `    <testcase ${attributes({ classname: `${framework}.${first.ruleId}`, name: caseName(first), file: first.span.file, line: String(first.span.line) })}>\n` +
          `      <failure ${attributes({ message: first.message, type: first.severity })}>${text(body)}</failure>\n` +
          `    </testcase>`,
      );
    }
    for (const [key, findings] of silenced) {
      const first = findings[0];
      if (!first || groups.has(key)) continue;
      reported.add(first.ruleId);
      skipped++;
      const reasons = result.suppressed.filter((s) => findings.includes(s.finding)).map((s) => s.reason);
      cases.push(
        `    <testcase ${attributes({ classname: `${framework}.${first.ruleId}`, name: caseName(first), file: first.span.file, line: String(first.span.line) })}>\n` +
          `      <skipped ${attributes({ message: `suppressed: ${[...new Set(reasons)].join("; ")}` })}/>\n` +
          `    </testcase>`,
      );
    }
    for (const rule of frameworkRules) {
      if (reported.has(rule.id)) continue;
      cases.push(
        `    <testcase ${attributes({ classname: `${framework}.${rule.id}`, name: `${rule.id} ${rule.title}` })}/>`,
      );
    }
    totalTests += cases.length;
    totalFailures += failures;
    totalSkipped += skipped;
    suites.push(
      `  <testsuite ${attributes({ name: framework, tests: String(cases.length), failures: String(failures), errors: "0", skipped: String(skipped) })}>\n${cases.join("\n")}\n  </testsuite>`,
    );
  }

  if (result.diagnostics.length > 0) {
    const cases = result.diagnostics.map(
      (d) =>
        `    <testcase ${attributes({ classname: "slipway.read", name: `read ${d.span.file}`, file: d.span.file, line: String(d.span.line) })}>\n` +
        `      <error ${attributes({ message: d.message, type: "diagnostic" })}>${text(`${d.span.file}:${d.span.line}:${d.span.column}: ${d.message}${d.hint ? `\nhint: ${d.hint}` : ""}`)}</error>\n` +
        `    </testcase>`,
    );
    totalTests += cases.length;
    totalErrors += cases.length;
    suites.push(
      `  <testsuite ${attributes({ name: "slipway", tests: String(cases.length), failures: "0", errors: String(cases.length), skipped: "0" })}>\n${cases.join("\n")}\n  </testsuite>`,
    );
  }

  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<testsuites ${attributes({ name: "slipway check", tests: String(totalTests), failures: String(totalFailures), errors: String(totalErrors), skipped: String(totalSkipped) })}>\n` +
    `${suites.join("\n")}${suites.length > 0 ? "\n" : ""}</testsuites>\n`
  );
}

/** Findings by rule and resource (or file, for findings without a resource), in report order. */
function group(findings: readonly Finding[]): Map<string, Finding[]> {
  const groups = new Map<string, Finding[]>();
  for (const finding of findings) {
    const key = `${finding.ruleId}\0${finding.resource ?? finding.span.file}`;
    const list = groups.get(key);
    if (list) list.push(finding);
    else groups.set(key, [finding]);
  }
  return groups;
}

function caseName(finding: Finding): string {
  return `${finding.ruleId} ${finding.title}: ${finding.resource ?? finding.span.file}`;
}

/** Characters XML 1.0 cannot carry at all, even escaped; they become U+FFFD. */
const INVALID_XML =
  // eslint-disable-next-line no-control-regex
  /[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function text(value: string): string {
  return value
    .replace(INVALID_XML, "\uFFFD")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;");
}

function attribute(value: string): string {
  return text(value)
    .replace(/"/g, "&quot;")
    .replace(/\n/g, "&#10;")
    .replace(/\r/g, "&#13;")
    .replace(/\t/g, "&#9;");
}

function attributes(values: Record<string, string>): string {
  return Object.entries(values)
    .map(([name, value]) => `${name}="${attribute(value)}"`)
    .join(" ");
}
