import type { Labels, Slo, SloAlert, SloSet } from "./model.js";
import { formatGoFixed, formatGoFloat, formatPromDuration, labelsToPromFilter } from "./prom-format.js";
import { burnRateFactor, sliWindows } from "./windows.js";
import type { AlertWindows, BudgetWindow } from "./windows.js";

export interface RecordingRule {
  record: string;
  expr: string;
  labels: Labels;
}

export interface AlertingRule {
  alert: string;
  expr: string;
  labels: Labels;
  annotations: Labels;
}

export interface RuleGroup {
  name: string;
  rules: Array<RecordingRule | AlertingRule>;
}

/** A Prometheus rule file (https://prometheus.io/docs/prometheus/latest/configuration/recording_rules/). */
export interface PrometheusRuleFile {
  groups: RuleGroup[];
}

export interface GenerateOptions {
  /** Value of the `sloth_version` label of `sloth_slo_info`. Default: "slipway". */
  version?: string;
  /** Value of the `sloth_mode` label. Default: "cli-gen-prom", as `sloth generate` writes. */
  mode?: string;
}

const SPEC = "prometheus/v1";

/**
 * The rules `sloth generate` (v0.11) writes for the same specs: per SLO an SLI recording group,
 * a metadata recording group and, unless both alerts are disabled, an alert group. Rule names,
 * labels and expression text follow Sloth's templates (internal/prometheus/recording_rules.go and
 * alert_rules.go), so dashboards and alert routing built for Sloth keep working.
 */
export function generateRules(set: SloSet, options: GenerateOptions = {}): PrometheusRuleFile {
  const info = { version: options.version ?? "slipway", mode: options.mode ?? "cli-gen-prom" };
  const groups: RuleGroup[] = [];
  for (const slo of set.slos) {
    // Each SLO carries its own period and windows (30d, 28d or a custom definition).
    const windows = slo.windows;
    groups.push({ name: `sloth-slo-sli-recordings-${slo.id}`, rules: sliRules(slo, windows) });
    groups.push({ name: `sloth-slo-meta-recordings-${slo.id}`, rules: metaRules(slo, windows, info) });
    const alerts = alertRules(slo, windows);
    if (alerts.length > 0) groups.push({ name: `sloth-slo-alerts-${slo.id}`, rules: alerts });
  }
  return { groups };
}

export function sliErrorMetric(window: number): string {
  return `slo:sli_error:ratio_rate${formatPromDuration(window)}`;
}

function idLabels(slo: Slo): Labels {
  return { sloth_id: slo.id, sloth_service: slo.service, sloth_slo: slo.name };
}

function renderWindow(query: string, window: string): string {
  return query.replace(/\{\{ *\.window *\}\}/g, window);
}

function sliRules(slo: Slo, windows: AlertWindows): RecordingRule[] {
  const rules = sliWindows(windows).map((window): RecordingRule => {
    const w = formatPromDuration(window);
    const sli = slo.sli;
    const expr =
      sli.kind === "events"
        ? `(${renderWindow(sli.errorQuery, w)})\n/\n(${renderWindow(sli.totalQuery, w)})\n`
        : `(${renderWindow(sli.errorRatioQuery, w)})`;
    return {
      record: sliErrorMetric(window),
      expr,
      labels: { ...idLabels(slo), sloth_window: w, ...slo.labels },
    };
  });
  // The period's ratio is averaged from the shortest window's recordings instead of a 30d rate()
  // of the raw counters, which would make Prometheus read a month of samples every evaluation.
  // sum/count rather than avg_over_time keeps a ratio of ratios correct (Sloth's "optimized" rule).
  const period = formatPromDuration(windows.period);
  const source = `${sliErrorMetric(windows.page.quick.shortWindow)}${labelsToPromFilter(idLabels(slo))}[${period}]`;
  rules.push({
    record: sliErrorMetric(windows.period),
    expr: `sum_over_time(${source})\n/ ignoring (sloth_window)\ncount_over_time(${source})\n`,
    labels: { ...idLabels(slo), sloth_window: period, ...slo.labels },
  });
  return rules;
}

