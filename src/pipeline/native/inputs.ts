import { closest } from "../../config/suggest.js";
import { ConfigError } from "../../errors/index.js";
import type { Diagnostic, SourcePosition } from "../../errors/index.js";
import type { InputValue, NativeInput } from "./on.js";

/** The inputs a pipeline declares, and where: unknown inputs are reported there. */
export interface DeclaredInputs {
  position: SourcePosition;
  inputs: Readonly<Record<string, NativeInput>>;
}

export interface InputCheck {
  /** A manual run: required inputs must be given (other runs, validate and graph get empty values). */
  required: boolean;
}

/**
 * The `inputs` context of a run from the values it was given (`--input NAME=VALUE`, the API's
 * `inputs`): every name must be declared, booleans are true or false, numbers are numbers, a
 * value with options is one of them, and defaults fill what is not given (for every run, so a
 * scheduled run reads the defaults). Every problem is reported at once, as a ConfigError at the
 * declaration: on a server, a file that refuses a request's inputs is skipped with the reason
 * while the commit's other pipeline files, which the inputs may be meant for, still run.
 *
 * `declared` undefined is a server run of a pipeline without `on:`: it has no inputs and ignores
 * given ones, as before `on:` existed.
 */
export function resolveNativeInputs(
  declared: DeclaredInputs | undefined,
  given: Readonly<Record<string, string>>,
  check: InputCheck,
): Record<string, InputValue> {
  if (declared === undefined) return {};
  const { inputs } = declared;
  const names = Object.keys(inputs);
  const problems: Diagnostic[] = [];
  for (const name of Object.keys(given)) {
    if (inputs[name]) continue;
    const suggestion = closest(name, names);
    problems.push({
      position: declared.position,
      message: `unknown input "${name}": the pipeline does not declare it`,
      hint: suggestion
        ? `did you mean "${suggestion}"? Inputs: ${names.join(", ")}`
        : names.length > 0
          ? `inputs: ${names.join(", ")}`
          : "declare it under on.manual.inputs",
    });
  }
  const values: Record<string, InputValue> = {};
  for (const [name, input] of Object.entries(inputs)) {
    const raw = given[name];
    if (raw !== undefined) {
      const value = typed(name, input, raw);
      if (typeof value === "object") problems.push(value);
      else values[name] = value;
      continue;
    }
    if (input.default !== undefined) {
      values[name] = input.default;
      continue;
    }
    if (input.required && check.required) {
      problems.push({
        position: input.position,
        message: `input "${name}" is required and has no default`,
        hint: `give it a value: --input ${name}=VALUE, or "inputs" in the API request`,
      });
    }
    values[name] = input.type === "boolean" ? false : "";
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return values;
}

function typed(name: string, input: NativeInput, raw: string): InputValue | Diagnostic {
  const problem = (message: string, expected: string): Diagnostic => ({
    position: input.position,
    message: `input "${name}" ${message}`,
    expected,
  });
  if (input.type === "boolean") {
    if (raw !== "true" && raw !== "false") return problem(`is a boolean, not "${raw}"`, "true or false");
    return raw === "true";
  }
  if (input.type === "number") {
    const n = Number(raw);
    if (raw.trim() === "" || !Number.isFinite(n)) return problem(`is a number, not "${raw}"`, "a number");
    return n;
  }
  if (input.options && !input.options.includes(raw)) {
    return problem(`is "${raw}", not one of its options`, input.options.join(", "));
  }
  return raw;
}
