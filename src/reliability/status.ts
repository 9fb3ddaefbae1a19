import { z } from "zod";
import { EnvironmentError } from "../errors/index.js";
import { sliErrorMetric } from "./generate-rules.js";
import type { Slo, SloAlert, SloSet } from "./model.js";
import { formatPromDuration } from "./prom-format.js";
import { sliWindows } from "./windows.js";

/**
 * `null` everywhere below means "Prometheus has no usable sample" (no series, or NaN from a 0/0
 * ratio with no traffic). It is never replaced by 0: an SLO without data is not a healthy SLO.
 * `null` rather than `undefined` so the JSON output keeps the key and says so.
 */
export type Measured = number | null;

/** `inactive`: the rule's inputs have data and no ALERTS series exists; `unknown`: no input data. */
export type AlertState = "firing" | "pending" | "inactive" | "disabled" | "unknown";

/**
 * `unknown`: no SLI data at all. `exhausted`: no budget left in the period. `alerting`: a page or
 * ticket alert is firing. `healthy`: data present, budget left, nothing firing.
 */
export type SloHealth = "unknown" | "exhausted" | "alerting" | "healthy";

export interface WindowBurnRate {
  /** Prometheus duration, e.g. `5m`, as in the `sloth_window` label. */
  window: string;
  seconds: number;
  /** `slo:sli_error:ratio_rate<window>`. */
  errorRatio: Measured;
  /** errorRatio / error budget: 1 burns exactly the budget over the period. */
  burnRate: Measured;
}

export interface SloStatus {
  id: string;
  service: string;
  name: string;
  /** Percentage, as in the spec. */
  objective: number;
  periodSeconds: number;
  /** 1 - `slo:sli_error:ratio_rate<period>`. */
  sli: Measured;
  /** `slo:error_budget:ratio` as recorded; the spec's (100 - objective) / 100 when not recorded. */
  errorBudget: number;
  /** `slo:period_error_budget_remaining:ratio`: 1 = untouched, 0 = spent, negative = overspent. */
  budgetRemaining: Measured;
  /** Every alert window, shortest first. */
  windows: WindowBurnRate[];
  /** Burn rate of the shortest window, the one Sloth's `slo:current_burn_rate:ratio` uses. */
  currentBurnRate: Measured;
  /**
   * Seconds until the period's budget is gone at the current burn rate:
   * budgetRemaining × period / currentBurnRate; 0 once exhausted. `null` when the burn rate is 0
   * (never) or either input is unknown; `currentBurnRate` tells the two apart.
   */
  timeToExhaustionSeconds: Measured;
  alerts: { page: AlertState; ticket: AlertState };
  health: SloHealth;
}

export interface SloStatusOptions {
  /** Evaluation time of the instant queries. Default: Prometheus' "now". */
  at?: Date;
  /** Default: the global `fetch`. For tests and proxies. */
  fetch?: typeof fetch;
}

// https://prometheus.io/docs/prometheus/latest/querying/api/#format-overview
const vectorSample = z.object({
  metric: z.record(z.string(), z.string()),
  value: z.tuple([z.number(), z.string()]),
});
const queryResponse = z.discriminatedUnion("status", [
  z.object({
    status: z.literal("success"),
    data: z.object({ resultType: z.literal("vector"), result: z.array(vectorSample) }),
  }),
  z.object({ status: z.literal("error"), errorType: z.string(), error: z.string() }),
]);
type Sample = z.infer<typeof vectorSample>;

const HINT =
  "check that the Prometheus URL is right (scheme, host, port and any path prefix) and that it loads the rules `slipway slo generate` writes";

/**
 * `slipway slo status`: reads the current state of each SLO from the recording rules and alerts
 * the generator produces (generate-rules.ts), with four instant queries for the whole set rather
 * than several per SLO.
 */
