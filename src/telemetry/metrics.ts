import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/**
 * Prometheus instruments of the control plane (`slipway serve`), each on a registry of its own so
 * that several servers (or tests) in one process never share series.
 *
 * Label cardinality: `project` and `job` are taken as given, without truncation or hashing. They
 * are bounded because they name configuration, not traffic: a project is registered on the server
 * by an operator and a job is a key in that project's pipeline file, so the series count grows with
 * what the operator has configured, never with the number of runs, commits or requests. Callers
 * must therefore pass the job's name from the pipeline definition, never a run id, a commit SHA or
 * a branch name. Likewise `route` is the route template (`/api/runs/:id`), never the raw path.
 * prom-client rejects label names an instrument does not declare, so a per-run label cannot be
 * added by accident at a call site.
 */

/** Job and step durations in CI range from a cached no-op (100 ms) to a long integration suite (1 h). */
export const CI_DURATION_BUCKETS: readonly number[] = [
  0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600,
];

/** API calls are answered from the store: milliseconds normally, seconds when something is wrong. */
export const HTTP_DURATION_BUCKETS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

export type JobLabel = "project" | "job" | "status";
export type WebhookSource = "github" | "gitlab" | "generic";
export type WebhookOutcome = "triggered" | "ignored" | "rejected";

export interface ServerMetrics {
  readonly registry: Registry;
  /** Jobs waiting for a runner; read from the source set with `setQueueDepthSource` at scrape time. */
  readonly queueDepth: Gauge;
  /** Jobs by `state`; read from the source set with `setJobStateSource` at scrape time. */
  readonly jobs: Gauge<"state">;
  /** Seconds from a job's start to its end, by `project`, `job` and final `status`. */
  readonly jobDuration: Histogram<JobLabel>;
  /** Seconds from a step's start to its end, by `project`, `job` and final `status`. */
  readonly stepDuration: Histogram<JobLabel>;
  readonly agentsConnected: Gauge;
  /** Leases that ran out because an agent stopped sending heartbeats. */
  readonly leaseExpiries: Counter;
  /** Incoming webhooks by `source` (WebhookSource) and `outcome` (WebhookOutcome). */
  readonly webhookDeliveries: Counter<"source" | "outcome">;
  /** By `method`, `route` (the template, not the path) and `status_code`. */
  readonly httpRequestDuration: Histogram<"method" | "route" | "status_code">;
  /**
   * Scrapes whose source callback threw, by `source` (`queue_depth` or `job_states`). A failing
   * source leaves its gauge unknown for that scrape (queue depth NaN, no job-state series) instead
   * of failing the whole `/metrics` answer, so process metrics stay visible while the store is down.
   */
  readonly sourceErrors: Counter<"source">;
  /** The value for `setQueueDepthSource`; called on every scrape. */
  setQueueDepthSource(source: () => Promise<number> | number): void;
  /**
   * Called on every scrape. States missing from the result have no series for that scrape, so
   * return every state the dashboards expect, with 0 where there are none.
   */
  setJobStateSource(source: () => Promise<Record<string, number>> | Record<string, number>): void;
  /** The registry in the Prometheus text exposition format. */
  metricsText(): Promise<string>;
  /** The `Content-Type` to answer `/metrics` with. */
  readonly contentType: string;
}

interface Readings {
  /** Undefined without a source, NaN when the source failed. */
  queueDepth: number | undefined;
  jobStates: Record<string, number>;
}

