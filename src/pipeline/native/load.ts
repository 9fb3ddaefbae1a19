import { createHash } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { EnvironmentError } from "../../errors/index.js";
import type { Pipeline } from "../ir.js";

export interface LoadedPipeline {
  pipeline: Pipeline;
  /** File text by path, for rendering code frames of later errors. */
  sources: Map<string, string>;
}

export interface CompileCache {
  /** Directory of compiled pipelines, one JSON file per source hash. */
  dir: string;
  /** Identifies the compiler build: entries of another build are never used. */
  build: string;
}

/**
 * Reads and compiles slipway.yaml. Throws ConfigError carrying every problem of the file.
 * With a cache, a file compiled before by the same build is read back as IR instead of parsed
 * and validated again (status vs process: a 400-job file takes ~100 ms to compile, ~2 ms to load).
 */
export async function loadNativePipeline(
  file: string,
  displayPath = file,
  cache?: CompileCache,
): Promise<LoadedPipeline> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new EnvironmentError(`cannot read ${displayPath}: ${(error as Error).message}`, {
      cause: error,
      hint: "pass the pipeline file with --file, or run from the project directory",
    });
  }
  const sources = new Map([[displayPath, text]]);
  if (!cache) return { pipeline: await compile(text, displayPath), sources };

  const entry = path.join(
    cache.dir,
    `${createHash("sha256").update(`${cache.build}\0${displayPath}\0${text}`).digest("hex")}.json`,
  );
  try {
    return { pipeline: JSON.parse(await readFile(entry, "utf8")) as Pipeline, sources };
  } catch {
    // Not compiled yet (or unreadable): compile, then remember.
  }
  const pipeline = await compile(text, displayPath);
  try {
    await mkdir(cache.dir, { recursive: true });
    const temporary = `${entry}.${process.pid}.tmp`;
    await writeFile(temporary, JSON.stringify(pipeline));
    await rename(temporary, entry);
  } catch {
    // The cache is an optimisation; a read-only data directory must not fail the command.
  }
  return { pipeline, sources };
}

/**
 * The compiler (YAML parser, zod schemas) is loaded only when a file must be compiled: a run
 * whose pipeline is in the cache starts without it.
 */
async function compile(text: string, file: string): Promise<Pipeline> {
  const { compileNativePipeline } = await import("./compile.js");
  return compileNativePipeline(text, file);
}
