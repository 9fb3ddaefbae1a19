import { YamlSource } from "../config/yaml-source.js";
import type { YamlPath } from "../config/yaml-source.js";
import { ConfigError } from "../errors/index.js";
import type { Diagnostic, SourcePosition } from "../errors/index.js";
import type { Sli, Slo, SloAlert, SloSet } from "./model.js";
import { SloChecker } from "./slo-checks.js";
import { GOOGLE_30D_WINDOWS } from "./windows.js";
import type { AlertWindows } from "./windows.js";
import { SPEC_STYLE } from "./spec-diagnostics.js";
import { sortByPosition, validateDocument } from "../config/schema-diagnostics.js";
import { slothSpecSchema } from "./spec-schema.js";
import type { SloSpec, SlothSpec } from "./spec-schema.js";

export const SLOTH_SPEC_VERSION = "prometheus/v1";

/**
 * Reads Sloth `prometheus/v1` specs (one or several YAML documents in `text`). Throws a
 * ConfigError carrying every problem of the file, each with its line and column. Sloth's spec
 * has no period: `windows` plays the part of `sloth generate --default-slo-period` (30d).
 */
export function loadSloSpecs(text: string, file: string, windows: AlertWindows = GOOGLE_30D_WINDOWS): SloSet {
  const slos: Slo[] = [];
  const diagnostics: Diagnostic[] = [];
  const { sources, diagnostics: syntax } = YamlSource.parseAll(file, text);
  diagnostics.push(...syntax);
  for (const source of syntax.length > 0 ? [] : sources) {
    const loaded = loadDocument(source, windows);
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

function loadDocument(source: YamlSource, windows: AlertWindows): { slos: Slo[]; diagnostics: Diagnostic[] } {
  const raw = source.toJS();
  // An empty document (a leading or trailing "---") is not a spec, as in Sloth's multi-file split.
  if (raw === null || raw === undefined) return { slos: [], diagnostics: [] };
  return loadSlothDocument(raw, source, windows);
}

/** One parsed Sloth document (`raw` is `source.toJS()`); every SLO gets `windows`. */
export function loadSlothDocument(
  raw: unknown,
  source: YamlSource,
  windows: AlertWindows,
): { slos: Slo[]; diagnostics: Diagnostic[] } {
  const { data, diagnostics: schemaDiagnostics } = validateDocument(slothSpecSchema, raw, source, SPEC_STYLE);
  if (!data) return { slos: [], diagnostics: schemaDiagnostics };
  const checker = new SpecChecker(source, windows);
  const slos = checker.check(data);
  return { slos, diagnostics: [...schemaDiagnostics, ...checker.diagnostics] };
}

class SpecChecker extends SloChecker {
  constructor(
    source: YamlSource,
    private readonly windows: AlertWindows,
  ) {
    super(source);
  }

  check(spec: SlothSpec): Slo[] {
    if (spec.version !== SLOTH_SPEC_VERSION) {
      this.report(["version"], `unsupported spec version "${spec.version}"`, {
        expected: SLOTH_SPEC_VERSION,
        hint: "only Sloth's prometheus/v1 spec is supported; Kubernetes PrometheusServiceLevel is not; OpenSLO documents start with apiVersion: openslo/v1",
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
    this.objective(slo.objective, [...path, "objective"]);
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
      windows: this.windows,
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
        this.windowQuery(errorQuery, [...path, "events", "error_query"]),
        this.windowQuery(totalQuery, [...path, "events", "total_query"]),
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
    return this.windowQuery(errorRatioQuery, [...path, "raw", "error_ratio_query"])
      ? { kind: "raw", errorRatioQuery }
      : undefined;
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
}
