import { UsageError } from "../errors/index.js";
import type { AnalysisSpec } from "./analysis/index.js";
import type { AnalysisRef, AnalysisTemplate } from "./model.js";

/**
 * Arguments every analysis gets without declaring them: which service and environment, and the
 * two releases being compared, so a query can select `release="{{args.canary}}"`.
 */
export interface BuiltinAnalysisArgs {
  service: string;
  environment: string;
  stable: string;
  canary: string;
}

/**
 * One analysis run from the templates an `analysis` step names: their metrics together, each
 * argument from the step, else the template's default, else the built-ins. An argument a
 * template declares and nobody gives is an error before anything is measured.
 */
export function resolveAnalysis(
  ref: AnalysisRef,
  templates: Readonly<Record<string, AnalysisTemplate>>,
  builtins: BuiltinAnalysisArgs,
): AnalysisSpec {
  const args: Record<string, string> = { ...builtins };
  const metrics: AnalysisSpec["metrics"] = [];
  for (const name of ref.templates) {
    const template = templates[name];
    if (!template) {
      throw new UsageError(`no analysis template "${name}"`, {
        hint: `declare it under analysis: in slipway.yaml; known: ${Object.keys(templates).join(", ") || "none"}`,
      });
    }
    for (const arg of template.args) {
      const value = ref.args[arg.name] ?? arg.value ?? args[arg.name];
      if (value === undefined) {
        throw new UsageError(`analysis template "${name}" needs the argument "${arg.name}"`, {
          hint: `give it in the analysis step's args:, or a default value in the template`,
        });
      }
      args[arg.name] = value;
    }
    metrics.push(...template.metrics);
  }
  for (const [name, value] of Object.entries(ref.args)) args[name] = value;
  return { metrics, args };
}
