import path from "node:path";
import { loadNativePipeline, locatePipeline } from "../../pipeline/index.js";
import type { LoadedPipeline } from "../../pipeline/index.js";

export interface ProjectPipeline extends LoadedPipeline {
  projectDir: string;
  file: string;
}

declare const __SLIPWAY_BUILD__: string | undefined;
/** Set by the bundler to the build time; without it (running from sources) nothing is cached. */
const build = typeof __SLIPWAY_BUILD__ === "string" ? __SLIPWAY_BUILD__ : undefined;

/** Finds and compiles the pipeline for a command; errors carry positions. */
export async function loadProjectPipeline(
  file: string | undefined,
  dataDir?: string,
): Promise<ProjectPipeline> {
  const located = await locatePipeline(process.cwd(), file);
  const cacheDir = path.join(dataDir ?? path.join(located.projectDir, ".slipway"), "compiled");
  const loaded = await loadNativePipeline(
    located.file,
    located.displayPath,
    build ? { dir: cacheDir, build } : undefined,
  );
  return { ...loaded, projectDir: located.projectDir, file: located.file };
}

/** The data directory for history commands: given, or `.slipway` of the project around cwd. */
export function dataDirFor(given: string | undefined): string {
  return given ? path.resolve(given) : path.join(process.cwd(), ".slipway");
}
