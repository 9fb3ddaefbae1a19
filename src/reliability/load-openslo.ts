import type { YamlPath, YamlSource } from "../config/yaml-source.js";
import { validateDocument } from "../config/schema-diagnostics.js";
import type { Diagnostic } from "../errors/index.js";
import { keyStyle } from "./format-validation.js";
import type { Labels, Sli, Slo, SloAlert } from "./model.js";
import {
  OPENSLO_API_VERSION,
  OPENSLO_KEYS,
  openSloServiceSchema,
  openSloSliSchema,
  openSloSloSchema,
} from "./openslo-schema.js";
import type { OpenSloMetadata, OpenSloSli, OpenSloSliSpec, OpenSloSlo } from "./openslo-schema.js";
import { resolveWindows } from "./period-windows.js";
import { defaultAlertName, SloChecker } from "./slo-checks.js";
import { describePath } from "./spec-diagnostics.js";

/** One `apiVersion: openslo/v1` YAML document; `raw` is `source.toJS()`. */
export interface OpenSloDocument {
  raw: Record<string, unknown>;
  source: YamlSource;
}

/** Overrides the alert name, which OpenSLO has no field for (default: see defaultAlertName). */
export const ALERT_NAME_ANNOTATION = "slipway.dev/alert-name";

const STYLE = keyStyle(OPENSLO_KEYS, {
  alertPolicy: "Slipway writes its own page and ticket alerts; alertPolicies are unsupported",
});

// Query text with string literals blanked, so braces and brackets inside label matchers don't count.
const STRINGS = /"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g;
// A series selector: a metric name, label matchers, or both.
const SELECTOR = /^(?:[a-zA-Z_:][a-zA-Z0-9_:]*)?\s*(?:\{[^{}]*\})?$/;
const SELECTOR_HINT =
  "OpenSLO queries have no window variable, so Slipway needs a counter selector, e.g. " +
  'http_requests_total{job="checkout",code=~"5.."}, and writes sum(rate(<query>[W])) for each window W';

/**
 * Compiles OpenSLO v1 documents (from any number of files) to SLOs. `kind: SLO` with an inline
 * `indicator` or an `indicatorRef` to a `kind: SLI` document; `kind: Service` is checked and
 * otherwise only named by `spec.service`. Only counter ratio metrics with Prometheus sources,
 * one rolling 30d/28d time window, Occurrences budgeting and one objective compile to the
 * multiwindow burn-rate rules; everything else is reported, all at once.
 */
export function loadOpenSloDocuments(documents: readonly OpenSloDocument[]): {
  slos: Slo[];
  diagnostics: Diagnostic[];
} {
  const diagnostics: Diagnostic[] = [];
  const slos: Array<{ doc: OpenSloSlo; checker: SloChecker }> = [];
  const slis = new Map<string, { sli: Sli | undefined; checker: SloChecker }>();
  for (const { raw, source } of documents) {
    const checker = new SloChecker(source);
    if (raw["apiVersion"] !== OPENSLO_API_VERSION) {
      checker.report(["apiVersion"], `unsupported apiVersion "${String(raw["apiVersion"])}"`, {
        expected: OPENSLO_API_VERSION,
      });
    } else if (raw["kind"] === "SLO") {
      const { data, diagnostics: found } = validateDocument(openSloSloSchema, raw, source, STYLE);
      diagnostics.push(...found);
      if (data) slos.push({ doc: data, checker });
    } else if (raw["kind"] === "SLI") {
      const { data, diagnostics: found } = validateDocument(openSloSliSchema, raw, source, STYLE);
      diagnostics.push(...found);
      if (data) registerSli(data, checker, slis);
    } else if (raw["kind"] === "Service") {
      const { data, diagnostics: found } = validateDocument(openSloServiceSchema, raw, source, STYLE);
      diagnostics.push(...found);
      if (data) checker.name(data.metadata.name, ["metadata", "name"], "service");
    } else {
      checker.report(["kind"], `OpenSLO kind ${JSON.stringify(raw["kind"])} is unsupported`, {
        expected: "SLO, SLI or Service",
        hint: "Slipway writes its own page and ticket alerts; AlertPolicy, AlertCondition, AlertNotificationTarget and DataSource documents are not read",
      });
    }
    diagnostics.push(...checker.diagnostics);
  }
  const compiled: Slo[] = [];
  for (const { doc, checker } of slos) {
    const slo = compileSlo(doc, checker, slis);
    if (slo) compiled.push(slo);
    diagnostics.push(...checker.diagnostics);
  }
  return { slos: compiled, diagnostics };
}

