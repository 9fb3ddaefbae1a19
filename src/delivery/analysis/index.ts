export type {
  AnalysisPhase,
  AnalysisResult,
  AnalysisSpec,
  JobProviderSpec,
  MannWhitneyProviderSpec,
  Measurement,
  MeasurementPhase,
  MetricResult,
  MetricSpec,
  PrometheusProviderSpec,
  ProviderSpec,
  RunAnalysisOptions,
  WebProviderSpec,
} from "./types.js";
export { runAnalysis } from "./run-analysis.js";
export { validateAnalysisSpec } from "./validate.js";
export { ConditionError, compileCondition } from "./conditions.js";
export type { Condition } from "./conditions.js";
export { argNames, missingArgs, resolveMetricArgs, substituteArgs } from "./args.js";
export {
  DEFAULT_CONSECUTIVE_ERROR_LIMIT,
  DEFAULT_ERROR_RETRY_INTERVAL_MS,
  assessMetric,
  effectiveCount,
  endsRun,
  errorRetryIntervalMs,
  isCompleted,
  isWorse,
  judgeMeasurement,
} from "./assess.js";
export type { MetricAssessment } from "./assess.js";
export { JsonPathError, parseJsonPath, readJsonPath } from "./json-path.js";
export type { JsonPathMatch, JsonPathSegment } from "./json-path.js";
export { erfc, mannWhitneyU, median, normalSf } from "./mann-whitney.js";
export type { Alternative, MannWhitneyResult } from "./mann-whitney.js";
export { MANN_WHITNEY_DEFAULTS, mannWhitneyJudge } from "./mann-whitney-provider.js";
export type { MannWhitneyValue } from "./mann-whitney-provider.js";
export { measureWith, providerJudges } from "./provider.js";
export type { ProviderContext, ProviderOutcome } from "./provider.js";
export { queryPrometheus } from "./prometheus-provider.js";
export { callWeb } from "./web-provider.js";
export { runJob } from "./job-provider.js";
