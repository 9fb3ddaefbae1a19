import type { Finding, Severity } from "../model.js";
import type { ScanResult } from "../scan.js";
import { codeFrame } from "./code-frame.js";
import { counts, rulesById, SourceLines } from "./common.js";

export interface TextOptions {
  /** ANSI colours; off unless asked for, so files and CI logs stay plain. */
  color?: boolean | undefined;
}

type Paint = (s: string) => string;
const plain: Paint = (s) => s;
const ansi =
  (open: number, close: number): Paint =>
  (s) =>
    `\x1b[${open}m${s}\x1b[${close}m`;

interface Palette {
  severity: Record<Severity, Paint>;
  bold: Paint;
  dim: Paint;
  red: Paint;
  yellow: Paint;
  green: Paint;
}

function palette(color: boolean): Palette {
  if (!color)
    return {
      severity: { critical: plain, high: plain, medium: plain, low: plain, info: plain },
      bold: plain,
      dim: plain,
      red: plain,
      yellow: plain,
      green: plain,
    };
  const bold = ansi(1, 22);
  const red = ansi(31, 39);
  return {
    severity: {
      critical: (s) => bold(red(s)),
      high: red,
      medium: ansi(33, 39),
      low: ansi(34, 39),
      info: ansi(2, 22),
    },
    bold,
    dim: ansi(2, 22),
    red,
    yellow: ansi(33, 39),
    green: ansi(32, 39),
  };
}

/**
 * Control characters from scanned files (an escape sequence in a resource name, a BEL in a
 * message) must not reach the terminal, where they could rewrite what the reader sees: they are
 * shown as `\xNN`. Tabs stay, for code frames.
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;
const printable = (text: string) =>
  text.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);

/**
 * The report people read: notes and files that could not be read first (they limit what the
 * findings mean), then findings grouped by file, each with its code frame, resource, where its
 * values came from and what to do, then one summary line.
 */
export function formatText(result: ScanResult, options: TextOptions = {}): string {
  const p = palette(options.color ?? false);
  const lines = new SourceLines(result.sources);
  const rules = rulesById(result);
  const out: string[] = [];

  for (const note of result.notes) out.push(`${p.dim("note:")} ${printable(note)}`);
  if (result.notes.length > 0) out.push("");
  for (const d of result.diagnostics) {
    out.push(
      `${printable(d.span.file)}:${d.span.line}:${d.span.column}: ${p.red("error:")} ${printable(d.message)}`,
    );
    const source = lines.line(d.span.file, d.span.line);
    if (source !== undefined) out.push(...codeFrame(source, d.span).map((l) => `  ${printable(l)}`));
    if (d.hint) out.push(`  hint: ${printable(d.hint)}`);
    out.push("");
  }

  const byFile = new Map<string, Finding[]>();
  for (const finding of result.findings) {
    const list = byFile.get(finding.span.file);
    if (list) list.push(finding);
    else byFile.set(finding.span.file, [finding]);
  }
  for (const [file, findings] of byFile) {
    out.push(p.bold(printable(file)));
    for (const finding of findings) {
      const { span } = finding;
      out.push(
        `${printable(file)}:${span.line}:${span.column}: ${p.severity[finding.severity](finding.severity.toUpperCase())} ${p.bold(finding.ruleId)} ${printable(finding.title)}`,
      );
      out.push(`  ${printable(finding.message)}`);
      const source = lines.line(file, span.line);
      if (source !== undefined)
        out.push(
          ...codeFrame(source, span, { mask: finding.framework === "secrets" }).map(
            (l) => `    ${printable(l)}`,
          ),
        );
      if (finding.resource) out.push(`  resource: ${printable(finding.resource)}`);
      for (const entry of finding.provenance)
        out.push(
          `  value set at ${printable(entry.span.file)}:${entry.span.line}: ${printable(entry.description)}`,
        );
      const rule = rules.get(finding.ruleId);
      if (finding.fix) out.push(`  ${p.green("fix:")} ${printable(finding.fix.description)}`);
      if (rule) out.push(`  ${p.dim("remediation:")} ${printable(rule.remediation)}`);
      out.push("");
    }
  }

  out.push(summary(result, p));
  return `${out.join("\n")}\n`;
}

function summary(result: ScanResult, p: Palette): string {
  const c = counts(result);
  const severities = (Object.keys(c.bySeverity) as Severity[])
    .reverse()
    .filter((s) => c.bySeverity[s] > 0)
    .map((s) => p.severity[s](`${c.bySeverity[s]} ${s}`));
  const findings =
    c.findings === 0
      ? p.green("no findings")
      : `${c.findings} finding${c.findings === 1 ? "" : "s"} (${severities.join(", ")})`;
  const parts = [findings, `${c.suppressed} suppressed`];
  if (result.expiredSuppressions.length > 0)
    parts.push(p.yellow(`${result.expiredSuppressions.length} expired suppression(s)`));
  if (result.diagnostics.length > 0)
    parts.push(p.red(`${result.diagnostics.length} file error${result.diagnostics.length === 1 ? "" : "s"}`));
  const frameworks = Object.entries(c.filesByFramework)
    .map(([framework, n]) => `${framework} ${n}`)
    .join(", ");
  parts.push(`${c.files} file${c.files === 1 ? "" : "s"} scanned${frameworks ? ` (${frameworks})` : ""}`);
  return parts.join("; ");
}
