import type { SourcePosition } from "../errors/index.js";
import type { AlertWindows } from "./windows.js";

export type Labels = Record<string, string>;

/** The SLI of an SLO; `{{.window}}` in the queries is replaced by each rule's window. */
export type Sli =
  { kind: "events"; errorQuery: string; totalQuery: string } | { kind: "raw"; errorRatioQuery: string };

export interface SloAlert {
  /** True when the spec says `disable: true`; no rule is generated then. */
  disable: boolean;
  /** The Prometheus alert name (Sloth's `alerting.name`, shared by the page and ticket alerts). */
  name: string;
  /** `alerting.labels` merged with the alert's own labels (the alert's win). */
  labels: Labels;
  /** `alerting.annotations` merged with the alert's own annotations (the alert's win). */
  annotations: Labels;
}

/**
 * One SLO, resolved: labels merged, defaults applied. Every input format (Sloth `prometheus/v1`,
 * OpenSLO v1, Slipway's native `slos:`) compiles to this, and the rule generator reads only this.
 */
export interface Slo {
  /** `<service>-<name>`, Sloth's `sloth_id`. */
  id: string;
  service: string;
  name: string;
  description: string;
  /** Percentage in (0, 100), e.g. 99.9. */
  objective: number;
  /** Spec-level labels merged with the SLO's (the SLO's win). */
  labels: Labels;
  sli: Sli;
  pageAlert: SloAlert;
  ticketAlert: SloAlert;
  /** The SLO period and its alert windows; the period rule, factors and windows all follow it. */
  windows: AlertWindows;
  /** Where the SLO is declared, for errors found later (e.g. an ID repeated in another file). */
  position: SourcePosition;
}

export interface SloSet {
  slos: Slo[];
  /** File text by path, for rendering code frames of errors. */
  sources: Map<string, string>;
}
