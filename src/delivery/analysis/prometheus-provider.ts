import type { ProviderContext, ProviderOutcome } from "./provider.js";
import { withTimeout } from "./provider.js";
import type { PrometheusProviderSpec } from "./types.js";

/**
 * Argo's Prometheus provider (metricproviders/prometheus): an instant query; a vector becomes
 * the list of its sample values in Prometheus' order, a scalar a number. NaN and ±Inf stay what
 * they are, so `isNaN(result[0])` can catch a ratio of two zero rates. An empty vector is `[]`:
 * conditions then decide, and indexing it is an evaluation error (an Error measurement), as in
 * Argo. Other result types, and Prometheus' own errors, are Error measurements.
 */

const DEFAULT_TIMEOUT_MS = 30_000;

export async function queryPrometheus(
  spec: PrometheusProviderSpec,
  context: ProviderContext,
): Promise<ProviderOutcome> {
  const data = await prometheusApi(
    spec.address,
    "query",
    { query: spec.query },
    context,
    spec.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  );
  if (data.resultType === "vector") {
    return { kind: "value", value: list(data.result).map((s) => sampleValue(field(s, "value"))) };
  }
  if (data.resultType === "scalar") return { kind: "value", value: sampleValue(data.result) };
  throw new Error(
    `Prometheus answered a ${String(data.resultType)}; use a query that gives a vector or a scalar`,
  );
}

export interface PrometheusData {
  resultType?: unknown;
  result?: unknown;
}

/** GET `/api/v1/<endpoint>` and the `data` of a successful answer; Prometheus' errors are thrown with its message. */
export async function prometheusApi(
  address: string,
  endpoint: "query" | "query_range",
  params: Record<string, string>,
  context: ProviderContext,
  timeoutMs: number,
): Promise<PrometheusData> {
  const url = `${address.replace(/\/+$/, "")}/api/v1/${endpoint}?${new URLSearchParams(params)}`;
  return withTimeout(context, timeoutMs, "the Prometheus query", async (signal) => {
    const response = await context.fetch(url, { signal, headers: { accept: "application/json" } });
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new Error(`Prometheus answered HTTP ${response.status} without JSON: ${text.slice(0, 200)}`);
    }
    const answer = (body ?? {}) as { status?: unknown; errorType?: unknown; error?: unknown; data?: unknown };
    if (answer.status === "error") {
      throw new Error(
        `Prometheus: ${String(answer.errorType ?? "error")}: ${String(answer.error ?? "no message")}`,
      );
    }
    if (
      !response.ok ||
      answer.status !== "success" ||
      answer.data === null ||
      typeof answer.data !== "object"
    ) {
      throw new Error(
        `Prometheus answered HTTP ${response.status} with an unexpected body: ${text.slice(0, 200)}`,
      );
    }
    return answer.data as PrometheusData;
  });
}

/** A `[timestamp, "value"]` pair's value; Prometheus writes the special values as NaN, +Inf, -Inf. */
export function sampleValue(pair: unknown): number {
  const text = Array.isArray(pair) ? pair[1] : undefined;
  if (typeof text !== "string")
    throw new Error(`Prometheus sent a malformed sample: ${JSON.stringify(pair)}`);
  if (text === "+Inf") return Infinity;
  if (text === "-Inf") return -Infinity;
  return Number(text);
}

export function list(value: unknown): unknown[] {
  if (!Array.isArray(value)) throw new Error(`Prometheus sent a malformed result: ${JSON.stringify(value)}`);
  return value;
}

export function field(value: unknown, name: string): unknown {
  return value !== null && typeof value === "object" ? (value as Record<string, unknown>)[name] : undefined;
}
