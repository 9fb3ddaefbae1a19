import { runCustomRules } from "../custom/run.js";
import type { Finding, FrameworkScanner, Rule, ScanDiagnostic, Suppression } from "../model.js";
import { ruleMeta, runRules } from "../rule.js";
import { loadAllowList } from "./allow-list.js";
import { claimsForSecrets } from "./claims.js";
import { DetectionPlan, type Candidate } from "./detector.js";
import { redact } from "./redact.js";
import { secretResources } from "./resources.js";
import { SECRET_RULES } from "./rules/index.js";
import { findSuppressions } from "./suppressions.js";

/** The secrets framework's model: every candidate secret of the scan, by rule. */
export interface SecretsModel {
  byRule: ReadonlyMap<string, readonly Candidate[]>;
}

function message(candidate: Candidate): string {
  const key = candidate.key && candidate.ruleId === "SECRET-022" ? ` assigned to ${candidate.key}` : "";
  const detail = candidate.detail ? ` (${candidate.detail})` : "";
  return `${candidate.kind} ${redact(candidate.value)}${key} is written in plain text${detail}`;
}

const MODEL_RULES: readonly Rule<SecretsModel>[] = SECRET_RULES.map((rule) => ({
  ...ruleMeta(rule),
  check(model, report) {
    for (const candidate of model.byRule.get(rule.id) ?? [])
      report({ message: message(candidate), span: candidate.span, resource: candidate.key });
  },
}));

/**
 * Secrets in any text file: provider formats (checked by prefix, checksum or decoded header),
 * private keys, tokens, passwords in URLs and in assignments.
 *
 * - Lock files and minified bundles are not read (claims.ts). Tests are: a live credential in a
 *   test is as leaked as one anywhere else. Obvious placeholders and references are never
 *   reported (placeholders.ts); a project accepts fixture directories or known test values in
 *   `.slipway/secrets-allow.yaml` (allow-list.ts).
 * - `slipway:ignore SECRET-NNN reason`, in any comment syntax, silences its own line and, alone
 *   on its line, the next one (suppressions.ts).
 * - Findings never contain the secret: messages show its first characters and its length, and
 *   there is no automatic fix, since the credential has to be rotated.
 */
export const secretsScanner: FrameworkScanner = {
  framework: "secrets",
  rules: SECRET_RULES.map(ruleMeta),
  claims: claimsForSecrets,
  async scan(files, context) {
    const { allowList, diagnostics: allowDiagnostics } = await loadAllowList(context.root);
    const diagnostics: ScanDiagnostic[] = [...allowDiagnostics];
    const suppressions: Suppression[] = [];
    const candidates: Candidate[] = [];
    const plan = new DetectionPlan(SECRET_RULES.filter((rule) => context.ruleFilter(rule.id)));
    for (const file of files) {
      if (allowList.allowsPath(file.path)) continue;
      try {
        candidates.push(...plan.detect(file, allowList));
        const found = findSuppressions(file);
        suppressions.push(...found.suppressions);
        diagnostics.push(...found.diagnostics);
      } catch (error) {
        diagnostics.push({
          span: { file: file.path, line: 1, column: 1 },
          message: `secrets: could not scan the file: ${(error as Error).message}`,
        });
      }
    }

    const byRule = new Map<string, Candidate[]>();
    for (const candidate of candidates) {
      const list = byRule.get(candidate.ruleId);
      if (list) list.push(candidate);
      else byRule.set(candidate.ruleId, [candidate]);
    }
    const findings: Finding[] = runRules({ byRule }, MODEL_RULES, context);
    const custom = runCustomRules("secrets", secretResources(candidates), context);
    findings.push(...custom.findings);
    diagnostics.push(...custom.diagnostics);
    return { findings, suppressions, diagnostics, notes: [], files: files.map((file) => file.path) };
  },
};
