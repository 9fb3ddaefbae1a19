import { matchesPattern, type ContextPath } from "./expressions.js";

/**
 * Event fields anyone who can open an issue, a pull request or push a branch controls, after
 * GitHub Security Lab's list of untrusted input
 * (https://securitylab.github.com/resources/github-actions-untrusted-input/).
 */
const UNTRUSTED_FIELDS = [
  "github.event.issue.title",
  "github.event.issue.body",
  "github.event.pull_request.title",
  "github.event.pull_request.body",
  "github.event.pull_request.head.ref",
  "github.event.pull_request.head.label",
  "github.event.pull_request.head.repo.default_branch",
  "github.event.pull_request.head.repo.description",
  "github.event.pull_request.head.repo.homepage",
  "github.event.comment.body",
  "github.event.review.body",
  "github.event.review_comment.body",
  "github.event.discussion.title",
  "github.event.discussion.body",
  "github.event.pages.*.page_name",
  "github.event.commits.*.message",
  "github.event.commits.*.author.email",
  "github.event.commits.*.author.name",
  "github.event.commits.*.committer.email",
  "github.event.commits.*.committer.name",
  "github.event.head_commit.message",
  "github.event.head_commit.author.email",
  "github.event.head_commit.author.name",
  "github.event.head_commit.committer.email",
  "github.event.head_commit.committer.name",
  "github.event.workflow_run.head_branch",
  "github.event.workflow_run.display_title",
  "github.event.workflow_run.head_commit.message",
  "github.event.workflow_run.head_commit.author.email",
  "github.event.workflow_run.head_commit.author.name",
  "github.event.workflow_run.head_repository.description",
  "github.event.workflow_run.pull_requests.*.head.ref",
  "github.head_ref",
].map((field) => field.split("."));

/** The untrusted field a path reads, if any. */
export function untrustedField(path: ContextPath): string | undefined {
  const pattern = UNTRUSTED_FIELDS.find((p) => matchesPattern(path, p));
  return pattern ? path.segments.join(".") : undefined;
}

/** Workflow inputs: `inputs.name` or `github.event.inputs.name`. */
export function inputName(path: ContextPath): string | undefined {
  const s = path.segments.map((x) => x.toLowerCase());
  if (s[0] === "inputs" && s.length === 2) return s[1];
  if (s[0] === "github" && s[1] === "event" && s[2] === "inputs" && s.length === 4) return s[3];
  return undefined;
}

/** `env.NAME` (names are case-insensitive in expressions). */
export function envName(path: ContextPath): string | undefined {
  return path.segments[0]?.toLowerCase() === "env" && path.segments.length === 2
    ? path.segments[1]
    : undefined;
}

/** `secrets.NAME`. */
export function secretName(path: ContextPath): string | undefined {
  return path.segments[0]?.toLowerCase() === "secrets" && path.segments.length === 2
    ? path.segments[1]
    : undefined;
}

/**
 * Events that outsiders can trigger on a public repository: forks open pull requests, anyone
 * opens issues and comments, and `workflow_run` follows runs those events started.
 */
export const PUBLIC_TRIGGERS = new Set([
  "pull_request",
  "pull_request_target",
  "pull_request_review",
  "pull_request_review_comment",
  "issue_comment",
  "issues",
  "discussion",
  "discussion_comment",
  "fork",
  "watch",
  "workflow_run",
]);

/** Events whose workflows run with the base repository's secrets and a write token on fork PRs. */
export const PRIVILEGED_PR_TRIGGERS = new Set(["pull_request_target", "workflow_run"]);
