import { PUBLIC_TRIGGERS } from "../contexts.js";
import { runnerLabels } from "../model.js";
import { nodeSpan } from "../yaml-tree.js";
import { workflowRule } from "./define.js";

export const selfHostedOnPublicTrigger = workflowRule({
  id: "GHA-009",
  title: "Self-hosted runner used by a workflow outsiders can trigger",
  severity: "high",
  rationale:
    "Self-hosted runners are not wiped between jobs: a job started by a fork's pull request, an issue or a comment can install a persistent backdoor, read other jobs' secrets and reach the network the runner lives in.",
  remediation:
    "Run jobs triggered by pull requests, issues and comments on GitHub-hosted runners, or on ephemeral, isolated self-hosted runners in a runner group limited to trusted workflows.",
  references: [
    "https://docs.github.com/en/actions/hosting-your-own-runners/managing-self-hosted-runners/about-self-hosted-runners#self-hosted-runner-security",
    "https://docs.github.com/en/actions/security-for-github-actions/security-guides/security-hardening-for-github-actions#hardening-for-self-hosted-runners",
  ],
  check(workflow, report) {
    const triggers = workflow.triggers.filter((t) => PUBLIC_TRIGGERS.has(t.event)).map((t) => t.event);
    if (triggers.length === 0) return;
    for (const job of workflow.jobs) {
      const label = runnerLabels(job).find((l) => l.value.toLowerCase() === "self-hosted");
      if (!label) continue;
      report({
        message: `${job.address} runs on a self-hosted runner and the workflow runs on ${triggers.join(", ")}`,
        span: nodeSpan(workflow.file, label.node),
        resource: job.address,
      });
    }
  },
});
