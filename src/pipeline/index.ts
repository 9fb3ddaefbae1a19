export { Engine } from "./engine.js";
export type { EngineOptions, JobResult, RunObserver, RunResult } from "./engine.js";
export type * from "./events.js";
export type { Job, Pipeline, Step } from "./ir.js";
export { loadNativePipeline } from "./native/load.js";
export type { CompileCache, LoadedPipeline } from "./native/load.js";

/** The JSON Schema of slipway.yaml; loads the schema module (zod) on demand. */
export async function nativeJsonSchema(): Promise<unknown> {
  return (await import("./native/schema.js")).nativeJsonSchema();
}
export { planPipeline } from "./plan.js";
export type { Plan, PlannedJob } from "./plan.js";
export { toDot, toMermaid } from "./graph-export.js";
export { locatePipeline, PIPELINE_FILES } from "./locate.js";
export { runLocally, openLocalStore, defaultDataDir, INHERITED_ENV } from "./local-run.js";
export type { ExecutorName, LocalRunOptions, LocalRunResult } from "./local-run.js";
export { EXECUTOR_NAMES } from "./local-run.js";
export { Recorder } from "./recorder.js";
