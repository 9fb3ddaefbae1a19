import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { glob } from "tinyglobby";

/**
 * What GitLab would know about the pipeline's commit, read from the local repository: the
 * commit, the ref (branch or tag), the default branch, the project path from the `origin`
 * remote, the files of the working tree and which of them changed. A local run works on the
 * working tree as it is, so uncommitted and untracked files count as part of the commit.
 */
export interface GitState {
  isRepo: boolean;
  sha: string | undefined;
  beforeSha: string | undefined;
  /** The checked-out branch; undefined on a detached HEAD. */
  branch: string | undefined;
  /** A tag pointing at HEAD, used when HEAD is detached. */
  tag: string | undefined;
  tagMessage: string | undefined;
  message: string | undefined;
  author: string | undefined;
  timestamp: string | undefined;
  defaultBranch: string;
  remote: RemoteInfo | undefined;
  userName: string | undefined;
  userEmail: string | undefined;
}

export interface RemoteInfo {
  /** The URL without credentials. */
  url: string;
  host: string;
  /** group/subgroup/project */
  path: string;
}

export class LocalGit {
  private filesPromise: Promise<string[]> | undefined;
  private readonly changed = new Map<string, Promise<string[] | undefined>>();

  constructor(readonly projectDir: string) {}

  async state(): Promise<GitState> {
    const inside = (await this.git(["rev-parse", "--is-inside-work-tree"])) === "true";
    if (!inside) {
      return {
        isRepo: false,
        sha: undefined,
        beforeSha: undefined,
        branch: undefined,
        tag: undefined,
        tagMessage: undefined,
        message: undefined,
        author: undefined,
        timestamp: undefined,
        defaultBranch: "main",
        remote: undefined,
        userName: undefined,
        userEmail: undefined,
      };
    }
    const [sha, before, branch, log, remoteUrl, userName, userEmail] = await Promise.all([
      this.git(["rev-parse", "HEAD"]),
      this.git(["rev-parse", "--verify", "-q", "HEAD~1"]),
      this.git(["symbolic-ref", "--short", "-q", "HEAD"]),
      this.git(["log", "-1", "--format=%an <%ae>%x00%cI%x00%B"]),
      this.git(["remote", "get-url", "origin"]),
      this.git(["config", "user.name"]),
      this.git(["config", "user.email"]),
    ]);
    let tag: string | undefined;
    let tagMessage: string | undefined;
    if (!branch && sha) {
      const tags = await this.git(["tag", "--points-at", "HEAD", "--sort=-creatordate"]);
      tag = tags?.split("\n")[0] || undefined;
      if (tag) tagMessage = (await this.git(["tag", "-l", "--format=%(contents)", tag])) || undefined;
    }
    const [author, timestamp, ...messageParts] = (log ?? "").split("\u0000");
    return {
      isRepo: true,
      sha: sha || undefined,
      beforeSha: before || undefined,
      branch: branch || undefined,
      tag,
      tagMessage,
      message: log === undefined ? undefined : messageParts.join("\u0000").replace(/\n+$/, ""),
      author: author || undefined,
      timestamp: timestamp || undefined,
      defaultBranch: await this.defaultBranch(branch || undefined),
      remote: remoteUrl ? parseRemote(remoteUrl) : undefined,
      userName: userName || undefined,
      userEmail: userEmail || undefined,
    };
  }

