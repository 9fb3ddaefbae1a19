import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { globSync } from "tinyglobby";

/**
 * `hashFiles(pattern...)` as GitHub's runner computes it
 * (https://github.com/actions/runner/blob/main/src/Misc/expressionFunc/hashFiles/src/hashFiles.ts):
 * the SHA-256 of the concatenated SHA-256 digests of every matching file under the workspace,
 * or the empty string when nothing matches. Patterns follow @actions/glob: dot files match,
 * a pattern naming a directory takes everything below it, `!` excludes, one pattern per line.
 * Files are taken in sorted path order, so the value does not depend on directory order.
 */
export function hashFiles(workspace: string, args: readonly string[]): string {
  const include: string[] = [];
  const exclude: string[] = [];
  for (const line of args.flatMap((arg) => arg.split("\n"))) {
    const pattern = line.trim();
    if (pattern === "" || pattern.startsWith("#")) continue;
    if (pattern.startsWith("!")) exclude.push(relativePattern(workspace, pattern.slice(1)));
    else include.push(relativePattern(workspace, pattern));
  }
  if (include.length === 0) return "";
  const files = globSync(include, {
    cwd: workspace,
    ignore: exclude,
    dot: true,
    onlyFiles: true,
    expandDirectories: true,
    braceExpansion: false,
    extglob: false,
    followSymbolicLinks: true,
  }).sort();
  if (files.length === 0) return "";
  const result = createHash("sha256");
  for (const file of files)
    result.update(
      createHash("sha256")
        .update(readFileSync(path.join(workspace, file)))
        .digest(),
    );
  return result.digest("hex");
}

/** Absolute patterns inside the workspace are made relative; GitHub ignores files outside it. */
function relativePattern(workspace: string, pattern: string): string {
  if (!path.isAbsolute(pattern)) return pattern;
  const relative = path.relative(workspace, pattern);
  return relative.startsWith("..") ? "\0outside" : relative;
}
