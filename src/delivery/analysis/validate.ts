import { argNames, missingArgs, resolveMetricArgs } from "./args.js";
import { compileCondition } from "./conditions.js";
import { parseJsonPath } from "./json-path.js";
import { providerJudges } from "./provider.js";
import type { AnalysisSpec, MetricSpec } from "./types.js";

/**
 * Everything wrong with an analysis spec, as messages for a person; empty when it can run.
 * Argo's ValidateMetrics rules (count against the limits, an interval for a count above one,
 * non-negative limits, one provider per metric, unique names) plus what Argo only finds at run
 * time: conditions that do not parse, `{{args.X}}` without a value, provider fields that cannot
 * work.
 */
export function validateAnalysisSpec(spec: AnalysisSpec): string[] {
  const problems: string[] = [];
  const args = spec.args ?? {};
  for (const [name, value] of Object.entries(args)) {
    if (typeof value !== "string") problems.push(`args.${name}: must be a string`);
  }
  if (!Array.isArray(spec.metrics) || spec.metrics.length === 0) {
    problems.push("no metrics specified");
    return problems;
  }
  const seen = new Set<string>();
  spec.metrics.forEach((metric, index) => {
    const where = `metrics[${index}]${typeof metric.name === "string" && metric.name !== "" ? ` (${metric.name})` : ""}`;
    const report = (message: string) => problems.push(`${where}: ${message}`);
    if (typeof metric.name !== "string" || metric.name.trim() === "") report("a metric needs a name");
    else if (seen.has(metric.name)) report(`duplicate metric name "${metric.name}"`);
    else seen.add(metric.name);
    checkNumbers(metric, report);
    const missing = missingArgs(metric, args);
    for (const name of missing) {
      const known = Object.keys(args);
      report(
        `{{args.${name}}} has no value (${known.length === 0 ? "no args given" : `args given: ${known.join(", ")}`})`,
      );
    }
    // Conditions and provider fields are checked as they will run: with the args substituted.
    const resolved = resolveMetricArgs(metric, args);
    checkProvider(resolved, report);
    for (const key of ["successCondition", "failureCondition"] as const) {
      const source = resolved[key];
      if (source === undefined) continue;
      if (typeof source !== "string" || source.trim() === "") {
        report(`${key} must be a non-empty expression`);
        continue;
      }
      if (argNames(source).some((name) => missing.includes(name))) continue;
      try {
        compileCondition(source);
      } catch (error) {
        report(`${key} ${(error as Error).message}`);
      }
    }
  });
  return problems;
}

function checkNumbers(metric: MetricSpec, report: (message: string) => void): void {
  const positive = (key: "intervalMs" | "errorRetryIntervalMs") => {
    const value = metric[key];
    if (value !== undefined && !(typeof value === "number" && Number.isFinite(value) && value > 0)) {
      report(`${key} must be a positive number of milliseconds`);
    }
  };
  positive("intervalMs");
  positive("errorRetryIntervalMs");
  if (
    metric.initialDelayMs !== undefined &&
    !(Number.isFinite(metric.initialDelayMs) && metric.initialDelayMs >= 0)
  ) {
    report("initialDelayMs must be zero or a positive number of milliseconds");
  }
  for (const key of ["count", "failureLimit", "inconclusiveLimit", "consecutiveErrorLimit"] as const) {
    const value = metric[key];
    if (value !== undefined && !(Number.isInteger(value) && value >= 0))
      report(`${key} must be a whole number >= 0`);
  }
  const count = metric.count ?? 0;
  if (count > 0) {
    if (count < (metric.failureLimit ?? 0)) report("count must be >= failureLimit");
    if (count < (metric.inconclusiveLimit ?? 0)) report("count must be >= inconclusiveLimit");
  }
  if (count > 1 && metric.intervalMs === undefined) report("intervalMs must be given when count > 1");
}

