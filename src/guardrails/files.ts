import { spawnSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { stat } from "node:fs/promises";
import { relative, resolve, sep } from "node:path";
import picomatch from "picomatch";
import { glob } from "tinyglobby";
import { UsageError } from "../errors/index.js";
import type { SourceFile } from "./model.js";

/** Directories that hold downloaded or generated content, not the user's code. */
export const IGNORED_DIRECTORIES = [".git", "node_modules", ".terraform", ".slipway", ".venv", "__pycache__"];

/** Files larger than this are not read: they are data, not code, and would dominate scan time. */
export const MAX_FILE_BYTES = 2 * 1024 * 1024;

/**
 * In a git working tree, the files git would commit: tracked and untracked ones, without what
 * .gitignore excludes (build output, downloaded modules, local state). Outside one, undefined.
 */
function gitListed(directory: string): string[] | undefined {
  const listed = spawnSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: directory,
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
  });
  if (listed.status !== 0 || listed.error) return undefined;
  return listed.stdout
    .split("\0")
    .filter((file) => file && !file.split("/").some((part) => IGNORED_DIRECTORIES.includes(part)))
    .map((file) => resolve(directory, file));
}

export interface CollectedFiles {
  files: SourceFile[];
  notes: string[];
}

/**
 * Reads the files under `paths` (files or directories) as text, skipping binaries, large files and,
 * in a git working tree, what .gitignore excludes. A file named explicitly is always read.
 */
export async function collectFiles(
  root: string,
  paths: readonly string[],
  exclude: readonly string[] = [],
): Promise<CollectedFiles> {
  const excluded = exclude.length > 0 ? picomatch([...exclude], { dot: true }) : () => false;
  const absolute = new Set<string>();
  for (const path of paths) {
    const full = resolve(root, path);
    const info = await stat(full).catch(() => undefined);
    if (!info) throw new UsageError(`${path}: no such file or directory`);
    if (info.isFile()) {
      absolute.add(full);
      continue;
    }
    const found =
      gitListed(full) ??
      (await glob("**/*", {
        cwd: full,
        absolute: true,
        dot: true,
        onlyFiles: true,
        ignore: IGNORED_DIRECTORIES.map((d) => `**/${d}/**`),
      }));
    for (const file of found) absolute.add(resolve(file));
  }
  const files: SourceFile[] = [];
  const notes: string[] = [];
  // Synchronous reads: a scan reads thousands of small files, and one awaited read after another
  // left the process idle between them (a quarter of a 1,000-file scan).
  for (const absolutePath of [...absolute].sort()) {
    const path = relative(root, absolutePath).split(sep).join("/");
    if (excluded(path)) continue;
    const info = statSync(absolutePath, { throwIfNoEntry: false });
    // Listed by git but deleted in the working tree, or not a regular file (a submodule).
    if (!info?.isFile()) continue;
    if (info.size > MAX_FILE_BYTES) {
      notes.push(`${path}: not scanned, larger than ${MAX_FILE_BYTES / 1024 / 1024} MiB`);
      continue;
    }
    const buffer = readFileSync(absolutePath);
    if (buffer.subarray(0, 8000).includes(0)) continue;
    files.push({ path, absolutePath, text: buffer.toString("utf8") });
  }
  return { files, notes };
}
