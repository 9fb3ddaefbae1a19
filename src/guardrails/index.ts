export * from "./model.js";
export { scan, atLeast, fingerprintOf, type ScanOptions, type ScanResult } from "./scan.js";
export { readBaseline, writeBaseline, type Baseline } from "./baseline.js";
export { runRules, toFinding, spanContains } from "./rule.js";
export { parseSuppressionComment, applySuppressions } from "./suppression.js";
export { FRAMEWORK_SCANNERS } from "./frameworks.js";
