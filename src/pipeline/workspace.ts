/**
 * The per-run copy of the project a run works in. `slipway run` tests the working tree as it is
 * now, uncommitted edits included, but must not see the files git ignores (build output, local
 * secrets, node_modules), and a step must not be able to change the user's checkout. So each run
 * gets a snapshot: in a git work tree, exactly the files git would consider part of the project;
 * elsewhere, everything but the usual heavy or private directories.
 *
 * This runs on every `slipway run`, so it is built for small trees: the two git queries run
 * concurrently (and none run outside git), and files are copied with reflinks (copy-on-write
 * clones) where the file system supports them, with bounded parallelism.
 */
import { execFile } from "node:child_process";
import { constants } from "node:fs";
import type { Dirent, Stats } from "node:fs";
import { access, copyFile, lstat, mkdir, readdir, readlink, symlink } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { EnvironmentError } from "../errors/index.js";

export interface WorkingTreeSnapshot {
  /** `HEAD` of the repository; undefined outside git or in a repository without commits. */
  commit: string | undefined;
  /** True when the project's part of the work tree differs from `HEAD` (those changes are in the copy). */
  dirty: boolean;
  /** Files and symlinks copied. */
  files: number;
}

/** The run data directory, at the project root. It holds databases and past workspaces. */
const DATA_DIR = ".slipway";
/** Skipped at any depth outside git: repository internals and reinstallable dependencies. */
const SKIPPED_DIRS = new Set([".git", "node_modules"]);
const COPY_CONCURRENCY = 64;

/**
 * Copies the project's working tree to `dest`. Without `dest` (a run in place), only reads the
 * commit and dirty state, and copies nothing.
 */
export async function snapshotWorkingTree(
  projectDir: string,
  dest: string | undefined,
  /** Absolute directories never copied, such as a data directory inside the project. */
  exclude: readonly string[] = [],
): Promise<WorkingTreeSnapshot> {
  const source = resolve(projectDir);
  if (dest === undefined) {
    const git = await readGitState(source, false);
    return { commit: git?.commit, dirty: git?.dirty ?? false, files: 0 };
  }
  const target = resolve(dest);
  const [git] = await Promise.all([readGitState(source, true), mkdir(target, { recursive: true })]);
  const files = await copyListed(source, target, git, exclude);
  return { commit: git?.commit, dirty: git?.dirty ?? false, files };
}

/** Copies the tree at `source` the way its own git (or its absence) says; returns the files copied. */
async function copyTree(source: string, target: string): Promise<number> {
  const [git] = await Promise.all([readGitState(source, true), mkdir(target, { recursive: true })]);
  return copyListed(source, target, git);
}

async function copyListed(
  source: string,
  target: string,
  git: GitState | undefined,
  exclude: readonly string[] = [],
): Promise<number> {
  const skip = [target, ...exclude.map((dir) => resolve(dir))];
  const paths = git ? git.paths : await walk(source, skip);
  // The destination (and a data directory) may be inside the project and not ignored: never
  // copy them into the copy.
  const excluded = [DATA_DIR];
  for (const dir of skip) {
    const inside = relative(source, dir).split(sep).join("/");
    if (inside !== "" && !inside.startsWith("..") && !isAbsolute(inside)) excluded.push(inside);
  }
  return copyEntries(
    source,
    target,
    paths.filter((path) => !excluded.some((dir) => path === dir || path.startsWith(`${dir}/`))),
  );
}

interface GitState {
  /** Relative to the project directory, `/`-separated. */
  paths: string[];
  commit: string | undefined;
  dirty: boolean;
}