function registerSli(
  doc: OpenSloSli,
  checker: SloChecker,
  slis: Map<string, { sli: Sli | undefined; checker: SloChecker }>,
): void {
  const first = slis.get(doc.metadata.name);
  if (first) {
    const at = first.checker.source.positionOf(["metadata", "name"]);
    checker.report(["metadata", "name"], `SLI "${doc.metadata.name}" is declared twice`, {
      hint: `the first is at ${at.file}:${at.line}:${at.column}`,
    });
    return;
  }
  slis.set(doc.metadata.name, { sli: compileSli(doc.spec, checker, ["spec"]), checker });
}

function compileSlo(
  doc: OpenSloSlo,
  checker: SloChecker,
  slis: ReadonlyMap<string, { sli: Sli | undefined }>,
): Slo | undefined {
  const spec = doc.spec;
  const name = doc.metadata.name;
  const ok = [
    checker.name(name, ["metadata", "name"], "SLO name"),
    checker.name(spec.service, ["spec", "service"], "service"),
  ];
  const labels = metadataLabels(doc.metadata, checker);

  let sli: Sli | undefined;
  if ((spec.indicator === undefined) === (spec.indicatorRef === undefined)) {
    checker.report(["spec"], "an SLO needs exactly one of indicator or indicatorRef", {}, { key: true });
  } else if (spec.indicator) {
    sli = compileSli(spec.indicator.spec, checker, ["spec", "indicator", "spec"]);
  } else if (spec.indicatorRef !== undefined) {
    const ref = slis.get(spec.indicatorRef);
    if (!ref) {
      checker.report(["spec", "indicatorRef"], `no SLI named "${spec.indicatorRef}"`, {
        hint: "define it in a kind: SLI document of one of the files given, or inline it as spec.indicator",
      });
    }
    // A referenced SLI with problems has already been reported at its own document.
    sli = ref?.sli;
  }

  let windows;
  const [timeWindow, ...extraWindows] = spec.timeWindow;
  if (!timeWindow) {
    checker.report(["spec", "timeWindow"], "spec.timeWindow is empty", {
      expected: "[{duration: 30d, isRolling: true}]",
    });
  } else {
    if (extraWindows.length > 0) {
      checker.report(["spec", "timeWindow", 1], "several time windows are unsupported", {
        hint: "write one SLO per time window",
      });
    }
    if (timeWindow.calendar !== undefined || timeWindow.isRolling !== true) {
      checker.report(
        ["spec", "timeWindow", 0, timeWindow.calendar !== undefined ? "calendar" : "isRolling"],
        "calendar-aligned time windows are unsupported",
        {
          expected: "isRolling: true",
          hint: "burn-rate alerts and the period rule measure a rolling window",
        },
        { key: timeWindow.calendar !== undefined || timeWindow.isRolling === undefined },
      );
    } else {
      windows = resolveWindows(
        checker,
        { text: timeWindow.duration, path: ["spec", "timeWindow", 0, "duration"] },
        undefined,
      );
    }
  }

  if (spec.budgetingMethod !== "Occurrences") {
    checker.report(["spec", "budgetingMethod"], `budgeting method ${spec.budgetingMethod} is unsupported`, {
      expected: "Occurrences",
      hint: "the generated rules count good and bad events; Timeslices and RatioTimeslices budgets are not computed",
    });
  }
  const objective = compileObjective(doc, checker);
  if (spec.alertPolicies !== undefined) {
    checker.report(
      ["spec", "alertPolicies"],
      "alertPolicies are unsupported",
      {
        hint: `Slipway generates a page and a ticket multiwindow burn-rate alert for every SLO; remove alertPolicies (the alert name can be set with the metadata annotation ${ALERT_NAME_ANNOTATION})`,
      },
      { key: true },
    );
  }

  if (!ok.every(Boolean) || !sli || !windows || objective === undefined || checker.diagnostics.length > 0)
    return undefined;
  const alert: SloAlert = {
    disable: false,
    name: doc.metadata.annotations?.[ALERT_NAME_ANNOTATION] ?? defaultAlertName(spec.service, name),
    labels: {},
    annotations: {},
  };
  return {
    id: `${spec.service}-${name}`,
    service: spec.service,
    name,
    description: spec.description ?? "",
    objective,
    labels,
    sli,
    pageAlert: alert,
    ticketAlert: { ...alert },
    windows,
    position: checker.source.positionOf(["metadata", "name"]),
  };
}

