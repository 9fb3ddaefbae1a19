import type { YamlPath } from "../../config/yaml-source.js";
import { builtInCommand } from "./builtin-command.js";
import type { BuiltInCommand, OptionWord } from "./builtin-command.js";
import type { NativeStep } from "./schema.js";

/**
 * The command a `deploy` step runs: `slipway deploy` with every value as an option, so a version
 * made of an expression (`${{ github.sha }}`) travels through the environment like any other.
 */
export function deployStepCommand(
  spec: NonNullable<NativeStep["deploy"]>,
  path: YamlPath,
  check: (value: string, path: YamlPath) => void,
): BuiltInCommand & { name: string } {
  const words: OptionWord[] = [];
  const add = (flag: string, key: keyof typeof spec) => {
    const value = spec[key];
    if (value !== undefined) words.push({ flag, value, path: [...path, key] });
  };
  add("--service", "service");
  add("--release", "version");
  add("--environment", "environment");
  add("--dir", "dir");
  add("--override", "override");
  add("--file", "file");
  return {
    ...builtInCommand(["deploy"], words, "SLIPWAY_DEPLOY_ARG", check),
    name: `deploy ${spec.service} to ${spec.environment}`,
  };
}
