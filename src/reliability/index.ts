export { loadSloSpecs, SLOTH_SPEC_VERSION } from "./load-spec.js";
export type { Labels, Sli, Slo, SloAlert, SloSet } from "./model.js";
export { generateRules, sliErrorMetric } from "./generate-rules.js";
export type {
  AlertingRule,
  GenerateOptions,
  PrometheusRuleFile,
  RecordingRule,
  RuleGroup,
} from "./generate-rules.js";
export { renderRuleFile } from "./render-rules.js";
export { sloGenerate } from "./slo-generate.js";
export { burnRateFactor, GOOGLE_30D_WINDOWS, sliWindows } from "./windows.js";
export type { AlertWindows, BudgetWindow } from "./windows.js";
export { formatGoFloat, formatPromDuration } from "./prom-format.js";