export function createServerMetrics(): ServerMetrics {
  const registry = new Registry();
  const registers = [registry];
  let queueDepthSource: (() => Promise<number> | number) | undefined;
  let jobStateSource: (() => Promise<Record<string, number>> | Record<string, number>) | undefined;

  // One read of the sources per scrape, shared by both gauges and the error counter: prom-client
  // collects every metric concurrently, so an error counted inside a gauge's own collect would
  // only show in the next scrape. Concurrent scrapes share the read, and so the store query.
  let reading: Promise<Readings> | undefined;
  const readSources = (): Promise<Readings> => {
    reading ??= read().finally(() => {
      reading = undefined;
    });
    return reading;
  };
  async function read(): Promise<Readings> {
    const [depth, states] = await Promise.allSettled([
      (async () => queueDepthSource?.())(),
      (async () => jobStateSource?.())(),
    ]);
    if (depth.status === "rejected") sourceErrors.inc({ source: "queue_depth" });
    if (states.status === "rejected") sourceErrors.inc({ source: "job_states" });
    return {
      // An unlabelled gauge always exports a sample: NaN says "unknown" where 0 would claim an
      // empty queue, and comparisons with NaN are false, so queue alerts neither fire nor clear.
      queueDepth: depth.status === "fulfilled" ? depth.value : Number.NaN,
      jobStates: states.status === "fulfilled" ? (states.value ?? {}) : {},
    };
  }

  const sourceErrors = new Counter({
    name: "slipway_metrics_source_errors_total",
    help: "Scrapes in which a metrics source callback failed, by source.",
    labelNames: ["source"] as const,
    registers,
    async collect() {
      await readSources();
    },
  });

  const queueDepth = new Gauge({
    name: "slipway_queue_depth",
    help: "Jobs waiting for a runner.",
    registers,
    async collect() {
      const { queueDepth: depth } = await readSources();
      if (depth === undefined) this.reset();
      else this.set(depth);
    },
  });

  const jobs = new Gauge({
    name: "slipway_jobs",
    help: "Jobs by state.",
    labelNames: ["state"] as const,
    registers,
    async collect() {
      const { jobStates } = await readSources();
      // States that emptied since the last scrape must disappear, not keep their old count.
      this.reset();
      for (const [state, count] of Object.entries(jobStates)) this.set({ state }, count);
    },
  });

  const jobLabels = ["project", "job", "status"] as const;
  const metrics: ServerMetrics = {
    registry,
    queueDepth,
    jobs,
    jobDuration: new Histogram({
      name: "slipway_job_duration_seconds",
      help: "Job duration in seconds, by project, job and final status.",
      labelNames: jobLabels,
      buckets: [...CI_DURATION_BUCKETS],
      registers,
    }),
    stepDuration: new Histogram({
      name: "slipway_step_duration_seconds",
      help: "Step duration in seconds, by project, job and final status.",
      labelNames: jobLabels,
      buckets: [...CI_DURATION_BUCKETS],
      registers,
    }),
    agentsConnected: new Gauge({
      name: "slipway_agents_connected",
      help: "Agents currently connected to this server.",
      registers,
    }),
    leaseExpiries: new Counter({
      name: "slipway_lease_expiries_total",
      help: "Job leases that expired because their agent stopped sending heartbeats.",
      registers,
    }),
    webhookDeliveries: new Counter({
      name: "slipway_webhook_deliveries_total",
      help: "Webhook deliveries received, by source (github, gitlab, generic) and outcome (triggered, ignored, rejected).",
      labelNames: ["source", "outcome"] as const,
      registers,
    }),
    httpRequestDuration: new Histogram({
      name: "slipway_http_request_duration_seconds",
      help: "HTTP request duration in seconds, by method, route template and status code.",
      labelNames: ["method", "route", "status_code"] as const,
      buckets: [...HTTP_DURATION_BUCKETS],
      registers,
    }),
    sourceErrors,
    setQueueDepthSource(source) {
      queueDepthSource = source;
    },
    setJobStateSource(source) {
      jobStateSource = source;
    },
    metricsText: () => registry.metrics(),
    contentType: registry.contentType,
  };

  // Standard names (process_*, nodejs_*) rather than slipway_*: existing Node.js dashboards and
  // alerts query them by these names.
  collectDefaultMetrics({ register: registry });
  return metrics;
}