function burnRateExpr(sliMetric: string, filter: string): string {
  return `${sliMetric}${filter}\n/ on(sloth_id, sloth_slo, sloth_service) group_left\nslo:error_budget:ratio${filter}\n`;
}

function metaRules(
  slo: Slo,
  windows: AlertWindows,
  info: { version: string; mode: string },
): RecordingRule[] {
  const labels = { ...idLabels(slo), ...slo.labels };
  const filter = labelsToPromFilter(idLabels(slo));
  const objectiveRatio = formatGoFloat(slo.objective / 100);
  return [
    { record: "slo:objective:ratio", expr: `vector(${objectiveRatio})`, labels },
    { record: "slo:error_budget:ratio", expr: `vector(1-${objectiveRatio})`, labels },
    { record: "slo:time_period:days", expr: `vector(${formatGoFloat(windows.period / 86_400)})`, labels },
    {
      record: "slo:current_burn_rate:ratio",
      expr: burnRateExpr(sliErrorMetric(windows.page.quick.shortWindow), filter),
      labels,
    },
    {
      record: "slo:period_burn_rate:ratio",
      expr: burnRateExpr(sliErrorMetric(windows.period), filter),
      labels,
    },
    {
      record: "slo:period_error_budget_remaining:ratio",
      expr: `1 - slo:period_burn_rate:ratio${filter}`,
      labels,
    },
    {
      record: "sloth_slo_info",
      expr: "vector(1)",
      labels: {
        ...labels,
        sloth_version: info.version,
        sloth_mode: info.mode,
        sloth_spec: SPEC,
        sloth_objective: formatGoFixed(slo.objective),
      },
    },
  ];
}

function alertRules(slo: Slo, windows: AlertWindows): AlertingRule[] {
  const rules: AlertingRule[] = [];
  if (!slo.pageAlert.disable) rules.push(alertRule(slo, slo.pageAlert, "page", windows, windows.page));
  if (!slo.ticketAlert.disable)
    rules.push(alertRule(slo, slo.ticketAlert, "ticket", windows, windows.ticket));
  return rules;
}

/**
 * Two window pairs ORed, each pair ANDed: the long window proves the budget is really burning,
 * the short one that it still is. `max without (sloth_window)` drops the one label by which the
 * recordings of the two windows differ, so `and`/`or` can match them.
 */
function alertRule(
  slo: Slo,
  alert: SloAlert,
  severity: "page" | "ticket",
  windows: AlertWindows,
  pair: { quick: BudgetWindow; slow: BudgetWindow },
): AlertingRule {
  const filter = labelsToPromFilter(idLabels(slo));
  // Sloth computes (100 - objective) / 100, not 1 - objective / 100; the floats differ.
  const budget = formatGoFloat((100 - slo.objective) / 100);
  const condition = (window: number, factor: number) =>
    `max(${sliErrorMetric(window)}${filter} > (${formatGoFloat(factor)} * ${budget})) without (sloth_window)`;
  const quick = burnRateFactor(windows.period, pair.quick);
  const slow = burnRateFactor(windows.period, pair.slow);
  const expr = [
    "(",
    `    ${condition(pair.quick.shortWindow, quick)}`,
    "    and",
    `    ${condition(pair.quick.longWindow, quick)}`,
    ")",
    "or",
    "(",
    `    ${condition(pair.slow.shortWindow, slow)}`,
    "    and",
    `    ${condition(pair.slow.longWindow, slow)}`,
    ")",
    "",
  ].join("\n");
  return {
    alert: alert.name,
    expr,
    // The SLO's own labels come with the series; adding them here would only duplicate them.
    labels: { sloth_severity: severity, ...alert.labels },
    annotations: {
      title: `(${severity}) {{$labels.sloth_service}} {{$labels.sloth_slo}} SLO error budget burn rate is too fast.`,
      summary: "{{$labels.sloth_service}} {{$labels.sloth_slo}} SLO error budget burn rate is over expected.",
      ...alert.annotations,
    },
  };
}
