import { pathToFileURL } from "node:url";
import type { Finding, RuleMeta, ScanDiagnostic, Severity, SourceSpan } from "../model.js";
import type { ScanResult } from "../scan.js";
import { fingerprints, TOOL_VERSION } from "./common.js";

/**
 * SARIF 2.1.0 (https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html), as GitHub
 * code scanning and other viewers read it: one run, rules with help and a numeric
 * `security-severity`, results with locations relative to `%SRCROOT%`, provenance as related
 * locations, fixes, and suppressed findings kept with their suppression rather than dropped.
 */
export interface SarifOptions {
  /** `tool.driver.informationUri`: where users read about the tool. */
  informationUri?: string | undefined;
  /** Include `originalUriBaseIds` with the absolute scan root (off for reports shared outside the machine). */
  includeRoot?: boolean | undefined;
}

const SECURITY_SEVERITY: Record<Severity, string> = {
  critical: "9.5",
  high: "8.0",
  medium: "5.5",
  low: "3.0",
  info: "1.0",
};

type Level = "error" | "warning" | "note";
const LEVEL: Record<Severity, Level> = {
  critical: "error",
  high: "error",
  medium: "warning",
  low: "note",
  info: "note",
};

const SRCROOT = "%SRCROOT%";
const FINGERPRINT_KEY = "slipway/v1";

interface Region {
  startLine: number;
  startColumn: number;
  endLine?: number;
  endColumn?: number;
}

/** Relative paths as URI references: each segment percent-encoded, slashes kept. */
function uri(path: string): string {
  return path.split("/").map(encodeURIComponent).join("/");
}

function region(span: SourceSpan): Region {
  const out: Region = { startLine: span.line, startColumn: span.column };
  const endLine = span.endLine ?? span.line;
  out.endLine = endLine;
  if (span.endColumn !== undefined) out.endColumn = span.endColumn;
  return out;
}

/** A rule's `name`: its title as one identifier, as SARIF viewers expect (`PublicS3BucketAcl`). */
function ruleName(title: string): string {
  return title
    .replace(/[^A-Za-z0-9]+/g, " ")
    .trim()
    .split(" ")
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join("");
}

