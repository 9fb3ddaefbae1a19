import { runCustomRules } from "../custom/run.js";
import type { Finding, ScanContext, ScanDiagnostic, SourceFile, Suppression } from "../model.js";
import { runRules } from "../rule.js";
import { workflowResources } from "./generic.js";
import { buildWorkflow, type Workflow } from "./model.js";
import { WORKFLOW_RULES } from "./rules/index.js";
import { yamlSuppressions } from "./yaml-suppressions.js";
import { child, isYMap, parseYaml } from "./yaml-tree.js";

export interface WorkflowResult {
  workflows: Workflow[];
  findings: Finding[];
  suppressions: Suppression[];
  diagnostics: ScanDiagnostic[];
}

/** An action metadata file: `action.yml` or `action.yaml`. */
export function isActionPath(path: string): boolean {
  return /(^|\/)action\.ya?ml$/i.test(path);
}

/** Parses one workflow or action file once and runs the built-in and custom rules over it. */
export function analyzeWorkflowFile(
  file: Pick<SourceFile, "path" | "text">,
  context: Pick<ScanContext, "ruleFilter" | "customRules">,
): WorkflowResult {
  const yaml = parseYaml(file.path, file.text);
  const result: WorkflowResult = {
    workflows: [],
    findings: [],
    suppressions: [],
    diagnostics: [...yaml.diagnostics],
  };
  const action = isActionPath(file.path);
  for (const root of yaml.documents) {
    if (!isYMap(root)) continue;
    if (action ? !child(root, "runs") : !child(root, "jobs")) continue;
    result.workflows.push(buildWorkflow(yaml, root, action ? "action" : "workflow"));
  }
  for (const workflow of result.workflows) {
    result.findings.push(...runRules(workflow, WORKFLOW_RULES, context));
    const custom = runCustomRules("github-actions", () => workflowResources(workflow), context);
    result.findings.push(...custom.findings);
    result.diagnostics.push(...custom.diagnostics);
  }
  const { suppressions, diagnostics } = yamlSuppressions(yaml, {
    topOfFile: "always",
    // A suppression above `jobs:` covers the whole workflow.
    widen: (target, whole) => (target.depth === 0 && target.key === "jobs" ? whole : target.span),
  });
  result.suppressions.push(...suppressions);
  result.diagnostics.push(...diagnostics);
  return result;
}
