import { resolve } from "node:path";
import { fingerprint, type Baseline } from "./baseline.js";
import { collectFiles } from "./files.js";
import { FRAMEWORK_SCANNERS } from "./frameworks.js";
import {
  SEVERITIES,
  type CustomRule,
  type Finding,
  type Framework,
  type FrameworkResult,
  type FrameworkScanner,
  type RuleMeta,
  type ScanContext,
  type ScanDiagnostic,
  type SourceFile,
  type SourceSpan,
  type Suppression,
} from "./model.js";
import { ruleMeta } from "./rule.js";
import { applySuppressions } from "./suppression.js";

export interface ScanOptions {
  /** Files and directories to scan, relative to `root`. Default: the root itself. */
  paths?: readonly string[] | undefined;
  /** Globs (relative to `root`) of files not to scan, e.g. `test/fixtures/**`. */
  exclude?: readonly string[] | undefined;
  /** Directory reported paths are relative to. Default: the current directory. */
  root?: string | undefined;
  /** Only these frameworks. Default: all. */
  frameworks?: readonly Framework[] | undefined;
  /** Only these rule ids. Default: all. */
  rules?: readonly string[] | undefined;
  /** Never these rule ids. */
  skipRules?: readonly string[] | undefined;
  /** Terraform `--var-file`s, highest precedence last. */
  varFiles?: readonly string[] | undefined;
  /** Environment for `TF_VAR_*`. Default: process.env. */
  env?: Readonly<Record<string, string | undefined>> | undefined;
  customRules?: readonly CustomRule[] | undefined;
  baseline?: Baseline | undefined;
  /** The day expiry dates are compared with (YYYY-MM-DD). Default: today in UTC. */
  today?: string | undefined;
  /** Replaces the built-in frameworks; tests use it to scan with one framework's scanner. */
  scanners?: readonly FrameworkScanner[] | undefined;
  /**
   * Files already read, scanned instead of `paths` (and `exclude`): the live objects of a cluster
   * (kubernetes/live.ts), which have no file on disk to collect.
   */
  files?: readonly SourceFile[] | undefined;
}

export interface ScanResult {
  root: string;
  /** Findings that count, sorted by file, line, rule. */
  findings: Finding[];
  suppressed: { finding: Finding; reason: string; by: "comment" | "baseline" }[];
  expiredSuppressions: Suppression[];
  diagnostics: ScanDiagnostic[];
  notes: string[];
  files: { path: string; frameworks: Framework[] }[];
  /** Every rule that ran, built-in and custom. */
  rules: RuleMeta[];
  /** Text of each scanned file, for code frames and fingerprints. */
  sources: ReadonlyMap<string, string>;
}

/** Scans files with every framework that claims them; the library entry point of `slipway check`. */
export async function scan(options: ScanOptions = {}): Promise<ScanResult> {
  const root = resolve(options.root ?? process.cwd());
  const { files, notes } = options.files
    ? { files: [...options.files], notes: [] as string[] }
    : await collectFiles(root, options.paths ?? ["."], options.exclude);
  const only = options.rules ? new Set(options.rules) : undefined;
  const skip = new Set(options.skipRules ?? []);
  const context: ScanContext = {
    root,
    ruleFilter: (id) => (only === undefined || only.has(id)) && !skip.has(id),
    varFiles: options.varFiles ?? [],
    env: options.env ?? process.env,
    customRules: options.customRules ?? [],
  };
  const scanners = (options.scanners ?? FRAMEWORK_SCANNERS).filter(
    (s) => !options.frameworks || options.frameworks.includes(s.framework),
  );

  const claimedBy = new Map<string, Framework[]>();
  const findings: Finding[] = [];
  const suppressions: Suppression[] = [];
  const diagnostics: ScanDiagnostic[] = [];
  for (const scanner of scanners) {
    const claimed: SourceFile[] = files.filter((file) => scanner.claims(file));
    if (claimed.length === 0) continue;
    const result = await scanSafely(scanner, claimed, context);
    findings.push(...result.findings);
    suppressions.push(...result.suppressions);
    diagnostics.push(...result.diagnostics);
    notes.push(...result.notes);
    for (const path of result.files) claimedBy.set(path, [...(claimedBy.get(path) ?? []), scanner.framework]);
  }

  const sources = new Map(files.map((f) => [f.path, f.text]));
  const today = options.today ?? new Date().toISOString().slice(0, 10);
  const outcome = applySuppressions(dedupe(findings), suppressions, today);
  const suppressed: ScanResult["suppressed"] = outcome.suppressed.map(({ finding, suppression }) => ({
    finding,
    reason: suppression.reason,
    by: "comment" as const,
  }));
  let active = outcome.active;
  if (options.baseline) {
    const accepted = new Set(options.baseline.findings.map((entry) => entry.fingerprint));
    const kept: Finding[] = [];
    for (const finding of active) {
      if (accepted.has(fingerprintOf(finding, sources)))
        suppressed.push({ finding, reason: "in baseline", by: "baseline" });
      else kept.push(finding);
    }
    active = kept;
  }
  for (const expired of outcome.expired)
    notes.push(
      `${expired.span.file}:${expired.span.line}: slipway:ignore ${expired.ruleId} expired on ${expired.expires ?? ""}; the finding counts again`,
    );

  return {
    root,
    findings: sortFindings(active),
    suppressed,
    expiredSuppressions: outcome.expired,
    diagnostics,
    notes,
    files: [...claimedBy]
      .map(([path, frameworks]) => ({ path, frameworks }))
      .sort((a, b) => a.path.localeCompare(b.path)),
    rules: [...scanners.flatMap((s) => s.rules.map(ruleMeta)), ...context.customRules.map(ruleMeta)].filter(
      (rule) => context.ruleFilter(rule.id),
    ),
    sources,
  };
}

