import type { GithubLoadOptions, LoadedWorkflow } from "./github/index.js";
import type { GitlabLoadOptions, LoadedGitlabPipeline } from "./gitlab/index.js";

export { Engine } from "./engine.js";
export type {
  EngineOptions,
  JobResult,
  JobRunner,
  RemoteJobOutcome,
  RunObserver,
  RunResult,
} from "./engine.js";
export type * from "./events.js";
export type { Job, Pipeline, Step } from "./ir.js";
export { loadNativePipeline } from "./native/load.js";
export type { CompileCache, LoadedPipeline } from "./native/load.js";

/** The JSON Schema of slipway.yaml; loads the schema module (zod) on demand. */
export async function nativeJsonSchema(): Promise<unknown> {
  return (await import("./native/schema.js")).nativeJsonSchema();
}
export { planPipeline } from "./plan.js";
export type { Plan, PlannedJob, PlanOptions } from "./plan.js";
export { nativeDialect } from "./dialect.js";
export type { RunnerDialect } from "./dialect.js";
export { toDot, toMermaid } from "./graph-export.js";
export { locatePipeline, PIPELINE_FILES } from "./locate.js";
export { runLocally, openLocalStore, defaultDataDir, INHERITED_ENV } from "./local-run.js";
export type { ExecutorName, LocalRunOptions, LocalRunResult } from "./local-run.js";
export { EXECUTOR_NAMES } from "./local-run.js";
export { Recorder } from "./recorder.js";

/** Loads a GitHub Actions workflow for a run; GitHub's parser is loaded only when one is used. */
export async function loadGithubWorkflow(
  file: string,
  displayPath: string,
  options: GithubLoadOptions,
): Promise<LoadedWorkflow> {
  return (await import("./github/index.js")).loadGithubWorkflow(file, displayPath, options);
}
export type { GithubLoadOptions, LoadedWorkflow } from "./github/index.js";

/** Loads a `.gitlab-ci.yml`; the GitLab front-end is loaded only when one is used. */
export async function loadGitlabPipeline(
  file: string,
  displayPath: string,
  options: GitlabLoadOptions,
): Promise<LoadedGitlabPipeline> {
  return (await import("./gitlab/index.js")).loadGitlabPipeline(file, displayPath, options);
}
export type { GitlabLoadOptions, LoadedGitlabPipeline } from "./gitlab/index.js";
