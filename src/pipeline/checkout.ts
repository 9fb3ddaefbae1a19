import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { EnvironmentError, UsageError } from "../errors/index.js";

const exec = promisify(execFile);

/**
 * Git checkouts of a project's repository at a commit, as a server and agents need them: one
 * bare mirror per repository (fetched when a commit is missing), and a cheap clone of the mirror
 * per run or job (`--shared` borrows its objects instead of copying them).
 */
export class Checkouts {
  /** One fetch per repository at a time; concurrent callers wait for the same one. */
  readonly #fetching = new Map<string, Promise<void>>();

  constructor(private readonly dir: string) {}

  mirrorOf(repo: string): string {
    return path.join(
      this.dir,
      "mirrors",
      `${createHash("sha256").update(repo).digest("hex").slice(0, 16)}.git`,
    );
  }

  /** Brings the mirror up to date with the repository (creating it the first time). */
  fetch(repo: string): Promise<void> {
    const running = this.#fetching.get(repo);
    if (running) return running;
    const done = this.#fetch(repo).finally(() => this.#fetching.delete(repo));
    this.#fetching.set(repo, done);
    return done;
  }

  async #fetch(repo: string): Promise<void> {
    const mirror = this.mirrorOf(repo);
    if (!existsSync(mirror)) {
      await mkdir(path.dirname(mirror), { recursive: true });
      const temp = `${mirror}.${process.pid}.tmp`;
      await rm(temp, { recursive: true, force: true });
      await git(["clone", "--quiet", "--mirror", repo, temp], undefined, repo);
      await rename(temp, mirror).catch(async (error: NodeJS.ErrnoException) => {
        // Another process made it first: theirs is as good.
        await rm(temp, { recursive: true, force: true });
        if (!existsSync(mirror)) throw error;
      });
      return;
    }
    await git(
      ["--git-dir", mirror, "fetch", "--quiet", "--prune", "origin", "+refs/*:refs/*"],
      undefined,
      repo,
    );
  }

  /** The commit `ref` names (a branch, tag, full ref or sha), after fetching. */
  async resolve(repo: string, ref: string): Promise<string> {
    await this.fetch(repo);
    try {
      return (
        await git(
          ["--git-dir", this.mirrorOf(repo), "rev-parse", "--verify", `${ref}^{commit}`],
          undefined,
          repo,
        )
      ).trim();
    } catch {
      throw new UsageError(`${ref}: no such branch, tag or commit in ${repo}`);
    }
  }

  /** Branch name to commit, for polling. */
  async branches(repo: string): Promise<Record<string, string>> {
    await this.fetch(repo);
    const out = await git(
      [
        "--git-dir",
        this.mirrorOf(repo),
        "for-each-ref",
        "--format=%(refname:short) %(objectname)",
        "refs/heads",
      ],
      undefined,
      repo,
    );
    const branches: Record<string, string> = {};
    for (const line of out.split("\n")) {
      const [name, sha] = line.split(" ");
      if (name && sha) branches[name] = sha;
    }
    return branches;
  }

  /** Files of a directory at a commit or ref (names only, no fetch). */
  async listFiles(repo: string, ref: string, dir: string): Promise<string[]> {
    const out = await git(
      ["--git-dir", this.mirrorOf(repo), "ls-tree", "--name-only", `${ref}:${dir}`],
      undefined,
      repo,
    ).catch(() => "");
    return out.split("\n").filter(Boolean);
  }

  /** A file's text at a commit or ref, or undefined when it does not exist there. */
  async readFile(repo: string, ref: string, file: string): Promise<string | undefined> {
    return git(["--git-dir", this.mirrorOf(repo), "show", `${ref}:${file}`], undefined, repo).catch(
      () => undefined,
    );
  }

  /** The repository's default branch (the mirror's HEAD). */
  async defaultBranch(repo: string): Promise<string> {
    await this.fetch(repo);
    const head = await git(
      ["--git-dir", this.mirrorOf(repo), "symbolic-ref", "--short", "HEAD"],
      undefined,
      repo,
    ).catch(() => "main");
    return head.trim() || "main";
  }

  /**
   * Checks `sha` out into `dest` (which must not exist), on a local branch named after `ref`
   * when it is a branch, so tools reading the branch (GitHub's and GitLab's git state) see it.
   */
  async checkout(repo: string, sha: string, ref: string | undefined, dest: string): Promise<void> {
    const mirror = this.mirrorOf(repo);
    if (!existsSync(mirror) || !(await hasCommit(mirror, sha))) await this.fetch(repo);
    await mkdir(path.dirname(dest), { recursive: true });
    // No template: no sample hooks and description files, which every copy of the checkout pays for.
    await git(
      ["clone", "--quiet", "--shared", "--no-checkout", "--template=", mirror, dest],
      undefined,
      repo,
    );
    const branch = ref?.startsWith("refs/heads/") ? ref.slice("refs/heads/".length) : undefined;
    const args = branch
      ? ["checkout", "--quiet", "-B", branch, sha]
      : ["checkout", "--quiet", "--detach", sha];
    await git(args, dest, repo);
  }
}

async function hasCommit(mirror: string, sha: string): Promise<boolean> {
  try {
    await exec("git", ["--git-dir", mirror, "cat-file", "-e", `${sha}^{commit}`]);
    return true;
  } catch {
    return false;
  }
}

async function git(args: string[], cwd: string | undefined, repo: string): Promise<string> {
  try {
    const { stdout } = await exec("git", args, {
      ...(cwd ? { cwd } : {}),
      env: { ...process.env, GIT_TERMINAL_PROMPT: "0" },
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new EnvironmentError(
      `git ${args[0] === "--git-dir" ? args[2] : args[0]} failed for ${repo}: ${stderr || (error as Error).message}`,
      {
        cause: error,
        hint: "check that the repository exists and this machine can read it",
      },
    );
  }
}