/** Undefined when the directory is not in a git work tree (or git is not installed). */
async function readGitState(cwd: string, listFiles: boolean): Promise<GitState | undefined> {
  if (!(await mayBeInGitWorkTree(cwd))) return undefined;
  // `-- .` limits everything to the project directory and makes paths relative to it, so a
  // project in a monorepo subdirectory is snapshotted (and judged dirty) on its own. The
  // `--branch` header of porcelain v2 carries HEAD, saving a `git rev-parse HEAD` process.
  const [status, list] = await Promise.all([
    // Explicit untracked mode: `status.showUntrackedFiles=no` would hide new files that are copied.
    runGit(cwd, ["status", "--porcelain=v2", "--branch", "--untracked-files=normal", "--", "."]),
    listFiles
      ? runGit(cwd, ["ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "."])
      : Promise.resolve<GitResult>({ kind: "ok", stdout: "" }),
  ]);
  if (status.kind === "no-git" || isNotARepository(status)) return undefined;
  if (status.kind !== "ok") throw gitError(["status"], status);
  if (list.kind !== "ok") throw gitError(["ls-files"], list);

  let commit: string | undefined;
  let dirty = false;
  for (const line of status.stdout.split("\n")) {
    if (line.startsWith("# branch.oid ")) {
      const oid = line.slice("# branch.oid ".length).trim();
      // `(initial)`: a repository without commits yet.
      commit = /^[0-9a-f]{40,64}$/.test(oid) ? oid : undefined;
    } else if (line !== "" && !line.startsWith("#")) {
      dirty = true;
    }
  }
  // Unmerged paths are listed once per conflict stage. An uninitialised submodule lists
  // itself as `./` when asked from inside: that is not an entry to copy (and would recurse).
  const paths = [...new Set(list.stdout.split("\0"))].filter((path) => path !== "" && path !== "./");
  return { paths, commit, dirty };
}

/**
 * False when no `.git` exists in the directory or any parent, so git cannot find a repository
 * and spawning it (several milliseconds) can be skipped. `GIT_DIR` points git elsewhere.
 */
async function mayBeInGitWorkTree(dir: string): Promise<boolean> {
  if (process.env["GIT_DIR"]) return true;
  for (let current = dir; ; current = dirname(current)) {
    try {
      await access(join(current, ".git"));
      return true;
    } catch {
      // Not here; keep looking up.
    }
    if (dirname(current) === current) return false;
  }
}

type GitResult =
  | { kind: "ok"; stdout: string }
  | { kind: "failed"; code: number | undefined; stderr: string; message: string }
  | { kind: "no-git" };

function runGit(cwd: string, args: string[]): Promise<GitResult> {
  return new Promise((resolvePromise) => {
    execFile(
      "git",
      // No optional locks: `status` would otherwise refresh and rewrite the index, racing with
      // the user's own git commands while a run starts.
      ["--no-optional-locks", ...args],
      {
        cwd,
        encoding: "utf8",
        maxBuffer: 512 * 1024 * 1024,
        // English messages, so "not a git repository" can be recognised.
        env: { ...process.env, LC_ALL: "C", LANGUAGE: "C" },
      },
      (error, stdout, stderr) => {
        if (!error) return resolvePromise({ kind: "ok", stdout });
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return resolvePromise({ kind: "no-git" });
        const code = typeof error.code === "number" ? error.code : undefined;
        resolvePromise({ kind: "failed", code, stderr, message: error.message });
      },
    );
  });
}

function isNotARepository(result: GitResult): boolean {
  return result.kind === "failed" && /not a git repository/i.test(result.stderr);
}

function gitError(args: string[], result: GitResult): EnvironmentError {
  const stderr = result.kind === "failed" ? result.stderr.trim() || result.message : "git is not installed";
  return new EnvironmentError(`git ${args.join(" ")} failed while snapshotting the working tree: ${stderr}`, {
    hint: /dubious ownership/.test(stderr)
      ? "the repository belongs to another user; mark it safe with `git config --global --add safe.directory <path>`"
      : "run the same git command in the project directory to see what is wrong with the repository",
  });
}

/**
 * Every file outside git, relative and `/`-separated, pruning skipped directories instead of
 * listing and filtering them (node_modules can hold a hundred thousand files).
 */
async function walk(root: string, skip: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  const visit = async (dir: string, prefix: string): Promise<void> => {
    const entries: Dirent[] = await readdir(dir, { withFileTypes: true });
    const subdirs: Promise<void>[] = [];
    for (const entry of entries) {
      const path = prefix + entry.name;
      if (entry.isDirectory()) {
        if (SKIPPED_DIRS.has(entry.name) || path === DATA_DIR) continue;
        const absolute = join(dir, entry.name);
        // The destination may be inside the project; copying it into itself would never end.
        if (skip.includes(absolute)) continue;
        subdirs.push(visit(absolute, `${path}/`));
      } else {
        out.push(path);
      }
    }
    await Promise.all(subdirs);
  };
  await visit(root, "");
  return out;
}

/** Copies `paths` (relative to `source`) into `target`; returns how many files and links were copied. */
async function copyEntries(source: string, target: string, paths: string[]): Promise<number> {
  const stats = await mapLimit(paths, COPY_CONCURRENCY, async (path) => {
    try {
      return await lstat(join(source, path));
    } catch (error) {
      // Deleted in the work tree but still in the index: the run sees the tree as it is.
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
  });

  const files: { path: string; stat: Stats }[] = [];
  const nested: string[] = [];
  for (let i = 0; i < paths.length; i++) {
    const path = paths[i] as string;
    const stat = stats[i];
    if (!stat) continue;
    // A directory here is a submodule, or an untracked repository git does not look into:
    // copied by its own rules.
    if (stat.isDirectory()) nested.push(path.replace(/\/$/, ""));
    else if (stat.isFile() || stat.isSymbolicLink()) files.push({ path, stat });
  }

  await copyFiles(source, target, files);

  let count = files.length;
  for (const path of nested) count += await copyTree(join(source, path), join(target, path));
  return count;
}

/**
 * Copies the listed files and symlinks (paths relative to `source`, with their lstat) into
 * `target`, creating only the deepest directories: the fast path for a tree whose listing is
 * already known (a snapshot, an agent's pristine checkout copied for each job).
 */
export async function copyFiles(
  source: string,
  target: string,
  files: readonly { path: string; stat: Stats }[],
): Promise<void> {
  const dirs = new Set<string>();
  for (const { path } of files) {
    const dir = dirname(join(target, path));
    if (dir !== target) dirs.add(dir);
  }
  // `mkdir -p` of the deepest directories creates the others: skip every directory that is an
  // ancestor of another.
  const ancestors = new Set<string>();
  for (const dir of dirs) {
    for (let parent = dirname(dir); parent !== target && !ancestors.has(parent); parent = dirname(parent)) {
      ancestors.add(parent);
    }
  }
  const leaves = [...dirs].filter((dir) => !ancestors.has(dir));
  await mapLimit(leaves, COPY_CONCURRENCY, (dir) => mkdir(dir, { recursive: true }));

  await mapLimit(files, COPY_CONCURRENCY, async ({ path, stat }) => {
    const from = join(source, path);
    const to = join(target, path);
    if (stat.isSymbolicLink()) {
      await symlink(await readlink(from), to);
    } else {
      // copyFile keeps the mode (the executable bit); FICLONE makes it a reflink where supported.
      await copyFile(from, to, constants.COPYFILE_FICLONE);
    }
  });
}

/** Every file and symlink under `dir` (directories walked, `.git` included), with its lstat. */
export async function listFiles(dir: string): Promise<{ path: string; stat: Stats }[]> {
  const out: { path: string; stat: Stats }[] = [];
  const visit = async (relative: string): Promise<void> => {
    const entries = await readdir(join(dir, relative), { withFileTypes: true });
    for (const entry of entries) {
      const path = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await visit(path);
      else if (entry.isFile() || entry.isSymbolicLink())
        out.push({ path, stat: await lstat(join(dir, path)) });
    }
  };
  await visit("");
  return out;
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
