import { runCustomRules } from "../custom/run.js";
import type { Finding, ScanContext, ScanDiagnostic, SourceFile, Suppression } from "../model.js";
import { runRules } from "../rule.js";
import { stageResources } from "./generic.js";
import { buildModel, type DockerfileModel } from "./model.js";
import { parseDockerfile } from "./parser.js";
import { DOCKERFILE_RULES } from "./rules/index.js";
import { dockerfileSuppressions } from "./suppressions.js";

export interface DockerfileResult {
  model: DockerfileModel;
  findings: Finding[];
  suppressions: Suppression[];
  diagnostics: ScanDiagnostic[];
}

/** Parses one Dockerfile once and runs the built-in and custom rules over it. */
export function analyzeDockerfile(
  file: Pick<SourceFile, "path" | "text">,
  context: Pick<ScanContext, "ruleFilter" | "customRules">,
): DockerfileResult {
  const parsed = parseDockerfile(file.path, file.text);
  const model = buildModel(parsed);
  const findings = runRules(model, DOCKERFILE_RULES, context);
  const custom = runCustomRules("dockerfile", () => stageResources(model), context);
  findings.push(...custom.findings);
  const { suppressions, diagnostics } = dockerfileSuppressions(model);
  return {
    model,
    findings,
    suppressions,
    diagnostics: [...parsed.diagnostics, ...diagnostics, ...custom.diagnostics],
  };
}
