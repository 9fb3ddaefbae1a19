import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { createServerMetrics } from "../../src/telemetry/index.js";

/** `promtool check metrics` reads the exposition from stdin and lints it as Prometheus would scrape it. */
function promtoolCheckMetrics(text: string): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("promtool", ["check", "metrics"], { stdio: ["pipe", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("error", (error: NodeJS.ErrnoException) =>
      reject(
        error.code === "ENOENT"
          ? new Error("promtool not found: install it with `apt-get install -y prometheus`", { cause: error })
          : error,
      ),
    );
    child.on("close", (code) => resolve({ ok: code === 0, output }));
    child.stdin.end(text);
  });
}

/**
 * prom-client's default metrics name three gauges `*_total`, which promtool's linter flags; the
 * names are prom-client's (and what Node.js dashboards query), so only those findings are allowed.
 */
const DEFAULT_METRIC_FINDING =
  /^nodejs_active_(handles|requests|resources)_total non-counter metrics should not have "_total" suffix$/;

/** What promtool reports about the text, apart from DEFAULT_METRIC_FINDING; a parse error is kept. */
async function promtoolProblems(text: string): Promise<string[]> {
  const { ok, output } = await promtoolCheckMetrics(text);
  const problems = output.split("\n").filter((line) => line !== "" && !DEFAULT_METRIC_FINDING.test(line));
  if (!ok && problems.length === 0 && output === "") problems.push("promtool failed without output");
  return problems;
}

/** Only the slipway_* families, which must pass the linter without exception. */
function slipwayFamilies(text: string): string {
  return text
    .split("\n")
    .filter((line) => /^(# (HELP|TYPE) )?slipway_/.test(line))
    .join("\n")
    .concat("\n");
}

/** The value of one sample line, matched exactly by name and label set. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(series + " "));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("server metrics", () => {
  it("exposes every instrument with the observed values, in text promtool accepts", async () => {
    const metrics = createServerMetrics();
    metrics.setQueueDepthSource(() => 7);
    metrics.setJobStateSource(() => Promise.resolve({ queued: 7, leased: 2, finished: 40 }));
    metrics.jobDuration.observe({ project: "shop", job: "test", status: "success" }, 42);
    metrics.stepDuration.observe({ project: "shop", job: "test", status: "failure" }, 0.3);
    metrics.agentsConnected.set(3);
    metrics.leaseExpiries.inc();
    metrics.webhookDeliveries.inc({ source: "github", outcome: "triggered" });
    metrics.webhookDeliveries.inc({ source: "gitlab", outcome: "rejected" }, 2);
    metrics.httpRequestDuration.observe({ method: "GET", route: "/api/runs/:id", status_code: "200" }, 0.02);

    const text = await metrics.metricsText();
    expect(await promtoolProblems(text)).toEqual([]);
    expect(await promtoolCheckMetrics(slipwayFamilies(text))).toEqual({ ok: true, output: "" });

    expect(sample(text, "slipway_queue_depth")).toBe(7);
    expect(sample(text, 'slipway_jobs{state="queued"}')).toBe(7);
    expect(sample(text, 'slipway_jobs{state="leased"}')).toBe(2);
    expect(sample(text, 'slipway_jobs{state="finished"}')).toBe(40);
    const job = 'project="shop",job="test",status="success"';
    expect(sample(text, `slipway_job_duration_seconds_sum{${job}}`)).toBe(42);
    expect(sample(text, `slipway_job_duration_seconds_bucket{le="30",${job}}`)).toBe(0);
    expect(sample(text, `slipway_job_duration_seconds_bucket{le="60",${job}}`)).toBe(1);
    expect(sample(text, `slipway_job_duration_seconds_bucket{le="3600",${job}}`)).toBe(1);
    expect(
      sample(text, 'slipway_step_duration_seconds_count{project="shop",job="test",status="failure"}'),
    ).toBe(1);
    expect(sample(text, "slipway_agents_connected")).toBe(3);
    expect(sample(text, "slipway_lease_expiries_total")).toBe(1);
    expect(sample(text, 'slipway_webhook_deliveries_total{source="github",outcome="triggered"}')).toBe(1);
    expect(sample(text, 'slipway_webhook_deliveries_total{source="gitlab",outcome="rejected"}')).toBe(2);
    expect(
      sample(
        text,
        'slipway_http_request_duration_seconds_count{method="GET",route="/api/runs/:id",status_code="200"}',
      ),
    ).toBe(1);
    expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes \d/m);
    expect(metrics.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  it("reads the sources on every scrape, dropping job states that emptied", async () => {
    const metrics = createServerMetrics();
    let depth = 1;
    let states: Record<string, number> = { queued: 1, leased: 1 };
    metrics.setQueueDepthSource(() => Promise.resolve(depth));
    metrics.setJobStateSource(() => Promise.resolve(states));
    expect(sample(await metrics.metricsText(), 'slipway_jobs{state="leased"}')).toBe(1);

    depth = 0;
    states = { queued: 0, finished: 2 };
    const text = await metrics.metricsText();
    expect(sample(text, "slipway_queue_depth")).toBe(0);
    expect(sample(text, 'slipway_jobs{state="queued"}')).toBe(0);
    expect(sample(text, 'slipway_jobs{state="finished"}')).toBe(2);
    expect(sample(text, 'slipway_jobs{state="leased"}')).toBeUndefined();
  });

  it("still answers when a source fails, counting the failure instead", async () => {
    const metrics = createServerMetrics();
    metrics.setQueueDepthSource(() => {
      throw new Error("store is down");
    });
    metrics.setJobStateSource(() => Promise.reject(new Error("store is down")));
    const text = await metrics.metricsText();
    // An unlabelled gauge always has a sample; NaN says "unknown" where 0 would claim an empty queue.
    expect(sample(text, "slipway_queue_depth")).toBeNaN();
    expect(text).not.toMatch(/^slipway_jobs\{/m);
    expect(sample(text, 'slipway_metrics_source_errors_total{source="queue_depth"}')).toBe(1);
    expect(sample(text, 'slipway_metrics_source_errors_total{source="job_states"}')).toBe(1);
    expect(text).toMatch(/^process_resident_memory_bytes \d/m);
    expect(await promtoolProblems(text)).toEqual([]);
  });

  it("keeps job and project labels as given and refuses labels an instrument does not declare", async () => {
    const metrics = createServerMetrics();
    const labels = { project: "platform/shop", job: 'build "linux" (node 20)', status: "success" };
    metrics.jobDuration.observe(labels, 1);
    const text = await metrics.metricsText();
    expect(text).toContain(
      'slipway_job_duration_seconds_count{project="platform/shop",job="build \\"linux\\" (node 20)",status="success"} 1',
    );
    expect(await promtoolProblems(text)).toEqual([]);
    // A per-run label would grow without bound; the instrument does not let a call site add one.
    expect(() => metrics.jobDuration.observe({ ...labels, run_id: "r-123" } as typeof labels, 1)).toThrow(
      /run_id/,
    );
  });

  it("gives each server its own registry", async () => {
    const a = createServerMetrics();
    const b = createServerMetrics();
    a.leaseExpiries.inc(5);
    expect(sample(await a.metricsText(), "slipway_lease_expiries_total")).toBe(5);
    expect(sample(await b.metricsText(), "slipway_lease_expiries_total")).toBe(0);
  });
});
