import { nativeDialect } from "../dialect.js";
import type { RunnerDialect } from "../dialect.js";
import type { Pipeline } from "../ir.js";
import { resolveNativeInputs } from "./inputs.js";
import type { InputCheck } from "./inputs.js";
import { nativeOn } from "./on.js";
import type { InputValue } from "./on.js";

/** slipway.yaml's dialect for one run: the `inputs` context holds the run's resolved inputs. */
export function nativeDialectWithInputs(inputs: Readonly<Record<string, InputValue>>): RunnerDialect {
  return { ...nativeDialect, contexts: (scope) => ({ ...nativeDialect.contexts(scope), inputs }) };
}

/**
 * The dialect of a manual run of a compiled slipway.yaml, which every `slipway run` on this
 * machine is, whatever `on:` lists: `given` checked against `on.manual.inputs`, defaults applied.
 * A pipeline without inputs refuses any given one, so a mistyped `--input` is never ignored.
 */
export function manualRunDialect(
  pipeline: Pipeline,
  given: Readonly<Record<string, string>>,
  check: InputCheck,
): RunnerDialect {
  const on = nativeOn(pipeline);
  const declared = on?.manual ?? {
    position: on?.position ?? { file: pipeline.source.file, line: 1, column: 1 },
    inputs: {},
  };
  return nativeDialectWithInputs(resolveNativeInputs(declared, given, check));
}
