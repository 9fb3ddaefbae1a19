import { runJob } from "./job-provider.js";
import { mannWhitneyJudge } from "./mann-whitney-provider.js";
import { queryPrometheus } from "./prometheus-provider.js";
import type { MeasurementPhase, ProviderSpec } from "./types.js";
import { callWeb } from "./web-provider.js";

export interface ProviderContext {
  /** Aborted when the run stops; a provider then gives up and rejects. */
  signal: AbortSignal;
  fetch: typeof fetch;
}

/**
 * What one measurement produced. Most providers return a value for the metric's conditions to
 * judge; the job and Mann-Whitney providers judge for themselves, as Argo's job provider does.
 * A provider that cannot measure throws; the run records an Error measurement with the message.
 */
export type ProviderOutcome =
  | { kind: "value"; value: unknown }
  | { kind: "verdict"; phase: MeasurementPhase; value?: unknown; message?: string };

export function measureWith(provider: ProviderSpec, context: ProviderContext): Promise<ProviderOutcome> {
  if ("prometheus" in provider) return queryPrometheus(provider.prometheus, context);
  if ("web" in provider) return callWeb(provider.web, context);
  if ("job" in provider) return runJob(provider.job, context);
  return mannWhitneyJudge(provider.mannWhitney, context);
}

/** Whether the provider judges measurements itself, so that conditions have no part. */
export function providerJudges(provider: ProviderSpec): boolean {
  return "job" in provider || "mannWhitney" in provider;
}

/**
 * The context's signal combined with a timeout. Rejections caused by the timeout (not by the run
 * stopping) become a plain Error saying so, which the run records as an Error measurement.
 */
export async function withTimeout<T>(
  context: ProviderContext,
  timeoutMs: number,
  what: string,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const timeout = AbortSignal.timeout(timeoutMs);
  try {
    return await work(AbortSignal.any([context.signal, timeout]));
  } catch (error) {
    if (!context.signal.aborted && timeout.aborted)
      throw new Error(`${what} timed out after ${timeoutMs} ms`);
    throw error;
  }
}
