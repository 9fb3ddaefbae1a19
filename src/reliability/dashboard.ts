import { createHash } from "node:crypto";
import { sliErrorMetric } from "./generate-rules.js";
import type { Slo, SloSet } from "./model.js";
import { formatGoFloat, formatPromDuration, labelsToPromFilter } from "./prom-format.js";
import { burnRateFactor, sliWindows } from "./windows.js";

/**
 * Grafana dashboards for the rules of generate-rules.ts: one per service, the SLO picked with a
 * template variable. Every query reads only series those rules record (or Prometheus' own
 * `ALERTS`), never the raw SLI metrics, so a dashboard works for any SLI and stays cheap: the
 * period's ratio is one recorded series, not a 30-day rate().
 *
 * Dashboard JSON model: https://grafana.com/docs/grafana/latest/dashboards/build-dashboards/view-dashboard-json-model/
 */

export interface DashboardOptions {
  /** Start of every dashboard uid. Default: "slo-". */
  uidPrefix?: string;
  /** Dashboard tags. Default: ["slo", "sloth", "slipway"]. */
  tags?: string[];
}

export interface GrafanaDatasourceRef {
  type: string;
  uid: string;
}

export interface GrafanaTarget {
  refId: string;
  datasource: GrafanaDatasourceRef;
  expr: string;
  legendFormat: string;
  /** Stats show one value: an instant query is enough. */
  instant: boolean;
  range: boolean;
}

export interface GrafanaPanel {
  id: number;
  type: "stat" | "timeseries" | "state-timeline";
  title: string;
  description: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource: GrafanaDatasourceRef;
  targets: GrafanaTarget[];
  fieldConfig: { defaults: Record<string, unknown>; overrides: unknown[] };
  options: Record<string, unknown>;
}

export interface GrafanaTemplateVariable {
  name: string;
  label: string;
  type: "datasource" | "query";
  query: string;
  [key: string]: unknown;
}

export interface GrafanaDashboard {
  /** Always null: Grafana assigns database ids on import; the uid is what identifies it. */
  id: null;
  uid: string;
  title: string;
  description: string;
  tags: string[];
  schemaVersion: number;
  version: number;
  editable: boolean;
  graphTooltip: number;
  time: { from: string; to: string };
  refresh: string;
  timezone: string;
  templating: { list: GrafanaTemplateVariable[] };
  annotations: { list: unknown[] };
  links: unknown[];
  panels: GrafanaPanel[];
}

/** Grafana 10.4 / 11.0; older Grafana migrates down poorly, newer migrates up on import. */
const SCHEMA_VERSION = 39;
/** Grafana rejects uids longer than this. */
const MAX_UID_LENGTH = 40;
const DATASOURCE: GrafanaDatasourceRef = { type: "prometheus", uid: "${datasource}" };
export const SLO_VARIABLE = "sloth_slo";

/**
 * One dashboard per service of `set`, in the order services first appear. Each SLO has its own
 * period and windows; a service whose SLOs differ gets a query per period and window, of which
 * only the selected SLO's find series (the others return nothing rather than an error).
 */
export function sloDashboard(set: SloSet, options: DashboardOptions = {}): GrafanaDashboard[] {
  const services = new Map<string, Slo[]>();
  for (const slo of set.slos) services.set(slo.service, [...(services.get(slo.service) ?? []), slo]);
  return [...services].map(([service, slos]) =>
    serviceDashboard(service, slos, options.uidPrefix ?? "slo-", options.tags),
  );
}

/** Sorted distinct values. */
function distinct(values: number[]): number[] {
  return [...new Set(values)].sort((a, b) => a - b);
}

