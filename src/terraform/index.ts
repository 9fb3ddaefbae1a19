/** Terraform plan, apply and drift as pipeline steps: what `slipway tf plan|apply|drift` run. */
export { terraformPlan } from "./plan.js";
export type { PlanMeta, PlanOptions, PlanResult } from "./plan.js";
export { terraformApply } from "./apply.js";
export type { ApplyOptions, ApplyResult } from "./apply.js";
export { terraformDrift } from "./drift.js";
export type { DriftOptions, DriftReport, DriftResult, DriftedResource, WorkspaceDrift } from "./drift.js";
export { actionOf, changedAttributes, parsePlanJson } from "./plan-json.js";
export type { ChangeAction, PlanJson } from "./plan-json.js";
export { planSummaryMarkdown, planSummaryText, summarizePlan } from "./plan-summary.js";
export type { PlanSummary } from "./plan-summary.js";
export { driftSummaryMarkdown, driftSummaryText, driftedResourceLine } from "./drift-summary.js";
export { TerraformFailure } from "./errors.js";
export type { TerraformOutput } from "./process.js";
export {
  DRIFT_REPORT_KIND,
  PLAN_REPORT_KIND,
  configurationDir,
  driftStepReport,
  driftStepReportSchema,
  planStepReport,
  planStepReportSchema,
  workspaceDriftSchema,
} from "./step-report.js";
export type { DriftStepReport, PlanStepReport } from "./step-report.js";