function checkProvider(metric: MetricSpec, report: (message: string) => void): void {
  const provider = metric.provider as unknown;
  const kinds = provider !== null && typeof provider === "object" ? Object.keys(provider) : [];
  const known = kinds.filter((k) => ["prometheus", "web", "job", "mannWhitney"].includes(k));
  if (kinds.length === 0) return report("no provider specified (prometheus, web, job or mannWhitney)");
  if (kinds.length > 1) return report(`multiple providers specified: ${kinds.join(", ")}`);
  if (known.length === 0)
    return report(`unknown provider "${kinds[0]}" (known: prometheus, web, job, mannWhitney)`);
  const settings = (provider as Record<string, unknown>)[kinds[0] ?? ""];
  if (settings === null || typeof settings !== "object")
    return report(`provider.${kinds[0]} must be a map of settings`);
  const text = (value: unknown, name: string) => {
    if (typeof value !== "string" || value.trim() === "") report(`${name} must be a non-empty string`);
  };
  const url = (value: unknown, name: string) => {
    text(value, name);
    if (typeof value !== "string" || value.trim() === "") return;
    let parsed: URL | undefined;
    try {
      parsed = new URL(value);
    } catch {
      // reported below
    }
    if (parsed === undefined || (parsed.protocol !== "http:" && parsed.protocol !== "https:")) {
      report(`${name} must be an http(s) URL, got "${value}"`);
    }
  };
  const timeout = (value: unknown, name: string) => {
    if (value !== undefined && !(typeof value === "number" && Number.isFinite(value) && value > 0)) {
      report(`${name} must be a positive number of milliseconds`);
    }
  };
  const p = metric.provider;
  if ("prometheus" in p) {
    url(p.prometheus.address, "provider.prometheus.address");
    text(p.prometheus.query, "provider.prometheus.query");
    timeout(p.prometheus.timeoutMs, "provider.prometheus.timeoutMs");
  } else if ("web" in p) {
    url(p.web.url, "provider.web.url");
    if (p.web.method !== undefined && p.web.method !== "GET" && p.web.method !== "POST") {
      report(`provider.web.method must be GET or POST, got "${String(p.web.method)}"`);
    }
    if (p.web.body !== undefined && p.web.method !== "POST") report("provider.web.body needs method POST");
    if (p.web.jsonPath !== undefined) {
      try {
        parseJsonPath(p.web.jsonPath);
      } catch (error) {
        report(`provider.web.${(error as Error).message}`);
      }
    }
    timeout(p.web.timeoutMs, "provider.web.timeoutMs");
  } else if ("job" in p) {
    text(p.job.command, "provider.job.command");
    timeout(p.job.timeoutMs, "provider.job.timeoutMs");
  } else {
    const mw = p.mannWhitney;
    url(mw.address, "provider.mannWhitney.address");
    text(mw.baselineQuery, "provider.mannWhitney.baselineQuery");
    text(mw.canaryQuery, "provider.mannWhitney.canaryQuery");
    if (mw.alternative !== undefined && mw.alternative !== "greater" && mw.alternative !== "less") {
      report(`provider.mannWhitney.alternative must be "greater" or "less", got "${String(mw.alternative)}"`);
    }
    if (mw.alpha !== undefined && !(mw.alpha > 0 && mw.alpha < 1))
      report("provider.mannWhitney.alpha must be between 0 and 1");
    if (mw.minSamples !== undefined && !(Number.isInteger(mw.minSamples) && mw.minSamples >= 1)) {
      report("provider.mannWhitney.minSamples must be a whole number >= 1");
    }
    timeout(mw.lookbackMs, "provider.mannWhitney.lookbackMs");
    timeout(mw.stepMs, "provider.mannWhitney.stepMs");
    timeout(mw.timeoutMs, "provider.mannWhitney.timeoutMs");
  }
  if (providerJudges(p) && (metric.successCondition !== undefined || metric.failureCondition !== undefined)) {
    report(
      `the ${"job" in p ? "job" : "mannWhitney"} provider judges its measurements itself; remove successCondition and failureCondition`,
    );
  }
}
