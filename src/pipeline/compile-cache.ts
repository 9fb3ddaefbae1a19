import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { writeFileAtomic } from "../config/atomic-write.js";
import type { Pipeline } from "./ir.js";

export interface CompileCache {
  /** Directory of compiled pipelines, one JSON file per source hash. */
  dir: string;
  /** Identifies the compiler build: entries of another build are never used. */
  build: string;
}

/**
 * Status vs process for front-ends: a file compiled before by the same build is read back as IR
 * instead of parsed and validated again (a 400-job file takes ~100 ms to compile, ~2 ms to load).
 * `kind` keeps front-ends apart when the same text could be read by two of them.
 */
export async function compileWithCache(
  kind: string,
  text: string,
  displayPath: string,
  cache: CompileCache | undefined,
  compile: (text: string, displayPath: string) => Promise<Pipeline>,
): Promise<Pipeline> {
  if (!cache) return compile(text, displayPath);
  const key = createHash("sha256").update(`${kind}\0${cache.build}\0${displayPath}\0${text}`).digest("hex");
  const entry = path.join(cache.dir, `${key}.json`);
  try {
    return JSON.parse(await readFile(entry, "utf8")) as Pipeline;
  } catch {
    // Not compiled yet (or unreadable): compile, then remember.
  }
  const pipeline = await compile(text, displayPath);
  try {
    await writeFileAtomic(entry, JSON.stringify(pipeline));
  } catch {
    // The cache is an optimisation; a read-only data directory must not fail the command.
  }
  return pipeline;
}