export async function sloStatus(
  set: SloSet,
  prometheusUrl: string,
  options: SloStatusOptions = {},
): Promise<SloStatus[]> {
  if (set.slos.length === 0) return [];
  const client = { url: prometheusUrl.replace(/\/+$/, ""), fetch: options.fetch ?? fetch, at: options.at };
  const ids = `sloth_id=~${JSON.stringify(set.slos.map((s) => escapeRegex(s.id)).join("|"))}`;
  const [sli, remaining, budget, alerts] = await Promise.all([
    query(client, `{__name__=~"slo:sli_error:ratio_rate.+", ${ids}}`),
    query(client, `slo:period_error_budget_remaining:ratio{${ids}}`),
    query(client, `slo:error_budget:ratio{${ids}}`),
    query(client, `ALERTS{${ids}}`),
  ]);
  return set.slos.map((slo) => {
    const own = (samples: Sample[]) => samples.filter((s) => s.metric["sloth_id"] === slo.id);
    return statusOf(slo, own(sli), own(remaining), own(budget), own(alerts));
  });
}

function statusOf(
  slo: Slo,
  sliSamples: Sample[],
  remainingSamples: Sample[],
  budgetSamples: Sample[],
  alertSamples: Sample[],
): SloStatus {
  const errorBudget = worst(budgetSamples, Math.min) ?? (100 - slo.objective) / 100;
  const ratioOf = (window: number) =>
    worst(
      sliSamples.filter((s) => s.metric["__name__"] === sliErrorMetric(window)),
      Math.max,
    );
  const windows = sliWindows(slo.windows).map((seconds): WindowBurnRate => {
    const errorRatio = ratioOf(seconds);
    return {
      window: formatPromDuration(seconds),
      seconds,
      errorRatio,
      burnRate: errorRatio === null ? null : errorRatio / errorBudget,
    };
  });
  const periodRatio = ratioOf(slo.windows.period);
  const budgetRemaining = worst(remainingSamples, Math.min);
  const current = windows.find((w) => w.seconds === slo.windows.page.quick.shortWindow)?.burnRate ?? null;
  const hasData = periodRatio !== null || windows.some((w) => w.errorRatio !== null);
  const alerts = {
    page: alertState(slo.pageAlert, "page", alertSamples, hasData),
    ticket: alertState(slo.ticketAlert, "ticket", alertSamples, hasData),
  };
  return {
    id: slo.id,
    service: slo.service,
    name: slo.name,
    objective: slo.objective,
    periodSeconds: slo.windows.period,
    sli: periodRatio === null ? null : 1 - periodRatio,
    errorBudget,
    budgetRemaining,
    windows,
    currentBurnRate: current,
    timeToExhaustionSeconds: timeToExhaustion(budgetRemaining, current, slo.windows.period),
    alerts,
    health: !hasData
      ? "unknown"
      : budgetRemaining !== null && budgetRemaining <= 0
        ? "exhausted"
        : alerts.page === "firing" || alerts.ticket === "firing"
          ? "alerting"
          : budgetRemaining === null
            ? "unknown"
            : "healthy",
  };
}

function timeToExhaustion(remaining: Measured, burnRate: Measured, period: number): Measured {
  if (remaining === null || burnRate === null) return null;
  if (remaining <= 0) return 0;
  if (burnRate <= 0) return null;
  return (remaining * period) / burnRate;
}

/**
 * The page and ticket alerts share their name; the generator tells them apart by labels
 * (`sloth_severity` merged with the alert's own), so an ALERTS series matches an alert when it
 * carries all of those. Labels are compared, not only `sloth_severity`, because a spec may
 * override that one.
 */
function alertState(
  alert: SloAlert,
  severity: "page" | "ticket",
  samples: Sample[],
  hasData: boolean,
): AlertState {
  if (alert.disable) return "disabled";
  const labels: Record<string, string> = { sloth_severity: severity, ...alert.labels };
  const matching = samples.filter(
    (s) =>
      s.metric["alertname"] === alert.name &&
      Object.entries(labels).every(([key, value]) => s.metric[key] === value),
  );
  if (matching.some((s) => s.metric["alertstate"] === "firing")) return "firing";
  if (matching.some((s) => s.metric["alertstate"] === "pending")) return "pending";
  return hasData ? "inactive" : "unknown";
}

/**
 * One value from the series of one SLO. Normally there is exactly one; if the rules are loaded
 * twice with different external labels, the worst value wins rather than an arbitrary one.
 * NaN (0/0 when there was no traffic) and infinities count as no data.
 */
