import type { YamlPath, YamlSource } from "../config/yaml-source.js";
import type { Diagnostic } from "../errors/index.js";
import type { Labels } from "./model.js";
import { describePath } from "./spec-diagnostics.js";

// Sloth's name rule (internal/prometheus model validation): IDs end up in group and label values.
const NAME = /^[A-Za-z0-9][-A-Za-z0-9_.]*[A-Za-z0-9]$/;
// Prometheus label names (model.LabelName.IsValid before UTF-8 names).
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const WINDOW_VAR = /\{\{ *\.window *\}\}/;
const TEMPLATE_ACTION = /\{\{.*?\}\}/g;

export interface ReportExtra {
  expected?: string | undefined;
  hint?: string | undefined;
}

/**
 * The checks every SLO front-end shares (names, labels, objectives, `{{.window}}` queries), each
 * reporting at a position of one YAML document, so the three formats word their errors alike.
 */
export class SloChecker {
  readonly diagnostics: Diagnostic[] = [];

  constructor(readonly source: YamlSource) {}

  report(path: YamlPath, message: string, extra: ReportExtra = {}, options: { key?: boolean } = {}): void {
    this.diagnostics.push({ position: this.source.positionOf(path, options), message, ...extra });
  }

  name(value: string, path: YamlPath, what: string): boolean {
    if (NAME.test(value)) return true;
    this.report(path, `invalid ${what} "${value}"`, {
      expected: "letters, digits, '.', '_' and '-', starting and ending with a letter or digit",
      hint: "it becomes part of the sloth_id label and of the rule group names",
    });
    return false;
  }

  labels(labels: Labels | undefined, path: YamlPath, what: "label" | "annotation"): void {
    for (const [key, value] of Object.entries(labels ?? {})) {
      if (!LABEL_NAME.test(key) || (what === "label" && key === "__name__")) {
        this.report(
          [...path, key],
          `invalid ${what} name "${key}"`,
          { expected: "letters, digits and '_', not starting with a digit (Prometheus label name rules)" },
          { key: true },
        );
      }
      if (value === "") this.report([...path, key], `${what} "${key}" has an empty value`);
    }
  }

  /** An objective as a percentage of good events. */
  objective(objective: number, path: YamlPath): boolean {
    if (objective > 0 && objective < 100) return true;
    this.report(path, `objective ${objective} is out of range`, {
      expected: "a percentage greater than 0 and less than 100, e.g. 99.9",
      hint:
        objective >= 100
          ? "100 leaves no error budget, so every single error would page"
          : "the objective is a percentage of good events, e.g. 99.9",
    });
    return false;
  }

  /** Sloth renders queries as Go templates whose only variable is `.window`, and requires it. */
  windowQuery(query: string, path: YamlPath): boolean {
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
}

/**
 * The alert name when a format has no place for one (OpenSLO) or it is left out (native):
 * `checkout` + `requests-availability` gives `CheckoutRequestsAvailabilityBudgetBurn`.
 */
export function defaultAlertName(service: string, name: string): string {
  const words = `${service}-${name}`.split(/[-_.]+/).filter(Boolean);
  return `${words.map((w) => (w[0] ?? "").toUpperCase() + w.slice(1)).join("")}BudgetBurn`;
}
