import type { YamlPath } from "../../config/yaml-source.js";
import { InternalError } from "../../errors/index.js";
import type { NativeStep } from "./schema.js";

export const TERRAFORM_STEP_KINDS = ["terraform-plan", "terraform-apply", "terraform-drift"] as const;
export type TerraformStepKind = (typeof TERRAFORM_STEP_KINDS)[number];

export interface TerraformStepCommand {
  /** `slipway tf plan|apply|drift` and its options whose values are plain text. */
  args: string[];
  /**
   * Options whose values hold ${{ }} expressions, by the variable that carries each: the engine
   * evaluates a step's env, never splicing values into the script, so a checksum or a variable
   * from another job cannot become shell code.
   */
  env: Record<string, string>;
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
  const words: { flag: string; value: string; path: YamlPath }[] = [];
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

  const command: TerraformStepCommand = {
    args: ["tf", subcommand, ...switches],
    env: {},
    name: `terraform ${subcommand} ${dir}`,
  };
  for (const word of words) {
    check(word.value, word.path);
    // One word `--flag=value`: a value starting with `-` (an init argument) stays the option's value.
    const text = `${word.flag}=${word.value}`;
    if (word.value.includes("${{"))
      command.env[`SLIPWAY_TF_ARG_${Object.keys(command.env).length + 1}`] = text;
    else command.args.push(text);
  }
  return command;
}
