import type { YamlPath } from "../../config/yaml-source.js";
import { InternalError } from "../../errors/index.js";
import { builtInCommand } from "./builtin-command.js";
import type { BuiltInCommand, OptionWord } from "./builtin-command.js";
import type { NativeStep } from "./schema.js";

export const TERRAFORM_STEP_KINDS = ["terraform-plan", "terraform-apply", "terraform-drift"] as const;
export type TerraformStepKind = (typeof TERRAFORM_STEP_KINDS)[number];

export interface TerraformStepCommand extends BuiltInCommand {
  name: string;
}

/**
 * The command a terraform step runs. `check` validates each value's expressions and reports
 * them at their position in the file.
 */
export function terraformStepCommand(
  kind: TerraformStepKind,
  step: NativeStep,
  path: YamlPath,
  check: (value: string, path: YamlPath) => void,
): TerraformStepCommand {
  const words: OptionWord[] = [];
  const switches: string[] = [];
  const add = (flag: string, value: string | undefined, at: YamlPath) => {
    if (value !== undefined) words.push({ flag, value, path: [...path, kind, ...at] });
  };
  const list = (flag: string, values: readonly string[] | undefined, key: string) =>
    values?.forEach((value, i) => add(flag, value, [key, i]));
  const vars = (values: Readonly<Record<string, string>> | undefined) => {
    for (const [name, value] of Object.entries(values ?? {}))
      add("--var", `${name}=${value}`, ["vars", name]);
  };

  let subcommand: string;
  let dir: string;
  if (kind === "terraform-plan") {
    const spec = step[kind];
    if (!spec) throw new InternalError("a terraform-plan step without its options");
    subcommand = "plan";
    dir = spec.dir;
    add("--dir", spec.dir, ["dir"]);
    add("--workspace", spec.workspace, ["workspace"]);
    list("--var-file", spec["var-files"], "var-files");
    vars(spec.vars);
    add("--out", spec.out, ["out"]);
    list("--init-arg", spec["init-args"], "init-args");
    add("--binary", spec.binary, ["binary"]);
  } else if (kind === "terraform-apply") {
    const spec = step[kind];
    if (!spec) throw new InternalError("a terraform-apply step without its options");
    subcommand = "apply";
    dir = spec.dir;
    add("--dir", spec.dir, ["dir"]);
    add("--plan", spec.plan, ["plan"]);
    add("--checksum", spec.checksum, ["checksum"]);
    list("--init-arg", spec["init-args"], "init-args");
    add("--binary", spec.binary, ["binary"]);
  } else {
    const spec = step[kind];
    if (!spec) throw new InternalError("a terraform-drift step without its options");
    subcommand = "drift";
    dir = spec.dir;
    add("--dir", spec.dir, ["dir"]);
    list("--workspace", spec.workspaces, "workspaces");
    list("--var-file", spec["var-files"], "var-files");
    vars(spec.vars);
    add("--report", spec.report, ["report"]);
    list("--init-arg", spec["init-args"], "init-args");
    add("--binary", spec.binary, ["binary"]);
    if (spec["fail-on-drift"] === false) switches.push("--no-fail-on-drift");
  }

  return {
    ...builtInCommand(["tf", subcommand, ...switches], words, "SLIPWAY_TF_ARG", check),
    name: `terraform ${subcommand} ${dir}`,
  };
}
