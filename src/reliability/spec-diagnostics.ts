import { closest } from "../config/suggest.js";
import type { DiagnosticStyle } from "../config/schema-diagnostics.js";
import type { YamlPath } from "../config/yaml-source.js";
import { sloSpecSchema, slothSpecSchema } from "./spec-schema.js";

export function describePath(path: YamlPath): string {
  return path.length === 0 ? "the spec" : path.map(String).join(".");
}

const sliShape = sloSpecSchema.shape.sli.shape;
const alertingShape = sloSpecSchema.shape.alerting.unwrap().shape;

/** Allowed keys by the name of the mapping they sit in, read from the schema so they cannot drift. */
const KNOWN_KEYS: Record<string, string[]> = {
  "": Object.keys(slothSpecSchema.shape),
  slos: Object.keys(sloSpecSchema.shape),
  sli: Object.keys(sliShape),
  events: Object.keys(sliShape.events.unwrap().shape),
  raw: Object.keys(sliShape.raw.unwrap().shape),
  alerting: Object.keys(alertingShape),
  page_alert: Object.keys(alertingShape.page_alert.unwrap().shape),
  ticket_alert: Object.keys(alertingShape.ticket_alert.unwrap().shape),
};

const NOT_IN_SLOTH: Record<string, string> = {
  period: "the SLO period is not part of Sloth's prometheus/v1 spec; it is 30d",
  for: "Sloth's prometheus/v1 alerts have no `for`; the short window already stops flapping",
  window: "use `{{.window}}` inside the queries; the windows come from the SLO period",
};

function suggestKey(key: string, path: YamlPath): string | undefined {
  if (NOT_IN_SLOTH[key]) return NOT_IN_SLOTH[key];
  const names = path.filter((p): p is string => typeof p === "string");
  const known = KNOWN_KEYS[names.at(-1) ?? ""];
  if (!known) return undefined;
  const close = closest(key, known);
  return close
    ? `did you mean "${close}"? Allowed: ${known.join(", ")}`
    : `allowed keys: ${known.join(", ")}`;
}

/** How Sloth specs name paths and suggest keys in diagnostics. */
export const SPEC_STYLE: DiagnosticStyle = { describePath, suggestKey };
