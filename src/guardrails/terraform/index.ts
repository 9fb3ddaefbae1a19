/**
 * The Terraform framework: `.tf` (and `.tf.json`) configurations evaluated with their
 * variables and local modules, and plans from `terraform show -json`, checked by the same
 * rules over one model (./model.ts).
 */
import { runCustomRules } from "../custom/run.js";
import type { Finding, FrameworkResult, FrameworkScanner, Rule, ScanContext, SourceFile } from "../model.js";
import { runRules } from "../rule.js";
import { genericResource } from "./generic.js";
import { isConfigurationFile, isVarFile, loadHcl } from "./load-hcl.js";
import { isPlanJson, loadPlan } from "./load-plan.js";
import type { TerraformModel } from "./model.js";
import { terraformRules } from "./rules/index.js";
import { fileSuppressions } from "./suppressions.js";

export const terraformScanner: FrameworkScanner = createTerraformScanner(terraformRules);

/** The scanner with a given rule set (the built-in one, or a test's). */
export function createTerraformScanner(rules: readonly Rule<TerraformModel>[]): FrameworkScanner {
  return {
    framework: "terraform",
    rules,
    claims: (file) =>
      isConfigurationFile(file.path) || isVarFile(file.path) || isPlanJson(file.path, file.text),
    scan: (files, context) => scanTerraform(files, context, rules),
  };
}

async function scanTerraform(
  files: readonly SourceFile[],
  context: ScanContext,
  rules: readonly Rule<TerraformModel>[],
): Promise<FrameworkResult> {
  const plans = files.filter((f) => isPlanJson(f.path, f.text));
  const configuration = files.filter((f) => !plans.includes(f));
  const result: FrameworkResult = { findings: [], suppressions: [], diagnostics: [], notes: [], files: [] };
  const models: TerraformModel[] = [];

  if (configuration.length > 0) {
    const loaded = await loadHcl({
      root: context.root,
      files: configuration,
      varFiles: context.varFiles,
      env: context.env,
    });
    models.push(...loaded.models);
    result.diagnostics.push(...loaded.diagnostics);
    result.notes.push(...loaded.notes);
    result.files.push(...loaded.files);
    for (const file of loaded.parsed) {
      const { suppressions, diagnostics } = fileSuppressions(file);
      result.suppressions.push(...suppressions);
      result.diagnostics.push(...diagnostics);
    }
  }
  for (const plan of plans) {
    const loaded = loadPlan(plan.path, plan.text);
    result.files.push(plan.path);
    result.diagnostics.push(...loaded.diagnostics);
    if (loaded.model) models.push(loaded.model);
  }

  for (const model of models) {
    const findings = runRules(model, rules, context);
    const custom = runCustomRules("terraform", () => model.resources.map(genericResource), context);
    findings.push(...custom.findings);
    result.diagnostics.push(...custom.diagnostics);
    result.findings.push(...withEnclosing(findings, model));
  }
  return result;
}

/**
 * A finding on a resource created by a module call also lies in that call's block, where a
 * suppression may be written; rules that leave `enclosing` out get it from the model.
 */
function withEnclosing(findings: Finding[], model: TerraformModel): Finding[] {
  if (!findings.some((f) => !f.enclosing && f.resource)) return findings;
  const byAddress = new Map(model.resources.map((r) => [r.address, r]));
  return findings.map((finding) => {
    if (finding.enclosing || !finding.resource) return finding;
    const enclosing = byAddress.get(finding.resource)?.enclosing ?? [];
    return enclosing.length > 0 ? { ...finding, enclosing } : finding;
  });
}
