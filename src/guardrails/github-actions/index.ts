import type { FrameworkScanner, SourceFile } from "../model.js";
import { ruleMeta, scanEachFile } from "../rule.js";
import { analyzeWorkflowFile, isActionPath } from "./analyze.js";
import { WORKFLOW_RULES } from "./rules/index.js";

const WORKFLOW_PATH = /(^|\/)\.github\/workflows\/[^/]+\.ya?ml$/i;
const YAML_PATH = /\.ya?ml$/i;
/** A top-level `on:` and `jobs:` with `runs-on:` or `steps:` below: a workflow outside .github/workflows. */
const TOP_LEVEL_ON = /^(?:on|"on"|'on')\s*:/m;
const TOP_LEVEL_JOBS = /^jobs\s*:/m;
const JOB_CONTENT = /^\s+(?:runs-on|steps)\s*:/m;
const ACTION_RUNS = /^runs\s*:/m;

/**
 * Workflows under `.github/workflows/`, action metadata files (`action.yml` with `runs:`), and any
 * other YAML file shaped like a workflow (workflow templates, reusable workflows kept elsewhere).
 */
export function claimsWorkflow(file: Pick<SourceFile, "path" | "text">): boolean {
  if (WORKFLOW_PATH.test(file.path)) return true;
  if (isActionPath(file.path)) return ACTION_RUNS.test(file.text);
  return (
    YAML_PATH.test(file.path) &&
    TOP_LEVEL_ON.test(file.text) &&
    TOP_LEVEL_JOBS.test(file.text) &&
    JOB_CONTENT.test(file.text)
  );
}

export const githubActionsScanner: FrameworkScanner = {
  framework: "github-actions",
  rules: WORKFLOW_RULES.map(ruleMeta),
  claims: claimsWorkflow,
  scan(files, context) {
    return Promise.resolve(scanEachFile(files, "workflow", (file) => analyzeWorkflowFile(file, context)));
  },
};
