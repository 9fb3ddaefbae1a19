import { isAction, withValue } from "../model.js";
import { workflowRule } from "./define.js";

const UPLOADS = ["actions/upload-artifact", "actions/upload-pages-artifact"];

export const persistedCredentials = workflowRule({
  id: "GHA-011",
  title: "Checkout keeps the token on disk in a job that uploads artifacts",
  severity: "low",
  rationale:
    "actions/checkout writes the job's token into `.git/config` unless `persist-credentials: false`. A job that then uploads its workspace (or a directory including `.git`) as an artifact publishes a token that anyone who can download artifacts can use while the job runs.",
  remediation:
    "Set `persist-credentials: false` on actions/checkout, and upload only the build output directory.",
  references: [
    "https://unit42.paloaltonetworks.com/github-repo-artifacts-leak-tokens/",
    "https://github.com/actions/checkout#usage",
  ],
  check(workflow, report) {
    for (const job of workflow.jobs) {
      if (!job.steps.some((s) => isAction(s.uses, ...UPLOADS))) continue;
      for (const step of job.steps) {
        if (!isAction(step.uses, "actions/checkout") || !step.uses) continue;
        if ((withValue(step, "persist-credentials") ?? "").toLowerCase() === "false") continue;
        report({
          message: `${step.uses.value} leaves the token in .git/config and ${job.address} uploads artifacts`,
          span: step.uses.span,
          resource: step.address,
        });
      }
    }
  },
});