/** The objective as a percentage, e.g. target 0.999 gives 99.9. */
function compileObjective(doc: OpenSloSlo, checker: SloChecker): number | undefined {
  const [objective, ...others] = doc.spec.objectives;
  if (!objective) {
    checker.report(["spec", "objectives"], "spec.objectives is empty", { expected: "[{target: 0.999}]" });
    return undefined;
  }
  if (others.length > 0) {
    checker.report(["spec", "objectives", 1], "several objectives are unsupported", {
      hint: "write one SLO per objective",
    });
  }
  const path = ["spec", "objectives", 0];
  for (const key of ["timeSliceTarget", "timeSliceWindow"] as const) {
    if (objective[key] !== undefined)
      checker.report(
        [...path, key],
        `${key} is unsupported`,
        { hint: "only Occurrences budgeting is supported" },
        { key: true },
      );
  }
  for (const key of ["indicator", "indicatorRef", "compositeWeight"] as const) {
    if (objective[key] !== undefined)
      checker.report(
        [...path, key],
        `per-objective ${key} (composite SLOs) is unsupported`,
        {},
        { key: true },
      );
  }
  if ((objective.target === undefined) === (objective.targetPercent === undefined)) {
    checker.report(path, "an objective needs exactly one of target or targetPercent", {
      expected: "target: 0.999",
    });
    return undefined;
  }
  if (objective.targetPercent !== undefined) {
    return checker.objective(objective.targetPercent, [...path, "targetPercent"])
      ? objective.targetPercent
      : undefined;
  }
  const target = objective.target ?? 0;
  // 0.999 * 100 is 99.89999999999999 in binary floating point; read back the decimal the user
  // wrote, so the rules are the same as for a Sloth `objective: 99.9`.
  const percent = Number((target * 100).toPrecision(15));
  if (!(target > 0 && target < 1)) {
    checker.report([...path, "target"], `target ${target} is out of range`, {
      expected: "a ratio greater than 0 and less than 1, e.g. 0.999",
      hint:
        target >= 1 && target < 100
          ? `OpenSLO targets are ratios; did you mean ${Number((target / 100).toPrecision(15))}?`
          : undefined,
    });
    return undefined;
  }
  return percent;
}

function metadataLabels(metadata: OpenSloMetadata, checker: SloChecker): Labels {
  const labels: Labels = {};
  for (const [key, value] of Object.entries(metadata.labels ?? {})) {
    if (Array.isArray(value)) {
      checker.report(["metadata", "labels", key], `label "${key}" has a list of values`, {
        hint: "a Prometheus label holds one value; give a single string",
      });
    } else {
      labels[key] = String(value);
    }
  }
  checker.labels(labels, ["metadata", "labels"], "label");
  return labels;
}

