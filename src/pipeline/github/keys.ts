/**
 * What Slipway does with every key of GitHub's workflow schema (the `workflow-v1.0.json` that
 * @actions/workflow-parser validates against), by schema definition. A key is either compiled
 * into the IR, recorded in the run's metadata with no local effect (and the reason), or rejected
 * with a positioned error (and the reason). Nothing is ignored silently: the compiler reports
 * every rejected key it meets from this table, and a test checks that the table covers every key
 * of the bundled schema.
 */
export type KeySupport =
  | { kind: "compiled" }
  | { kind: "recorded"; reason: string }
  /** `reportedAt`: another key of the same mapping carries the error, so it is reported once. */
  | { kind: "rejected"; reason: string; hint?: string; reportedAt?: string };

/** Definitions whose mappings also take names of the user's (matrix axes): only their listed keys are checked. */
export const LOOSE_DEFINITIONS: ReadonlySet<string> = new Set(["matrix", "on-mapping"]);

const compiled: KeySupport = { kind: "compiled" };
const recorded = (reason: string): KeySupport => ({ kind: "recorded", reason });
const rejected = (reason: string, hint?: string): KeySupport =>
  hint === undefined ? { kind: "rejected", reason } : { kind: "rejected", reason, hint };
const reportedAt = (key: string): KeySupport => ({ kind: "rejected", reason: "", reportedAt: key });

const NO_CONTAINERS =
  "it needs a container runtime, which Slipway does not use: steps run as processes on this machine";
const NOT_SIMULATED =
  "recorded with the workflow; `slipway run --event` simulates push, pull_request, workflow_dispatch and schedule";
const NOT_ENFORCED = "recorded in the run's metadata; not enforced, since a local run has no GitHub token";
const NOT_A_TRIGGER = "recorded; it only filters an event that slipway run does not simulate";

const each = (keys: readonly string[], support: KeySupport): Record<string, KeySupport> =>
  Object.fromEntries(keys.map((key) => [key, support]));

const root: Record<string, KeySupport> = {
  on: compiled,
  name: compiled,
  description: recorded("a description for people; shown nowhere else"),
  "run-name": recorded("GitHub's title of a run; a local run is shown by its number"),
  defaults: compiled,
  env: compiled,
  permissions: recorded(NOT_ENFORCED),
  concurrency: recorded(
    "a workflow-level group orders whole runs on GitHub; a local run is alone (job-level concurrency is applied)",
  ),
  jobs: compiled,
};

const events = [
  "branch_protection_rule",
  "check_run",
  "check_suite",
  "create",
  "delete",
  "deployment",
  "deployment_status",
  "discussion",
  "discussion_comment",
  "fork",
  "gollum",
  "image_version",
  "issue_comment",
  "issues",
  "label",
  "merge_group",
  "milestone",
  "page_build",
  "project",
  "project_card",
  "project_column",
  "public",
  "pull_request_comment",
  "pull_request_review",
  "pull_request_review_comment",
  "pull_request_target",
  "registry_package",
  "release",
  "repository_dispatch",
  "status",
  "watch",
  "workflow_call",
  "workflow_run",
];

const branchFilters = each(["branches", "branches-ignore"], compiled);
const pathFilters = each(["paths", "paths-ignore"], compiled);
const typeFilterOnly = { types: recorded(NOT_A_TRIGGER) };

const REUSABLE_CALL = "Slipway does not apply it to a reusable workflow call yet";

