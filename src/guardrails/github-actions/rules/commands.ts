import { invocation } from "../../dockerfile/shell.js";
import { textSpan } from "../../source-text.js";
import { envName, secretName } from "../contexts.js";
import { resolveEnv, type EnvVar } from "../model.js";
import { isTrue } from "../yaml-tree.js";
import { allSteps, SECURITY_HARDENING, workflowRule } from "./define.js";

const WORKFLOW_COMMANDS =
  "https://docs.github.com/en/actions/writing-workflows/choosing-what-your-workflow-does/workflow-commands-for-github-actions";

export const unsecureCommands = workflowRule({
  id: "GHA-010",
  title: "ACTIONS_ALLOW_UNSECURE_COMMANDS is enabled",
  severity: "high",
  rationale:
    "It re-enables the `set-env` and `add-path` commands, which were disabled because any text a step prints (a log line, a test name, an issue title) can then set environment variables such as NODE_OPTIONS or LD_PRELOAD and run code in later steps.",
  remediation: "Remove the variable and write to `$GITHUB_ENV` and `$GITHUB_PATH` files instead.",
  references: [
    "https://github.blog/changelog/2020-10-01-github-actions-deprecating-set-env-and-add-path-commands/",
    "https://nvd.nist.gov/vuln/detail/CVE-2020-15228",
  ],
  check(workflow, report) {
    const scopes: { env: EnvVar[]; resource: string }[] = [
      { env: workflow.env, resource: "workflow" },
      ...workflow.jobs.map((job) => ({ env: job.env, resource: job.address })),
      ...allSteps(workflow).map(({ step }) => ({ env: step.env, resource: step.address })),
    ];
    for (const { env, resource } of scopes)
      for (const variable of env)
        if (variable.name.toUpperCase() === "ACTIONS_ALLOW_UNSECURE_COMMANDS" && isTrue(variable.pair.value))
          report({
            message: "ACTIONS_ALLOW_UNSECURE_COMMANDS re-enables set-env and add-path",
            span: variable.span,
            resource,
          });
    for (const { step } of allSteps(workflow)) {
      const match = step.run ? /ACTIONS_ALLOW_UNSECURE_COMMANDS=["']?true/i.exec(step.run.text.text) : null;
      if (match && step.run)
        report({
          message: "the script sets ACTIONS_ALLOW_UNSECURE_COMMANDS for later steps",
          span: textSpan(workflow.file.lines, step.run.text, match.index, match.index + match[0].length),
          resource: step.address,
        });
    }
  },
});

const PRINTERS = new Set(["echo", "printf", "cat", "print", "Write-Host", "Write-Output"]);

export const printedSecret = workflowRule({
  id: "GHA-012",
  title: "A secret is printed by a run step",
  severity: "medium",
  rationale:
    "Log masking only hides the exact secret string: printing it is one transformation (base64, a substring, an escaped character) away from leaking it in logs that every reader of the repository's Actions tab, and fork authors, may see.",
  remediation:
    "Do not echo secrets; pipe them into the command that needs them (`--password-stdin`) or pass them through `env:`.",
  references: [
    SECURITY_HARDENING + "#using-secrets",
    "https://docs.github.com/en/actions/security-for-github-actions/security-guides/using-secrets-in-github-actions",
  ],
  check(workflow, report) {
    for (const { job, step } of allSteps(workflow)) {
      const run = step.run;
      if (!run) continue;
      for (const command of run.shell().commands) {
        const call = invocation(command);
        // Piped or redirected output goes to a program or a file, not to the log.
        if (!call || !PRINTERS.has(call.program) || command.next === "|" || command.next === "|&") continue;
        if (
          command.redirects.some(
            (r) => />/.test(r.operator) && !/^[12]?>&[12]$/.test(r.operator + (r.target?.value ?? "")),
          )
        )
          continue;
        for (const arg of call.args) {
          const direct = run.expressions.find(
            (e) => e.start >= arg.start && e.end <= arg.end && e.sources.some((p) => secretName(p)),
          );
          if (direct) {
            report({
              message: `${call.program} prints \${{ ${direct.source} }} to the log`,
              span: direct.span,
              resource: step.address,
            });
            continue;
          }
          for (const variable of arg.variables) {
            const env = resolveEnv(workflow, job, step, variable.name);
            const secret = env?.expressions
              .flatMap((e) => e.sources)
              .map(secretName)
              .find(Boolean);
            if (!env || !secret) continue;
            report({
              message: `${call.program} prints $${variable.name}, which holds secrets.${secret}`,
              span: textSpan(workflow.file.lines, run.text, variable.start, variable.end),
              resource: step.address,
              provenance: [{ description: `env.${env.name} is set from secrets.${secret}`, span: env.span }],
            });
          }
          for (const expression of run.expressions.filter((e) => e.start >= arg.start && e.end <= arg.end)) {
            const name = expression.sources.map(envName).find(Boolean);
            const env = name ? resolveEnv(workflow, job, step, name) : undefined;
            const secret = env?.expressions
              .flatMap((e) => e.sources)
              .map(secretName)
              .find(Boolean);
            if (env && secret)
              report({
                message: `${call.program} prints \${{ ${expression.source} }}, which holds secrets.${secret}`,
                span: expression.span,
                resource: step.address,
                provenance: [
                  { description: `env.${env.name} is set from secrets.${secret}`, span: env.span },
                ],
              });
          }
        }
      }
    }
  },
});

const DEPRECATED = /::(set-output|save-state)\s/g;

export const deprecatedCommands = workflowRule({
  id: "GHA-013",
  title: "Deprecated set-output or save-state workflow command",
  severity: "low",
  rationale:
    "`::set-output` and `::save-state` are parsed from the step's log, so anything the step prints (including untrusted text) can forge outputs; GitHub deprecated them and is removing them.",
  remediation:
    'Write to the files instead: `echo "name=value" >> "$GITHUB_OUTPUT"` and `>> "$GITHUB_STATE"`.',
  references: [
    "https://github.blog/changelog/2022-10-11-github-actions-deprecating-save-state-and-set-output-commands/",
    WORKFLOW_COMMANDS,
  ],
  check(workflow, report) {
    for (const { step } of allSteps(workflow)) {
      const run = step.run;
      if (!run) continue;
      for (const match of run.text.text.matchAll(DEPRECATED)) {
        const name = match[1] ?? "";
        report({
          message: `::${name} is deprecated: write to $GITHUB_${name === "set-output" ? "OUTPUT" : "STATE"}`,
          span: textSpan(workflow.file.lines, run.text, match.index, match.index + 2 + name.length),
          resource: step.address,
        });
      }
    }
  },
});