function compileSli(spec: OpenSloSliSpec, checker: SloChecker, path: YamlPath): Sli | undefined {
  if (spec.thresholdMetric !== undefined) {
    checker.report(
      [...path, "thresholdMetric"],
      "threshold metrics are unsupported",
      {
        hint: "burn-rate alerts need a ratio of events: use ratioMetric with counters",
      },
      { key: true },
    );
    return undefined;
  }
  const ratio = spec.ratioMetric;
  if (!ratio) {
    checker.report(
      path,
      "the SLI has no ratioMetric",
      { expected: "ratioMetric: {counter: true, good or bad, total}" },
      { key: path.length > 0 },
    );
    return undefined;
  }
  const at = [...path, "ratioMetric"];
  let ok = true;
  if (!ratio.counter) {
    checker.report([...at, "counter"], "only counter ratio metrics are supported", {
      expected: "counter: true",
      hint: "the queries are wrapped in rate(), which needs counters",
    });
    ok = false;
  }
  if (ratio.raw !== undefined || ratio.rawType !== undefined) {
    checker.report(
      [...at, ratio.raw !== undefined ? "raw" : "rawType"],
      "raw ratio metrics are unsupported",
      { hint: "give good or bad, and total" },
      { key: true },
    );
    return undefined;
  }
  if ((ratio.good === undefined) === (ratio.bad === undefined) || !ratio.total) {
    checker.report(at, "a ratioMetric needs total and exactly one of good or bad", {}, { key: true });
    return undefined;
  }
  const total = counterQuery(ratio.total.metricSource, checker, [...at, "total", "metricSource"]);
  const good = ratio.good && counterQuery(ratio.good.metricSource, checker, [...at, "good", "metricSource"]);
  const bad = ratio.bad && counterQuery(ratio.bad.metricSource, checker, [...at, "bad", "metricSource"]);
  if (!ok || total === undefined || (good === undefined && bad === undefined)) return undefined;
  const rate = (selector: string) => `sum(rate(${selector}[{{.window}}]))`;
  return {
    kind: "events",
    // With only good events, errors are total - good: the same counters, so the same scrape.
    errorQuery: bad !== undefined ? rate(bad) : `${rate(total)} - ${rate(good ?? "")}`,
    totalQuery: rate(total),
  };
}

function counterQuery(
  source: {
    metricSourceRef?: string | undefined;
    type?: string | undefined;
    spec?: Record<string, unknown> | undefined;
  },
  checker: SloChecker,
  path: YamlPath,
): string | undefined {
  if (source.metricSourceRef !== undefined) {
    checker.report(
      [...path, "metricSourceRef"],
      "DataSource references are unsupported",
      { hint: "write type: Prometheus and spec.query inline" },
      { key: true },
    );
    return undefined;
  }
  if (source.type?.toLowerCase() !== "prometheus") {
    checker.report(
      source.type === undefined ? path : [...path, "type"],
      `metric source type ${source.type ?? "(none)"} is unsupported`,
      {
        expected: "type: Prometheus",
        hint: "the rules are evaluated by Prometheus, so only Prometheus queries can be compiled",
      },
      { key: source.type === undefined },
    );
    return undefined;
  }
  const queryPath = [...path, "spec", "query"];
  const query = source.spec?.["query"];
  if (typeof query !== "string" || query.trim() === "") {
    checker.report(
      source.spec ? queryPath : path,
      `${describePath(queryPath)} must be a non-empty query`,
      { expected: 'a counter selector, e.g. http_requests_total{code=~"5.."}' },
      { key: !source.spec },
    );
    return undefined;
  }
  const text = query.trim();
  const bare = text.replace(STRINGS, '""');
  if (/\{\{/.test(bare)) {
    checker.report(queryPath, `${describePath(queryPath)} uses a template variable`, { hint: SELECTOR_HINT });
    return undefined;
  }
  if (bare.includes("[")) {
    checker.report(queryPath, `${describePath(queryPath)} already has a range`, { hint: SELECTOR_HINT });
    return undefined;
  }
  if (!SELECTOR.test(bare)) {
    checker.report(queryPath, `${describePath(queryPath)} is not a counter selector`, {
      hint: SELECTOR_HINT,
    });
    return undefined;
  }
  return text;
}
