import { describe, expect, it } from "vitest";
import { missingArgs, substituteArgs, validateAnalysisSpec } from "../../src/delivery/analysis/index.js";
import type { AnalysisSpec, MetricSpec, ProviderSpec } from "../../src/delivery/analysis/index.js";

const prometheus: ProviderSpec = { prometheus: { address: "http://127.0.0.1:9090", query: "up" } };
const metric = (extra: Partial<MetricSpec> = {}): MetricSpec => ({
  name: "m",
  provider: prometheus,
  ...extra,
});
const problems = (spec: AnalysisSpec) => validateAnalysisSpec(spec);

describe("validateAnalysisSpec", () => {
  it("accepts a sound spec", () => {
    expect(
      problems({
        args: { release: "v2", threshold: "0.01" },
        metrics: [
          metric({
            name: "errors",
            provider: {
              prometheus: { address: "http://prom:9090", query: 'rate(x{release="{{args.release}}"}[1m])' },
            },
            successCondition: "len(result) == 0 || result[0] <= {{ args.threshold }}",
            intervalMs: 60_000,
            count: 5,
            failureLimit: 2,
          }),
          { name: "smoke", provider: { job: { command: "curl -fsS http://x/health" } } },
          {
            name: "web",
            provider: { web: { url: "http://x/status", jsonPath: "{$.ok}" } },
            successCondition: "result",
          },
        ],
      }),
    ).toEqual([]);
  });

  it("reports Argo's rules: names, counts against limits, intervals, non-negative limits", () => {
    expect(problems({ metrics: [] })).toEqual(["no metrics specified"]);
    expect(
      problems({
        metrics: [
          metric({ count: 2, failureLimit: 3, inconclusiveLimit: 4 }),
          metric({ failureLimit: -1, consecutiveErrorLimit: 1.5, intervalMs: 0, initialDelayMs: -5 }),
          metric({ name: "" }),
        ],
      }),
    ).toEqual([
      "metrics[0] (m): count must be >= failureLimit",
      "metrics[0] (m): count must be >= inconclusiveLimit",
      "metrics[0] (m): intervalMs must be given when count > 1",
      'metrics[1] (m): duplicate metric name "m"',
      "metrics[1] (m): intervalMs must be a positive number of milliseconds",
      "metrics[1] (m): initialDelayMs must be zero or a positive number of milliseconds",
      "metrics[1] (m): failureLimit must be a whole number >= 0",
      "metrics[1] (m): consecutiveErrorLimit must be a whole number >= 0",
      "metrics[2]: a metric needs a name",
    ]);
  });

  it("reports conditions that do not parse, after substituting args", () => {
    expect(
      problems({
        args: { limit: "0.05 0.1" },
        metrics: [metric({ successCondition: "result[0] <=", failureCondition: "result > {{args.limit}}" })],
      }),
    ).toEqual([
      "metrics[0] (m): successCondition cannot parse `result[0] <=`: Expected expression after <= at character 12",
      "metrics[0] (m): failureCondition `result > 0.05 0.1`: expected one expression; is an operator missing?",
    ]);
  });

  it("reports {{args.X}} without a value, once per name", () => {
    expect(
      problems({
        args: { service: "web" },
        metrics: [
          metric({
            provider: {
              prometheus: {
                address: "http://p:9090",
                query: 'x{release="{{args.release}}",r2="{{ args.release }}"}',
              },
            },
            successCondition: "result < {{args.max}}",
          }),
        ],
      }),
    ).toEqual([
      "metrics[0] (m): {{args.release}} has no value (args given: service)",
      "metrics[0] (m): {{args.max}} has no value (args given: service)",
    ]);
  });

  it("reports providers that cannot work", () => {
    expect(
      problems({
        metrics: [
          { name: "none", provider: {} as ProviderSpec },
          { name: "two", provider: { ...prometheus, job: { command: "true" } } as unknown as ProviderSpec },
          { name: "odd", provider: { datadog: { query: "x" } } as unknown as ProviderSpec },
          { name: "url", provider: { prometheus: { address: "prom:9090", query: "" } } },
          {
            name: "web",
            provider: { web: { url: "http://x/", method: "PUT" as "GET", body: "{}", jsonPath: "$..a" } },
          },
          {
            name: "job",
            provider: { job: { command: "true", timeoutMs: 0 } },
            successCondition: "result == 0",
          },
          {
            name: "mw",
            provider: {
              mannWhitney: {
                address: "http://p",
                baselineQuery: "a",
                canaryQuery: "b",
                alpha: 1.5,
                minSamples: 0,
              },
            },
          },
        ],
      }),
    ).toEqual([
      "metrics[0] (none): no provider specified (prometheus, web, job or mannWhitney)",
      "metrics[1] (two): multiple providers specified: prometheus, job",
      'metrics[2] (odd): unknown provider "datadog" (known: prometheus, web, job, mannWhitney)',
      'metrics[3] (url): provider.prometheus.address must be an http(s) URL, got "prom:9090"',
      "metrics[3] (url): provider.prometheus.query must be a non-empty string",
      'metrics[4] (web): provider.web.method must be GET or POST, got "PUT"',
      "metrics[4] (web): provider.web.body needs method POST",
      "metrics[4] (web): provider.web.jsonPath `$..a`: recursive descent (`..`) is not supported",
      "metrics[5] (job): provider.job.timeoutMs must be a positive number of milliseconds",
      "metrics[5] (job): the job provider judges its measurements itself; remove successCondition and failureCondition",
      "metrics[6] (mw): provider.mannWhitney.alpha must be between 0 and 1",
      "metrics[6] (mw): provider.mannWhitney.minSamples must be a whole number >= 1",
    ]);
  });
});

describe("args", () => {
  it("substitutes placeholders with or without spaces, and leaves unknown ones", () => {
    expect(substituteArgs("{{args.a}}-{{ args.b-c }}-{{args.z}}", { a: "1", "b-c": "2" })).toBe(
      "1-2-{{args.z}}",
    );
    expect(substituteArgs("{{args.constructor}}", {})).toBe("{{args.constructor}}");
  });

  it("finds what a metric needs", () => {
    expect(
      missingArgs(metric({ provider: { job: { command: "echo {{args.x}}", env: { A: "{{args.y}}" } } } }), {
        x: "1",
      }),
    ).toEqual(["y"]);
  });
});