function serviceDashboard(
  service: string,
  slos: Slo[],
  uidPrefix: string,
  tags: string[] | undefined,
): GrafanaDashboard {
  const filter = labelsToPromFilter({ sloth_service: service, sloth_slo: `$${SLO_VARIABLE}` });
  const periods = distinct(slos.map((slo) => slo.windows.period));
  const shortWindows = distinct(slos.map((slo) => slo.windows.page.quick.shortWindow));
  // The shortest window's SLI is recorded for every SLO, whatever its alerting; with SLOs of
  // different shortest windows, the info series is the one every SLO has.
  const source = shortWindows.length === 1 ? sliErrorMetric(shortWindows[0] ?? 0) : "sloth_slo_info";
  const variableQuery = `label_values(${source}${labelsToPromFilter({ sloth_service: service })}, ${SLO_VARIABLE})`;
  const first = slos[0]?.name ?? "";
  return {
    id: null,
    uid: dashboardUid(uidPrefix, service),
    title: `SLOs / ${service}`,
    description: `Service level objectives of ${service}, from the Sloth-compatible rules Slipway generates.`,
    tags: tags ?? ["slo", "sloth", "slipway"],
    schemaVersion: SCHEMA_VERSION,
    version: 1,
    editable: true,
    // Shared crosshair: burn rates and budget line up in time when hovering.
    graphTooltip: 1,
    time: { from: `now-${formatPromDuration(periods[periods.length - 1] ?? 0)}`, to: "now" },
    refresh: "1m",
    timezone: "",
    templating: {
      list: [
        {
          name: "datasource",
          label: "Data source",
          type: "datasource",
          query: "prometheus",
          current: {},
          hide: 0,
          refresh: 1,
          regex: "",
        },
        {
          name: SLO_VARIABLE,
          label: "SLO",
          type: "query",
          datasource: DATASOURCE,
          query: variableQuery,
          definition: variableQuery,
          current: { selected: true, text: first, value: first },
          // Refresh on dashboard load: SLOs added later show up without re-importing.
          refresh: 1,
          multi: false,
          includeAll: false,
          sort: 1,
          hide: 0,
          regex: "",
          options: [],
        },
      ],
    },
    annotations: {
      list: [
        {
          builtIn: 1,
          datasource: { type: "grafana", uid: "-- Grafana --" },
          enable: true,
          hide: true,
          iconColor: "rgba(0, 211, 255, 1)",
          name: "Annotations & Alerts",
          type: "dashboard",
        },
      ],
    },
    links: [],
    panels: panels(filter, slos),
  };
}

function panels(filter: string, slos: Slo[]): GrafanaPanel[] {
  const periods = distinct(slos.map((slo) => slo.windows.period));
  const shortWindows = distinct(slos.map((slo) => slo.windows.page.quick.shortWindow));
  const windows = distinct(slos.flatMap((slo) => sliWindows(slo.windows)));
  // The lowest page factor: above it, some SLO of the service may page.
  const pageFactor = Math.min(
    ...slos.map((slo) => burnRateFactor(slo.windows.period, slo.windows.page.quick)),
  );
  const period = periods.length === 1 ? formatPromDuration(periods[0] ?? 0) : "period";
  const sliOver = (windowList: number[], legend: string, instant = false) =>
    windowList.map((w) => target(`1 - ${sliErrorMetric(w)}${filter}`, legend, instant));
  const burnThresholds = thresholds([
    ["green", null],
    ["orange", 1],
    ["red", pageFactor],
  ]);
  const budgetThresholds = thresholds([
    ["red", null],
    ["orange", 0],
    ["green", 0.25],
  ]);
  const list: Array<Omit<GrafanaPanel, "id">> = [
    stat(
      { x: 0, w: 4 },
      `SLI (${period})`,
      "Share of good events over the SLO period.",
      sliOver(periods, "SLI", true),
    ),
    stat({ x: 4, w: 4 }, "Objective", "The SLO's objective.", [
      target(`slo:objective:ratio${filter}`, "objective", true),
    ]),
    stat(
      { x: 8, w: 4 },
      "Error budget remaining",
      "Share of the period's error budget not yet spent; negative once the SLO is missed.",
      [target(`slo:period_error_budget_remaining:ratio${filter}`, "remaining", true)],
      { unit: "percentunit", decimals: 2, thresholds: budgetThresholds },
    ),
    stat(
      { x: 12, w: 4 },
      "Current burn rate",
      "Error budget burn rate over the shortest alert window; 1 spends exactly the budget over the period.",
      [target(`slo:current_burn_rate:ratio${filter}`, "current", true)],
      { unit: "none", decimals: 2, thresholds: burnThresholds },
    ),
    stat(
      { x: 16, w: 4 },
      "Period burn rate",
      "Error budget burn rate over the whole SLO period.",
      [target(`slo:period_burn_rate:ratio${filter}`, "period", true)],
      { unit: "none", decimals: 2, thresholds: burnThresholds },
    ),
    stat(
      { x: 20, w: 4 },
      "Firing alerts",
      "SLO alerts firing now (page and ticket).",
      [target(`count(${alertsSelector(filter)}) or vector(0)`, "firing", true)],
      {
        unit: "none",
        decimals: 0,
        thresholds: thresholds([
          ["green", null],
          ["red", 1],
        ]),
      },
    ),
    timeseries(
      { x: 0, y: 4, w: 12, h: 8 },
      "SLI",
      "1 - error ratio: over the shortest window (noisy, current) and over the period; the objective for reference.",
      [
        ...sliOver(shortWindows, "SLI ({{sloth_window}})"),
        ...sliOver(periods, "SLI ({{sloth_window}})"),
        target(`slo:objective:ratio${filter}`, "objective"),
      ],
      { unit: "percentunit" },
    ),
    timeseries(
      { x: 12, y: 4, w: 12, h: 8 },
      "Error budget remaining",
      "Share of the period's error budget left at each point in time.",
      [target(`slo:period_error_budget_remaining:ratio${filter}`, "remaining")],
      { unit: "percentunit", thresholds: budgetThresholds },
    ),
    timeseries(
      { x: 0, y: 12, w: 24, h: 9 },
      "Burn rate per window",
      `Error ratio divided by the error budget, for each alert window. Page alerts fire once both windows of a page pair are above its factor (${formatGoFloat(pageFactor)} for the quickest pair).`,
      windows.map((window) =>
        target(
          `${sliErrorMetric(window)}${filter}\n/ on(sloth_id, sloth_slo, sloth_service) group_left\nslo:error_budget:ratio${filter}`,
          formatPromDuration(window),
        ),
      ),
      { unit: "none", thresholds: burnThresholds },
    ),
    {
      type: "state-timeline",
      title: "Alerts",
      description: "When the SLO's page and ticket alerts fired.",
      gridPos: { x: 0, y: 21, w: 24, h: 6 },
      datasource: DATASOURCE,
      targets: [target(alertsSelector(filter), "{{alertname}} ({{sloth_severity}})")],
      fieldConfig: {
        defaults: {
          color: { mode: "thresholds" },
          thresholds: thresholds([
            ["transparent", null],
            ["red", 1],
          ]),
          mappings: [{ type: "value", options: { "1": { text: "firing", color: "red" } } }],
        },
        overrides: [],
      },
      options: { showValue: "never", mergeValues: true, rowHeight: 0.8, legend: { showLegend: false } },
    },
  ];
  return list.map((panel, i) => ({
    id: i + 1,
    ...panel,
    targets: panel.targets.map((t, j) => ({ ...t, refId: refId(j) })),
  }));
}

