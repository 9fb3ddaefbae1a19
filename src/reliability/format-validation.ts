import { z } from "zod";
import { issueToDiagnostics } from "../config/schema-diagnostics.js";
import type { DiagnosticStyle } from "../config/schema-diagnostics.js";
import type { YamlPath, YamlSource } from "../config/yaml-source.js";
import type { Diagnostic } from "../errors/index.js";
import { closest } from "../config/suggest.js";
import { describePath } from "./spec-diagnostics.js";

// YAML may give `tier: 2`; as in Sloth (yaml.v2 into map[string]string), the scalar's text is the value.
export const labelsSchema = z.record(
  z.string(),
  z.union([z.string(), z.number(), z.boolean()]).transform(String),
);

/**
 * A diagnostic style whose unknown-key hints come from the allowed keys of the mapping the key
 * sits in, found by that mapping's name (the last string in the path; `""` for the top level).
 */
export function keyStyle(
  known: Record<string, readonly string[]>,
  notes: Record<string, string> = {},
): DiagnosticStyle {
  return {
    describePath,
    suggestKey(key, path) {
      if (notes[key]) return notes[key];
      const names = path.filter((p): p is string => typeof p === "string");
      const allowed = known[names.at(-1) ?? ""];
      if (!allowed) return undefined;
      const close = closest(key, allowed);
      return close
        ? `did you mean "${close}"? Allowed: ${allowed.join(", ")}`
        : `allowed keys: ${allowed.join(", ")}`;
    },
  };
}

/**
 * validateDocument (config/schema-diagnostics.ts) for a value found at `path` of a document, e.g.
 * the `slos:` section of slipway.yaml: diagnostics point into the document. Like validateDocument,
 * when only unknown keys are wrong it validates again without them so the caller's checks still run.
 */
export function validateAt<T>(
  schema: z.ZodType<T>,
  value: unknown,
  source: YamlSource,
  path: YamlPath,
  style: DiagnosticStyle,
): { data: T | undefined; diagnostics: Diagnostic[] } {
  let parsed = schema.safeParse(value);
  if (parsed.success) return { data: parsed.data, diagnostics: [] };
  const issues = parsed.error.issues;
  const diagnostics = issues.flatMap((issue) =>
    issueToDiagnostics({ ...issue, path: [...path, ...issue.path] } as z.core.$ZodIssue, source, style),
  );
  if (issues.every((issue) => issue.code === "unrecognized_keys")) {
    const copy: unknown = structuredClone(value);
    for (const issue of issues)
      if (issue.code === "unrecognized_keys") dropKeys(copy, issue.path, issue.keys);
    parsed = schema.safeParse(copy);
  }
  return { data: parsed.success ? parsed.data : undefined, diagnostics };
}

function dropKeys(root: unknown, path: YamlPath, keys: readonly string[]): void {
  let node: unknown = root;
  for (const segment of path) node = (node as Record<PropertyKey, unknown> | undefined)?.[segment];
  if (node && typeof node === "object") for (const key of keys) delete (node as Record<string, unknown>)[key];
}
