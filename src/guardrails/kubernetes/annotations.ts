/**
 * `slipway.dev/ignore` annotations: suppressions that travel with the object, so they survive
 * Helm and kustomize rendering (comments in templates may not). The value holds entries separated
 * by `;`, each written like a comment suppression without the marker:
 *
 *   slipway.dev/ignore: "K8S-003 runs as root by design; K8S-010,K8S-011 expires=2026-06-30 migrating"
 *
 * Each entry covers the whole object. `;` is the separator because reasons are free text that
 * may hold commas, and commas already join several rule ids within one entry.
 */
import type { ScanDiagnostic, Suppression } from "../model.js";
import { parseSuppressionComment } from "../suppression.js";
import type { K8sObject } from "./model.js";
import { at, pairOf } from "./yaml-tree.js";

export const IGNORE_ANNOTATION = "slipway.dev/ignore";

export function annotationSuppressions(object: K8sObject): {
  suppressions: Suppression[];
  diagnostics: ScanDiagnostic[];
} {
  const out = { suppressions: [] as Suppression[], diagnostics: [] as ScanDiagnostic[] };
  const pair = pairOf(at(object.root, "metadata", "annotations"), IGNORE_ANNOTATION);
  if (!pair) return out;
  const value = pair.value.kind === "scalar" && pair.value.value !== null ? String(pair.value.value) : "";
  const entries = value
    .split(";")
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (entries.length === 0)
    out.diagnostics.push({
      span: pair.span,
      message: `${IGNORE_ANNOTATION} on ${object.address} is empty`,
      hint: `write "K8S-003 the reason; K8S-010 another reason"`,
    });
  for (const entry of entries) {
    const parsed = parseSuppressionComment(`slipway:ignore ${entry}`, object.span, pair.value.span);
    if (!parsed) continue;
    if ("diagnostic" in parsed)
      out.diagnostics.push({
        ...parsed.diagnostic,
        message: `${IGNORE_ANNOTATION}: ${parsed.diagnostic.message}`,
      });
    else out.suppressions.push(...parsed.suppressions);
  }
  return out;
}