export const KEY_SUPPORT: Readonly<Record<string, Readonly<Record<string, KeySupport>>>> = {
  "workflow-root": root,
  "workflow-root-strict": root,
  "on-mapping": { workflow_call: recorded(NOT_SIMULATED) },
  "on-mapping-strict": {
    ...each(events, recorded(NOT_SIMULATED)),
    push: compiled,
    pull_request: compiled,
    workflow_dispatch: compiled,
    schedule: compiled,
  },
  "push-mapping": { ...branchFilters, ...each(["tags", "tags-ignore"], compiled), ...pathFilters },
  "pull-request-mapping": { types: compiled, ...branchFilters, ...pathFilters },
  "pull-request-target-mapping": each(
    ["types", "branches", "branches-ignore", "paths", "paths-ignore"],
    recorded(NOT_A_TRIGGER),
  ),
  "workflow-run-mapping": each(
    ["types", "workflows", "branches", "branches-ignore"],
    recorded(NOT_A_TRIGGER),
  ),
  "merge-group-mapping": each(["types", "branches", "branches-ignore"], recorded(NOT_A_TRIGGER)),
  "image-version-mapping": each(["types", "names", "versions"], recorded(NOT_A_TRIGGER)),
  ...Object.fromEntries(
    [
      "branch-protection-rule-mapping",
      "check-run-mapping",
      "check-suite-mapping",
      "discussion-mapping",
      "discussion-comment-mapping",
      "issue-comment-mapping",
      "issues-mapping",
      "label-mapping",
      "milestone-mapping",
      "project-mapping",
      "project-card-mapping",
      "project-column-mapping",
      "pull-request-review-mapping",
      "pull-request-review-comment-mapping",
      "registry-package-mapping",
      "release-mapping",
      "watch-mapping",
      "repository-dispatch-mapping",
    ].map((definition) => [definition, typeFilterOnly]),
  ),
  "workflow-call-mapping": each(["inputs", "secrets", "outputs"], recorded(NOT_SIMULATED)),
  "workflow-call-input-definition": each(
    ["description", "type", "required", "default"],
    recorded(NOT_SIMULATED),
  ),
  "workflow-call-secret-mapping-definition": each(["description", "required"], recorded(NOT_SIMULATED)),
  "workflow-call-output-definition": each(["description", "value"], recorded(NOT_SIMULATED)),
  "workflow-dispatch-mapping": { inputs: compiled },
  "workflow-dispatch-input": {
    description: recorded("help text for the input; `slipway run --input NAME=VALUE` sets it"),
    type: compiled,
    required: compiled,
    default: compiled,
    options: compiled,
  },
  "cron-mapping": {
    cron: compiled,
    timezone: recorded("a schedule's time zone; `--event schedule` runs now"),
  },
  "permissions-mapping": each(
    [
      "actions",
      "artifact-metadata",
      "attestations",
      "checks",
      "code-quality",
      "contents",
      "copilot-requests",
      "deployments",
      "discussions",
      "drives",
      "id-token",
      "issues",
      "models",
      "packages",
      "pages",
      "pull-requests",
      "repository-projects",
      "security-events",
      "statuses",
      "vulnerability-alerts",
    ],
    recorded(NOT_ENFORCED),
  ),
  "workflow-defaults": { run: compiled },
  "workflow-defaults-run": { shell: compiled, "working-directory": compiled },
  "job-defaults": { run: compiled },
  "job-defaults-run": { shell: compiled, "working-directory": compiled },
  "job-factory": {
    needs: compiled,
    if: compiled,
    strategy: compiled,
    name: compiled,
    "runs-on": compiled,
    "timeout-minutes": compiled,
    "cancel-timeout-minutes": rejected(
      "cleanup steps of a cancelled job run until the job's timeout-minutes",
      "remove it; use timeout-minutes to bound the job",
    ),
    "continue-on-error": compiled,
    container: rejected(NO_CONTAINERS, "install the tools on this machine and remove `container:`"),
    services: rejected(NO_CONTAINERS, "start the services yourself (e.g. in a step) and remove `services:`"),
    env: compiled,
    environment: recorded("recorded with the job; environment protection rules and secrets are GitHub's"),
    permissions: recorded(NOT_ENFORCED),
    concurrency: compiled,
    outputs: compiled,
    defaults: compiled,
    steps: compiled,
    snapshot: rejected("custom runner images are built by GitHub-hosted runners only"),
  },
  "workflow-job": {
    ...each(["uses", "name", "with", "secrets", "needs", "if"], compiled),
    permissions: recorded(NOT_ENFORCED),
    concurrency: rejected(REUSABLE_CALL, "put the concurrency on the called workflow's jobs"),
    strategy: rejected(REUSABLE_CALL, "call the workflow once per combination"),
  },
  strategy: { "fail-fast": compiled, "max-parallel": compiled, matrix: compiled },
  matrix: { include: compiled, exclude: compiled },
  "snapshot-mapping": each(["image-name", "if", "version"], reportedAt("snapshot")),
  "runs-on-mapping": {
    group: recorded("a runner group of GitHub; every job runs on this machine"),
    labels: compiled,
  },
  "concurrency-mapping": {
    group: compiled,
    "cancel-in-progress": compiled,
    queue: recorded("jobs of one group in a run wait for each other in order"),
  },
  "job-environment-mapping": each(
    ["name", "url", "deployment"],
    recorded("recorded with the job; environment protection rules and secrets are GitHub's"),
  ),
  "run-step": {
    ...each(
      [
        "name",
        "id",
        "if",
        "timeout-minutes",
        "run",
        "continue-on-error",
        "env",
        "working-directory",
        "shell",
      ],
      compiled,
    ),
    background: rejected(
      "background steps are not supported yet",
      "run the command in the background in the script, with `&`",
    ),
  },
  "regular-step": {
    ...each(["name", "id", "if", "continue-on-error", "timeout-minutes", "uses", "with", "env"], compiled),
    background: rejected("background steps are not supported yet"),
  },
  "wait-step": {
    wait: rejected("wait steps are not supported yet"),
    ...each(["name", "id", "continue-on-error"], reportedAt("wait")),
  },
  "wait-all-step": {
    "wait-all": rejected("wait-all steps are not supported yet"),
    ...each(["name", "id", "continue-on-error"], reportedAt("wait-all")),
  },
  "cancel-step": {
    cancel: rejected("cancel steps are not supported yet"),
    ...each(["name", "id", "continue-on-error"], reportedAt("cancel")),
  },
  "parallel-step": { parallel: rejected("parallel steps are not supported yet") },
  "container-mapping": each(
    ["image", "options", "env", "ports", "volumes", "credentials"],
    reportedAt("container"),
  ),
  "container-registry-credentials": each(["username", "password"], reportedAt("container")),
  "service-container-mapping": each(
    ["image", "options", "env", "ports", "volumes", "credentials", "entrypoint", "command"],
    reportedAt("services"),
  ),
};
