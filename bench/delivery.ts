import { spawn } from "node:child_process";
import { Agent, createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { Worker } from "node:worker_threads";
import { runAnalysis } from "../src/delivery/analysis/index.js";
import type { AnalysisSpec, Measurement } from "../src/delivery/analysis/index.js";
import { RolloutControl } from "../src/delivery/control.js";
import type { AnalysisTemplate, Release, Strategy } from "../src/delivery/model.js";
import { WeightedProxy, startMetricsEndpoint } from "../src/delivery/proxy/index.js";
import { runRollout } from "../src/delivery/rollout.js";
import type { RolloutEvent, RolloutResult } from "../src/delivery/rollout.js";
import { SERVICE_DIR, startHostsTarget, testRelease } from "../test/support/delivery.js";
import type { StartedHostsTarget } from "../test/support/delivery.js";
import { startLoad } from "../test/support/load-generator.js";
import type { LoadStats } from "../test/support/load-generator.js";
import { startPrometheus } from "../test/support/prometheus.js";
import type { PrometheusServer } from "../test/support/prometheus.js";
import { freePort, stderrTail, stopProcess, waitUntilReady } from "../test/support/server-process.js";
import { median, printTable, report, round } from "./util.js";

/** Interleaved rounds (direct, plain proxy, weighted proxy, direct...) of each proxy measurement. */
const ROUNDS = Number(process.env.SLIPWAY_BENCH_ROUNDS ?? 5);
/** Seconds of load per round as fast as answered: thousands of requests per round. */
const ROUND_S = Number(process.env.SLIPWAY_BENCH_ROUND_S ?? 2);
/** Seconds per fixed-rate round: 1,500 requests, so that the p99 rests on 15 of them. */
const FIXED_ROUND_S = 3;
/** Requests in flight at once, for the proxy rounds and the load during deployments. */
const CONCURRENCY = 8;
/** The fixed rate of the latency rounds: far below what either path sustains. */
const FIXED_RATE = 500;
const ANALYSIS_INTERVAL_MS = 2_000;
/*
 * rate() needs two samples of the canary's series inside its window, and the canary's series
 * only exist from the first scrape after it gets traffic: with 1 s scrapes that is up to 2 s
 * after the traffic switch. Measuring earlier sees no canary data at all, which the success
 * condition (rightly) fails: a healthy canary would be rolled back too
 * (SLIPWAY_BENCH_INITIAL_DELAY_MS=0 shows it).
 */
const INITIAL_DELAY_MS = Number(process.env.SLIPWAY_BENCH_INITIAL_DELAY_MS ?? 2_500);
const SCRAPE_INTERVAL = "1s";
/** Bad canaries in a row: where the scrapes fall against the traffic switch differs each time. */
const CANARY_ROUNDS = 3;

interface Row {
  case: string;
  value: string;
  baseline: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const seconds = (ms: number) => round(ms / 1000, 2);
/** A difference with its sign: "+0.4", "-0.3". */
const signed = (n: number) => (n < 0 ? `${n}` : `+${n}`);

// ---------------------------------------------------------------------------------------------
// 1. Proxy overhead
// ---------------------------------------------------------------------------------------------

interface ClientResult {
  requests: number;
  failed: number;
  elapsedMs: number;
  p50: number;
  p99: number;
}

/*
 * The client runs on a thread of its own, so that the proxy (on this thread) does not share an
 * event loop with it: what the proxy costs is then the proxy's, as with clients on other
 * machines. Plain JavaScript, because the worker is evaluated from this string. Keep-alive
 * connections, one loop per connection, latency from write to the end of the answer with
 * sub-millisecond resolution (autocannon rounds to whole milliseconds). `rate` set: each loop
 * sends at an even pace, rate / concurrency per second; unset: as fast as answers come.
 */
const CLIENT = `
const { parentPort, workerData } = require("node:worker_threads");
const http = require("node:http");
const { url, concurrency, durationMs, rate } = workerData;
const target = new URL(url);
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
const latencies = [];
let failed = 0;
const once = () => new Promise((resolve) => {
  const start = performance.now();
  const req = http.get(target, { agent }, (res) => {
    res.resume();
    res.on("end", () => {
      if (res.statusCode >= 200 && res.statusCode < 300) latencies.push(performance.now() - start);
      else failed++;
      resolve();
    });
  });
  req.on("error", () => { failed++; resolve(); });
});
const begin = performance.now();
const end = begin + durationMs;
const gap = rate ? (concurrency * 1000) / rate : 0;
const loop = async (i) => {
  let next = begin + (gap * i) / concurrency;
  while (performance.now() < end) {
    if (gap > 0) {
      const wait = next - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      next += gap;
      if (performance.now() >= end) break;
    }
    await once();
  }
};
Promise.all(Array.from({ length: concurrency }, (_, i) => loop(i))).then(() => {
  const elapsedMs = performance.now() - begin;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q) => latencies.length === 0 ? 0 : latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  parentPort.postMessage({ requests: latencies.length, failed, elapsedMs, p50: at(0.5), p99: at(0.99) });
});
`;

function runClient(url: string, durationMs: number, rate?: number): Promise<ClientResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(CLIENT, {
      eval: true,
      workerData: { url, concurrency: CONCURRENCY, durationMs, rate },
    });
    worker.once("message", (result: ClientResult) => {
      resolve(result);
      void worker.terminate();
    });
    worker.once("error", reject);
  });
}

