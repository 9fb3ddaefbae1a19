/** What a verified webhook asks the server to do: start the pipelines of one project at one commit. */
export interface TriggerRequest {
  source: "github" | "gitlab" | "generic";
  /** Event name as pipelines see it: push, pull_request, workflow_dispatch, merge_request_event, ... */
  event: string;
  /** Full ref, e.g. refs/heads/main or refs/tags/v1 (for pull_request: the head ref refs/heads/feature). */
  ref: string;
  /**
   * Commit to run (40 hex). Empty when the sender names only a ref (workflow_dispatch, a generic
   * webhook without `sha`): the server resolves the ref in the project's repository.
   */
  sha: string;
  /** Who caused it (sender login / user_username), for the audit log. */
  actor: string;
  /** Repository identity as the sender knows it (full_name / path_with_namespace / given name): used to find the project. */
  repository: string;
  /** Clone URLs the payload gives (clone_url, ssh_url, git_http_url...), to match a project's repo. */
  repositoryUrls: string[];
  /** workflow_dispatch inputs, or generic inputs. */
  inputs: Record<string, string>;
  /** The payload, kept for the front-ends (github.event). */
  payload: unknown;
  /** Delivery id header (X-GitHub-Delivery, X-Gitlab-Event-UUID, X-Slipway-Delivery) for de-duplication. */
  deliveryId: string | undefined;
}

export type WebhookOutcome =
  { kind: "trigger"; request: TriggerRequest } | { kind: "ignored"; reason: string };
