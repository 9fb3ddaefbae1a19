import { createHash, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { commitSha, isNullSha, parsePayload, urls } from "./payload.js";
import type { TriggerRequest, WebhookOutcome } from "./types.js";

/**
 * Checks `X-Gitlab-Token`, which GitLab sends as the plain secret
 * (https://docs.gitlab.com/user/project/integrations/webhooks/#validate-payloads-by-using-a-secret-token).
 * Both sides are hashed first so the comparison takes the same time whatever the lengths:
 * timingSafeEqual alone throws on different lengths, and returning early would reveal the length.
 */
export function verifyGitlabToken(expected: string, header: string | undefined): boolean {
  if (expected === "" || header === undefined) return false;
  const digest = (text: string): Buffer => createHash("sha256").update(text, "utf8").digest();
  return timingSafeEqual(digest(expected), digest(header));
}

const project = z.object({
  path_with_namespace: z.string().min(1),
  git_http_url: z.string().optional(),
  git_ssh_url: z.string().optional(),
  web_url: z.string().optional(),
});

/** Push Hook and Tag Push Hook share a body (https://docs.gitlab.com/user/project/integrations/webhook_events/#push-events). */
const pushPayload = z.object({
  ref: z.string().startsWith("refs/"),
  after: z.string(),
  checkout_sha: commitSha.nullable().optional(),
  user_username: z.string(),
  project,
});

const mergeRequestPayload = z.object({
  user: z.object({ username: z.string() }),
  project,
  object_attributes: z.object({
    action: z.string(),
    iid: z.number().int(),
    source_branch: z.string().min(1),
    last_commit: z.object({ id: commitSha }),
    oldrev: commitSha.optional(),
  }),
});

const MERGE_REQUEST_ACTIONS = new Set(["open", "update", "reopen"]);

function projectUrls(p: z.infer<typeof project>): string[] {
  return urls(p.git_http_url, p.git_ssh_url, p.web_url);
}

/**
 * Maps a GitLab delivery (`X-Gitlab-Event` header, parsed JSON body) to a trigger, after the
 * token has been verified. Event names follow GitLab CI's CI_PIPELINE_SOURCE: `push` for branch
 * and tag pushes, `merge_request_event` for merge requests.
 */
export function gitlabWebhook(eventHeader: string, payload: unknown, deliveryId?: string): WebhookOutcome {
  const base = { source: "gitlab" as const, payload, deliveryId, inputs: {} };
  switch (eventHeader) {
    case "Push Hook":
    case "Tag Push Hook": {
      const what = eventHeader === "Push Hook" ? "GitLab push" : "GitLab tag push";
      const push = parsePayload(pushPayload, payload, what);
      if (isNullSha(push.after) || push.checkout_sha === null) {
        return { kind: "ignored", reason: `push deleted ${push.ref}` };
      }
      // For an annotated tag `after` is the tag object; checkout_sha is the commit it points at.
      const sha = push.checkout_sha ?? parsePayload(commitSha, push.after, `${what} \`after\``);
      const request: TriggerRequest = {
        ...base,
        event: "push",
        ref: push.ref,
        sha,
        actor: push.user_username,
        repository: push.project.path_with_namespace,
        repositoryUrls: projectUrls(push.project),
      };
      return { kind: "trigger", request };
    }
    case "Merge Request Hook": {
      const head = z.object({ object_attributes: z.object({ action: z.string().optional() }) });
      const action = parsePayload(head, payload, "GitLab merge request").object_attributes.action;
      if (action === undefined || !MERGE_REQUEST_ACTIONS.has(action)) {
        return {
          kind: "ignored",
          reason: `merge request action "${action ?? "(none)"}" does not change the code to test`,
        };
      }
      const mr = parsePayload(mergeRequestPayload, payload, "GitLab merge request");
      // GitLab sends "update" for title, label and assignee edits too; only an update carrying
      // `oldrev` brought new commits, which is also when GitLab itself runs merge request pipelines.
      if (action === "update" && mr.object_attributes.oldrev === undefined) {
        return { kind: "ignored", reason: "merge request update without new commits" };
      }
      const request: TriggerRequest = {
        ...base,
        event: "merge_request_event",
        ref: `refs/heads/${mr.object_attributes.source_branch}`,
        sha: mr.object_attributes.last_commit.id,
        actor: mr.user.username,
        repository: mr.project.path_with_namespace,
        repositoryUrls: projectUrls(mr.project),
      };
      return { kind: "trigger", request };
    }
    default:
      return { kind: "ignored", reason: `GitLab event "${eventHeader}" does not run pipelines` };
  }
}
