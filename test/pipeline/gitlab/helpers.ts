/**
 * Shared helpers of the GitLab front-end tests: real git repositories in temporary directories
 * (commits, branches, tags), compiling their `.gitlab-ci.yml`, and reading plans and errors.
 */
import { execFileSync } from "node:child_process";
import { cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach } from "vitest";
import { ConfigError } from "../../../src/errors/index.js";
import type { Diagnostic } from "../../../src/errors/index.js";
import { loadGitlabPipeline } from "../../../src/pipeline/gitlab/index.js";
import type { GitlabLoadOptions, LoadedGitlabPipeline } from "../../../src/pipeline/gitlab/index.js";
import { gitlabJobName } from "../../../src/pipeline/gitlab/matrix.js";
import { planPipeline } from "../../../src/pipeline/plan.js";

const temps: string[] = [];

afterEach(async () => {
  await Promise.all(temps.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

export async function tempDir(prefix = "slipway-gitlab-"): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
}

export function git(dir: string, ...args: string[]): string {
  return execFileSync("git", args, {
    cwd: dir,
    encoding: "utf8",
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: "Ada Lovelace",
      GIT_AUTHOR_EMAIL: "ada@example.com",
      GIT_COMMITTER_NAME: "Ada Lovelace",
      GIT_COMMITTER_EMAIL: "ada@example.com",
    },
  }).trim();
}

export async function writeFiles(root: string, files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
}

/** A git repository on `main` with `files` committed (message "initial commit"). */
export async function repo(
  files: Record<string, string>,
  options: { fixture?: string } = {},
): Promise<string> {
  const dir = await tempDir();
  git(dir, "init", "-q", "-b", "main");
  git(dir, "config", "user.name", "Ada Lovelace");
  git(dir, "config", "user.email", "ada@example.com");
  if (options.fixture)
    await cp(join(import.meta.dirname, "fixtures", options.fixture), dir, { recursive: true });
  await writeFiles(dir, files);
  git(dir, "add", "-A");
  git(dir, "commit", "-q", "-m", "initial commit");
  return dir;
}

/** Writes files and commits them on the current branch. */
export async function commit(dir: string, message: string, files: Record<string, string>): Promise<void> {
  await writeFiles(dir, files);
  git(dir, "add", "-A");
  git(dir, "commit", "-q", "-m", message);
}

export function load(dir: string, options: Partial<GitlabLoadOptions> = {}): Promise<LoadedGitlabPipeline> {
  return loadGitlabPipeline(join(dir, ".gitlab-ci.yml"), ".gitlab-ci.yml", { projectDir: dir, ...options });
}

/** The planned job instances as GitLab names them, with what each waits for. */
export function planned(loaded: LoadedGitlabPipeline): { name: string; needs: string[] }[] {
  const plan = planPipeline(loaded.pipeline);
  const names = new Map(plan.jobs.map((j) => [j.key, gitlabJobName(j)]));
  return plan.jobs.map((j) => ({ name: gitlabJobName(j), needs: j.needs.map((n) => names.get(n) ?? n) }));
}

export function names(loaded: LoadedGitlabPipeline): string[] {
  return planned(loaded).map((j) => j.name);
}

/** The diagnostics of a file that must be rejected. */
export async function rejected(promise: Promise<unknown>): Promise<Diagnostic[]> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ConfigError) return [...error.diagnostics];
    throw error;
  }
  throw new Error("expected the GitLab file to be rejected");
}

export const where = (d: Diagnostic | undefined): string =>
  d ? `${d.position.file}:${d.position.line}:${d.position.column}` : "none";

/** The line number (1-based) of the first line of `text` containing `needle`. */
export function lineOf(text: string, needle: string, occurrence = 1): number {
  let seen = 0;
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]?.includes(needle) && ++seen === occurrence) return i + 1;
  }
  throw new Error(`"${needle}" not found`);
}
