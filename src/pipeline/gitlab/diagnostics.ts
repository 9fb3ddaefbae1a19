import type { z } from "zod";
import { closest } from "../../config/suggest.js";
import type { Diagnostic, SourcePosition } from "../../errors/index.js";
import { positionIn, toJS } from "./tree.js";
import type { Node, Path } from "./tree.js";

/** Keys people bring from other CI systems, with what GitLab uses instead. */
const FOREIGN_KEYS: Record<string, string> = {
  "runs-on": "runs-on belongs to GitHub workflows; GitLab picks runners with tags:",
  steps: "GitLab jobs run script: (a list of commands), not steps:",
  uses: "GitLab has no actions; use script: or include: a template",
  env: "GitLab calls them variables:",
  if: "use rules: - if: ... in GitLab",
  "timeout-minutes": 'use timeout: "30 minutes"',
  "continue-on-error": "GitLab calls it allow_failure:",
  type: "type was renamed stage:",
};

/**
 * Validates a value of the tree with a strict schema and turns each problem into a diagnostic at
 * the exact key or value, whichever file and template it came from. When the only problems
 * are unknown keys, they are dropped and the value validated again, so the compiler still
 * checks the rest and a user sees every problem in one report.
 */
export function validateNode<T>(
  schema: z.ZodType<T>,
  node: Node,
  place: string,
  keywords: readonly string[],
): { data: T | undefined; diagnostics: Diagnostic[] } {
  const raw = toJS(node);
  let parsed = schema.safeParse(raw);
  if (parsed.success) return { data: parsed.data, diagnostics: [] };
  const diagnostics = parsed.error.issues.flatMap((issue) => toDiagnostics(issue, node, place, keywords));
  if (parsed.error.issues.every((issue) => issue.code === "unrecognized_keys")) {
    for (const issue of parsed.error.issues) {
      if (issue.code === "unrecognized_keys") dropKeys(raw, issue.path as Path, issue.keys);
    }
    parsed = schema.safeParse(raw);
  }
  return { data: parsed.success ? parsed.data : undefined, diagnostics };
}

function toDiagnostics(
  issue: z.core.$ZodIssue,
  node: Node,
  place: string,
  keywords: readonly string[],
): Diagnostic[] {
  const path = issue.path as Path;
  const where = describe(place, path);
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) => ({
      position: positionIn(node, [...path, key], { key: true }),
      message: `unknown key "${key}" in ${where}`,
      hint: path.length === 0 ? suggestKey(key, keywords) : nestedHint(key),
    }));
  }
  if (issue.code === "invalid_key") {
    return [
      {
        position: positionIn(node, path, { key: true }),
        message: `invalid name "${String(path.at(-1))}" in ${describe(place, path.slice(0, -1))}: ${issue.issues[0]?.message ?? issue.message}`,
      },
    ];
  }
  if (issue.code === "invalid_type" && /received undefined$/.test(issue.message)) {
    const parent = path.slice(0, -1);
    return [
      {
        position: positionIn(node, parent, { key: parent.length > 0 }),
        message: `missing required key "${String(path.at(-1))}" in ${describe(place, parent)}`,
        expected: String(issue.expected),
      },
    ];
  }
  const diagnostic: Diagnostic = {
    position: positionIn(node, path),
    message: `${where}: ${issue.message.replace(/^Invalid input: /, "")}`,
  };
  if (issue.code === "invalid_type") diagnostic.expected = String(issue.expected);
  if (issue.code === "invalid_union") diagnostic.hint = unionHint(place, path);
  return [diagnostic];
}

/** GitLab names places like `build:artifacts:paths`. */
export function describe(place: string, path: Path): string {
  return [place, ...path.map(String)].filter((p) => p !== "").join(":");
}

export function suggestKey(key: string, keywords: readonly string[]): string {
  const foreign = FOREIGN_KEYS[key];
  if (foreign) return foreign;
  const close = closest(key, keywords);
  return close ? `did you mean "${close}"?` : `GitLab keywords here: ${keywords.join(", ")}`;
}

/** Zod's issue does not list the keys a nested object allows, so suggestions come from all of them. */
function nestedHint(key: string): string | undefined {
  const close = closest(key, NESTED_KEYWORDS);
  return close ? `did you mean "${close}"?` : undefined;
}

const NESTED_KEYWORDS = [
  "paths",
  "exclude",
  "expire_in",
  "expose_as",
  "name",
  "public",
  "access",
  "reports",
  "untracked",
  "when",
  "junit",
  "dotenv",
  "key",
  "files",
  "prefix",
  "policy",
  "fallback_keys",
  "unprotect",
  "if",
  "changes",
  "exists",
  "allow_failure",
  "variables",
  "needs",
  "interruptible",
  "start_in",
  "compare_to",
  "job",
  "artifacts",
  "optional",
  "parallel",
  "matrix",
  "max",
  "exit_codes",
  "url",
  "action",
  "on_stop",
  "auto_stop_in",
  "deployment_tier",
  "default",
  "entrypoint",
  "pull_policy",
  "value",
  "description",
  "expand",
  "options",
  "publish",
  "path_prefix",
  "refs",
  "local",
  "project",
  "file",
  "ref",
  "remote",
  "template",
  "component",
  "rules",
  "inputs",
  "pre_get_sources_script",
];

function unionHint(place: string, path: Path): string | undefined {
  const last = String(path.at(-1));
  const parent = String(path.at(-2));
  if (path.includes("variables") || place === "variables") {
    return 'a string (quote values like "true", "yes" or "on", which YAML reads as booleans), or {value, description, expand}';
  }
  if (last === "script" || last === "before_script" || last === "after_script") {
    return "a command or a list of commands (strings)";
  }
  if (last === "needs") return "a list of job names or {job, artifacts, optional}";
  if (parent === "needs") return "a job name, or {job, artifacts, optional}";
  if (last === "retry") return "0, 1 or 2, or {max, when, exit_codes}";
  if (last === "allow_failure") return "true, false, or {exit_codes: [...]}";
  if (last === "parallel") return "a number from 1 to 200, or {matrix: [...]}";
  if (last === "cache") return "a cache {key, paths, policy...} or a list of up to four";
  if (last === "image") return "an image name, or {name, entrypoint, ...}";
  if (last === "environment") return "an environment name, or {name, url, action, ...}";
  if (last === "only" || last === "except") return "a list of refs, or {refs, variables, changes}";
  if (last === "changes" || last === "exists") return "a list of paths, or {paths, ...}";
  if (last === "timeout" || last === "start_in" || last === "expire_in") return 'a duration such as "1h 30m"';
  return undefined;
}

function dropKeys(root: unknown, path: Path, keys: readonly string[]): void {
  let node: unknown = root;
  for (const segment of path) node = (node as Record<PropertyKey, unknown> | undefined)?.[segment];
  if (node && typeof node === "object") for (const key of keys) delete (node as Record<string, unknown>)[key];
}

export function diagnostic(
  position: SourcePosition,
  message: string,
  hint?: string,
  expected?: string,
): Diagnostic {
  const d: Diagnostic = { position, message };
  if (hint !== undefined) d.hint = hint;
  if (expected !== undefined) d.expected = expected;
  return d;
}
