import path from "node:path";
import type { GitFacts } from "./git.js";
import type { Trigger } from "./trigger.js";

/** The repository as GitHub names it, from the origin remote (or the directory name). */
export interface Repository {
  owner: string;
  name: string;
  fullName: string;
  serverUrl: string;
  apiUrl: string;
  graphqlUrl: string;
  htmlUrl: string;
  cloneUrl: string;
  defaultBranch: string;
}

export function repositoryOf(facts: GitFacts, projectDir: string, actor: string): Repository {
  const parsed = facts.remoteUrl ? parseRemote(facts.remoteUrl) : undefined;
  const host = parsed?.host ?? "github.com";
  const serverUrl = `https://${host}`;
  const dotcom = host === "github.com";
  const owner = parsed?.owner ?? actor;
  const name = parsed?.name ?? path.basename(projectDir);
  return {
    owner,
    name,
    fullName: `${owner}/${name}`,
    serverUrl,
    apiUrl: dotcom ? "https://api.github.com" : `${serverUrl}/api/v3`,
    graphqlUrl: dotcom ? "https://api.github.com/graphql" : `${serverUrl}/api/graphql`,
    htmlUrl: `${serverUrl}/${owner}/${name}`,
    cloneUrl: `${serverUrl}/${owner}/${name}.git`,
    defaultBranch: facts.defaultBranch,
  };
}

/** `git@host:owner/name.git`, `ssh://git@host:22/owner/name`, `https://user@host/group/sub/name.git`. */
export function parseRemote(url: string): { host: string; owner: string; name: string } | undefined {
  const match =
    /^(?:[a-z+]+:\/\/)?(?:[^@/]+@)?([^/:]+)(?::\d+)?[:/](.+?)(?:\.git)?\/?$/i.exec(url.trim()) ?? undefined;
  if (!match?.[1] || !match[2]) return undefined;
  const parts = match[2].split("/").filter((p) => p !== "");
  const name = parts.pop();
  if (!name || parts.length === 0) return undefined;
  return { host: match[1], owner: parts.join("/"), name };
}

/**
 * The webhook payload GitHub would send for this event, built from the local repository, with
 * the fields workflows read most (`head_commit`, `pull_request.head.sha`, `inputs`...).
 */
export function eventPayload(
  trigger: Trigger,
  facts: GitFacts,
  repo: Repository,
  actor: string,
  inputs: Record<string, string>,
  workflowFile: string,
): Record<string, unknown> {
  const repository = {
    id: 0,
    name: repo.name,
    full_name: repo.fullName,
    owner: { login: repo.owner, name: repo.owner },
    private: true,
    html_url: repo.htmlUrl,
    clone_url: repo.cloneUrl,
    default_branch: repo.defaultBranch,
    master_branch: repo.defaultBranch,
  };
  const sender = { login: actor, type: "User" };
  const commit = facts.head
    ? {
        id: facts.head.sha,
        tree_id: facts.head.tree,
        distinct: true,
        message: facts.head.message,
        timestamp: facts.head.committer.date,
        url: `${repo.htmlUrl}/commit/${facts.head.sha}`,
        author: { name: facts.head.author.name, email: facts.head.author.email, username: actor },
        committer: { name: facts.head.committer.name, email: facts.head.committer.email, username: actor },
        added: [],
        removed: [],
        modified: trigger.changedFiles ?? [],
      }
    : null;
  const sha = facts.sha ?? "";
  switch (trigger.event) {
    case "push":
      return {
        ref: trigger.ref,
        before: trigger.before ?? "0000000000000000000000000000000000000000",
        after: sha,
        created: false,
        deleted: false,
        forced: false,
        base_ref: null,
        compare: `${repo.htmlUrl}/compare/${(trigger.before ?? sha).slice(0, 12)}...${sha.slice(0, 12)}`,
        commits: commit ? [commit] : [],
        head_commit: commit,
        pusher: { name: actor, email: facts.head?.author.email ?? "" },
        repository,
        sender,
      };
    case "pull_request": {
      const [title, ...body] = (facts.head?.message ?? "").split("\n");
      const pullRequest = {
        number: 0,
        state: "open",
        title: title ?? "",
        body: body.join("\n").trim(),
        draft: false,
        merged: false,
        user: { login: actor },
        html_url: `${repo.htmlUrl}/pull/0`,
        head: { ref: trigger.headRef, sha, label: `${repo.owner}:${trigger.headRef}`, repo: repository },
        base: {
          ref: trigger.baseRef,
          sha: trigger.baseSha ?? "",
          label: `${repo.owner}:${trigger.baseRef}`,
          repo: repository,
        },
        labels: [],
        changed_files: trigger.changedFiles?.length ?? 0,
      };
      return { action: trigger.action, number: 0, pull_request: pullRequest, repository, sender };
    }
    case "workflow_dispatch":
      return { inputs, ref: trigger.ref, repository, sender, workflow: workflowFile };
    case "schedule":
      return { schedule: trigger.cron ?? "", repository, sender, workflow: workflowFile };
  }
}