function alertsSelector(filter: string): string {
  // Alert series carry the SLI recordings' labels (sloth_service, sloth_slo) plus alertname,
  // alertstate and the alert's own labels (sloth_severity).
  return `ALERTS${filter.replace(/^\{/, '{alertstate="firing", ')}`;
}

/** refId is assigned once the panel's targets are known. */
function target(expr: string, legendFormat: string, instant = false): GrafanaTarget {
  return { refId: "", datasource: DATASOURCE, expr, legendFormat, instant, range: !instant };
}

function refId(index: number): string {
  return index < 26 ? String.fromCharCode(65 + index) : `Q${index}`;
}

function thresholds(steps: Array<[string, number | null]>): Record<string, unknown> {
  return { mode: "absolute", steps: steps.map(([color, value]) => ({ color, value })) };
}

function stat(
  position: { x: number; w: number },
  title: string,
  description: string,
  targets: GrafanaTarget[],
  defaults: Record<string, unknown> = { unit: "percentunit", decimals: 3 },
): Omit<GrafanaPanel, "id"> {
  return {
    type: "stat",
    title,
    description,
    gridPos: { ...position, y: 0, h: 4 },
    datasource: DATASOURCE,
    targets,
    fieldConfig: { defaults: { color: { mode: "thresholds" }, ...defaults }, overrides: [] },
    options: {
      reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false },
      colorMode: "value",
      graphMode: "none",
      textMode: "value",
    },
  };
}

function timeseries(
  gridPos: GrafanaPanel["gridPos"],
  title: string,
  description: string,
  targets: GrafanaTarget[],
  defaults: Record<string, unknown>,
): Omit<GrafanaPanel, "id"> {
  return {
    type: "timeseries",
    title,
    description,
    gridPos,
    datasource: DATASOURCE,
    targets,
    fieldConfig: {
      defaults: {
        color: { mode: "palette-classic" },
        custom: { drawStyle: "line", lineWidth: 1, fillOpacity: 10, showPoints: "never" },
        ...defaults,
      },
      overrides: [],
    },
    options: {
      legend: { displayMode: "list", placement: "bottom", showLegend: true },
      tooltip: { mode: "multi", sort: "desc" },
    },
  };
}

/**
 * `<prefix><service>` when that is a valid Grafana uid (letters, digits, `-`, `_`, at most 40
 * characters); otherwise a slug plus a hash of the service, so that services differing only in
 * case or punctuation still get distinct, stable uids and re-imports update the same dashboard.
 */
export function dashboardUid(prefix: string, service: string): string {
  const slug = service.toLowerCase().replace(/[^a-z0-9_-]+/g, "-");
  const plain = prefix + slug;
  if (slug === service && plain.length <= MAX_UID_LENGTH && /^[A-Za-z0-9_-]*$/.test(prefix)) return plain;
  const hash = createHash("sha256").update(service).digest("hex").slice(0, 8);
  const head = plain.replace(/[^A-Za-z0-9_-]+/g, "-").slice(0, MAX_UID_LENGTH - hash.length - 1);
  return `${head}-${hash}`;
}
