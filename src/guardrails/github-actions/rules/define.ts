import type { Rule } from "../../model.js";
import type { Expression, Job, Step, Workflow } from "../model.js";

export type WorkflowRule = Rule<Workflow>;

export function workflowRule(rule: Omit<WorkflowRule, "framework">): WorkflowRule {
  return { framework: "github-actions", ...rule };
}

export const SECURITY_HARDENING =
  "https://docs.github.com/en/actions/security-for-github-actions/security-guides/security-hardening-for-github-actions";

/** Every step with its job, in file order. */
export function allSteps(workflow: Workflow): { job: Job; step: Step }[] {
  return workflow.jobs.flatMap((job) => job.steps.map((step) => ({ job, step })));
}

export function hasTrigger(workflow: Workflow, ...events: string[]): boolean {
  return workflow.triggers.some((t) => events.includes(t.event));
}

/** Steps that execute code from the workspace: scripts and local actions. */
export function runsCode(step: Step): boolean {
  return step.run !== undefined || step.uses?.kind === "local";
}

/** Code the step evaluates: its `run:` script, or the `script:` of actions/github-script. */
export function codeExpressions(step: Step): Expression[] {
  if (step.run) return step.run.expressions;
  if (step.uses?.kind === "remote" && step.uses.repository === "actions/github-script")
    return step.with.get("script")?.expressions ?? [];
  return [];
}
