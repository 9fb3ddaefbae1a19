import { readFile } from "node:fs/promises";
import { ConfigError, EnvironmentError } from "../errors/index.js";
import type { Diagnostic } from "../errors/index.js";
import { generateRules } from "./generate-rules.js";
import type { GenerateOptions } from "./generate-rules.js";
import { duplicateIds, loadSloSpecs } from "./load-spec.js";
import type { Slo } from "./model.js";
import { renderRuleFile } from "./render-rules.js";

/**
 * `slipway slo generate FILE...`: reads Sloth specs and returns one Prometheus rule file for all
 * of them. Every file is read and checked before anything is generated, so one run reports the
 * problems of all files.
 */
export async function sloGenerate(files: string[], options: GenerateOptions = {}): Promise<string> {
  const slos: Slo[] = [];
  const sources = new Map<string, string>();
  const diagnostics: Diagnostic[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (error) {
      throw new EnvironmentError(`cannot read ${file}: ${(error as Error).message}`, {
        cause: error,
        hint: "pass the paths of Sloth prometheus/v1 spec files",
      });
    }
    sources.set(file, text);
    try {
      slos.push(...loadSloSpecs(text, file).slos);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      diagnostics.push(...error.diagnostics);
    }
  }
  diagnostics.push(...duplicateIds(slos));
  if (diagnostics.length > 0) throw new ConfigError(diagnostics);
  return renderRuleFile(generateRules({ slos, sources }, options));
}
