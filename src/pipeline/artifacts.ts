import { cp, mkdir, stat } from "node:fs/promises";
import path from "node:path";
import { glob } from "tinyglobby";
import type { ArtifactRecord } from "../store/index.js";

/**
 * Artifacts are the files a job publishes for later jobs and for people. They are copied out of
 * the workspace into the run's data directory, so they survive the workspace, and are placed back
 * into the workspace before a dependent job starts (which matters when the producer was a cache
 * hit or ran elsewhere).
 */
export async function publishArtifacts(
  runId: string,
  jobKey: string,
  globs: readonly string[],
  workspace: string,
  destination: string,
): Promise<ArtifactRecord[]> {
  if (globs.length === 0) return [];
  const files = (await glob([...globs], { cwd: workspace, dot: true, onlyFiles: true })).sort();
  const records: ArtifactRecord[] = [];
  for (const file of files) {
    const target = path.join(destination, file);
    await mkdir(path.dirname(target), { recursive: true });
    await cp(path.join(workspace, file), target, { preserveTimestamps: true });
    records.push({ runId, jobKey, path: file, sizeBytes: (await stat(target)).size, storedAt: target });
  }
  return records;
}

export async function placeArtifacts(records: readonly ArtifactRecord[], workspace: string): Promise<void> {
  for (const record of records) {
    const target = path.join(workspace, record.path);
    await mkdir(path.dirname(target), { recursive: true });
    await cp(record.storedAt, target, { preserveTimestamps: true });
  }
}
