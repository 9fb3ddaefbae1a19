import { createHmac, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { commitSha, isNullSha, parsePayload, urls } from "./payload.js";
import type { TriggerRequest, WebhookOutcome } from "./types.js";

/**
 * Checks `X-Hub-Signature-256` (https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries):
 * `sha256=` and the hex HMAC-SHA256 of the raw body, compared in constant time. The body must be
 * the bytes as received: re-serialised JSON does not hash the same. An empty secret verifies
 * nothing, since anyone can compute an HMAC with an empty key.
 */
export function verifyGithubSignature(secret: string, rawBody: Buffer, header: string | undefined): boolean {
  if (secret === "" || header === undefined) return false;
  const match = /^sha256=([0-9a-fA-F]{64})$/.exec(header.trim());
  if (!match?.[1]) return false;
  const expected = createHmac("sha256", secret).update(rawBody).digest();
  return timingSafeEqual(expected, Buffer.from(match[1], "hex"));
}

const repository = z.object({
  full_name: z.string().min(1),
  clone_url: z.string().optional(),
  ssh_url: z.string().optional(),
  git_url: z.string().optional(),
  html_url: z.string().optional(),
});

const sender = z.object({ login: z.string() });

const pushPayload = z.object({
  ref: z.string().startsWith("refs/"),
  after: z.string(),
  deleted: z.boolean().optional(),
  head_commit: z.object({ id: commitSha }).nullable().optional(),
  repository,
  sender: sender.optional(),
  pusher: z.object({ name: z.string() }).optional(),
});

const pullRequestPayload = z.object({
  action: z.string(),
  number: z.number().int(),
  pull_request: z.object({
    head: z.object({ ref: z.string().min(1), sha: commitSha }),
  }),
  repository,
  sender,
});

const workflowDispatchPayload = z.object({
  ref: z.string().min(1),
  inputs: z
    .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
    .nullable()
    .optional(),
  repository,
  sender,
});

/** The actions that change what a pull request would merge; the others (labeled, edited, closed...) do not. */
const PULL_REQUEST_ACTIONS = new Set(["opened", "synchronize", "reopened"]);

function repositoryUrls(repo: z.infer<typeof repository>): string[] {
  return urls(repo.clone_url, repo.ssh_url, repo.git_url, repo.html_url);
}

/**
 * Maps a GitHub delivery (`X-GitHub-Event` header, parsed JSON body) to a trigger, after the
 * signature has been verified. Throws UsageError naming the field when a payload the event
 * should carry is malformed.
 */
export function githubWebhook(eventName: string, payload: unknown, deliveryId?: string): WebhookOutcome {
  const base = { source: "github" as const, payload, deliveryId };
  switch (eventName) {
    case "ping":
      return { kind: "ignored", reason: "ping" };
    case "push": {
      const push = parsePayload(pushPayload, payload, "GitHub push");
      if (push.deleted === true || isNullSha(push.after)) {
        return { kind: "ignored", reason: `push deleted ${push.ref}` };
      }
      // For an annotated tag `after` is the tag object, not a commit; head_commit is the commit.
      const sha = push.head_commit?.id ?? parsePayload(commitSha, push.after, "GitHub push `after`");
      const request: TriggerRequest = {
        ...base,
        event: "push",
        ref: push.ref,
        sha,
        actor: push.sender?.login ?? push.pusher?.name ?? "",
        repository: push.repository.full_name,
        repositoryUrls: repositoryUrls(push.repository),
        inputs: {},
      };
      return { kind: "trigger", request };
    }
    case "pull_request": {
      const action = parsePayload(z.object({ action: z.string() }), payload, "GitHub pull_request").action;
      if (!PULL_REQUEST_ACTIONS.has(action)) {
        return {
          kind: "ignored",
          reason: `pull_request action "${action}" does not change the code to test`,
        };
      }
      const pr = parsePayload(pullRequestPayload, payload, "GitHub pull_request");
      // For a pull request from a fork this branch exists only in the fork; the commit can be
      // fetched from the base repository as refs/pull/<number>/head (see payload.number).
      const request: TriggerRequest = {
        ...base,
        event: "pull_request",
        ref: `refs/heads/${pr.pull_request.head.ref}`,
        sha: pr.pull_request.head.sha,
        actor: pr.sender.login,
        repository: pr.repository.full_name,
        repositoryUrls: repositoryUrls(pr.repository),
        inputs: {},
      };
      return { kind: "trigger", request };
    }
    case "workflow_dispatch": {
      const dispatch = parsePayload(workflowDispatchPayload, payload, "GitHub workflow_dispatch");
      const inputs = Object.fromEntries(
        Object.entries(dispatch.inputs ?? {}).map(([name, value]) => [name, String(value)]),
      );
      // The payload names a ref but no commit: sha stays empty and the server resolves the ref.
      const ref = dispatch.ref.startsWith("refs/") ? dispatch.ref : `refs/heads/${dispatch.ref}`;
      const request: TriggerRequest = {
        ...base,
        event: "workflow_dispatch",
        ref,
        sha: "",
        actor: dispatch.sender.login,
        repository: dispatch.repository.full_name,
        repositoryUrls: repositoryUrls(dispatch.repository),
        inputs,
      };
      return { kind: "trigger", request };
    }
    default:
      return { kind: "ignored", reason: `GitHub event "${eventName}" does not run pipelines` };
  }
}
