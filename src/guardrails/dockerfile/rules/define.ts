import type { Reporter, Rule } from "../../model.js";
import type { DockerfileModel, LocatedCommand, Stage } from "../model.js";
import { scriptSpan } from "../model.js";
import type { ShellWord } from "../shell.js";

export type DockerfileRule = Rule<DockerfileModel>;

export function dockerfileRule(rule: Omit<DockerfileRule, "framework">): DockerfileRule {
  return { framework: "dockerfile", ...rule };
}

/** Hadolint's wiki page for a rule id, the reference most Dockerfile authors know. */
export function hadolint(id: string): string {
  return `https://github.com/hadolint/hadolint/wiki/${id}`;
}

export const BEST_PRACTICES = "https://docs.docker.com/build/building/best-practices/";
export const REFERENCE = "https://docs.docker.com/reference/dockerfile/";

/** Reports at a command of a RUN script, from its program word to the end of the command. */
export function reportCommand(
  model: DockerfileModel,
  located: LocatedCommand,
  report: Reporter,
  message: string,
  word?: ShellWord,
): void {
  const start = word?.start ?? located.call?.programWord.start ?? located.command.start;
  const end = word?.end ?? located.command.end;
  report({
    message,
    span: scriptSpan(model.parsed, located.script, start, end),
    resource: located.run.stage.label,
  });
}

/** Stages whose files end up in the image: the final stage and the stages it is built FROM. */
export function shippedStages(model: DockerfileModel): Stage[] {
  return model.stages.filter((stage) => model.shipped.has(stage));
}

export function commandsOf(stages: readonly Stage[]): LocatedCommand[] {
  return stages.flatMap((stage) => stage.runs.flatMap((run) => run.commands));
}
