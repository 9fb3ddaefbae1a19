import { hasDigest, parseImageReference } from "../../image-ref.js";
import { allSteps, SECURITY_HARDENING, workflowRule } from "./define.js";
import type { Uses } from "../model.js";
import { nodeSpan } from "../yaml-tree.js";

/**
 * Actions published by GitHub itself (`actions/*`, `github/*`) are exempt from pinning: their
 * tags are managed by GitHub, which the workflow already trusts with its token. Everything else
 * is a third party whose tags its maintainers (or whoever steals their account) can move.
 */
const FIRST_PARTY_OWNERS = new Set(["actions", "github"]);
const FULL_SHA = /^[0-9a-f]{40}$/i;

function unpinned(uses: Uses | undefined): uses is Uses {
  if (uses?.kind !== "remote" || FIRST_PARTY_OWNERS.has(uses.owner)) return false;
  return !FULL_SHA.test(uses.ref ?? "");
}

export const unpinnedAction = workflowRule({
  id: "GHA-003",
  title: "Third-party action is not pinned to a commit SHA",
  severity: "medium",
  rationale:
    "A tag or branch is a pointer its owner can move: when a third-party action's repository is compromised (as tj-actions/changed-files was in 2025), every workflow using `@v1` runs the attacker's code with its token and secrets on the next run.",
  remediation:
    "Pin to the full 40-character commit SHA and keep the tag as a comment: `uses: owner/action@<sha> # v1.2.3`; Dependabot and Renovate update such pins.",
  references: [
    SECURITY_HARDENING + "#using-third-party-actions",
    "https://nvd.nist.gov/vuln/detail/CVE-2025-30066",
  ],
  check(workflow, report) {
    for (const job of workflow.jobs)
      if (unpinned(job.uses))
        report({
          message: `${job.uses.value} calls a reusable workflow by ${job.uses.ref ? `a movable ref (@${job.uses.ref})` : "no ref"}`,
          span: job.uses.span,
          resource: job.address,
        });
    for (const { step } of allSteps(workflow))
      if (unpinned(step.uses))
        report({
          message: `${step.uses.value} is pinned to ${step.uses.ref ? `@${step.uses.ref}, which its owner can move` : "nothing"}; use a commit SHA`,
          span: step.uses.span,
          resource: step.address,
        });
  },
});

export const inheritedSecrets = workflowRule({
  id: "GHA-008",
  title: "All secrets are passed to a reusable workflow from another repository",
  severity: "medium",
  rationale:
    "`secrets: inherit` hands every secret the caller can see (organization, repository and environment secrets) to a workflow whose code lives elsewhere and can change at any time, although it only needs a few of them.",
  remediation:
    "Pass only the secrets the called workflow declares: `secrets: { NPM_TOKEN: ${{ secrets.NPM_TOKEN }} }`, and pin it to a commit SHA.",
  references: [
    "https://docs.github.com/en/actions/sharing-automations/reusing-workflows#passing-secrets-to-nested-workflows",
    SECURITY_HARDENING,
  ],
  check(workflow, report) {
    for (const job of workflow.jobs) {
      if (job.uses?.kind !== "remote" || !job.secrets) continue;
      if (job.secrets.value.kind !== "scalar" || job.secrets.value.value !== "inherit") continue;
      report({
        message: `${job.address} passes every secret to ${job.uses.value}`,
        span: nodeSpan(workflow.file, job.secrets.value),
        resource: job.address,
      });
    }
  },
});

export const dockerActionWithoutDigest = workflowRule({
  id: "GHA-017",
  title: "Docker action image is not pinned by digest",
  severity: "low",
  rationale:
    "`docker://image:tag` runs whatever the registry serves for that tag today, with the job's workspace and token; a re-pushed tag changes the code without any change to the workflow.",
  remediation: "Reference the image by digest: `docker://alpine:3.20@sha256:…`.",
  references: [
    "https://docs.github.com/en/actions/writing-workflows/workflow-syntax-for-github-actions#example-using-a-docker-hub-action",
    SECURITY_HARDENING + "#using-third-party-actions",
  ],
  check(workflow, report) {
    for (const { step } of allSteps(workflow)) {
      const uses = step.uses;
      if (uses?.kind !== "docker" || hasDigest(parseImageReference(uses.repository))) continue;
      report({ message: `${uses.value} is not pinned by digest`, span: uses.span, resource: step.address });
    }
    const image = workflow.image;
    if (image && image.value.startsWith("docker://") && !hasDigest(parseImageReference(image.value.slice(9))))
      report({
        message: `runs.image ${image.value} is not pinned by digest`,
        span: nodeSpan(workflow.file, image.node),
        resource: "runs",
      });
  },
});
