import { mannWhitneyU, median } from "./mann-whitney.js";
import { field, list, prometheusApi, sampleValue } from "./prometheus-provider.js";
import type { ProviderContext, ProviderOutcome } from "./provider.js";
import type { MannWhitneyProviderSpec } from "./types.js";

/**
 * A canary judge in the manner of Kayenta's Mann-Whitney classifier, on Prometheus data: the
 * samples of the baseline and canary queries over the last `lookbackMs` (every point of every
 * series a range query returns, NaN dropped), tested one-sided. Failed when p < alpha, else
 * Successful; too few samples on either side is Inconclusive (not enough traffic to judge,
 * so a person decides). Conditions take no part, as with the job provider.
 */

export const MANN_WHITNEY_DEFAULTS = {
  alternative: "greater",
  alpha: 0.05,
  minSamples: 10,
  lookbackMs: 300_000,
  stepMs: 15_000,
  timeoutMs: 30_000,
} as const;

export interface MannWhitneyValue {
  pValue: number;
  u: number;
  z: number;
  baselineSamples: number;
  canarySamples: number;
  baselineMedian: number;
  canaryMedian: number;
}

export async function mannWhitneyJudge(
  spec: MannWhitneyProviderSpec,
  context: ProviderContext,
): Promise<ProviderOutcome> {
  const alternative = spec.alternative ?? MANN_WHITNEY_DEFAULTS.alternative;
  const alpha = spec.alpha ?? MANN_WHITNEY_DEFAULTS.alpha;
  const minSamples = spec.minSamples ?? MANN_WHITNEY_DEFAULTS.minSamples;
  const [baseline, canary] = await Promise.all([
    samples(spec, spec.baselineQuery, context),
    samples(spec, spec.canaryQuery, context),
  ]);
  if (baseline.length < minSamples || canary.length < minSamples) {
    return {
      kind: "verdict",
      phase: "Inconclusive",
      value: { baselineSamples: baseline.length, canarySamples: canary.length },
      message: `not enough samples to judge: ${canary.length} canary and ${baseline.length} baseline, at least ${minSamples} each needed`,
    };
  }
  const test = mannWhitneyU(canary, baseline, alternative);
  const value: MannWhitneyValue = {
    pValue: test.pValue,
    u: test.u,
    z: test.z,
    baselineSamples: baseline.length,
    canarySamples: canary.length,
    baselineMedian: median(baseline),
    canaryMedian: median(canary),
  };
  const direction = alternative === "greater" ? "greater" : "less";
  const figures = `p = ${test.pValue.toPrecision(3)}, alpha ${alpha}; medians ${value.canaryMedian} canary, ${value.baselineMedian} baseline`;
  return test.pValue < alpha
    ? {
        kind: "verdict",
        phase: "Failed",
        value,
        message: `the canary is significantly ${direction} than the baseline (${figures})`,
      }
    : { kind: "verdict", phase: "Successful", value, message: `no significant difference (${figures})` };
}

async function samples(
  spec: MannWhitneyProviderSpec,
  query: string,
  context: ProviderContext,
): Promise<number[]> {
  const endMs = Date.now();
  const lookbackMs = spec.lookbackMs ?? MANN_WHITNEY_DEFAULTS.lookbackMs;
  const stepMs = spec.stepMs ?? MANN_WHITNEY_DEFAULTS.stepMs;
  const data = await prometheusApi(
    spec.address,
    "query_range",
    {
      query,
      start: String((endMs - lookbackMs) / 1000),
      end: String(endMs / 1000),
      step: String(stepMs / 1000),
    },
    context,
    spec.timeoutMs ?? MANN_WHITNEY_DEFAULTS.timeoutMs,
  );
  if (data.resultType !== "matrix")
    throw new Error(`Prometheus answered a ${String(data.resultType)} to a range query`);
  return list(data.result)
    .flatMap((series) => list(field(series, "values")).map(sampleValue))
    .filter((v) => !Number.isNaN(v));
}
