import { existsSync } from "node:fs";
import path from "node:path";
import { writeFileAtomic } from "../../config/atomic-write.js";
import {
  FRAMEWORK_SCANNERS,
  atLeast,
  baselineOf,
  formatJson,
  formatJunit,
  formatSarif,
  formatText,
  loadCustomRules,
  readBaseline,
  scan,
  writeBaseline,
  type Framework,
  type ScanResult,
  type Severity,
} from "../../guardrails/index.js";
import { EXIT } from "../exit-codes.js";
import type { CheckFormat } from "../../guardrails/model.js";

export interface CheckFlags {
  format: CheckFormat;
  output?: string;
  failOn: Severity | "none";
  framework?: Framework[];
  rule?: string[];
  skipRule?: string[];
  exclude?: string[];
  varFile?: string[];
  baseline?: string;
  writeBaseline?: string | true;
  rulesDir?: string[];
  color?: boolean;
  listRules?: boolean;
}

/** Where `slipway check` looks for an accepted-findings baseline when none is named. */
export const DEFAULT_BASELINE = ".slipway/check-baseline.json";

/**
 * `slipway check [PATH...]`: scans infrastructure code and pipelines, prints the findings, and
 * exits 1 when one is at or above `--fail-on`, 2 when a file could not be read as what it claims
 * to be (a file that cannot be parsed cannot be vouched for).
 */
export async function checkCommand(paths: string[], flags: CheckFlags): Promise<void> {
  const root = process.cwd();
  const customRules = await loadCustomRules(root, flags.rulesDir);
  if (flags.listRules) {
    process.stdout.write(listRules(customRules));
    return;
  }
  const baselinePath = flags.baseline ?? (existsSync(DEFAULT_BASELINE) ? DEFAULT_BASELINE : undefined);
  const writingBaseline = flags.writeBaseline !== undefined;
  const result = await scan({
    root,
    paths: paths.length > 0 ? paths : ["."],
    exclude: flags.exclude,
    frameworks: flags.framework,
    rules: flags.rule,
    skipRules: flags.skipRule,
    varFiles: flags.varFile,
    customRules,
    // A new baseline records everything that is found, not only what the old one missed.
    baseline: baselinePath && !writingBaseline ? await readBaseline(baselinePath) : undefined,
  });

  if (writingBaseline) {
    const file = flags.writeBaseline === true ? DEFAULT_BASELINE : (flags.writeBaseline as string);
    await writeBaseline(file, baselineOf(result).findings);
    process.stderr.write(`wrote ${result.findings.length} finding(s) to ${file}\n`);
    return;
  }

  const color = flags.color ?? (process.stdout.isTTY && !process.env.NO_COLOR);
  const rendered = render(result, flags.format, color && !flags.output);
  if (flags.output) {
    await writeFileAtomic(flags.output, rendered);
    process.stdout.write(flags.format === "text" ? "" : formatText(result, { color }));
    process.stderr.write(
      `wrote ${flags.format} report to ${path.relative(root, path.resolve(flags.output))}\n`,
    );
  } else {
    process.stdout.write(rendered);
  }
  process.exitCode = exitCode(result, flags.failOn);
}

function render(result: ScanResult, format: CheckFormat, color: boolean): string {
  switch (format) {
    case "json":
      return formatJson(result);
    case "sarif":
      return formatSarif(result);
    case "junit":
      return formatJunit(result);
    default:
      return formatText(result, { color });
  }
}

export function exitCode(result: ScanResult, failOn: Severity | "none"): number {
  if (result.diagnostics.length > 0) return EXIT.invalid;
  if (failOn === "none") return EXIT.ok;
  return result.findings.some((finding) => atLeast(finding, failOn)) ? EXIT.failed : EXIT.ok;
}

function listRules(
  custom: readonly { id: string; severity: Severity; framework: Framework; title: string }[],
): string {
  const rules = [...FRAMEWORK_SCANNERS.flatMap((s) => s.rules), ...custom];
  const width = Math.max(...rules.map((r) => r.id.length));
  return `${rules
    .map((r) => `${r.id.padEnd(width)}  ${r.severity.padEnd(8)}  ${r.framework.padEnd(14)}  ${r.title}`)
    .join("\n")}\n${rules.length} rules\n`;
}