/** Each file's lines, split once per set of sources however many findings point into it. */
const splitSources = new WeakMap<ReadonlyMap<string, string>, Map<string, string[]>>();

/**
 * A framework that fails on input it did not expect reports that as a diagnostic at the first of
 * its files; the other frameworks' findings still count.
 */
async function scanSafely(
  scanner: FrameworkScanner,
  files: readonly SourceFile[],
  context: ScanContext,
): Promise<FrameworkResult> {
  try {
    return await scanner.scan(files, context);
  } catch (error) {
    const first = files[0]?.path ?? ".";
    return {
      findings: [],
      suppressions: [],
      diagnostics: [
        {
          span: { file: first, line: 1, column: 1 },
          message: `${scanner.framework}: could not check ${files.length} file(s): ${error instanceof Error ? error.message : String(error)}`,
          hint: "this is a bug in Slipway; please report it with the file",
        },
      ],
      notes: [],
      files: files.map((f) => f.path),
    };
  }
}

/** A baseline accepting `findings` (default: every active finding of the scan). */
export function baselineOf(
  result: Pick<ScanResult, "findings" | "sources">,
  findings = result.findings,
): Baseline {
  return {
    version: 1,
    findings: findings.map((finding) => ({
      ruleId: finding.ruleId,
      file: finding.span.file,
      ...(finding.resource === undefined ? {} : { resource: finding.resource }),
      fingerprint: fingerprintOf(finding, result.sources),
    })),
  };
}

export function fingerprintOf(finding: Finding, sources: ReadonlyMap<string, string>): string {
  let files = splitSources.get(sources);
  if (!files) {
    files = new Map();
    splitSources.set(sources, files);
  }
  let lines = files.get(finding.span.file);
  if (!lines) {
    lines = sources.get(finding.span.file)?.split(/\r?\n/) ?? [];
    files.set(finding.span.file, lines);
  }
  return fingerprint(finding, lines[finding.span.line - 1]);
}

/** True when a finding is at or above `threshold`. */
export function atLeast(finding: Pick<Finding, "severity">, threshold: (typeof SEVERITIES)[number]): boolean {
  return SEVERITIES.indexOf(finding.severity) >= SEVERITIES.indexOf(threshold);
}

function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort(
    (a, b) =>
      a.span.file.localeCompare(b.span.file) ||
      a.span.line - b.span.line ||
      a.span.column - b.span.column ||
      a.ruleId.localeCompare(b.ruleId) ||
      (a.resource ?? "").localeCompare(b.resource ?? ""),
  );
}

/**
 * The same rule at the same place for the same resource is one finding, however it was reached.
 * A module called from two root configurations is two findings: the module calls (`enclosing`)
 * and the values' origins differ, and a suppression on one call must not silence the other.
 */
function dedupe(findings: Finding[]): Finding[] {
  const seen = new Set<string>();
  const where = (span: SourceSpan) => `${span.file}:${span.line}:${span.column}`;
  return findings.filter((f) => {
    const key = [
      f.ruleId,
      where(f.span),
      f.resource ?? "",
      f.message,
      ...(f.enclosing ?? []).map(where),
      ...f.provenance.map((p) => where(p.span)),
    ].join("\0");
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
