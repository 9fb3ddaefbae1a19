import { ConfigError, UsageError } from "../../errors/index.js";
import type { Diagnostic } from "../../errors/index.js";
import { closest } from "../../config/suggest.js";
import type { WorkflowMeta } from "./meta.js";

export interface ResolvedInputs {
  /** The `inputs` context: booleans and numbers keep their type. */
  context: Record<string, string | number | boolean>;
  /** `github.event.inputs`: every value as a string, as GitHub sends them. */
  event: Record<string, string>;
}

/**
 * workflow_dispatch inputs from `--input NAME=VALUE`, checked the way GitHub's form checks them:
 * known names, booleans as true/false, choices among their options, numbers as numbers, and
 * required inputs present (a default counts). `check: false` (validate, graph) fills what is
 * missing with empty values instead of failing.
 */
export function resolveInputs(
  meta: WorkflowMeta,
  given: Readonly<Record<string, string>>,
  event: string,
  check: boolean,
): ResolvedInputs {
  const names = Object.keys(meta.inputs);
  if (Object.keys(given).length > 0 && event !== "workflow_dispatch") {
    throw new UsageError(`--input is for workflow_dispatch runs, and this run plays ${event}`, {
      hint: "add --event workflow_dispatch",
    });
  }
  for (const name of Object.keys(given)) {
    if (meta.inputs[name]) continue;
    const suggestion = closest(name, names);
    throw new UsageError(`--input ${name}: the workflow has no input "${name}"`, {
      hint: suggestion
        ? `did you mean "${suggestion}"?`
        : names.length > 0
          ? `inputs: ${names.join(", ")}`
          : "it declares no inputs",
    });
  }
  const result: ResolvedInputs = { context: {}, event: {} };
  if (event !== "workflow_dispatch") return result;
  const missing: Diagnostic[] = [];
  for (const [name, input] of Object.entries(meta.inputs)) {
    const raw = given[name] ?? (input.default === undefined ? undefined : String(input.default));
    if (raw === undefined) {
      if (input.required && check) {
        missing.push({
          position: input.position,
          message: `input "${name}" is required and has no default`,
          hint: `pass --input ${name}=VALUE`,
        });
      }
      result.context[name] = input.type === "boolean" ? false : "";
      result.event[name] = input.type === "boolean" ? "false" : "";
      continue;
    }
    result.context[name] = typed(name, input.type, raw, input.options);
    result.event[name] = raw;
  }
  if (missing.length > 0) throw new ConfigError(missing);
  return result;
}

function typed(
  name: string,
  type: string,
  raw: string,
  options: string[] | undefined,
): string | number | boolean {
  switch (type) {
    case "boolean":
      if (raw !== "true" && raw !== "false") {
        throw new UsageError(`--input ${name}=${raw}: input "${name}" is a boolean`, {
          hint: "true or false",
        });
      }
      return raw === "true";
    case "number": {
      const n = Number(raw);
      if (raw.trim() === "" || !Number.isFinite(n)) {
        throw new UsageError(`--input ${name}=${raw}: input "${name}" is a number`);
      }
      return n;
    }
    case "choice":
      if (options && !options.includes(raw)) {
        throw new UsageError(`--input ${name}=${raw}: not one of the options of input "${name}"`, {
          hint: `options: ${options.join(", ")}`,
        });
      }
      return raw;
    default:
      return raw;
  }
}
