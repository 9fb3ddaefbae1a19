import { resolveMetricArgs } from "./args.js";
import {
  assessMetric,
  endsRun,
  errorRetryIntervalMs,
  isCompleted,
  isWorse,
  judgeMeasurement,
} from "./assess.js";
import type { MetricAssessment } from "./assess.js";
import { compileCondition } from "./conditions.js";
import type { Condition } from "./conditions.js";
import { measureWith } from "./provider.js";
import type { ProviderOutcome } from "./provider.js";
import type {
  AnalysisPhase,
  AnalysisResult,
  AnalysisSpec,
  Measurement,
  MetricResult,
  MetricSpec,
  RunAnalysisOptions,
} from "./types.js";
import { validateAnalysisSpec } from "./validate.js";

/**
 * Runs an analysis to its end, the way Argo Rollouts' controller drives an AnalysisRun: every
 * metric measures on its own schedule, in parallel; a metric stops once decided; the first metric
 * to go Failed, Error or Inconclusive stops the others (Argo's IsTerminating), and so does the
 * caller's signal. Metrics not decided when the run stops are Successful unless their limits say
 * otherwise, and the run takes the worst metric phase (Failed > Error > Inconclusive >
 * Successful): Failed and Error abort a rollout, Inconclusive pauses it for a person.
 *
 * Where this differs from Argo: a measurement still in flight when the run stops is abandoned
 * and not recorded (Argo lets a Prometheus query finish and records a terminated job as
 * Successful); there is no measurement history limit (Argo keeps the last ten); an invalid spec
 * is an Error run before any measurement, with every problem in the message, rather than the
 * first one found.
 */
export async function runAnalysis(
  spec: AnalysisSpec,
  options: RunAnalysisOptions = {},
): Promise<AnalysisResult> {
  const problems = validateAnalysisSpec(spec);
  if (problems.length > 0)
    return { phase: "Error", metrics: [], message: `analysis spec invalid: ${problems.join("; ")}` };

  const stop = new AbortController();
  const external = options.signal;
  const onExternalStop = () => stop.abort(new Error("the analysis run was stopped"));
  if (external?.aborted === true) onExternalStop();
  else external?.addEventListener("abort", onExternalStop, { once: true });

  const run: RunState = { stop, fetch: options.fetch ?? globalThis.fetch, callbackFailure: undefined };
  if (options.onMeasurement !== undefined) run.onMeasurement = options.onMeasurement;
  const states = spec.metrics.map((metric) => newMetricState(resolveMetricArgs(metric, spec.args ?? {})));
  try {
    await Promise.all(states.map((state) => runMetric(state, run)));
  } finally {
    external?.removeEventListener("abort", onExternalStop);
  }
  if (run.callbackFailure !== undefined) throw run.callbackFailure.error;
  return conclude(states, external?.aborted === true);
}

interface RunState {
  /** Aborted when the run stops, whoever stopped it; providers get its signal. */
  stop: AbortController;
  fetch: typeof fetch;
  onMeasurement?: RunAnalysisOptions["onMeasurement"];
  callbackFailure: { error: unknown } | undefined;
}

interface MetricState {
  metric: MetricSpec;
  success: Condition | undefined;
  failure: Condition | undefined;
  result: MetricResult;
  reason: string | undefined;
}

function newMetricState(metric: MetricSpec): MetricState {
  return {
    metric,
    // validateAnalysisSpec has compiled both already: these cannot throw.
    success: metric.successCondition === undefined ? undefined : compileCondition(metric.successCondition),
    failure: metric.failureCondition === undefined ? undefined : compileCondition(metric.failureCondition),
    result: {
      name: metric.name,
      phase: "Pending",
      measurements: [],
      count: 0,
      successful: 0,
      failed: 0,
      inconclusive: 0,
      error: 0,
      consecutiveError: 0,
    },
    reason: undefined,
  };
}

