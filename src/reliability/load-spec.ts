import { YamlSource } from "../config/yaml-source.js";
import type { YamlPath } from "../config/yaml-source.js";
import { ConfigError } from "../errors/index.js";
import type { Diagnostic, SourcePosition } from "../errors/index.js";
import type { Labels, Sli, Slo, SloAlert, SloSet } from "./model.js";
import { splitDocuments } from "./spec-documents.js";
import { describePath, SPEC_STYLE } from "./spec-diagnostics.js";
import { sortByPosition, validateDocument } from "../config/schema-diagnostics.js";
import { slothSpecSchema } from "./spec-schema.js";
import type { SloSpec, SlothSpec } from "./spec-schema.js";

export const SLOTH_SPEC_VERSION = "prometheus/v1";

/**
 * Reads Sloth `prometheus/v1` specs (one or several YAML documents in `text`). Throws a
 * ConfigError carrying every problem of the file, each with its line and column.
 */
export function loadSloSpecs(text: string, file: string): SloSet {
  const slos: Slo[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const documentText of splitDocuments(text)) {
    const loaded = loadDocument(documentText, file);
    slos.push(...loaded.slos);
    diagnostics.push(...loaded.diagnostics);
  }
  diagnostics.push(...duplicateIds(slos));
  if (diagnostics.length > 0) throw new ConfigError(sortByPosition(diagnostics));
  return { slos, sources: new Map([[file, text]]) };
}

/** A second SLO with the same `<service>-<name>` would record into the same series as the first. */
export function duplicateIds(slos: readonly Slo[]): Diagnostic[] {
  const seen = new Map<string, SourcePosition>();
  const diagnostics: Diagnostic[] = [];
  for (const slo of slos) {
    const first = seen.get(slo.id);
    if (first) {
      diagnostics.push({
        position: slo.position,
        message: `SLO "${slo.id}" is declared twice (first at ${first.file}:${first.line}:${first.column})`,
        hint: "the service and SLO name together identify the recorded series; rename one of them",
      });
    } else {
      seen.set(slo.id, slo.position);
    }
  }
  return diagnostics;
}

function loadDocument(text: string, file: string): { slos: Slo[]; diagnostics: Diagnostic[] } {
  const { source, diagnostics } = YamlSource.parse(file, text);
  if (diagnostics.length > 0) return { slos: [], diagnostics };
  const raw = source.toJS();
  // An empty document (a leading or trailing "---") is not a spec, as in Sloth's multi-file split.
  if (raw === null || raw === undefined) return { slos: [], diagnostics: [] };

  const { data, diagnostics: schemaDiagnostics } = validateDocument(slothSpecSchema, raw, source, SPEC_STYLE);
  if (!data) return { slos: [], diagnostics: schemaDiagnostics };
  const checker = new SpecChecker(source);
  const slos = checker.check(data);
  return { slos, diagnostics: [...schemaDiagnostics, ...checker.diagnostics] };
}

// Sloth's name rule (internal/prometheus model validation): IDs end up in group and label values.
const NAME = /^[A-Za-z0-9][-A-Za-z0-9_.]*[A-Za-z0-9]$/;
// Prometheus label names (model.LabelName.IsValid before UTF-8 names).
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const WINDOW_VAR = /\{\{ *\.window *\}\}/;
const TEMPLATE_ACTION = /\{\{.*?\}\}/g;

class SpecChecker {
  readonly diagnostics: Diagnostic[] = [];

  constructor(private readonly source: YamlSource) {}

  check(spec: SlothSpec): Slo[] {
    if (spec.version !== SLOTH_SPEC_VERSION) {
      this.report(["version"], `unsupported spec version "${spec.version}"`, {
        expected: SLOTH_SPEC_VERSION,
        hint: "only Sloth's prometheus/v1 spec is supported; Kubernetes PrometheusServiceLevel and OpenSLO are not yet",
      });
    }
    this.name(spec.service, ["service"], "service");
    this.labels(spec.labels, ["labels"], "label");
    if (spec.slo_plugins !== undefined) this.unsupported(["slo_plugins"], "SLO plugins");
    if (spec.slos.length === 0) {
      this.report(["slos"], "at least one SLO is required", { hint: "add an entry under slos:" });
    }
    return spec.slos.flatMap((slo, index) => this.slo(spec, slo, ["slos", index]) ?? []);
  }

