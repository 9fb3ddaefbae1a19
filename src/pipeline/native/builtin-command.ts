import type { YamlPath } from "../../config/yaml-source.js";

/** One `--flag=value` of a built-in step's command, and where its value sits in the file. */
export interface OptionWord {
  flag: string;
  value: string;
  path: YamlPath;
}

export interface BuiltInCommand {
  /** The Slipway CLI's arguments whose values are plain text. */
  args: string[];
  /**
   * Options whose values hold ${{ }} expressions, by the variable that carries each: the engine
   * evaluates a step's env, never splicing values into the script, so a checksum or a variable
   * from another job cannot become shell code.
   */
  env: Record<string, string>;
}

/**
 * A built-in step's command line: plain options as arguments, options with expressions through
 * numbered environment variables named `<prefix>_1`, `<prefix>_2`... `check` validates each
 * value's expressions and reports them at their position in the file.
 */
export function builtInCommand(
  args: readonly string[],
  words: readonly OptionWord[],
  envPrefix: string,
  check: (value: string, path: YamlPath) => void,
): BuiltInCommand {
  const command: BuiltInCommand = { args: [...args], env: {} };
  for (const word of words) {
    check(word.value, word.path);
    // One word `--flag=value`: a value starting with `-` (an init argument) stays the option's value.
    const text = `${word.flag}=${word.value}`;
    if (word.value.includes("${{")) command.env[`${envPrefix}_${Object.keys(command.env).length + 1}`] = text;
    else command.args.push(text);
  }
  return command;
}
