import type { CustomRule, SourceSpan } from "../model.js";

/** Where each loaded custom rule was defined, so a rule that fails at scan time is reported there. */
const sources = new WeakMap<CustomRule, SourceSpan>();

export function recordRuleSource(rule: CustomRule, span: SourceSpan): void {
  sources.set(rule, span);
}

export function ruleSource(rule: CustomRule): SourceSpan | undefined {
  return sources.get(rule);
}