function worst(samples: Sample[], pick: (...values: number[]) => number): Measured {
  const values = samples.map((s) => Number(s.value[1])).filter((v) => Number.isFinite(v));
  return values.length === 0 ? null : pick(...values);
}

// RE2 metacharacters; PromQL anchors `=~` matchers, so an escaped alternation matches IDs exactly.
function escapeRegex(text: string): string {
  return text.replace(/[\\.+*?()|[\]{}^$]/g, "\\$&");
}

interface Client {
  url: string;
  fetch: typeof fetch;
  at: Date | undefined;
}

/** `POST /api/v1/query` (https://prometheus.io/docs/prometheus/latest/querying/api/#instant-queries). */
async function query(client: Client, expr: string): Promise<Sample[]> {
  const endpoint = `${client.url}/api/v1/query`;
  const body = new URLSearchParams({ query: expr });
  if (client.at !== undefined) body.set("time", String(client.at.getTime() / 1000));
  let response: Response;
  try {
    // POST because the ID alternation of a large SLO set can outgrow a URL.
    response = await client.fetch(endpoint, { method: "POST", body });
  } catch (error) {
    throw new EnvironmentError(`cannot reach Prometheus at ${client.url}: ${describe(error)}`, {
      cause: error,
      hint: HINT,
    });
  }
  const text = await response.text().catch(() => "");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = queryResponse.safeParse(json);
  if (!parsed.success) {
    throw new EnvironmentError(
      `unexpected response from Prometheus at ${endpoint} (HTTP ${response.status}): ${text.slice(0, 200)}`,
      { hint: HINT },
    );
  }
  if (parsed.data.status === "error") {
    throw new EnvironmentError(
      `Prometheus at ${client.url} rejected the query ${expr}: ${parsed.data.errorType}: ${parsed.data.error}`,
      { hint: HINT },
    );
  }
  return parsed.data.data.result;
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // undici reports "fetch failed" and puts the reason (ECONNREFUSED...) in the cause.
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : "";
  return error.message + cause;
}

/** A plain-text table, one SLO a row, columns aligned; unknown values print as `unknown`. */
export function formatStatusTable(statuses: readonly SloStatus[]): string {
  const header = [
    "SLO",
    "OBJECTIVE",
    "SLI",
    "BUDGET LEFT",
    "BURN",
    "EXHAUSTED IN",
    "PAGE",
    "TICKET",
    "HEALTH",
  ];
  const rows = statuses.map((s) => [
    s.id,
    `${s.objective}% / ${formatPromDuration(s.periodSeconds)}`,
    s.sli === null ? "unknown" : percent(s.sli, 3),
    s.budgetRemaining === null ? "unknown" : percent(s.budgetRemaining, 1),
    s.currentBurnRate === null ? "unknown" : `${s.currentBurnRate.toFixed(2)}x`,
    exhaustion(s),
    s.alerts.page,
    s.alerts.ticket,
    s.health,
  ]);
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((row) => (row[i] ?? "").length)));
  return all
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

function percent(ratio: number, digits: number): string {
  return `${(ratio * 100).toFixed(digits)}%`;
}

function exhaustion(s: SloStatus): string {
  if (s.timeToExhaustionSeconds !== null) return roughDuration(s.timeToExhaustionSeconds);
  if (s.currentBurnRate !== null && s.currentBurnRate <= 0 && s.budgetRemaining !== null) return "never";
  return "unknown";
}

/** The two largest units, e.g. `4d19h`: more precision than that is noise at a changing rate. */
function roughDuration(seconds: number): string {
  if (seconds <= 0) return "now";
  const units: Array<[string, number]> = [
    ["d", 86_400],
    ["h", 3_600],
    ["m", 60],
    ["s", 1],
  ];
  let rest = Math.round(seconds);
  const parts: string[] = [];
  for (const [unit, size] of units) {
    const count = Math.floor(rest / size);
    if (count > 0 || parts.length > 0) parts.push(`${count}${unit}`);
    rest -= count * size;
    if (parts.length === 2) break;
  }
  return parts.join("") || "<1s";
}
