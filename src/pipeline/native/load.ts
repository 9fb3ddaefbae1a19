import { compileWithCache, type CompileCache } from "../compile-cache.js";
import type { Pipeline } from "../ir.js";
import { readPipelineSource } from "../read-source.js";

export interface LoadedPipeline {
  pipeline: Pipeline;
  /** File text by path, for rendering code frames of later errors. */
  sources: Map<string, string>;
}

export type { CompileCache };

/**
 * Reads and compiles slipway.yaml. Throws ConfigError carrying every problem of the file.
 * With a cache, a file compiled before by the same build is read back as IR.
 */
export async function loadNativePipeline(
  file: string,
  displayPath = file,
  cache?: CompileCache,
): Promise<LoadedPipeline> {
  const text = await readPipelineSource(
    file,
    displayPath,
    "pass the pipeline file with --file, or run from the project directory",
  );
  const sources = new Map([[displayPath, text]]);
  return { pipeline: await compileWithCache("native", text, displayPath, cache, compile), sources };
}

/**
 * The compiler (YAML parser, zod schemas) is loaded only when a file must be compiled: a run
 * whose pipeline is in the cache starts without it.
 */
async function compile(text: string, file: string): Promise<Pipeline> {
  const { compileNativePipeline } = await import("./compile.js");
  return compileNativePipeline(text, file);
}
