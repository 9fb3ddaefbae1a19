import type { Finding, ScanDiagnostic, SourceSpan, Suppression } from "./model.js";
import { spanContains } from "./rule.js";

const MARKER = /slipway:ignore\b(.*)$/;
const RULE_LIST = /^[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*-\d+$|^\*$/;
const EXPIRES = /^expires=(\d{4}-\d{2}-\d{2})$/;

/**
 * Reads `slipway:ignore RULE-ID[,RULE-ID...] [expires=YYYY-MM-DD] reason` out of a comment's
 * text. Returns nothing when the comment is not a suppression; a diagnostic when it is one
 * but malformed (no rule id, no reason, a bad date), because a suppression that silently does
 * nothing is worse than none.
 */
export function parseSuppressionComment(
  comment: string,
  covers: SourceSpan,
  at: SourceSpan,
): { suppressions: Suppression[] } | { diagnostic: ScanDiagnostic } | undefined {
  const match = MARKER.exec(comment);
  if (!match) return undefined;
  const words = (match[1] ?? "").trim().split(/\s+/).filter(Boolean);
  const ids = (words.shift() ?? "").split(",").filter(Boolean);
  if (ids.length === 0 || !ids.every((id) => RULE_LIST.test(id)))
    return {
      diagnostic: {
        span: at,
        message: "slipway:ignore needs the rule id it silences",
        hint: "write `slipway:ignore TF-012 the reason`, or several ids joined by commas",
      },
    };
  let expires: string | undefined;
  const expiry = EXPIRES.exec(words[0] ?? "");
  if (expiry) {
    expires = expiry[1];
    words.shift();
    // Date.parse accepts 2026-02-30 (as March 2nd): only a date that reads back the same is valid.
    const date = new Date(`${expires}T00:00:00Z`);
    if (Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== expires)
      return { diagnostic: { span: at, message: `slipway:ignore has an invalid date ${expires}` } };
  } else if (/^expires=/.test(words[0] ?? "")) {
    return {
      diagnostic: { span: at, message: `slipway:ignore expects expires=YYYY-MM-DD, found ${words[0]}` },
    };
  }
  const reason = words.join(" ");
  if (!reason)
    return {
      diagnostic: {
        span: at,
        message: `slipway:ignore ${ids.join(",")} needs a reason`,
        hint: "say why the finding is accepted, e.g. `slipway:ignore TF-012 public website bucket`",
      },
    };
  return { suppressions: ids.map((ruleId) => ({ ruleId, reason, expires, span: covers })) };
}

export interface SuppressionOutcome {
  active: Finding[];
  suppressed: { finding: Finding; suppression: Suppression }[];
  /** Suppressions past their date, which no longer silence anything. */
  expired: Suppression[];
}

/** Applies suppressions to findings: a suppression covers a finding's span or an enclosing span. */
export function applySuppressions(
  findings: readonly Finding[],
  suppressions: readonly Suppression[],
  today: string,
): SuppressionOutcome {
  const isExpired = (s: Suppression) => s.expires !== undefined && s.expires < today;
  const expired = suppressions.filter(isExpired);
  const live = suppressions.filter((s) => !isExpired(s));
  const active: Finding[] = [];
  const suppressed: SuppressionOutcome["suppressed"] = [];
  for (const finding of findings) {
    const places = [finding.span, ...(finding.enclosing ?? [])];
    const by = live.find(
      (s) =>
        (s.ruleId === "*" || s.ruleId === finding.ruleId) &&
        places.some((place) => spanContains(s.span, place)),
    );
    if (by) suppressed.push({ finding, suppression: by });
    else active.push(finding);
  }
  return { active, suppressed, expired };
}