async function runMetric(state: MetricState, run: RunState): Promise<void> {
  const { metric, result } = state;
  const signal = run.stop.signal;
  if (!(await sleep(metric.initialDelayMs ?? 0, signal))) return;
  for (;;) {
    if (signal.aborted) return;
    result.phase = "Running";
    const measurement = await measure(state, run);
    if (measurement === undefined) return;
    record(result, measurement);
    const assessment = assessMetric(metric, result, false);
    if (isCompleted(assessment.phase)) settle(state, assessment);
    notify(run, metric.name, measurement, result);
    if (isCompleted(result.phase)) {
      if (endsRun(result.phase))
        run.stop.abort(new Error(`metric "${metric.name}" assessed ${result.phase}`));
      return;
    }
    const wait = measurement.phase === "Error" ? errorRetryIntervalMs(metric) : (metric.intervalMs ?? 0);
    if (!(await sleep(wait, signal))) return;
  }
}

/** One measurement, or undefined when the run stopped while it was being taken. */
async function measure(state: MetricState, run: RunState): Promise<Measurement | undefined> {
  const startedAt = new Date().toISOString();
  let outcome: ProviderOutcome;
  try {
    outcome = await measureWith(state.metric.provider, { signal: run.stop.signal, fetch: run.fetch });
  } catch (error) {
    if (run.stop.signal.aborted) return undefined;
    return { phase: "Error", message: describeError(error), startedAt, finishedAt: new Date().toISOString() };
  }
  const finishedAt = new Date().toISOString();
  if (outcome.kind === "verdict") {
    const measurement: Measurement = { phase: outcome.phase, startedAt, finishedAt };
    if (outcome.value !== undefined) measurement.value = outcome.value;
    if (outcome.message !== undefined) measurement.message = outcome.message;
    return measurement;
  }
  const judged = judgeMeasurement({ success: state.success, failure: state.failure }, outcome.value);
  const measurement: Measurement = { phase: judged.phase, value: outcome.value, startedAt, finishedAt };
  if (judged.message !== undefined) measurement.message = judged.message;
  return measurement;
}

/** Argo's bookkeeping: Error measurements do not count towards `count`, anything else resets the error run. */
function record(result: MetricResult, measurement: Measurement): void {
  result.measurements.push(measurement);
  switch (measurement.phase) {
    case "Successful":
      result.successful++;
      break;
    case "Failed":
      result.failed++;
      break;
    case "Inconclusive":
      result.inconclusive++;
      break;
    case "Error":
      result.error++;
      result.consecutiveError++;
      return;
  }
  result.count++;
  result.consecutiveError = 0;
}

function settle(state: MetricState, assessment: MetricAssessment): void {
  state.result.phase = assessment.phase;
  state.reason = assessment.reason;
  const last = state.result.measurements.at(-1)?.message;
  const message = [assessment.reason, last].filter((m) => m !== undefined && m !== "").join(": ");
  if (message !== "") state.result.message = message;
}

function notify(run: RunState, name: string, measurement: Measurement, result: MetricResult): void {
  if (run.onMeasurement === undefined || run.callbackFailure !== undefined) return;
  try {
    run.onMeasurement(name, measurement, { ...result, measurements: [...result.measurements] });
  } catch (error) {
    // A throwing callback is the caller's bug: stop measuring and hand it back from runAnalysis.
    run.callbackFailure = { error };
    run.stop.abort(error);
  }
}

function conclude(states: MetricState[], stoppedByCaller: boolean): AnalysisResult {
  let worst: AnalysisPhase | undefined;
  let message: string | undefined;
  for (const state of states) {
    if (!isCompleted(state.result.phase)) settle(state, assessMetric(state.metric, state.result, true));
    const phase = state.result.phase;
    if (worst === undefined || isWorse(worst, phase)) {
      worst = phase;
      if (state.reason !== undefined) {
        const last = state.result.measurements.at(-1)?.message;
        message = `metric "${state.metric.name}" assessed ${phase} due to ${state.reason}${last === undefined ? "" : `: ${last}`}`;
      }
    }
  }
  const result: AnalysisResult = { phase: worst ?? "Successful", metrics: states.map((s) => s.result) };
  if (message !== undefined && worst !== undefined && endsRun(worst)) result.message = message;
  else if (stoppedByCaller) result.message = "run terminated";
  return result;
}

/** Resolves true after `ms`, false as soon as the signal aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  if (ms <= 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** fetch says only "fetch failed"; what failed (ECONNREFUSED, a DNS error) is in its cause. */
function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? error.cause.message : undefined;
  return cause !== undefined && !error.message.includes(cause) ? `${error.message}: ${cause}` : error.message;
}
