import { access } from "node:fs/promises";
import path from "node:path";
import { UsageError } from "../errors/index.js";

export const PIPELINE_FILES = ["slipway.yaml", "slipway.yml", ".slipway/pipeline.yaml"] as const;

export interface LocatedPipeline {
  /** Absolute path of the pipeline file. */
  file: string;
  /** The project root: the directory the pipeline file belongs to. */
  projectDir: string;
  /** The file as shown in messages: relative to the current directory when it is below it. */
  displayPath: string;
}

/** Finds the pipeline file: the one given, or the first of PIPELINE_FILES in `cwd`. */
export async function locatePipeline(cwd: string, given?: string): Promise<LocatedPipeline> {
  const candidates = given ? [path.resolve(cwd, given)] : PIPELINE_FILES.map((f) => path.join(cwd, f));
  for (const file of candidates) {
    if (
      await access(file).then(
        () => true,
        () => false,
      )
    ) {
      const dir = path.dirname(file);
      const projectDir = path.basename(dir) === ".slipway" ? path.dirname(dir) : dir;
      const relative = path.relative(cwd, file);
      return { file, projectDir, displayPath: relative.startsWith("..") ? file : relative };
    }
  }
  throw new UsageError(given ? `no pipeline file at ${given}` : `no pipeline file in ${cwd}`, {
    hint: given ? "check the path given to --file" : `create ${PIPELINE_FILES[0]}, or pass --file PATH`,
  });
}
