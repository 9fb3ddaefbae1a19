import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAnalysis } from "../../src/delivery/analysis/index.js";
import type { AnalysisSpec, MannWhitneyValue, MetricSpec } from "../../src/delivery/analysis/index.js";
import { startPrometheus } from "../support/prometheus.js";
import type { PrometheusServer } from "../support/prometheus.js";

/**
 * The Prometheus and Mann-Whitney providers against Debian's Prometheus, with ten minutes of the
 * proxy's request counters backfilled up to a few seconds ago: release v2 answers 5% errors,
 * v3 none, v4 has no 5xx series at all. A latency gauge gives the Mann-Whitney judge v1
 * (baseline) around 100 ms, v2 around 150 ms, and v1b the same as v1 with other noise.
 */

const STEP_S = 15;
const SPAN_S = 600;

let prometheus: PrometheusServer | undefined;
let address: string;

beforeAll(async () => {
  prometheus = await startPrometheus({ openMetrics: backfill(Math.floor(Date.now() / 1000) - 5) });
  address = prometheus.url;
});

afterAll(async () => {
  await prometheus?.stop();
});

function backfill(lastSecond: number): string {
  const times: number[] = [];
  for (let t = lastSecond - SPAN_S; t <= lastSecond; t += STEP_S) times.push(t);
  const lines: string[] = [];
  const series = (name: string, labels: Record<string, string>, value: (i: number) => number) => {
    const body = Object.entries(labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
    times.forEach((t, i) => lines.push(`${name}{${body.join(",")}} ${value(i)} ${t}`));
  };
  const requests = (release: string, code: string, perStep: number) =>
    series(
      "slipway_proxy_requests_total",
      { service: "web", release, role: "canary", code },
      (i) => perStep * i,
    );
  requests("v2", "200", 95);
  requests("v2", "500", 5);
  requests("v3", "200", 100);
  requests("v3", "500", 0);
  requests("v4", "200", 100);
  // Deterministic noise of ±10 ms.
  const noise = (i: number, seed: number) =>
    (Math.abs(Math.sin(i * 12.9898 + seed * 78.233) * 43758.5453) % 1) * 0.02 - 0.01;
  series("slipway_test_latency_seconds", { release: "v1" }, (i) => 0.1 + noise(i, 1));
  series("slipway_test_latency_seconds", { release: "v1b" }, (i) => 0.1 + noise(i, 2));
  series("slipway_test_latency_seconds", { release: "v2" }, (i) => 0.15 + noise(i, 3));
  return `${lines.join("\n")}\n# EOF\n`;
}

const ERROR_RATIO =
  'sum(rate(slipway_proxy_requests_total{release="{{args.release}}",code=~"5.."}[5m])) / ' +
  'sum(rate(slipway_proxy_requests_total{release="{{args.release}}"}[5m]))';

const prom = (query: string, extra: Partial<MetricSpec> = {}): MetricSpec => ({
  name: extra.name ?? "m",
  provider: { prometheus: { address, query } },
  ...extra,
});

describe("Prometheus provider", () => {
  it("fails a release whose error ratio is above the threshold and passes one below it", async () => {
    const spec = (release: string): AnalysisSpec => ({
      args: { release },
      metrics: [prom(ERROR_RATIO, { name: "error-ratio", successCondition: "result[0] <= 0.01" })],
    });

    const v2 = await runAnalysis(spec("v2"));
    expect(v2.phase).toBe("Failed");
    expect(v2.message).toBe('metric "error-ratio" assessed Failed due to failed (1) > failureLimit (0)');
    const [measurement] = v2.metrics[0]?.measurements ?? [];
    expect(measurement?.phase).toBe("Failed");
    expect(measurement?.value).toEqual([expect.closeTo(0.05, 9)]);

    const v3 = await runAnalysis(spec("v3"));
    expect(v3).toMatchObject({
      phase: "Successful",
      metrics: [{ name: "error-ratio", phase: "Successful", successful: 1 }],
    });
    expect(v3.metrics[0]?.measurements[0]?.value).toEqual([0]);
    expect(v3.message).toBeUndefined();
  });

  it("takes the worst phase when one metric fails and another succeeds", async () => {
    const result = await runAnalysis({
      metrics: [
        prom(ERROR_RATIO.replaceAll("{{args.release}}", "v3"), {
          name: "v3-errors",
          successCondition: "result[0] <= 0.01",
        }),
        prom(ERROR_RATIO.replaceAll("{{args.release}}", "v2"), {
          name: "v2-errors",
          successCondition: "result[0] <= 0.01",
        }),
      ],
    });
    expect(result.phase).toBe("Failed");
    expect(result.metrics.map((m) => [m.name, m.phase])).toEqual([
      ["v3-errors", "Successful"],
      ["v2-errors", "Failed"],
    ]);
    expect(result.message).toMatch(/^metric "v2-errors" assessed Failed/);
  });

  it("hands an empty vector to the conditions, and makes indexing it an Error", async () => {
    const query = ERROR_RATIO.replaceAll("{{args.release}}", "v4");
    const guarded = await runAnalysis({
      metrics: [prom(query, { successCondition: "len(result) == 0 || result[0] < 0.01" })],
    });
    expect(guarded.phase).toBe("Successful");
    expect(guarded.metrics[0]?.measurements[0]?.value).toEqual([]);

    const unguarded = await runAnalysis({
      metrics: [prom(query, { successCondition: "result[0] < 0.01", consecutiveErrorLimit: 0 })],
    });
    expect(unguarded.phase).toBe("Error");
    expect(unguarded.metrics[0]?.measurements).toEqual([
      expect.objectContaining({
        phase: "Error",
        value: [],
        message: expect.stringContaining("guard the condition with len(result) > 0"),
      }),
    ]);
    expect(unguarded.message).toMatch(
      /^metric "m" assessed Error due to consecutiveErrors \(1\) > consecutiveErrorLimit \(0\): could not evaluate/,
    );
  });

  it("keeps NaN, and returns a scalar as a number", async () => {
    const nan = await runAnalysis({
      metrics: [prom("vector(0) / vector(0)", { successCondition: "isNaN(result[0])" })],
    });
    expect(nan.phase).toBe("Successful");
    expect(nan.metrics[0]?.measurements[0]?.value).toEqual([NaN]);

    const scalar = await runAnalysis({
      metrics: [prom("scalar(vector(0.25))", { successCondition: "result == 0.25" })],
    });
    expect(scalar.phase).toBe("Successful");
    expect(scalar.metrics[0]?.measurements[0]?.value).toBe(0.25);
  });

  it("turns Prometheus' own errors and unsupported result types into Error measurements", async () => {
    const badQuery = await runAnalysis({ metrics: [prom("sum(", { consecutiveErrorLimit: 0 })] });
    expect(badQuery.phase).toBe("Error");
    expect(badQuery.metrics[0]?.measurements[0]?.message).toMatch(/^Prometheus: bad_data: .*parse error/);

    const matrix = await runAnalysis({
      metrics: [prom("slipway_proxy_requests_total[1m]", { consecutiveErrorLimit: 0 })],
    });
    expect(matrix.metrics[0]?.measurements[0]?.message).toBe(
      "Prometheus answered a matrix; use a query that gives a vector or a scalar",
    );
  });
});

describe("Mann-Whitney provider", () => {
  const judge = (canary: string, extra: Record<string, unknown> = {}): AnalysisSpec => ({
    metrics: [
      {
        name: "latency",
        provider: {
          mannWhitney: {
            address,
            baselineQuery: 'slipway_test_latency_seconds{release="v1"}',
            canaryQuery: `slipway_test_latency_seconds{release="${canary}"}`,
            lookbackMs: SPAN_S * 1000,
            stepMs: STEP_S * 1000,
            ...extra,
          },
        },
      },
    ],
  });

  it("fails a canary that is slower than the baseline", async () => {
    const result = await runAnalysis(judge("v2"));
    expect(result.phase).toBe("Failed");
    const measurement = result.metrics[0]?.measurements[0];
    const value = measurement?.value as MannWhitneyValue;
    expect(value.canarySamples).toBeGreaterThanOrEqual(30);
    expect(value.baselineSamples).toBeGreaterThanOrEqual(30);
    expect(value.pValue).toBeLessThan(1e-6);
    expect(value.canaryMedian).toBeGreaterThan(value.baselineMedian);
    expect(measurement?.message).toMatch(/^the canary is significantly greater than the baseline \(p = /);
  });

  it("passes a canary like the baseline, and a slower one when only a smaller value would be worse", async () => {
    const same = await runAnalysis(judge("v1b"));
    expect(same.phase).toBe("Successful");
    expect((same.metrics[0]?.measurements[0]?.value as MannWhitneyValue).pValue).toBeGreaterThan(0.05);

    const less = await runAnalysis(judge("v2", { alternative: "less" }));
    expect(less.phase).toBe("Successful");
    expect((less.metrics[0]?.measurements[0]?.value as MannWhitneyValue).pValue).toBeGreaterThan(0.99);
  });

  it("is Inconclusive with too few samples", async () => {
    const result = await runAnalysis(judge("v2", { minSamples: 1000 }));
    expect(result.phase).toBe("Inconclusive");
    expect(result.metrics[0]?.measurements[0]?.message).toMatch(
      /^not enough samples to judge: \d+ canary and \d+ baseline, at least 1000 each needed$/,
    );
  });
});
