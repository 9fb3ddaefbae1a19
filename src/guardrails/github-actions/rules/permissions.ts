import { hasTrigger, SECURITY_HARDENING, workflowRule } from "./define.js";
import type { Permissions } from "../model.js";

const PERMISSIONS_DOCS =
  "https://docs.github.com/en/actions/writing-workflows/workflow-syntax-for-github-actions#permissions";
const TOKEN_DOCS =
  "https://docs.github.com/en/actions/security-for-github-actions/security-guides/automatic-token-authentication#permissions-for-the-github_token";

export const writeAll = workflowRule({
  id: "GHA-004",
  title: "GITHUB_TOKEN is granted write-all permissions",
  severity: "high",
  rationale:
    "`write-all` lets every step (and every action it runs) push code, create releases, change issues, packages and deployments; one compromised dependency then owns the repository.",
  remediation: "List the scopes the job needs: `permissions: { contents: read, pull-requests: write }`.",
  references: [PERMISSIONS_DOCS, TOKEN_DOCS, SECURITY_HARDENING],
  check(workflow, report) {
    const places: { permissions: Permissions | undefined; resource: string }[] = [
      { permissions: workflow.permissions, resource: "workflow" },
      ...workflow.jobs.map((job) => ({ permissions: job.permissions, resource: job.address })),
    ];
    for (const { permissions, resource } of places)
      if (permissions?.all === "write-all")
        report({
          message: `permissions: write-all gives ${resource === "workflow" ? "every job" : resource} every write scope`,
          span: permissions.span,
          resource,
        });
  },
});

export const missingPermissions = workflowRule({
  id: "GHA-005",
  title: "Workflow does not restrict GITHUB_TOKEN permissions",
  severity: "medium",
  rationale:
    "Without a `permissions` block the token gets the repository's default, which is read-write on repositories and organizations created before 2023 and on any that changed the setting: every step may push, tag and publish.",
  remediation: "Add a top-level `permissions: { contents: read }` and widen it per job only where needed.",
  references: [
    PERMISSIONS_DOCS,
    TOKEN_DOCS,
    "https://docs.github.com/en/repositories/managing-your-repositorys-settings-and-features/enabling-features-for-your-repository/managing-github-actions-settings-for-a-repository#setting-the-permissions-of-the-github_token-for-your-repository",
  ],
  check(workflow, report) {
    if (workflow.kind !== "workflow" || workflow.permissions || workflow.jobs.length === 0) return;
    // A reusable workflow runs with the permissions its caller grants.
    if (workflow.triggers.length > 0 && workflow.triggers.every((t) => t.event === "workflow_call")) return;
    const open = workflow.jobs.filter((job) => !job.permissions);
    if (open.length === 0) return;
    const on = workflow.on;
    report({
      message: `no top-level permissions, and ${open.map((j) => j.id).join(", ")} ${open.length === 1 ? "sets" : "set"} none: the token gets the repository default, possibly read-write`,
      span: on
        ? workflow.file.lines.span(on.keyStart, on.keyEnd)
        : workflow.file.lines.span(workflow.root.start),
      resource: "workflow",
    });
  },
});

export const writeOnPullRequestTarget = workflowRule({
  id: "GHA-006",
  title: "pull_request_target workflow can write repository contents",
  severity: "high",
  rationale:
    "pull_request_target runs for pull requests from forks with the base repository's token. With `contents: write`, any flaw in the workflow (an injection, a checkout of the PR) lets a stranger push to branches, move tags and publish releases.",
  remediation:
    "Give pull_request_target jobs `contents: read` and only the narrow write scopes they need (`pull-requests: write` to comment).",
  references: [
    PERMISSIONS_DOCS,
    "https://securitylab.github.com/resources/github-actions-preventing-pwn-requests/",
  ],
  check(workflow, report) {
    if (!hasTrigger(workflow, "pull_request_target")) return;
    const places: { permissions: Permissions | undefined; resource: string }[] = [
      { permissions: workflow.permissions, resource: "workflow" },
      ...workflow.jobs.map((job) => ({ permissions: job.permissions, resource: job.address })),
    ];
    for (const { permissions, resource } of places) {
      if (!permissions) continue;
      const contents = permissions.scopes.get("contents");
      if (contents?.value === "write")
        report({
          message: `contents: write on pull_request_target lets fork pull requests reach a write token`,
          span: contents.span,
          resource,
        });
      else if (permissions.all === "write-all")
        report({
          message: `write-all on pull_request_target includes contents: write`,
          span: permissions.span,
          resource,
        });
    }
  },
});
