import { execFile } from "node:child_process";
import path from "node:path";

/**
 * What a workflow run needs to know about the local repository to play GitHub's part: the commit,
 * the branch, the tags on HEAD, the default branch, the origin remote, and (only when a paths
 * filter asks) the files changed. Read with a handful of git processes started together.
 */
export interface GitFacts {
  /** Absent outside git or in a repository without commits. */
  sha: string | undefined;
  /** The current branch; undefined on a detached HEAD. */
  branch: string | undefined;
  /** Tags pointing at HEAD. */
  tags: string[];
  /** origin's HEAD, or main/master when they exist, or the current branch. */
  defaultBranch: string;
  remoteUrl: string | undefined;
  head: CommitInfo | undefined;
  /** HEAD's first parent. */
  parent: string | undefined;
}

export interface CommitInfo {
  sha: string;
  tree: string;
  message: string;
  author: { name: string; email: string; date: string };
  committer: { name: string; email: string; date: string };
}

const NUL = "%x00";

export async function readGitFacts(cwd: string): Promise<GitFacts> {
  // Three processes: HEAD with its decorations (the branch, the tags on it), the default branch
  // candidates, and the origin remote.
  const [log, refs, remote] = await Promise.all([
    git(cwd, [
      "log",
      "-1",
      "--decorate=full",
      `--format=%H${NUL}%T${NUL}%P${NUL}%an${NUL}%ae${NUL}%aI${NUL}%cn${NUL}%ce${NUL}%cI${NUL}%D${NUL}%B`,
    ]),
    git(cwd, [
      "for-each-ref",
      "--format=%(refname)%00%(symref)",
      "refs/remotes/origin/HEAD",
      "refs/heads/main",
      "refs/heads/master",
    ]),
    git(cwd, ["config", "--get", "remote.origin.url"]),
  ]);
  let head: CommitInfo | undefined;
  let parent: string | undefined;
  let current: string | undefined;
  const tags: string[] = [];
  if (log !== undefined && log.trim() !== "") {
    const [sha, tree, parents, an, ae, ad, cn, ce, cd, decorations, ...message] = log.split("\0");
    head = {
      sha: sha ?? "",
      tree: tree ?? "",
      message: message.join("\0").trimEnd(),
      author: { name: an ?? "", email: ae ?? "", date: ad ?? "" },
      committer: { name: cn ?? "", email: ce ?? "", date: cd ?? "" },
    };
    parent = parents?.split(" ").find((p) => p !== "");
    // `HEAD -> refs/heads/main, tag: refs/tags/v1.0, refs/remotes/origin/main`
    for (const decoration of (decorations ?? "").split(", ")) {
      if (decoration.startsWith("HEAD -> refs/heads/"))
        current = decoration.slice("HEAD -> refs/heads/".length);
      else if (decoration.startsWith("tag: refs/tags/"))
        tags.push(decoration.slice("tag: refs/tags/".length));
    }
  }
  let defaultBranch: string | undefined;
  const known = new Set<string>();
  for (const line of (refs ?? "").split("\n")) {
    const [name, symref] = line.split("\0");
    if (name === "refs/remotes/origin/HEAD" && symref)
      defaultBranch = symref.replace(/^refs\/remotes\/origin\//, "");
    else if (name) known.add(name.replace(/^refs\/heads\//, ""));
  }
  defaultBranch ??= known.has("main") ? "main" : known.has("master") ? "master" : (current ?? "main");
  return {
    sha: head?.sha,
    branch: current,
    tags,
    defaultBranch,
    remoteUrl: remote?.trim() || undefined,
    head,
    parent,
  };
}

/**
 * Files that differ between `base` and what a run contains: commits since `base`, uncommitted
 * changes and untracked files (a run tests the working tree as it is). Without a base (a first
 * commit), every file of the tree.
 */
export async function changedFiles(cwd: string, base: string | undefined): Promise<string[]> {
  const [diff, untracked] = await Promise.all([
    base === undefined
      ? git(cwd, ["ls-files", "-z"])
      : git(cwd, ["diff", "--name-only", "-z", "--no-renames", base, "--", "."]),
    git(cwd, ["ls-files", "-z", "--others", "--exclude-standard"]),
  ]);
  // ls-files and diff give paths relative to cwd and to the repository root respectively; the
  // filters of a workflow are relative to the repository root.
  const root = (await git(cwd, ["rev-parse", "--show-prefix"]))?.trim() ?? "";
  const fromRoot = (p: string) => (base === undefined ? path.posix.join(root, p) : p);
  const files = new Set<string>();
  for (const p of (diff ?? "").split("\0")) if (p !== "") files.add(fromRoot(p));
  for (const p of (untracked ?? "").split("\0")) if (p !== "") files.add(path.posix.join(root, p));
  // Slipway's own data directory is never part of a run (the workspace snapshot leaves it out).
  const data = path.posix.join(root, ".slipway/");
  return [...files].filter((f) => !f.startsWith(data)).sort();
}

export async function mergeBase(cwd: string, a: string, b: string): Promise<string | undefined> {
  for (const candidate of [b, `origin/${b}`]) {
    const base = (await git(cwd, ["merge-base", a, candidate]))?.trim();
    if (base) return base;
  }
  return undefined;
}

/** stdout, or undefined when git failed or is missing: every fact has a fallback. */
function git(cwd: string, args: string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(
      "git",
      ["--no-optional-locks", ...args],
      {
        cwd,
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, LC_ALL: "C", LANGUAGE: "C" },
      },
      (error, stdout) => resolve(error ? undefined : stdout),
    );
  });
}