  private slo(spec: SlothSpec, slo: SloSpec, path: YamlPath): Slo | undefined {
    this.name(slo.name, [...path, "name"], "SLO name");
    if (!(slo.objective > 0 && slo.objective < 100)) {
      this.report([...path, "objective"], `objective ${slo.objective} is out of range`, {
        expected: "a percentage greater than 0 and less than 100, e.g. 99.9",
        hint:
          slo.objective >= 100
            ? "100 leaves no error budget, so every single error would page"
            : "the objective is a percentage of good events, e.g. 99.9",
      });
    }
    this.labels(slo.labels, [...path, "labels"], "label");
    if (slo.plugins !== undefined) this.unsupported([...path, "plugins"], "SLO plugins");
    const sli = this.sli(slo.sli, [...path, "sli"]);
    const alerting = slo.alerting ?? {};
    const alertingPath = [...path, "alerting"];
    this.labels(alerting.labels, [...alertingPath, "labels"], "label");
    this.labels(alerting.annotations, [...alertingPath, "annotations"], "annotation");
    const page = this.alert(alerting, "page_alert", alertingPath);
    const ticket = this.alert(alerting, "ticket_alert", alertingPath);
    if ((!page.disable || !ticket.disable) && !alerting.name) {
      this.report(
        slo.alerting ? [...alertingPath, "name"] : path,
        "alerting.name is required while the page or ticket alert is enabled",
        { hint: "name the alert (e.g. MyServiceHighErrorRate), or set disable: true on both alerts" },
        { key: !slo.alerting },
      );
    }
    if (!sli) return undefined;
    return {
      id: `${spec.service}-${slo.name}`,
      service: spec.service,
      name: slo.name,
      description: slo.description ?? "",
      objective: slo.objective,
      labels: { ...spec.labels, ...slo.labels },
      sli,
      pageAlert: page,
      ticketAlert: ticket,
      position: this.source.positionOf(path),
    };
  }

  private sli(sli: SloSpec["sli"], path: YamlPath): Sli | undefined {
    if (sli.plugin !== undefined) {
      this.unsupported([...path, "plugin"], "SLI plugins");
      return undefined;
    }
    const kinds = [sli.events && "events", sli.raw && "raw"].filter(Boolean);
    if (kinds.length !== 1) {
      this.report(
        path,
        kinds.length === 0 ? "the SLI has no query" : "the SLI has both events and raw queries",
        { expected: "exactly one of events (error_query, total_query) or raw (error_ratio_query)" },
        { key: true },
      );
      return undefined;
    }
    if (sli.events) {
      const { error_query: errorQuery, total_query: totalQuery } = sli.events;
      const ok = [
        this.query(errorQuery, [...path, "events", "error_query"]),
        this.query(totalQuery, [...path, "events", "total_query"]),
      ].every(Boolean);
      if (ok && errorQuery.trim() === totalQuery.trim()) {
        this.report([...path, "events", "total_query"], "error_query and total_query are the same query", {
          hint: 'the error query counts only the bad events, e.g. code=~"5.."',
        });
        return undefined;
      }
      return ok ? { kind: "events", errorQuery, totalQuery } : undefined;
    }
    const errorRatioQuery = sli.raw?.error_ratio_query ?? "";
    return this.query(errorRatioQuery, [...path, "raw", "error_ratio_query"])
      ? { kind: "raw", errorRatioQuery }
      : undefined;
  }

  /** Sloth renders queries as Go templates whose only variable is `.window`, and requires it. */
  private query(query: string, path: YamlPath): boolean {
    let ok = true;
    if (query.trim() === "") {
      this.report(path, `${describePath(path)} is empty`);
      return false;
    }
    for (const action of query.match(TEMPLATE_ACTION) ?? []) {
      if (!WINDOW_VAR.test(action)) {
        this.report(path, `unknown template variable ${action} in ${describePath(path)}`, {
          hint: "the only variable is {{.window}}",
        });
        ok = false;
      }
    }
    if (!WINDOW_VAR.test(query)) {
      this.report(path, `${describePath(path)} does not use {{.window}}`, {
        hint: "write the range as [{{.window}}], e.g. rate(http_requests_total[{{.window}}]); each recording rule fills in its window",
      });
      ok = false;
    }
    return ok;
  }

  private alert(
    alerting: NonNullable<SloSpec["alerting"]>,
    key: "page_alert" | "ticket_alert",
    path: YamlPath,
  ): SloAlert {
    const alert = alerting[key] ?? {};
    this.labels(alert.labels, [...path, key, "labels"], "label");
    this.labels(alert.annotations, [...path, key, "annotations"], "annotation");
    return {
      disable: alert.disable ?? false,
      name: alerting.name ?? "",
      labels: { ...alerting.labels, ...alert.labels },
      annotations: { ...alerting.annotations, ...alert.annotations },
    };
  }

  private name(value: string, path: YamlPath, what: string): void {
    if (!NAME.test(value)) {
      this.report(path, `invalid ${what} "${value}"`, {
        expected: "letters, digits, '.', '_' and '-', starting and ending with a letter or digit",
        hint: "it becomes part of the sloth_id label and of the rule group names",
      });
    }
  }

  private labels(labels: Labels | undefined, path: YamlPath, what: "label" | "annotation"): void {
    for (const [key, value] of Object.entries(labels ?? {})) {
      if (!LABEL_NAME.test(key) || (what === "label" && key === "__name__")) {
        this.report(
          [...path, key],
          `invalid ${what} name "${key}"`,
          {
            expected: "letters, digits and '_', not starting with a digit (Prometheus label name rules)",
          },
          { key: true },
        );
      }
      if (value === "") this.report([...path, key], `${what} "${key}" has an empty value`);
    }
  }

  private unsupported(path: YamlPath, what: string): void {
    this.report(
      path,
      `${what} are unsupported`,
      {
        hint: "write the query with sli.events (error_query, total_query) or sli.raw (error_ratio_query)",
      },
      { key: true },
    );
  }

  private report(
    path: YamlPath,
    message: string,
    extra: { expected?: string; hint?: string } = {},
    options: { key?: boolean } = {},
  ): void {
    this.diagnostics.push({ position: this.source.positionOf(path, options), message, ...extra });
  }
}
