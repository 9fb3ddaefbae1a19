import path from "node:path";
import type { LoadedPipeline } from "../native/load.js";
import { readPipelineSource } from "../read-source.js";
import type { GitlabNotice } from "./compile.js";

export interface GitlabLoadOptions {
  /** The project root: include:local paths, rules:exists and the git state are read from it. */
  projectDir: string;
  /**
   * Jobs named on the command line. Manual jobs run only when named (or needed by a named job),
   * as if someone pressed their play button.
   */
  jobs?: string[] | undefined;
  /** Variables of this run (`--env NAME=VALUE`): over the file's own, and seen by rules. */
  variables?: Record<string, string> | undefined;
}

export interface LoadedGitlabPipeline extends LoadedPipeline {
  /**
   * Where the run will differ from a GitLab pipeline, for the plan: manual jobs that do not
   * run, jobs that run on this machine instead of in their image, delayed jobs...
   */
  warnings: GitlabNotice[];
  /** Keywords accepted without effect in a local run (tags, interruptible...), and why. */
  notes: GitlabNotice[];
}

/**
 * Reads a `.gitlab-ci.yml` and compiles it to the pipeline IR for the local git state. Throws
 * ConfigError with every problem of the file and its includes, each with file:line:column;
 * UsageError when a job named in `jobs` is not part of the pipeline.
 */
export async function loadGitlabPipeline(
  file: string,
  displayPath: string,
  options: GitlabLoadOptions,
): Promise<LoadedGitlabPipeline> {
  const text = await readPipelineSource(
    file,
    displayPath,
    "pass the GitLab CI file: slipway run --gitlab path/to/.gitlab-ci.yml",
  );
  const absoluteFile = path.resolve(file);
  const projectDir = path.resolve(options.projectDir);
  // Included files are shown the way the main file is: relative to the same directory.
  const base = displayBase(absoluteFile, displayPath);
  // The compiler (YAML parser, zod schemas) is loaded only when a GitLab file is compiled.
  const { compileGitlabPipeline } = await import("./compile.js");
  const result = await compileGitlabPipeline({
    text,
    file: displayPath,
    absoluteFile,
    projectDir,
    jobs: options.jobs ?? [],
    variables: options.variables ?? {},
    display: (absolute) => (base === undefined ? absolute : path.relative(base, absolute) || absolute),
  });
  return {
    pipeline: result.pipeline,
    sources: result.sources,
    warnings: result.warnings,
    notes: result.notes,
  };
}

function displayBase(absoluteFile: string, displayPath: string): string | undefined {
  if (path.isAbsolute(displayPath)) return undefined;
  const normalized = path.normalize(displayPath);
  return absoluteFile.endsWith(normalized)
    ? absoluteFile.slice(0, absoluteFile.length - normalized.length)
    : undefined;
}
