import { readFile } from "node:fs/promises";
import { EnvironmentError } from "../errors/index.js";

/** Reads a pipeline file for a front-end; a missing or unreadable file says how to name another. */
export async function readPipelineSource(file: string, displayPath: string, hint: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    throw new EnvironmentError(`cannot read ${displayPath}: ${(error as Error).message}`, {
      cause: error,
      hint,
    });
  }
}
