import type { z } from "zod";
import type { Diagnostic } from "../errors/index.js";
import type { YamlPath, YamlSource } from "./yaml-source.js";

/** What a file format adds to the shared diagnostics: how it names paths, and its hints. */
export interface DiagnosticStyle {
  /** A path for messages, e.g. `jobs.build.steps.0`; the empty path is the whole file. */
  describePath(path: YamlPath): string;
  /** A hint for an unknown key: "did you mean", or why the key does not belong here. */
  suggestKey(key: string, path: YamlPath): string | undefined;
  /** A hint for a value that matches none of a union's forms. */
  unionHint?(path: YamlPath): string | undefined;
}

/**
 * Validates a parsed YAML document with a strict zod schema and turns every issue into a
 * positioned diagnostic. When the only problems are unknown keys, they are dropped and the
 * document validated again, so that the caller's own checks still run and a user sees every
 * problem of the file in one report.
 */
export function validateDocument<T>(
  schema: z.ZodType<T>,
  raw: unknown,
  source: YamlSource,
  style: DiagnosticStyle,
): { data: T | undefined; diagnostics: Diagnostic[] } {
  let parsed = schema.safeParse(raw);
  if (parsed.success) return { data: parsed.data, diagnostics: [] };
  const diagnostics = parsed.error.issues.flatMap((issue) => issueToDiagnostics(issue, source, style));
  if (parsed.error.issues.every((issue) => issue.code === "unrecognized_keys")) {
    for (const issue of parsed.error.issues) {
      if (issue.code === "unrecognized_keys") dropKeys(raw, issue.path, issue.keys);
    }
    parsed = schema.safeParse(raw);
  }
  return { data: parsed.success ? parsed.data : undefined, diagnostics };
}

/** One zod issue as diagnostics; an unknown-keys issue gives one per key, at the key. */
export function issueToDiagnostics(
  issue: z.core.$ZodIssue,
  source: YamlSource,
  style: DiagnosticStyle,
): Diagnostic[] {
  const path = issue.path;
  const where = (p: YamlPath) => (p.length === 0 ? " at the top level" : ` in ${style.describePath(p)}`);
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) => ({
      position: source.positionOf([...path, key], { key: true }),
      message: `unknown key "${key}"${where(path)}`,
      hint: style.suggestKey(key, path),
    }));
  }
  if (issue.code === "invalid_key") {
    return [
      {
        position: source.positionOf(path, { key: true }),
        message: `invalid name "${String(path.at(-1))}": ${issue.issues[0]?.message ?? issue.message}`,
      },
    ];
  }
  if (issue.code === "invalid_type" && /received undefined$/.test(issue.message)) {
    const parent = path.slice(0, -1);
    return [
      {
        position: source.positionOf(parent, { key: parent.length > 0 }),
        message: `missing required key "${String(path.at(-1))}"${where(parent)}`,
        expected: String(issue.expected),
      },
    ];
  }
  const diagnostic: Diagnostic = {
    position: source.positionOf(path),
    message: `${style.describePath(path)}: ${issue.message.replace(/^Invalid input: /, "")}`,
  };
  if (issue.code === "invalid_type") diagnostic.expected = String(issue.expected);
  if (issue.code === "invalid_union") diagnostic.hint = style.unionHint?.(path);
  return [diagnostic];
}

/** In file order, as a compiler lists them. */
/** Drops repeats of the same problem at the same place (a template met by every job using it). */
export function dedupeDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diagnostics.filter((d) => {
    const key = `${d.position.file}:${d.position.line}:${d.position.column}:${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export function sortByPosition(diagnostics: Diagnostic[]): Diagnostic[] {
  return diagnostics.sort(
    (a, b) => a.position.line - b.position.line || a.position.column - b.position.column,
  );
}

function dropKeys(root: unknown, path: YamlPath, keys: readonly string[]): void {
  let node: unknown = root;
  for (const segment of path) node = (node as Record<PropertyKey, unknown> | undefined)?.[segment];
  if (node && typeof node === "object") for (const key of keys) delete (node as Record<string, unknown>)[key];
}
