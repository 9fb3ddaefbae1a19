/**
 * Suppressions in templates. Like cfn-nag and checkov, a resource can carry them in its Metadata:
 *
 *   Metadata:
 *     slipway:
 *       ignore:
 *         - id: CFN-001
 *           reason: public website bucket
 *           expires: 2026-06-30   # optional
 *
 * which covers the whole resource. In YAML, a `# slipway:ignore CFN-001 reason` comment above a
 * resource covers the resource, above a property that property (comment-suppressions.ts).
 */
import type { ScanDiagnostic, Suppression } from "../model.js";
import { parseSuppressionComment } from "../suppression.js";
import { at, items, text } from "../kubernetes/yaml-tree.js";
import type { CfnResource } from "./model.js";

export function metadataSuppressions(resource: CfnResource): {
  suppressions: Suppression[];
  diagnostics: ScanDiagnostic[];
} {
  const out = { suppressions: [] as Suppression[], diagnostics: [] as ScanDiagnostic[] };
  const ignore = at(resource.metadata, "slipway", "ignore");
  if (!ignore) return out;
  if (ignore.kind !== "seq") {
    out.diagnostics.push({
      span: ignore.span,
      message: `Metadata.slipway.ignore of ${resource.logicalId} must be a list of { id, reason } entries`,
    });
    return out;
  }
  for (const entry of items(ignore)) {
    const id = text(at(entry, "id"));
    const reason = text(at(entry, "reason"));
    const expires = text(at(entry, "expires"));
    if (entry.kind !== "map" || id === undefined) {
      out.diagnostics.push({
        span: entry.span,
        message: `Metadata.slipway.ignore entry of ${resource.logicalId} needs an id`,
        hint: "write `- id: CFN-001` with `reason: ...`",
      });
      continue;
    }
    const comment = `slipway:ignore ${id}${expires !== undefined ? ` expires=${expires}` : ""} ${reason ?? ""}`;
    const parsed = parseSuppressionComment(comment, resource.span, entry.span);
    if (!parsed) continue;
    if ("diagnostic" in parsed) out.diagnostics.push(parsed.diagnostic);
    else out.suppressions.push(...parsed.suppressions);
  }
  return out;
}
