import { cp, mkdir, readFile, rename, stat } from "node:fs/promises";
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

/**
 * Several dependents of one producer start at once and place the same files into the shared
 * workspace. Each copy goes to a name of its own and is renamed over the target, which is atomic:
 * concurrent placements never see, or unlink, each other's half-written files.
 */
export async function placeArtifacts(records: readonly ArtifactRecord[], workspace: string): Promise<void> {
  for (const record of records) {
    const target = path.join(workspace, record.path);
    if (await sameFile(record.storedAt, target)) continue;
    await mkdir(path.dirname(target), { recursive: true });
    const temporary = `${target}.${process.pid}.${(placements++).toString(36)}.slipway-tmp`;
    await cp(record.storedAt, temporary, { preserveTimestamps: true });
    await rename(temporary, target);
  }
}

let placements = 0;

/**
 * Placed before (same size and modification time, timestamps being kept), or the same bytes
 * already there (a cache hit restored them): nothing to do. Skipping matters beyond speed: a
 * placement in progress shows a temporary file in the workspace, which a sibling job hashing
 * the same directory for its cache key would otherwise see.
 */
async function sameFile(stored: string, target: string): Promise<boolean> {
  const [a, b] = await Promise.all([stat(stored), stat(target).catch(() => undefined)]);
  if (b === undefined || a.size !== b.size) return false;
  if (a.mtimeMs === b.mtimeMs) return true;
  const [x, y] = await Promise.all([readFile(stored), readFile(target)]);
  return x.equals(y);
}
