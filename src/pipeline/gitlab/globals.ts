import { diagnostic, validateNode } from "./diagnostics.js";
import type { Report } from "./report.js";
import type { PlainVariables, RuleEvaluator } from "./rules.js";
import { DEFAULT_KEYWORDS, defaultSchema, globalVariablesSchema, workflowSchema } from "./schema.js";
import type { Rule } from "./schema.js";
import { at, flattenSeq, mapNode, positionIn } from "./tree.js";
import type { Entry, MapNode } from "./tree.js";
import { describeRef, expandPlain, raw } from "./variables.js";
import type { PipelineRef, VariableDef } from "./variables.js";

/** GitLab's stages when the file sets none. */
export const DEFAULT_STAGES = ["build", "test", "deploy"];

/** `stages`, with `.pre` first and `.post` last, as GitLab always adds them. */
export function readStages(root: MapNode, report: Report): string[] {
  const entry = root.entries.get("stages");
  let list = DEFAULT_STAGES;
  if (entry) {
    const node = flattenSeq(entry.value);
    const values = node.kind === "seq" ? node.items : [];
    if (node.kind !== "seq" || values.some((v) => v.kind !== "scalar" || typeof v.value !== "string")) {
      report.error(
        diagnostic(entry.value.pos, "stages: a list of stage names", undefined, "list of strings"),
      );
    } else {
      list = values.map((v) => String((v as { value: unknown }).value));
    }
  }
  return [".pre", ...list.filter((s) => s !== ".pre" && s !== ".post"), ".post"];
}

/** Top-level `variables:`, in the `{value, description, expand, options}` form or plain. */
export function readGlobalVariables(root: MapNode, report: Report): Map<string, VariableDef> {
  const entry = root.entries.get("variables");
  const defs = new Map<string, VariableDef>();
  if (!entry) return defs;
  const { data, diagnostics } = validateNode(globalVariablesSchema, entry.value, "variables", []);
  diagnostics.forEach((d) => report.error(d));
  for (const [name, value] of Object.entries(data ?? {})) {
    defs.set(name, typeof value === "string" ? raw(value) : raw(value.value ?? "", value.expand ?? true));
  }
  return defs;
}

/**
 * `default:` entries, and the deprecated top-level image, services, cache, before_script and
 * after_script (which `default:` overrides). A job copies those it does not set itself.
 */
export function readDefaults(root: MapNode, report: Report): Map<string, Entry> {
  const result = new Map<string, Entry>();
  const deprecated = ["image", "services", "cache", "before_script", "after_script"]
    .map((key) => root.entries.get(key))
    .filter((e): e is Entry => e !== undefined);
  if (deprecated.length > 0) {
    const { diagnostics } = validateNode(defaultSchema, mapNode(root.pos, deprecated), "", DEFAULT_KEYWORDS);
    diagnostics.forEach((d) => report.error(d));
    for (const entry of deprecated) result.set(entry.key, entry);
  }
  const section = root.entries.get("default");
  if (section) {
    if (section.value.kind !== "map") {
      report.error(diagnostic(section.value.pos, "default: a mapping of job keywords", undefined, "mapping"));
    } else {
      const { diagnostics } = validateNode(defaultSchema, section.value, "default", DEFAULT_KEYWORDS);
      diagnostics.forEach((d) => report.error(d));
      for (const [key, entry] of section.value.entries) result.set(key, entry);
    }
  }
  const timeout = result.get("timeout");
  if (timeout) {
    // https://docs.gitlab.com/ci/yaml/#default: "timeout, though due to issue 213634 this keyword has no effect".
    report.note(
      "default:timeout",
      "all jobs",
      "GitLab ignores a default timeout (issue 213634), and so does Slipway",
      timeout.keyPos,
    );
    result.delete("timeout");
  }
  return result;
}

export interface WorkflowResult {
  /** `workflow:rules:variables` of the matching rule: default variables of every job. */
  variables: Map<string, VariableDef>;
  name: string | undefined;
  /** The rules create no pipeline for this ref (reported). */
  none: boolean;
}

/** `workflow:`: whether GitLab creates a pipeline at all, its name and its variables. */
export async function readWorkflow(
  root: MapNode,
  rules: RuleEvaluator,
  ref: PipelineRef,
  variables: PlainVariables,
  report: Report,
): Promise<WorkflowResult> {
  const result: WorkflowResult = { variables: new Map(), name: undefined, none: false };
  const entry = root.entries.get("workflow");
  if (!entry) return result;
  const { data, diagnostics } = validateNode(
    workflowSchema,
    entry.value,
    "workflow",
    Object.keys(workflowSchema.shape),
  );
  diagnostics.forEach((d) => report.error(d));
  if (!data) return result;
  let ruleVariables: Record<string, string> = {};
  if (data.rules) {
    const rulesNode = at(entry.value, ["rules"]);
    const match = await rules.firstMatch(data.rules as Rule[], rulesNode, variables);
    if (match.index === undefined || match.when === "never") {
      result.none = true;
      const matched = match.index === undefined ? undefined : at(rulesNode, [match.index]);
      report.error(
        diagnostic(
          matched?.pos ?? positionIn(entry.value, ["rules"], { key: true }),
          `workflow:rules ${matched ? "say when: never" : "match nothing"}, so GitLab creates no pipeline for ${describeRef(ref)}`,
          "check out another branch, or simulate one: --env CI_COMMIT_BRANCH=main, --env CI_COMMIT_TAG=v1.0.0, --env CI_PIPELINE_SOURCE=merge_request_event",
        ),
      );
      return result;
    }
    ruleVariables = match.rule?.variables ?? {};
    for (const [key, value] of Object.entries(ruleVariables)) result.variables.set(key, raw(value));
  }
  if (data.name !== undefined) {
    result.name = expandPlain(data.name, { ...variables, ...ruleVariables }).trim() || undefined;
  }
  if (data.auto_cancel?.on_job_failure === "all") {
    report.warn(
      "workflow:auto_cancel:on_job_failure: all is not applied: after a failure, jobs already running finish (later stages do not start, as in GitLab)",
      positionIn(entry.value, ["auto_cancel", "on_job_failure"]),
    );
  }
  return result;
}