/** One instance of the test service, started the way the hosts supervisor starts it. */
async function startService(version: string): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, ["service.mjs"], {
    cwd: SERVICE_DIR,
    env: { PATH: process.env.PATH ?? "", PORT: String(port), VERSION: version },
    stdio: ["ignore", "ignore", "pipe"],
  });
  const orphanGuard = () => child.kill("SIGKILL");
  process.once("exit", orphanGuard);
  await waitUntilReady({
    name: "the test service",
    child,
    stderr: stderrTail(child),
    probe: async () => (await fetch(`${url}/healthz`)).ok,
    timeoutMs: 10_000,
    missing: "cannot start the test service",
  });
  return {
    url,
    stop: async () => {
      process.off("exit", orphanGuard);
      await stopProcess(child, "SIGTERM", 5_000);
    },
  };
}

/**
 * The simplest reverse proxy Node allows (a keep-alive agent, headers passed as they came, bodies
 * piped): what any proxy hop written in Node costs on this machine, so that what is left is the
 * weighted proxy's own work (route selection, header rules, metrics, in-flight counts).
 */
async function startPlainProxy(backendUrl: string): Promise<{ url: string; close(): Promise<void> }> {
  const backend = new URL(backendUrl);
  const agent = new Agent({ keepAlive: true });
  const server = createServer((req, res) => {
    const upstream = request(
      {
        agent,
        hostname: backend.hostname,
        port: backend.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      }),
  };
}

type Path = "direct" | "plain" | "weighted";

/** Rounds of each path in turn (direct, plain, weighted, direct...), so drifts in machine load hit all alike. */
async function interleaved(
  urls: Record<Path, string>,
  rounds: number,
  roundS: number,
  rate: number | undefined,
): Promise<Record<Path, ClientResult[]>> {
  const result: Record<Path, ClientResult[]> = { direct: [], plain: [], weighted: [] };
  for (let i = 0; i < rounds; i++) {
    for (const path of ["direct", "plain", "weighted"] as const) {
      result[path].push(await runClient(urls[path], roundS * 1000, rate));
    }
  }
  return result;
}

const perSecond = (r: ClientResult) => r.requests / (r.elapsedMs / 1000);

/** Medians of each path, and of the per-round comparisons with `base` (paired rounds cancel drifts). */
function compare(results: Record<Path, ClientResult[]>, path: Path, base: Path) {
  const pairs = results[base].map((b, i) => [b, results[path][i] ?? b] as const);
  return {
    rps: round(median(results[path].map(perSecond)), 0),
    throughput_ratio: round(median(pairs.map(([b, p]) => perSecond(p) / perSecond(b))), 3),
    p50_ms: round(median(results[path].map((r) => r.p50)), 3),
    added_p50_ms: round(median(pairs.map(([b, p]) => p.p50 - b.p50)), 3),
    p99_ms: round(median(results[path].map((r) => r.p99)), 3),
    added_p99_ms: round(median(pairs.map(([b, p]) => p.p99 - b.p99)), 3),
    failed: results[path].reduce((sum, r) => sum + r.failed, 0),
  };
}

function summarize(results: Record<Path, ClientResult[]>, roundS: number) {
  const direct = results.direct;
  return {
    rounds: direct.length,
    round_s: roundS,
    concurrency: CONCURRENCY,
    direct: {
      rps: round(median(direct.map(perSecond)), 0),
      p50_ms: round(median(direct.map((r) => r.p50)), 3),
      p99_ms: round(median(direct.map((r) => r.p99)), 3),
      failed: direct.reduce((sum, r) => sum + r.failed, 0),
    },
    plain_vs_direct: compare(results, "plain", "direct"),
    weighted_vs_direct: compare(results, "weighted", "direct"),
    weighted_vs_plain: compare(results, "weighted", "plain"),
  };
}

async function proxyOverhead(rows: Row[]): Promise<void> {
  const backend = await startService("v1");
  const plain = await startPlainProxy(backend.url);
  const weighted = await WeightedProxy.start({
    service: "bench",
    routes: { stable: { release: "v1", backends: [{ id: "v1-0", url: backend.url }] } },
  });
  const urls = { direct: backend.url, plain: plain.url, weighted: weighted.url };
  try {
    // Warm-up: JIT and connection pools on every path, not counted.
    for (const url of Object.values(urls)) await runClient(url, 1_000);

    const closed = summarize(await interleaved(urls, ROUNDS, ROUND_S, undefined), ROUND_S);
    report({ case: "delivery.proxy.closed-loop", baseline: "direct to the same instance", ...closed });
    const w = closed.weighted_vs_direct;
    rows.push({
      case: `weighted proxy, ${CONCURRENCY} connections as fast as answered`,
      value: `${w.rps} req/s (${w.throughput_ratio}x direct), p50 ${signed(w.added_p50_ms)} ms, p99 ${signed(w.added_p99_ms)} ms`,
      baseline: `direct ${closed.direct.rps} req/s, p50 ${closed.direct.p50_ms} ms, p99 ${closed.direct.p99_ms} ms`,
    });
    const p = closed.plain_vs_direct;
    rows.push({
      case: "  plain Node pass-through proxy, same load",
      value: `${p.rps} req/s (${p.throughput_ratio}x direct), p50 ${signed(p.added_p50_ms)} ms, p99 ${signed(p.added_p99_ms)} ms`,
      baseline: `weighted / plain: ${closed.weighted_vs_plain.throughput_ratio}x throughput`,
    });

    const fixed = summarize(
      await interleaved(urls, Math.min(ROUNDS, 3), FIXED_ROUND_S, FIXED_RATE),
      FIXED_ROUND_S,
    );
    report({
      case: "delivery.proxy.fixed-rate",
      baseline: "direct to the same instance",
      rate: FIXED_RATE,
      ...fixed,
    });
    const wf = fixed.weighted_vs_direct;
    const pf = fixed.plain_vs_direct;
    rows.push({
      case: `weighted proxy, ${FIXED_RATE} req/s over ${CONCURRENCY} connections`,
      value: `p50 ${wf.p50_ms} ms (${signed(wf.added_p50_ms)}), p99 ${wf.p99_ms} ms (${signed(wf.added_p99_ms)})`,
      baseline: `direct p50 ${fixed.direct.p50_ms} ms, p99 ${fixed.direct.p99_ms} ms`,
    });
    rows.push({
      case: "  plain Node pass-through proxy, same rate",
      value: `p50 ${pf.p50_ms} ms (${signed(pf.added_p50_ms)}), p99 ${pf.p99_ms} ms (${signed(pf.added_p99_ms)})`,
      baseline: "",
    });
  } finally {
    await weighted.close();
    await plain.close();
    await backend.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// Deployments
// ---------------------------------------------------------------------------------------------

interface Timed {
  at: number;
  event: RolloutEvent;
}

function deploy(
  started: StartedHostsTarget,
  release: Release,
  stable: Release | undefined,
  analyze?: (spec: AnalysisSpec, signal: AbortSignal) => ReturnType<typeof runAnalysis>,
): { events: Timed[]; done: Promise<RolloutResult> } {
  const events: Timed[] = [];
  const done = runRollout({
    target: started.target,
    environment: "test",
    release,
    stable,
    instances: release.config.instances,
    control: new RolloutControl(),
    mode: "deploy",
    // Timestamped on arrival: the times below are when each change had taken effect.
    record: (event) => events.push({ at: Date.now(), event }),
    ...(analyze ? { analyze } : {}),
  });
  return { events, done };
}

async function deployFirst(started: StartedHostsTarget, release: Release): Promise<void> {
  const first = await deploy(started, release, undefined).done;
  if (first.outcome !== "succeeded")
    throw new Error(`the first deployment ${first.outcome}: ${first.reason}`);
}

async function targetUrl(started: StartedHostsTarget): Promise<string> {
  const url = (await started.target.status()).url;
  if (url === undefined) throw new Error("the hosts target has no URL");
  return url;
}

// ---------------------------------------------------------------------------------------------
// 2. Failed requests during healthy deployments under load
// ---------------------------------------------------------------------------------------------

async function healthyDeployment(kind: "rolling" | "blue-green", rows: Row[]): Promise<void> {
  const strategy: Strategy =
    kind === "rolling"
      ? { kind: "rolling", maxSurge: 1, maxUnavailable: 0 }
      : { kind: "blueGreen", autoPromotion: true, scaleDownDelayMs: 1_000 };
  const started = await startHostsTarget({ preview: kind === "blue-green" });
  try {
    const v1 = testRelease("v1", { instances: 3, strategy });
    const v2 = testRelease("v2", { instances: 3, strategy });
    await deployFirst(started, v1);
    const load = startLoad(await targetUrl(started), { concurrency: CONCURRENCY });
    await sleep(500);
    const start = Date.now();
    const result = await deploy(started, v2, v1).done;
    const ms = Date.now() - start;
    await sleep(500);
    const stats = await load.stop();
    if (result.outcome !== "succeeded")
      throw new Error(`the ${kind} deployment ${result.outcome}: ${result.reason}`);
    report({
      case: `delivery.${kind}`,
      instances: 3,
      strategy,
      concurrency: CONCURRENCY,
      deployment_s: seconds(ms),
      sent: stats.sent,
      failed: stats.failed,
      by_status: stats.byStatus,
      by_release: stats.byRelease,
      errors: stats.errors,
      goal: 0,
    });
    rows.push({
      case: `${kind} v1 -> v2, 3 instances, under load (${CONCURRENCY} in flight)`,
      value: `${stats.failed} failed of ${stats.sent} requests (${seconds(ms)} s deployment)`,
      baseline: `goal 0; served by v1 ${stats.byRelease["v1"] ?? 0}, v2 ${stats.byRelease["v2"] ?? 0}`,
    });
  } finally {
    await started.close();
  }
}

// ---------------------------------------------------------------------------------------------
// 3. A bad canary rolled back by a Prometheus analysis
// ---------------------------------------------------------------------------------------------

/** The canary's share of 5xx and proxy errors over the last 5 s, from the proxy's counters. */
const ERROR_RATIO =
  '(sum(rate(slipway_proxy_requests_total{service="{{args.service}}",environment="{{args.environment}}",release="{{args.canary}}",code=~"5..|error"}[5s])) or vector(0))' +
  ' / sum(rate(slipway_proxy_requests_total{service="{{args.service}}",environment="{{args.environment}}",release="{{args.canary}}"}[5s]))';

function errorRateTemplate(prometheus: string): AnalysisTemplate {
  return {
    name: "error-rate",
    args: [],
    metrics: [
      {
        name: "error-ratio",
        provider: { prometheus: { address: prometheus, query: ERROR_RATIO } },
        initialDelayMs: INITIAL_DELAY_MS,
        intervalMs: ANALYSIS_INTERVAL_MS,
        count: 3,
        failureLimit: 0,
        successCondition: "len(result) > 0 && result[0] <= 0.01",
      },
    ],
  };
}

function canaryRelease(version: string, errorRate: number, prometheus: string): Release {
  return testRelease(version, {
    errorRate,
    strategy: {
      kind: "canary",
      steps: [{ setWeight: 10 }, { analysis: { templates: ["error-rate"], args: {} } }],
    },
    analysis: { "error-rate": errorRateTemplate(prometheus) },
  });
}

async function until(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(100);
  }
}

async function hasResult(prometheus: PrometheusServer, expr: string): Promise<boolean> {
  const answer = await prometheus.query(expr);
  return (answer.data?.result.length ?? 0) > 0;
}

/**
 * Watches, every `everyMs` until stopped, for the first time `check` holds; the time it first did.
 * Runs beside the deployment to place the moments nothing in the deployment records.
 */
function firstTime(everyMs: number, check: () => Promise<boolean> | boolean) {
  let stopped = false;
  let at: number | undefined;
  const watching = (async () => {
    while (!stopped && at === undefined) {
      const now = Date.now();
      if (await Promise.resolve(check()).catch(() => false)) at = now;
      else await sleep(everyMs);
    }
  })();
  return {
    async stop(): Promise<number | undefined> {
      stopped = true;
      await watching;
      return at;
    },
  };
}

interface CanaryOutcome {
  result: RolloutResult;
  events: Timed[];
  measurements: { at: number; measurement: Measurement }[];
  stats: LoadStats;
  firstUserError: number | undefined;
  visibleInPrometheus: number | undefined;
}

async function runCanary(
  started: StartedHostsTarget,
  prometheus: PrometheusServer,
  release: Release,
  stable: Release,
): Promise<CanaryOutcome> {
  const load = startLoad(await targetUrl(started), { concurrency: CONCURRENCY });
  // The query as the analysis sends it, asked every 250 ms: when a measurement would first fail.
  const query = ERROR_RATIO.replaceAll("{{args.service}}", "web")
    .replaceAll("{{args.environment}}", "test")
    .replaceAll("{{args.canary}}", release.version);
  const visible = firstTime(250, async () => {
    const value = (await prometheus.query(query)).data?.result[0]?.value?.[1];
    return value !== undefined && Number(value) > 0.01;
  });
  const userError = firstTime(20, () => (load.stats().byStatus["500"] ?? 0) > 0);
  const measurements: CanaryOutcome["measurements"] = [];
  const analyze = (spec: AnalysisSpec, signal: AbortSignal) =>
    runAnalysis(spec, {
      signal,
      onMeasurement: (_metric, measurement) => measurements.push({ at: Date.now(), measurement }),
    });
  try {
    const { events, done } = deploy(started, release, stable, analyze);
    const result = await done;
    return {
      result,
      events,
      measurements,
      stats: await load.stop(),
      firstUserError: await userError.stop(),
      visibleInPrometheus: await visible.stop(),
    };
  } finally {
    await load.stop();
    await userError.stop();
    await visible.stop();
  }
}

function trafficAt(events: Timed[], predicate: (e: Extract<RolloutEvent, { type: "traffic" }>) => boolean) {
  for (const { at, event } of events) if (event.type === "traffic" && predicate(event)) return at;
  return undefined;
}

const INTERVAL_S = ANALYSIS_INTERVAL_MS / 1000;

/** Seconds after the traffic event that gave the canary its 10%. */
interface CanaryTimeline {
  first_user_error_s: number | undefined;
  errors_visible_in_prometheus_s: number | undefined;
  failing_measurement_s: number | undefined;
  /** The failing measurement found no canary series at all: a rollback for want of data, not for errors. */
  failed_on_no_data: boolean;
  back_on_stable_s: number;
  visible_to_stable_s: number | undefined;
  measurements: { at_s: number; phase: string; value: unknown }[];
  requests: number;
  to_canary: number;
  failed: number;
}

function timelineOf(bad: CanaryOutcome, version: string): CanaryTimeline {
  const canaryAt = trafficAt(bad.events, (e) => (e.split.canaryWeight ?? 0) > 0);
  const stableAt =
    canaryAt === undefined
      ? undefined
      : trafficAt(bad.events, (e) => e.split.canary === undefined && e.split.stable === "v1");
  if (bad.result.outcome !== "aborted" || canaryAt === undefined || stableAt === undefined) {
    throw new Error(`the bad canary ${version} was not rolled back: ${JSON.stringify(bad.result)}`);
  }
  const since = (at: number) => seconds(at - canaryAt);
  const failing = bad.measurements.find((m) => m.measurement.phase !== "Successful");
  return {
    first_user_error_s: bad.firstUserError === undefined ? undefined : since(bad.firstUserError),
    errors_visible_in_prometheus_s:
      bad.visibleInPrometheus === undefined ? undefined : since(bad.visibleInPrometheus),
    failing_measurement_s: failing === undefined ? undefined : since(failing.at),
    failed_on_no_data: Array.isArray(failing?.measurement.value) && failing.measurement.value.length === 0,
    back_on_stable_s: since(stableAt),
    visible_to_stable_s:
      bad.visibleInPrometheus === undefined ? undefined : seconds(stableAt - bad.visibleInPrometheus),
    measurements: bad.measurements.map((m) => ({
      at_s: since(m.at),
      phase: m.measurement.phase,
      value: m.measurement.value,
    })),
    requests: bad.stats.sent,
    to_canary: bad.stats.byRelease[version] ?? 0,
    failed: bad.stats.failed,
  };
}

async function canaryRollback(rows: Row[]): Promise<void> {
  const started = await startHostsTarget();
  const endpoint = await startMetricsEndpoint(started.registry);
  let prometheus: PrometheusServer | undefined;
  try {
    const promStart = Date.now();
    prometheus = await startPrometheus({
      configExtra: {
        scrape_configs: [
          {
            job_name: "slipway-proxy",
            scrape_interval: SCRAPE_INTERVAL,
            static_configs: [{ targets: [new URL(endpoint.url).host] }],
          },
        ],
      },
    });
    const server = prometheus;
    const v1 = testRelease("v1");
    // Prometheus scrapes a new target only after service discovery's start-up delay (~5 s).
    await Promise.all([
      until("the first scrape", 30_000, () => hasResult(server, 'up{job="slipway-proxy"} == 1')),
      deployFirst(started, v1),
    ]);
    const firstScrapeMs = Date.now() - promStart;
    // v1's traffic in Prometheus first, so the canary starts from a steady state.
    const warm = startLoad(await targetUrl(started), { concurrency: CONCURRENCY });
    await until("v1's traffic in Prometheus", 15_000, () =>
      hasResult(server, 'sum(rate(slipway_proxy_requests_total{release="v1"}[5s])) > 0'),
    );
    await warm.stop();

    const timelines: CanaryTimeline[] = [];
    for (let i = 1; i <= CANARY_ROUNDS; i++) {
      // A name per round: the rate window must not see the previous round's canary.
      const version = `v2-${i}`;
      const bad = await runCanary(started, server, canaryRelease(version, 0.05, server.url), v1);
      const timeline = timelineOf(bad, version);
      timelines.push(timeline);
      report({
        case: "delivery.canary-rollback",
        round: i,
        analysis_interval_s: ANALYSIS_INTERVAL_MS / 1000,
        initial_delay_s: INITIAL_DELAY_MS / 1000,
        scrape_interval: SCRAPE_INTERVAL,
        rate_window: "5s",
        prometheus_first_scrape_s: seconds(firstScrapeMs),
        outcome: bad.result.outcome,
        reason: bad.result.reason,
        ...timeline,
        back_on_stable_intervals: round(timeline.back_on_stable_s / INTERVAL_S, 2),
        visible_to_stable_intervals:
          timeline.visible_to_stable_s === undefined
            ? undefined
            : round(timeline.visible_to_stable_s / INTERVAL_S, 2),
        goal_intervals_after_visible: 2,
      });
    }
    const mid = (pick: (t: CanaryTimeline) => number | undefined) => {
      const values = timelines.map(pick).filter((v): v is number => v !== undefined);
      return values.length === 0 ? "-" : `${round(median(values), 2)}`;
    };
    const after = (pick: (t: CanaryTimeline) => number | undefined) => {
      const value = mid(pick);
      return value === "-" ? "-" : `+${value} s`;
    };
    const span = (pick: (t: CanaryTimeline) => number | undefined) => {
      const values = timelines.map(pick).filter((v): v is number => v !== undefined);
      return values.length === 0 ? "-" : `${Math.min(...values)}-${Math.max(...values)}`;
    };
    rows.push({
      case: `bad canary (5% errors) at 10%, ${CANARY_ROUNDS} rounds: all traffic back on stable`,
      value:
        `${mid((t) => t.back_on_stable_s)} s after the canary got traffic (${span((t) => t.back_on_stable_s)} s; ` +
        `${mid((t) => t.back_on_stable_s / INTERVAL_S)} intervals), ` +
        `${mid((t) => t.visible_to_stable_s)} s after the errors showed in Prometheus (${span((t) => t.visible_to_stable_s)} s)`,
      baseline: `analysis interval ${INTERVAL_S} s; goal <= 2 intervals after visible`,
    });
    rows.push({
      case: "  where the time went (medians, from the canary's first traffic)",
      value:
        `first user error ${after((t) => t.first_user_error_s)}, visible in Prometheus ${after((t) => t.errors_visible_in_prometheus_s)}, ` +
        `failing measurement ${after((t) => t.failing_measurement_s)}, stable ${after((t) => t.back_on_stable_s)}` +
        (timelines.some((t) => t.failed_on_no_data) ? " (failed on no canary data, not on errors)" : ""),
      baseline: `initial delay ${INITIAL_DELAY_MS / 1000} s, scrape ${SCRAPE_INTERVAL}, rate window 5s`,
    });
    rows.push({
      case: "  requests that failed during each canary",
      value: timelines.map((t) => `${t.failed} of ${t.requests} (${t.to_canary} to the canary)`).join("; "),
      baseline: "",
    });

    /*
     * The control: the same analysis passes a healthy canary. Without it, a rollback caused by
     * the analysis seeing no data yet would look like a fast detection.
     */
    const good = await runCanary(started, server, canaryRelease("v3", 0, server.url), v1);
    report({
      case: "delivery.canary-healthy",
      outcome: good.result.outcome,
      reason: good.result.reason,
      measurements: good.measurements.map((m) => ({
        phase: m.measurement.phase,
        value: m.measurement.value,
      })),
      requests: good.stats.sent,
      failed: good.stats.failed,
    });
    rows.push({
      case: "healthy canary, same analysis (control)",
      value: `${good.result.outcome}; ${good.measurements.map((m) => m.measurement.phase).join(", ")}`,
      baseline: `${good.stats.failed} failed of ${good.stats.sent} requests`,
    });
  } finally {
    await prometheus?.stop();
    await endpoint.close();
    await started.close();
  }
}

/**
 * Progressive delivery: what the weighted proxy costs per request against going straight to the
 * same instance (interleaved rounds, medians), failed requests during a rolling update and a
 * blue-green switch under continuous load, and how long a bad canary serves users before a
 * Prometheus analysis puts all traffic back on the stable release.
 */
export async function benchDelivery(): Promise<void> {
  const rows: Row[] = [];
  try {
    await proxyOverhead(rows);
    await healthyDeployment("rolling", rows);
    await healthyDeployment("blue-green", rows);
    await canaryRollback(rows);
  } finally {
    printTable<keyof Row>({ case: "case", value: "value", baseline: "baseline" }, rows);
  }
}
