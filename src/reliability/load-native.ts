import { z } from "zod";
import type { YamlPath, YamlSource } from "../config/yaml-source.js";
import type { Diagnostic } from "../errors/index.js";
import { keyStyle, labelsSchema, validateAt } from "./format-validation.js";
import type { Sli, Slo, SloAlert } from "./model.js";
import { resolveWindows, windowsSchema, WINDOWS_KEYS } from "./period-windows.js";
import { defaultAlertName, SloChecker } from "./slo-checks.js";

/**
 * Slipway's native SLO format, the `slos:` section of slipway.yaml (or a file of its own):
 *
 *     slos:
 *       checkout:                          # service
 *         requests-availability:           # SLO name; sloth_id is checkout-requests-availability
 *           objective: 99.9                # percent of good events
 *           period: 28d                    # default 30d; other than 30d/28d needs windows:
 *           windows: {...}                 # optional, see period-windows.ts
 *           description: ...
 *           labels: { owner: payments }
 *           sli:                           # queries use {{.window}}, as in Sloth
 *             errors: sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))
 *             total: sum(rate(http_requests_total[{{.window}}]))
 *             # or: error_ratio: <one query giving the error ratio>
 *           alerting:                      # optional
 *             name: CheckoutHighErrorRate  # default CheckoutRequestsAvailabilityBudgetBurn
 *             labels: {...}
 *             annotations: {...}
 *             page: { disable, labels, annotations }
 *             ticket: { disable, labels, annotations }
 *
 * Services key SLOs so that one service may have several (availability and latency) and an ID can
 * not be written twice in one file.
 */

const alertSchema = z.strictObject({
  disable: z.boolean().optional(),
  labels: labelsSchema.optional(),
  annotations: labelsSchema.optional(),
});

const sliSchema = z.strictObject({
  errors: z.string().optional(),
  total: z.string().optional(),
  error_ratio: z.string().optional(),
});

const alertingSchema = z.strictObject({
  name: z.string().optional(),
  labels: labelsSchema.optional(),
  annotations: labelsSchema.optional(),
  page: alertSchema.optional(),
  ticket: alertSchema.optional(),
});

const nativeSloSchema = z.strictObject({
  objective: z.number(),
  period: z.string().optional(),
  windows: windowsSchema.optional(),
  description: z.string().optional(),
  labels: labelsSchema.optional(),
  sli: sliSchema,
  alerting: alertingSchema.optional(),
});

export const nativeSlosSchema = z.record(z.string(), z.record(z.string(), nativeSloSchema));
type NativeSlo = z.infer<typeof nativeSloSchema>;

// Keys by the name of their mapping; an SLO's own keys sit under its (user-chosen) name, so those
// are found through the sli/alerting/windows key lists and the notes below instead.
const STYLE = keyStyle(
  {
    ...WINDOWS_KEYS,
    sli: Object.keys(sliSchema.shape),
    alerting: Object.keys(alertingSchema.shape),
    page: [...Object.keys(alertSchema.shape), ...(WINDOWS_KEYS["page"] ?? [])],
    ticket: [...Object.keys(alertSchema.shape), ...(WINDOWS_KEYS["ticket"] ?? [])],
  },
  {
    events: "write sli.errors and sli.total (Sloth's events.error_query and total_query)",
    error_query: "the native key is sli.errors",
    total_query: "the native key is sli.total",
    raw: "write sli.error_ratio",
    page_alert: "the native key is alerting.page",
    ticket_alert: "the native key is alerting.ticket",
    name: "the SLO is named by its key under the service",
  },
);

/**
 * Loads the native `slos:` mapping found at `path` of `source` (`value` is its plain value).
 * Diagnostics point into `source`; SLOs with problems are left out of `slos`.
 */
export function loadNativeSlos(
  value: unknown,
  source: YamlSource,
  path: YamlPath,
): { slos: Slo[]; diagnostics: Diagnostic[] } {
  const { data, diagnostics } = validateAt(nativeSlosSchema, value, source, path, STYLE);
  if (!data) return { slos: [], diagnostics };
  const checker = new SloChecker(source);
  const slos: Slo[] = [];
  for (const [service, byName] of Object.entries(data)) {
    checker.name(service, [...path, service], "service");
    for (const [name, spec] of Object.entries(byName)) {
      const slo = nativeSlo(checker, service, name, spec, [...path, service, name]);
      if (slo) slos.push(slo);
    }
  }
  return { slos, diagnostics: [...diagnostics, ...checker.diagnostics] };
}

function nativeSlo(
  checker: SloChecker,
  service: string,
  name: string,
  spec: NativeSlo,
  path: YamlPath,
): Slo | undefined {
  const named = checker.name(name, path, "SLO name");
  const objective = checker.objective(spec.objective, [...path, "objective"]);
  checker.labels(spec.labels, [...path, "labels"], "label");
  const windows = resolveWindows(
    checker,
    { text: spec.period ?? "30d", path: spec.period === undefined ? path : [...path, "period"] },
    { spec: spec.windows, path: [...path, "windows"] },
  );
  const sli = nativeSli(checker, spec.sli, [...path, "sli"]);
  const alerting = spec.alerting ?? {};
  const alertName = alerting.name ?? defaultAlertName(service, name);
  checker.labels(alerting.labels, [...path, "alerting", "labels"], "label");
  checker.labels(alerting.annotations, [...path, "alerting", "annotations"], "annotation");
  const alert = (key: "page" | "ticket"): SloAlert => {
    const own = alerting[key] ?? {};
    checker.labels(own.labels, [...path, "alerting", key, "labels"], "label");
    checker.labels(own.annotations, [...path, "alerting", key, "annotations"], "annotation");
    return {
      disable: own.disable ?? false,
      name: alertName,
      labels: { ...alerting.labels, ...own.labels },
      annotations: { ...alerting.annotations, ...own.annotations },
    };
  };
  const pageAlert = alert("page");
  const ticketAlert = alert("ticket");
  if (!named || !objective || !windows || !sli) return undefined;
  return {
    id: `${service}-${name}`,
    service,
    name,
    description: spec.description ?? "",
    objective: spec.objective,
    labels: spec.labels ?? {},
    sli,
    pageAlert,
    ticketAlert,
    windows,
    position: checker.source.positionOf(path, { key: true }),
  };
}

function nativeSli(checker: SloChecker, sli: NativeSlo["sli"], path: YamlPath): Sli | undefined {
  const events = sli.errors !== undefined || sli.total !== undefined;
  if (
    events === (sli.error_ratio !== undefined) ||
    (events && (sli.errors === undefined || sli.total === undefined))
  ) {
    checker.report(
      path,
      "the SLI needs either errors and total, or error_ratio",
      { expected: "errors and total (two queries), or error_ratio (one query)" },
      { key: true },
    );
    return undefined;
  }
  if (sli.error_ratio !== undefined) {
    return checker.windowQuery(sli.error_ratio, [...path, "error_ratio"])
      ? { kind: "raw", errorRatioQuery: sli.error_ratio }
      : undefined;
  }
  const errorQuery = sli.errors ?? "";
  const totalQuery = sli.total ?? "";
  const ok = [
    checker.windowQuery(errorQuery, [...path, "errors"]),
    checker.windowQuery(totalQuery, [...path, "total"]),
  ].every(Boolean);
  return ok ? { kind: "events", errorQuery, totalQuery } : undefined;
}