function descriptor(rule: RuleMeta): Record<string, unknown> {
  const urls = rule.references.filter((r) => /^https?:\/\//.test(r));
  const others = rule.references.filter((r) => !/^https?:\/\//.test(r));
  const markdown = [
    `**${rule.title}**`,
    "",
    rule.rationale,
    "",
    `**Remediation:** ${rule.remediation}`,
    ...(rule.references.length > 0
      ? ["", "**References:**", ...urls.map((u) => `- <${u}>`), ...others.map((o) => `- ${o}`)]
      : []),
  ].join("\n");
  const out: Record<string, unknown> = {
    id: rule.id,
    name: ruleName(rule.title),
    shortDescription: { text: rule.title },
    fullDescription: { text: rule.rationale },
    help: { text: rule.remediation, markdown },
    defaultConfiguration: { level: LEVEL[rule.severity] },
    properties: {
      tags: [rule.framework, "security"],
      "security-severity": SECURITY_SEVERITY[rule.severity],
      severity: rule.severity,
      references: [...rule.references],
    },
  };
  if (urls[0]) out["helpUri"] = urls[0];
  return out;
}

export function toSarif(result: ScanResult, options: SarifOptions = {}): Record<string, unknown> {
  const fingerprint = fingerprints(result);
  const rules: RuleMeta[] = [...result.rules];
  const ruleIndex = new Map(rules.map((rule, index) => [rule.id, index]));
  // A finding whose rule is not listed (it cannot happen with scan(), but a result may be built
  // by hand) still gets a descriptor, since results must reference one.
  for (const finding of [...result.findings, ...result.suppressed.map((s) => s.finding)]) {
    if (ruleIndex.has(finding.ruleId)) continue;
    ruleIndex.set(finding.ruleId, rules.length);
    rules.push({
      id: finding.ruleId,
      title: finding.title,
      severity: finding.severity,
      framework: finding.framework,
      rationale: finding.title,
      remediation: finding.title,
      references: [],
    });
  }

  const artifactPaths = new Set(result.files.map((f) => f.path));
  const allFindings = [...result.findings, ...result.suppressed.map((s) => s.finding)];
  for (const finding of allFindings) {
    artifactPaths.add(finding.span.file);
    for (const p of finding.provenance) artifactPaths.add(p.span.file);
  }
  const artifacts = [...artifactPaths].sort();
  const artifactIndex = new Map(artifacts.map((path, index) => [path, index]));
  const artifactLocation = (file: string) => {
    const index = artifactIndex.get(file);
    return { uri: uri(file), uriBaseId: SRCROOT, ...(index === undefined ? {} : { index }) };
  };
  const physical = (span: SourceSpan) => ({
    artifactLocation: artifactLocation(span.file),
    region: region(span),
  });

  const toResult = (finding: Finding, suppression?: { by: "comment" | "baseline"; reason: string }) => {
    const out: Record<string, unknown> = {
      ruleId: finding.ruleId,
      ruleIndex: ruleIndex.get(finding.ruleId),
      level: LEVEL[finding.severity],
      message: { text: finding.message },
      locations: [
        {
          physicalLocation: physical(finding.span),
          ...(finding.resource
            ? { logicalLocations: [{ fullyQualifiedName: finding.resource, kind: "resource" }] }
            : {}),
        },
      ],
      partialFingerprints: { [FINGERPRINT_KEY]: fingerprint(finding) },
      properties: {
        severity: finding.severity,
        framework: finding.framework,
        ...(finding.resource ? { resource: finding.resource } : {}),
      },
    };
    if (finding.provenance.length > 0)
      out["relatedLocations"] = finding.provenance.map((p, id) => ({
        id,
        physicalLocation: physical(p.span),
        message: { text: p.description },
      }));
    if (finding.fix) {
      const byFile = new Map<string, { deletedRegion: Region; insertedContent: { text: string } }[]>();
      for (const r of finding.fix.replacements) {
        const list = byFile.get(r.span.file) ?? [];
        list.push({ deletedRegion: region(r.span), insertedContent: { text: r.text } });
        byFile.set(r.span.file, list);
      }
      out["fixes"] = [
        {
          description: { text: finding.fix.description },
          artifactChanges: [...byFile].map(([file, replacements]) => ({
            artifactLocation: artifactLocation(file),
            replacements,
          })),
        },
      ];
    }
    if (suppression)
      out["suppressions"] = [
        {
          kind: suppression.by === "comment" ? "inSource" : "external",
          status: "accepted",
          justification: suppression.reason,
        },
      ];
    return out;
  };

  const notification = (d: ScanDiagnostic) => ({
    level: "error",
    message: { text: d.hint ? `${d.message} (${d.hint})` : d.message },
    locations: [{ physicalLocation: physical(d.span) }],
  });

  const driver: Record<string, unknown> = {
    name: "slipway",
    version: TOOL_VERSION,
    rules: rules.map(descriptor),
  };
  if (options.informationUri) driver["informationUri"] = options.informationUri;

  const run: Record<string, unknown> = {
    tool: { driver },
    invocations: [
      {
        // A file that could not be read means the scan did not cover everything it was asked to.
        executionSuccessful: result.diagnostics.length === 0,
        toolExecutionNotifications: [
          ...result.diagnostics.map(notification),
          ...result.notes.map((note) => ({ level: "note", message: { text: note } })),
        ],
      },
    ],
    artifacts: artifacts.map((path) => ({ location: { uri: uri(path), uriBaseId: SRCROOT } })),
    columnKind: "utf16CodeUnits",
    results: [
      ...result.findings.map((f) => toResult(f)),
      ...result.suppressed.map((s) => toResult(s.finding, { by: s.by, reason: s.reason })),
    ],
  };
  if (options.includeRoot ?? true)
    run["originalUriBaseIds"] = {
      [SRCROOT]: { uri: `${pathToFileURL(result.root).href.replace(/\/?$/, "/")}` },
    };

  return {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [run],
  };
}

export function formatSarif(result: ScanResult, options: SarifOptions = {}): string {
  return `${JSON.stringify(toSarif(result, options), null, 2)}\n`;
}
