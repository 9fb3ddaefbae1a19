export { loadSloSpecs, loadSlothDocument, SLOTH_SPEC_VERSION } from "./load-spec.js";
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
export { readSloFiles, sloGenerate } from "./slo-generate.js";
export type { SloGenerateOptions } from "./slo-generate.js";
export {
  builtInWindows,
  burnRateFactor,
  GOOGLE_28D_WINDOWS,
  GOOGLE_30D_WINDOWS,
  sliWindows,
  workbookWindows,
} from "./windows.js";
export type { AlertWindows, BudgetWindow } from "./windows.js";
export { formatGoFloat, formatPromDuration } from "./prom-format.js";
export { detectSloFormat, loadSloFiles } from "./load-slo-files.js";
export type { LoadSloOptions, SloFile, SloFormat } from "./load-slo-files.js";
export { loadNativeSlos, nativeSlosSchema } from "./load-native.js";
export { ALERT_NAME_ANNOTATION, loadOpenSloDocuments } from "./load-openslo.js";
export type { OpenSloDocument } from "./load-openslo.js";
export { OPENSLO_API_VERSION } from "./openslo-schema.js";
export { windowsSchema } from "./period-windows.js";
export { parsePromDuration } from "./duration.js";
export { defaultAlertName } from "./slo-checks.js";
export { dashboardUid, sloDashboard, SLO_VARIABLE } from "./dashboard.js";
export type {
  DashboardOptions,
  GrafanaDashboard,
  GrafanaDatasourceRef,
  GrafanaPanel,
  GrafanaTarget,
  GrafanaTemplateVariable,
} from "./dashboard.js";
export { sloAlertmanagerConfig } from "./alertmanager.js";
export type { AlertmanagerOptions } from "./alertmanager.js";
export { formatStatusTable, sloStatus } from "./status.js";
export type {
  AlertState,
  Measured,
  SloHealth,
  SloStatus,
  SloStatusOptions,
  WindowBurnRate,
} from "./status.js";
export { formatGateDecision, sloGate } from "./gate.js";
export type { GateDecision, GatePolicy } from "./gate.js";
