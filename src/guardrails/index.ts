export * from "./model.js";
export { scan, atLeast, baselineOf, fingerprintOf, type ScanOptions, type ScanResult } from "./scan.js";
export { readBaseline, writeBaseline, type Baseline } from "./baseline.js";
export { runRules, toFinding, spanContains } from "./rule.js";
export { parseSuppressionComment, applySuppressions } from "./suppression.js";
export { FRAMEWORK_SCANNERS } from "./frameworks.js";
export {
  formatText,
  formatJson,
  formatSarif,
  formatJunit,
  toJsonReport,
  toSarif,
  type TextOptions,
  type SarifOptions,
  type JsonReport,
  type JsonFinding,
  type JsonLocation,
} from "./report/index.js";
export {
  defineRule,
  loadCustomRules,
  readCustomRules,
  runCustomRules,
  DEFAULT_RULES_DIR,
  type RuleDefinition,
} from "./custom/index.js";
