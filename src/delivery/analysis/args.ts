import type { MetricSpec } from "./types.js";

/**
 * `{{args.NAME}}` placeholders, resolved before a run starts as Argo resolves an AnalysisRun's
 * arguments. Argo substitutes into the whole metric; here that is the provider's strings and the
 * two conditions (so a threshold can be an argument). Values go in verbatim: a value holding a
 * quote would break the PromQL string it lands in, as it would in Argo.
 */

const PLACEHOLDER = /\{\{\s*args\.([A-Za-z0-9_.-]+)\s*\}\}/g;

/** The argument names a string refers to, in order, with repeats. */
export function argNames(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER)].map((m) => m[1] ?? "");
}

/** Names referred to anywhere in the metric's provider or conditions that `args` lacks. */
export function missingArgs(metric: MetricSpec, args: Record<string, string>): string[] {
  const missing = new Set<string>();
  for (const text of metricStrings(metric)) {
    for (const name of argNames(text)) if (!Object.hasOwn(args, name)) missing.add(name);
  }
  return [...missing];
}

export function substituteArgs(text: string, args: Record<string, string>): string {
  return text.replace(PLACEHOLDER, (whole, name: string) =>
    Object.hasOwn(args, name) ? (args[name] ?? whole) : whole,
  );
}

/** The metric with every placeholder replaced; names without a value stay as they are. */
export function resolveMetricArgs(metric: MetricSpec, args: Record<string, string>): MetricSpec {
  const resolved: MetricSpec = {
    ...metric,
    provider: mapStrings(metric.provider, (s) => substituteArgs(s, args)),
  };
  if (metric.successCondition !== undefined)
    resolved.successCondition = substituteArgs(metric.successCondition, args);
  if (metric.failureCondition !== undefined)
    resolved.failureCondition = substituteArgs(metric.failureCondition, args);
  return resolved;
}

function metricStrings(metric: MetricSpec): string[] {
  const strings: string[] = [];
  mapStrings(metric.provider, (s) => {
    strings.push(s);
    return s;
  });
  if (metric.successCondition !== undefined) strings.push(metric.successCondition);
  if (metric.failureCondition !== undefined) strings.push(metric.failureCondition);
  return strings;
}

function mapStrings<T>(value: T, map: (s: string) => string): T {
  return mapValue(value, map) as T;
}

function mapValue(value: unknown, map: (s: string) => string): unknown {
  if (typeof value === "string") return map(value);
  if (Array.isArray(value)) return value.map((v) => mapValue(v, map));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapValue(v, map)]));
  }
  return value;
}
