import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { assessMetric, isWorse, runAnalysis } from "../../src/delivery/analysis/index.js";
import type { Measurement, MetricResult, MetricSpec } from "../../src/delivery/analysis/index.js";

/**
 * Argo's run semantics (count, interval, limits, initial delay, stopping) against a real HTTP
 * server whose answers each test scripts: GET /<key> answers the next entry of the key's script
 * (the last one repeats). A number is answered as `{"value": n}`, "error" as a 500, "empty" as
 * `{"value": []}`. Intervals are tens of milliseconds; nothing asserts on time.
 */

type Answer = number | "error" | "empty";

let server: Server;
let base: string;
let scripts = new Map<string, Answer[]>();
let requests = new Map<string, number>();

beforeAll(async () => {
  server = createServer((request, response) => {
    const key = (request.url ?? "/").slice(1);
    const seen = requests.get(key) ?? 0;
    requests.set(key, seen + 1);
    const script = scripts.get(key) ?? [];
    const answer = script[Math.min(seen, script.length - 1)];
    if (answer === undefined || answer === "error") {
      response.writeHead(500).end("scripted failure");
      return;
    }
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify({ value: answer === "empty" ? [] : answer }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  scripts = new Map();
  requests = new Map();
});

/** A metric reading /<name>, judged good when the value is at most 10. */
function metric(name: string, answers: Answer[], extra: Partial<MetricSpec> = {}): MetricSpec {
  scripts.set(name, answers);
  return {
    name,
    provider: { web: { url: `${base}/${name}`, jsonPath: "$.value" } },
    successCondition: "result <= 10",
    ...extra,
  };
}

const phases = (result: MetricResult | undefined) => result?.measurements.map((m) => m.phase);

describe("runAnalysis: how often a metric is measured", () => {
  it("measures once with neither count nor interval", async () => {
    const result = await runAnalysis({ metrics: [metric("once", [1])] });
    expect(result).toMatchObject({
      phase: "Successful",
      metrics: [{ name: "once", phase: "Successful", count: 1, successful: 1 }],
    });
    expect(requests.get("once")).toBe(1);
    expect(result.message).toBeUndefined();
  });

  it("measures count times at the interval", async () => {
    const result = await runAnalysis({
      metrics: [metric("thrice", [1, 2, 3], { count: 3, intervalMs: 20 })],
    });
    expect(result.phase).toBe("Successful");
    expect(result.metrics[0]?.measurements.map((m) => m.value)).toEqual([1, 2, 3]);
    expect(requests.get("thrice")).toBe(3);
  });

  it("does not count Error measurements towards count", async () => {
    const result = await runAnalysis({
      metrics: [metric("retry", ["error", 1, "error", 2], { count: 2, intervalMs: 10 })],
    });
    expect(result.phase).toBe("Successful");
    expect(result.metrics[0]).toMatchObject({ count: 2, error: 2, successful: 2, consecutiveError: 0 });
    expect(phases(result.metrics[0])).toEqual(["Error", "Successful", "Error", "Successful"]);
  });

  it("retries after an Error at errorRetryIntervalMs, not at the interval", async () => {
    // With a minute's interval this only ends within the test's timeout if errors are retried sooner.
    const result = await runAnalysis({
      metrics: [
        metric("soon", ["error", "error", 1], { count: 1, intervalMs: 60_000, errorRetryIntervalMs: 10 }),
      ],
    });
    expect(phases(result.metrics[0])).toEqual(["Error", "Error", "Successful"]);
  });

  it("measures until stopped with an interval and no count, and a stopped run keeps what it has", async () => {
    const controller = new AbortController();
    const seen: number[] = [];
    const result = await runAnalysis(
      { metrics: [metric("forever", [1], { intervalMs: 10 })] },
      {
        signal: controller.signal,
        onMeasurement: (_name, _m, so) => {
          seen.push(so.measurements.length);
          if (so.measurements.length === 3) controller.abort();
        },
      },
    );
    expect(seen).toEqual([1, 2, 3]);
    expect(result).toMatchObject({ phase: "Successful", message: "run terminated" });
    expect(result.metrics[0]).toMatchObject({ phase: "Successful", successful: 3 });
  });

  it("waits initialDelayMs before the first measurement", async () => {
    const controller = new AbortController();
    const taken = new Map<string, number>();
    const result = await runAnalysis(
      {
        metrics: [
          metric("prompt", [1], { count: 2, intervalMs: 10 }),
          metric("short-delay", [1], { initialDelayMs: 20 }),
          // Stopped long before its delay ends: never measured, and so Successful like Argo's terminated metrics.
          metric("long-delay", [1], { initialDelayMs: 600_000 }),
        ],
      },
      {
        signal: controller.signal,
        onMeasurement: (name, _m, so) => {
          taken.set(name, so.measurements.length);
          if ((taken.get("prompt") ?? 0) >= 2 && (taken.get("short-delay") ?? 0) >= 1) controller.abort();
        },
      },
    );
    expect(result.phase).toBe("Successful");
    expect(result.metrics.map((m) => [m.name, m.phase, m.measurements.length])).toEqual([
      ["prompt", "Successful", 2],
      ["short-delay", "Successful", 1],
      ["long-delay", "Successful", 0],
    ]);
    expect(requests.get("long-delay")).toBeUndefined();
  });
});

describe("runAnalysis: limits", () => {
  it("fails a metric once failures exceed failureLimit, and stops measuring it", async () => {
    const result = await runAnalysis({
      metrics: [metric("flaky", [1, 50, 2, 60, 3], { count: 5, intervalMs: 10, failureLimit: 1 })],
    });
    expect(result.phase).toBe("Failed");
    expect(phases(result.metrics[0])).toEqual(["Successful", "Failed", "Successful", "Failed"]);
    expect(requests.get("flaky")).toBe(4);
    expect(result.metrics[0]?.message).toBe("failed (2) > failureLimit (1)");
    expect(result.message).toBe('metric "flaky" assessed Failed due to failed (2) > failureLimit (1)');
  });

  it("passes a metric whose failures stay within failureLimit", async () => {
    const result = await runAnalysis({
      metrics: [metric("tolerated", [1, 50, 2], { count: 3, intervalMs: 10, failureLimit: 1 })],
    });
    expect(result.phase).toBe("Successful");
    expect(result.metrics[0]).toMatchObject({ phase: "Successful", failed: 1, successful: 2 });
  });

  it("makes a metric Inconclusive when neither condition holds more often than inconclusiveLimit", async () => {
    const both = { successCondition: "result <= 10", failureCondition: "result >= 100" };
    const result = await runAnalysis({
      metrics: [metric("grey", [50, 1, 60, 70], { ...both, count: 4, intervalMs: 10, inconclusiveLimit: 1 })],
    });
    expect(result.phase).toBe("Inconclusive");
    expect(phases(result.metrics[0])).toEqual(["Inconclusive", "Successful", "Inconclusive"]);
    expect(result.message).toBe(
      'metric "grey" assessed Inconclusive due to inconclusive (2) > inconclusiveLimit (1)',
    );
  });

  it("errs after more consecutive errors than consecutiveErrorLimit; a good measurement resets the run", async () => {
    const result = await runAnalysis({
      metrics: [
        metric("shaky", ["error", "error", 1, "error", "error", "error"], {
          count: 3,
          intervalMs: 10,
          consecutiveErrorLimit: 2,
        }),
      ],
    });
    expect(result.phase).toBe("Error");
    expect(phases(result.metrics[0])).toEqual(["Error", "Error", "Successful", "Error", "Error", "Error"]);
    expect(result.metrics[0]).toMatchObject({ error: 5, consecutiveError: 3, count: 1 });
    expect(result.message).toBe(
      'metric "shaky" assessed Error due to consecutiveErrors (3) > consecutiveErrorLimit (2): received non 2xx response code: 500: scripted failure',
    );
  });

  it("allows four consecutive errors by default", async () => {
    const result = await runAnalysis({ metrics: [metric("down", ["error"], { errorRetryIntervalMs: 5 })] });
    expect(result.phase).toBe("Error");
    expect(result.metrics[0]?.measurements).toHaveLength(5);

    const recovers = await runAnalysis({
      metrics: [metric("recovers", ["error", "error", "error", "error", 1], { errorRetryIntervalMs: 5 })],
    });
    expect(recovers.phase).toBe("Successful");
    expect(recovers.metrics[0]).toMatchObject({ error: 4, successful: 1 });
  });

  it("records a condition that cannot be evaluated as an Error measurement", async () => {
    const result = await runAnalysis({
      metrics: [
        metric("nodata", ["empty"], { successCondition: "result[0] <= 10", consecutiveErrorLimit: 0 }),
      ],
    });
    expect(result.phase).toBe("Error");
    expect(result.metrics[0]?.measurements[0]).toMatchObject({
      phase: "Error",
      value: [],
      message:
        "could not evaluate the condition: index out of range: 0 (length 0); guard the condition with len(result) > 0",
    });
  });
});

describe("runAnalysis: the run", () => {
  it("stops the other metrics once one fails, and takes the worst phase", async () => {
    const result = await runAnalysis({
      metrics: [
        metric("steady", [1], { intervalMs: 10 }),
        metric("bad", [1, 500], { count: 3, intervalMs: 10 }),
      ],
    });
    expect(result.phase).toBe("Failed");
    expect(result.metrics.map((m) => [m.name, m.phase])).toEqual([
      ["steady", "Successful"],
      ["bad", "Failed"],
    ]);
    expect(result.message).toBe('metric "bad" assessed Failed due to failed (1) > failureLimit (0)');
  });

  it("ends an Inconclusive metric's run too, so that a person decides", async () => {
    const result = await runAnalysis({
      metrics: [
        metric("steady", [1], { intervalMs: 10 }),
        metric("unsure", [50], { successCondition: "result <= 10", failureCondition: "result >= 100" }),
      ],
    });
    expect(result.phase).toBe("Inconclusive");
    expect(result.metrics[0]?.phase).toBe("Successful");
  });

  it("is Successful when stopped before any measurement", async () => {
    const controller = new AbortController();
    controller.abort();
    const result = await runAnalysis({ metrics: [metric("never", [1])] }, { signal: controller.signal });
    expect(result).toMatchObject({
      phase: "Successful",
      message: "run terminated",
      metrics: [{ phase: "Successful", measurements: [] }],
    });
    expect(requests.get("never")).toBeUndefined();
  });

  it("substitutes args into the provider and the conditions", async () => {
    const m = metric("args", [7], { successCondition: "result <= {{ args.max }}" });
    const result = await runAnalysis({
      args: { path: "args", max: "5" },
      metrics: [{ ...m, provider: { web: { url: `${base}/{{args.path}}`, jsonPath: "$.value" } } }],
    });
    expect(result.phase).toBe("Failed");
    expect(requests.get("args")).toBe(1);
  });

  it("refuses an invalid spec without measuring anything", async () => {
    const result = await runAnalysis({
      metrics: [metric("invalid", [1], { successCondition: "result <=", count: -1 })],
    });
    expect(result.phase).toBe("Error");
    expect(result.metrics).toEqual([]);
    expect(result.message).toMatch(
      /^analysis spec invalid: metrics\[0\] \(invalid\): count must be a whole number >= 0; /,
    );
    expect(requests.get("invalid")).toBeUndefined();
  });

  it("reports each measurement with the metric's result so far", async () => {
    const calls: Array<[string, Measurement["phase"], MetricResult["phase"], number]> = [];
    await runAnalysis(
      { metrics: [metric("watched", [1, 2], { count: 2, intervalMs: 10 })] },
      { onMeasurement: (name, m, r) => calls.push([name, m.phase, r.phase, r.measurements.length]) },
    );
    expect(calls).toEqual([
      ["watched", "Successful", "Running", 1],
      ["watched", "Successful", "Successful", 2],
    ]);
  });

  it("hands back an error thrown by onMeasurement after stopping", async () => {
    const run = runAnalysis(
      { metrics: [metric("callback", [1], { intervalMs: 10 })] },
      {
        onMeasurement: () => {
          throw new Error("caller bug");
        },
      },
    );
    await expect(run).rejects.toThrow("caller bug");
    expect(requests.get("callback")).toBe(1);
  });
});

describe("assessMetric and the phase order", () => {
  const base: MetricResult = {
    name: "m",
    phase: "Running",
    measurements: [{ phase: "Successful", startedAt: "", finishedAt: "" }],
    count: 1,
    successful: 1,
    failed: 0,
    inconclusive: 0,
    error: 0,
    consecutiveError: 0,
  };
  const spec: MetricSpec = { name: "m", provider: { job: { command: "true" } }, intervalMs: 10 };

  it("lets consecutive errors outrank inconclusive results, and those outrank failures, as Argo does", () => {
    const all = { ...base, failed: 1, inconclusive: 1, consecutiveError: 5 };
    expect(assessMetric(spec, all, false).phase).toBe("Error");
    expect(assessMetric(spec, { ...all, consecutiveError: 0 }, false).phase).toBe("Inconclusive");
    expect(assessMetric(spec, { ...base, failed: 1 }, false).phase).toBe("Failed");
  });

  it("keeps an endless metric Running until the run stops, then Successful", () => {
    expect(assessMetric(spec, base, false).phase).toBe("Running");
    expect(assessMetric(spec, base, true).phase).toBe("Successful");
    expect(assessMetric(spec, { ...base, measurements: [] }, false).phase).toBe("Pending");
  });

  it("orders phases best to worst as Argo's analysisStatusOrder", () => {
    const order = ["Successful", "Running", "Pending", "Inconclusive", "Error", "Failed"] as const;
    for (let i = 1; i < order.length; i++) {
      expect(isWorse(order[i - 1] ?? "Successful", order[i] ?? "Successful")).toBe(true);
      expect(isWorse(order[i] ?? "Successful", order[i - 1] ?? "Successful")).toBe(false);
    }
  });
});
