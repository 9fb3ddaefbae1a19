import type { Condition } from "./conditions.js";
import type { AnalysisPhase, MeasurementPhase, MetricResult, MetricSpec } from "./types.js";

/**
 * The judgements of Argo Rollouts' analysis controller (analysis/analysis.go and
 * utils/evaluate/evaluate.go), kept pure so that they can be read against Argo's side by side.
 */

export const DEFAULT_CONSECUTIVE_ERROR_LIMIT = 4;
/** Argo's DefaultErrorRetryInterval. */
export const DEFAULT_ERROR_RETRY_INTERVAL_MS = 10_000;

/**
 * One measurement's phase from its conditions (Argo's EvaluateResult): the failure condition
 * wins; a success condition alone fails when false; a failure condition alone succeeds when
 * false; both given and neither true is Inconclusive; none given is Successful. A condition
 * that cannot be evaluated makes the measurement Error.
 */
export function judgeMeasurement(
  conditions: { success?: Condition | undefined; failure?: Condition | undefined },
  value: unknown,
): { phase: MeasurementPhase; message?: string } {
  let success = false;
  let failure = false;
  try {
    if (conditions.success !== undefined) success = conditions.success.evaluate(value);
    if (conditions.failure !== undefined) failure = conditions.failure.evaluate(value);
  } catch (error) {
    return { phase: "Error", message: `could not evaluate the condition: ${(error as Error).message}` };
  }
  if (conditions.success === undefined && conditions.failure === undefined) return { phase: "Successful" };
  if (conditions.failure === undefined) failure = !success;
  if (conditions.success === undefined) success = !failure;
  if (failure) return { phase: "Failed" };
  if (!success) return { phase: "Inconclusive" };
  return { phase: "Successful" };
}

/** Neither count nor interval: one measurement; an interval alone: no end (Argo's EffectiveCount). */
export function effectiveCount(metric: MetricSpec): number | undefined {
  if (metric.count === undefined || metric.count === 0)
    return metric.intervalMs === undefined ? 1 : undefined;
  return metric.count;
}

export function errorRetryIntervalMs(metric: MetricSpec): number {
  // Argo's newer controllers wait the fixed 10 s after an error whatever the interval; waiting
  // no longer than the interval keeps a fast metric from stalling on one bad scrape.
  return (
    metric.errorRetryIntervalMs ??
    Math.min(metric.intervalMs ?? DEFAULT_ERROR_RETRY_INTERVAL_MS, DEFAULT_ERROR_RETRY_INTERVAL_MS)
  );
}

export interface MetricAssessment {
  phase: AnalysisPhase;
  /** Why a Failed, Inconclusive or Error phase was reached, in Argo's words. */
  reason?: string;
}

/**
 * Argo's assessMetricStatus. `terminating`: the run is stopping (asked to, or another metric
 * already went bad); a metric that has not gone bad by then is Successful.
 */
export function assessMetric(
  metric: MetricSpec,
  result: MetricResult,
  terminating: boolean,
): MetricAssessment {
  if (result.measurements.length === 0) return { phase: terminating ? "Successful" : "Pending" };
  const bad = assessLimits(metric, result);
  if (bad !== undefined) return bad;
  const count = effectiveCount(metric);
  if (count !== undefined && result.count >= count) return { phase: "Successful" };
  return { phase: terminating ? "Successful" : "Running" };
}

/**
 * Argo's assessMetricFailureInconclusiveOrError: the later checks win, so consecutive errors
 * outrank inconclusive results, which outrank failures.
 */
function assessLimits(metric: MetricSpec, result: MetricResult): MetricAssessment | undefined {
  let assessment: MetricAssessment | undefined;
  const failureLimit = metric.failureLimit ?? 0;
  if (result.failed > failureLimit) {
    assessment = { phase: "Failed", reason: `failed (${result.failed}) > failureLimit (${failureLimit})` };
  }
  const inconclusiveLimit = metric.inconclusiveLimit ?? 0;
  if (result.inconclusive > inconclusiveLimit) {
    assessment = {
      phase: "Inconclusive",
      reason: `inconclusive (${result.inconclusive}) > inconclusiveLimit (${inconclusiveLimit})`,
    };
  }
  const errorLimit = metric.consecutiveErrorLimit ?? DEFAULT_CONSECUTIVE_ERROR_LIMIT;
  if (result.consecutiveError > errorLimit) {
    assessment = {
      phase: "Error",
      reason: `consecutiveErrors (${result.consecutiveError}) > consecutiveErrorLimit (${errorLimit})`,
    };
  }
  return assessment;
}

/** Best to worst, Argo's analysisStatusOrder. */
const PHASE_ORDER: readonly AnalysisPhase[] = [
  "Successful",
  "Running",
  "Pending",
  "Inconclusive",
  "Error",
  "Failed",
];

export function isWorse(current: AnalysisPhase, candidate: AnalysisPhase): boolean {
  return PHASE_ORDER.indexOf(candidate) > PHASE_ORDER.indexOf(current);
}

/** Failed and Error abort a rollout, Inconclusive pauses it; any of them ends the run early. */
export function endsRun(phase: AnalysisPhase): boolean {
  return phase === "Failed" || phase === "Error" || phase === "Inconclusive";
}

export function isCompleted(phase: AnalysisPhase): boolean {
  return phase !== "Pending" && phase !== "Running";
}