  /**
   * The branch GitLab would call default: origin's HEAD when known, else init.defaultBranch,
   * main or master when such a branch exists, else the current branch.
   */
  private async defaultBranch(current: string | undefined): Promise<string> {
    const originHead = await this.git(["symbolic-ref", "--short", "-q", "refs/remotes/origin/HEAD"]);
    if (originHead) return originHead.replace(/^origin\//, "");
    const configured = await this.git(["config", "init.defaultBranch"]);
    for (const candidate of [configured, "main", "master"]) {
      if (candidate && (await this.git(["rev-parse", "--verify", "-q", `refs/heads/${candidate}`]))) {
        return candidate;
      }
    }
    return current ?? configured ?? "main";
  }

  /** Files of the working tree as a run sees them: tracked and untracked, not ignored. */
  files(): Promise<string[]> {
    this.filesPromise ??= this.listFiles();
    return this.filesPromise;
  }

  private async listFiles(): Promise<string[]> {
    const listed = await this.git(["ls-files", "-z", "--cached", "--others", "--exclude-standard"]);
    if (listed === undefined) {
      return (
        await glob(["**/*"], {
          cwd: this.projectDir,
          dot: true,
          onlyFiles: true,
          ignore: ["**/.git/**", "**/node_modules/**", ".slipway/**"],
        })
      ).sort();
    }
    const files = new Set(listed.split("\u0000").filter((f) => f !== ""));
    // A tracked file deleted in the working tree is not in the run's workspace.
    return [...files].filter((f) => existsSync(path.join(this.projectDir, f))).sort();
  }

  /**
   * Files changed since `base` (a commit-ish), the working tree included; undefined when `base`
   * does not resolve, which GitLab treats as "everything changed".
   */
  changedSince(base: string): Promise<string[] | undefined> {
    let found = this.changed.get(base);
    if (!found) {
      found = this.diff(base);
      this.changed.set(base, found);
    }
    return found;
  }

  private async diff(base: string): Promise<string[] | undefined> {
    const commit = await this.git(["rev-parse", "--verify", "-q", `${base}^{commit}`]);
    if (!commit) return undefined;
    const [diff, untracked] = await Promise.all([
      this.git(["diff", "-z", "--name-only", "--no-renames", "--relative", commit]),
      this.git(["ls-files", "-z", "--others", "--exclude-standard"]),
    ]);
    if (diff === undefined) return undefined;
    const files = new Set([...diff.split("\u0000"), ...(untracked ?? "").split("\u0000")]);
    files.delete("");
    return [...files].sort();
  }

  /** The merge base of HEAD and `ref`, or undefined when `ref` does not exist here. */
  async mergeBase(ref: string): Promise<string | undefined> {
    for (const candidate of [ref, `origin/${ref.replace(/^refs\/heads\//, "")}`]) {
      const base = await this.git(["merge-base", "HEAD", candidate]);
      if (base) return base;
    }
    return undefined;
  }

  async resolves(ref: string): Promise<boolean> {
    return (await this.git(["rev-parse", "--verify", "-q", `${ref}^{commit}`])) !== undefined;
  }

  private git(args: readonly string[]): Promise<string | undefined> {
    return new Promise((resolve) => {
      execFile(
        "git",
        args,
        {
          cwd: this.projectDir,
          maxBuffer: 64 * 1024 * 1024,
          env: { ...process.env, GIT_OPTIONAL_LOCKS: "0" },
        },
        (error, stdout) => resolve(error ? undefined : stdout.replace(/\n$/, "")),
      );
    });
  }
}

/** `git@host:group/project.git`, `https://user:token@host/group/project.git`, `ssh://git@host:22/...`. */
export function parseRemote(url: string): RemoteInfo | undefined {
  const scp = /^(?:[^@/]+@)?([^:/]+):(?!\/)(.+?)(?:\.git)?\/?$/.exec(url);
  if (scp && !url.includes("://")) return { url, host: scp[1] ?? "", path: scp[2] ?? "" };
  try {
    const parsed = new URL(url);
    // Credentials in a remote URL must not end up in every job's environment.
    parsed.username = "";
    parsed.password = "";
    const projectPath = parsed.pathname
      .replace(/^\/+/, "")
      .replace(/\.git\/?$/, "")
      .replace(/\/$/, "");
    if (!projectPath) return undefined;
    return { url: parsed.toString(), host: parsed.hostname, path: projectPath };
  } catch {
    return undefined;
  }
}
