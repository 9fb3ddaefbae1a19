import path from "node:path";
import { loadNativePipeline, locatePipeline } from "../../pipeline/index.js";
import type { LoadedPipeline } from "../../pipeline/index.js";

export interface ProjectPipeline extends LoadedPipeline {
  projectDir: string;
  file: string;
}

/** Finds and compiles the pipeline for a command; errors carry positions. */
export async function loadProjectPipeline(file: string | undefined): Promise<ProjectPipeline> {
  const located = await locatePipeline(process.cwd(), file);
  const loaded = await loadNativePipeline(located.file, located.displayPath);
  return { ...loaded, projectDir: located.projectDir, file: located.file };
}

/** The data directory for history commands: given, or `.slipway` of the project around cwd. */
export function dataDirFor(given: string | undefined): string {
  return given ? path.resolve(given) : path.join(process.cwd(), ".slipway");
}
