import { runCustomRules } from "../custom/run.js";
import type { Finding, ScanContext, ScanDiagnostic, SourceFile, Suppression } from "../model.js";
import { runRules } from "../rule.js";
import { yamlSuppressions } from "../github-actions/yaml-suppressions.js";
import { jobResources } from "./generic.js";
import { loadPipelines, type LoadedPipeline } from "./loader.js";
import { buildPipeline, type GitlabPipeline } from "./model.js";
import { GITLAB_RULES } from "./rules/index.js";

export interface GitlabResult {
  pipelines: GitlabPipeline[];
  findings: Finding[];
  suppressions: Suppression[];
  diagnostics: ScanDiagnostic[];
  /** Every file read, included files that were not claimed among them. */
  files: string[];
}

/** Builds one pipeline and runs the built-in and custom rules over it. */
export function analyzePipeline(
  loaded: LoadedPipeline,
  context: Pick<ScanContext, "ruleFilter" | "customRules">,
): { pipeline: GitlabPipeline; findings: Finding[]; diagnostics: ScanDiagnostic[] } {
  const pipeline = buildPipeline(loaded);
  const findings = runRules(pipeline, GITLAB_RULES, context);
  const custom = runCustomRules("gitlab-ci", () => jobResources(pipeline), context);
  findings.push(...custom.findings);
  return { pipeline, findings, diagnostics: custom.diagnostics };
}

export async function analyzeGitlabFiles(
  files: readonly Pick<SourceFile, "path" | "text" | "absolutePath">[],
  context: Pick<ScanContext, "ruleFilter" | "customRules" | "root">,
): Promise<GitlabResult> {
  const { pipelines: loaded, read } = await loadPipelines(files as SourceFile[], context.root);
  const result: GitlabResult = {
    pipelines: [],
    findings: [],
    suppressions: [],
    diagnostics: [],
    files: read,
  };
  const seenFiles = new Set<string>();
  for (const one of loaded) {
    for (const file of one.files) {
      // A file included by several pipelines is parsed once and reports its problems once.
      if (seenFiles.has(file.path)) continue;
      seenFiles.add(file.path);
      result.diagnostics.push(...file.diagnostics);
      const { suppressions, diagnostics } = yamlSuppressions(file, { topOfFile: "blank-line" });
      result.suppressions.push(...suppressions);
      result.diagnostics.push(...diagnostics);
    }
    try {
      const { pipeline, findings, diagnostics } = analyzePipeline(one, context);
      result.pipelines.push(pipeline);
      result.findings.push(...findings);
      result.diagnostics.push(...pipeline.diagnostics, ...diagnostics);
    } catch (error) {
      // One configuration the analysis cannot handle must not hide the findings of the others.
      result.diagnostics.push({
        span: { file: one.root.path, line: 1, column: 1 },
        message: `could not analyze this GitLab CI configuration: ${error instanceof Error ? error.message : String(error)}`,
      });
    }
  }
  return result;
}
