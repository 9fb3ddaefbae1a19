import type { SourceSpan } from "../../model.js";
import { hasFlag, invocation, positionals } from "../../dockerfile/shell.js";
import { PRIVILEGED_PR_TRIGGERS, secretName } from "../contexts.js";
import { textSpan } from "../../source-text.js";
import { isAction, withValue, type Job, type Step, type Workflow } from "../model.js";
import { nodeSpan, pairSpan } from "../yaml-tree.js";
import { hasTrigger, runsCode, SECURITY_HARDENING, workflowRule } from "./define.js";

const PWN_REQUEST = "https://securitylab.github.com/resources/github-actions-preventing-pwn-requests/";

/** Context paths that name the pull request's own code rather than the base branch. */
const PR_HEAD = [
  /^github\.event\.pull_request\.head\.(sha|ref|repo\.full_name|repo\.clone_url)$/,
  /^github\.event\.pull_request\.merge_commit_sha$/,
  /^github\.event\.pull_request\.number$/,
  /^github\.event\.number$/,
  /^github\.head_ref$/,
  /^github\.event\.workflow_run\.head_(sha|branch)$/,
  /^github\.event\.workflow_run\.head_repository\.full_name$/,
  /^github\.event\.workflow_run\.pull_requests\.\*\.(head\.(sha|ref)|number)$/,
];

function namesPrHead(expressions: readonly { sources: { segments: string[] }[] }[]): boolean {
  return expressions.some((e) =>
    e.sources.some((p) => PR_HEAD.some((re) => re.test(p.segments.join(".").toLowerCase()))),
  );
}

export interface UntrustedCheckout {
  job: Job;
  step: Step;
  /** The `ref:`/`repository:` input or the command that fetches the PR. */
  span: SourceSpan;
  /** The first later step that runs code from the checkout. */
  runner: Step | undefined;
}

/**
 * Steps that check out the pull request's head in a privileged workflow: actions/checkout with
 * a PR `ref` or `repository`, or `gh pr checkout` / `git fetch … pull/N/head` in a script.
 */
export function untrustedCheckouts(workflow: Workflow): UntrustedCheckout[] {
  if (!workflow.triggers.some((t) => PRIVILEGED_PR_TRIGGERS.has(t.event))) return [];
  const out: UntrustedCheckout[] = [];
  for (const job of workflow.jobs)
    job.steps.forEach((step, index) => {
      let span: SourceSpan | undefined;
      if (isAction(step.uses, "actions/checkout")) {
        for (const key of ["ref", "repository"]) {
          const input = step.with.get(key);
          if (input && (namesPrHead(input.expressions) || /refs\/pull\//.test(input.value))) {
            span = nodeSpan(workflow.file, input.pair.value);
            break;
          }
        }
      } else if (step.run) {
        for (const command of step.run.shell().commands) {
          const call = invocation(command);
          const args = call ? positionals(call.args).map((a) => a.value) : [];
          const fetchesPr =
            (call?.program === "gh" && args[0] === "pr" && args[1] === "checkout") ||
            (call?.program === "git" &&
              (args[0] === "fetch" || args[0] === "checkout" || args[0] === "pull") &&
              args.some((a) => /(^|\/)pull\/|refs\/pull\//.test(a))) ||
            (call?.program === "git" &&
              args[0] === "checkout" &&
              namesPrHead(
                step.run.expressions.filter((e) => e.start >= command.start && e.end <= command.end),
              ));
          if (fetchesPr) {
            span = textSpan(workflow.file.lines, step.run.text, command.start, command.end);
            break;
          }
        }
      }
      if (!span) return;
      out.push({ job, step, span, runner: job.steps.slice(index + (step.run ? 0 : 1)).find(runsCode) });
    });
  return out;
}

export const untrustedCheckout = workflowRule({
  id: "GHA-002",
  title: "A privileged workflow checks out and runs pull request code",
  severity: "critical",
  rationale:
    'pull_request_target and workflow_run run in the base repository with its secrets and a token that can write. Checking out the pull request\'s head and then building, testing or running any script from it lets anyone who opens a pull request from a fork run code with those privileges (a "pwn request").',
  remediation:
    "Build and test untrusted code in a `pull_request` workflow (no secrets, read-only token); if privileged follow-up is needed, pass results as artifacts to a separate workflow that never executes them. Never combine a PR-head checkout with scripts, installs or builds under pull_request_target.",
  references: [
    PWN_REQUEST,
    SECURITY_HARDENING,
    "https://docs.github.com/en/actions/writing-workflows/choosing-when-your-workflow-runs/events-that-trigger-workflows#pull_request_target",
  ],
  check(workflow, report) {
    for (const checkout of untrustedCheckouts(workflow)) {
      if (!checkout.runner) continue;
      report({
        message: `${checkout.step.address} checks out the pull request's code and ${checkout.runner.address} (line ${checkout.runner.span.line}) runs it with the base repository's secrets and token`,
        span: checkout.span,
        resource: checkout.step.address,
        provenance: [
          { description: `${checkout.runner.address} runs the checked-out code`, span: checkout.runner.span },
        ],
      });
    }
  },
});

export const secretsToUntrustedCode = workflowRule({
  id: "GHA-007",
  title: "Secrets are given to steps that run pull request code",
  severity: "high",
  rationale:
    "After a pull request's head is checked out in a pull_request_target or workflow_run job, any step that runs its scripts, build files or package hooks can read the environment it is given: secrets placed there go to whoever opened the pull request.",
  remediation:
    "Do not pass secrets to steps that run untrusted code; move the work that needs secrets to a job or workflow that does not check out the pull request.",
  references: [PWN_REQUEST, SECURITY_HARDENING + "#using-secrets"],
  check(workflow, report) {
    for (const checkout of untrustedCheckouts(workflow)) {
      const after = checkout.job.steps
        .slice(checkout.step.index + (checkout.step.run ? 0 : 1))
        .filter(runsCode);
      for (const step of after) {
        const exposed = [...step.env, ...checkout.job.env, ...workflow.env];
        const local = step.uses?.kind === "local" ? [...step.with.values()] : [];
        const seen = new Set<string>();
        for (const variable of exposed) {
          const secret = variable.expressions
            .flatMap((e) => e.sources)
            .map(secretName)
            .find(Boolean);
          if (!secret || seen.has(variable.name)) continue;
          seen.add(variable.name);
          report({
            message: `${variable.name} carries secrets.${secret} into ${step.address}, which runs the pull request's code`,
            span: variable.span,
            resource: step.address,
            provenance: [
              { description: `${checkout.step.address} checks out the pull request`, span: checkout.span },
            ],
            enclosing: [step.span],
          });
        }
        for (const input of local) {
          const secret = input.expressions
            .flatMap((e) => e.sources)
            .map(secretName)
            .find(Boolean);
          if (!secret) continue;
          report({
            message: `the local action in ${step.address} comes from the pull request and receives secrets.${secret}`,
            span: pairSpan(workflow.file, input.pair),
            resource: step.address,
            provenance: [
              { description: `${checkout.step.address} checks out the pull request`, span: checkout.span },
            ],
          });
        }
      }
    }
  },
});

function majorVersion(ref: string | undefined): number | undefined {
  const match = /^v?(\d+)/.exec(ref ?? "");
  return match ? Number(match[1]) : undefined;
}

/** Setup actions that cache when asked to with a `cache:` input. */
const SETUP_WITH_CACHE = new Set([
  "actions/setup-node",
  "actions/setup-python",
  "actions/setup-java",
  "actions/setup-dotnet",
  "actions/setup-go",
]);

export const cacheInPullRequestTarget = workflowRule({
  id: "GHA-015",
  title: "Caches are used in a pull_request_target workflow",
  severity: "medium",
  rationale:
    "pull_request_target runs in the base branch's cache scope. A cache written while handling a fork's pull request can be poisoned with the fork's dependencies or build output, and the base branch's release and deploy workflows then restore it.",
  remediation:
    "Do not save caches in pull_request_target workflows (remove actions/cache, set `cache: false` on setup actions), or restore only with actions/cache/restore.",
  references: [
    "https://adnanthekhan.com/2024/05/06/the-monsters-in-your-build-cache-github-actions-cache-poisoning/",
    PWN_REQUEST,
    "https://docs.github.com/en/actions/writing-workflows/choosing-what-your-workflow-does/caching-dependencies-to-speed-up-workflows#restrictions-for-accessing-a-cache",
  ],
  check(workflow, report) {
    if (!hasTrigger(workflow, "pull_request_target")) return;
    for (const job of workflow.jobs)
      for (const step of job.steps) {
        const uses = step.uses;
        if (uses?.kind !== "remote") continue;
        let caches = false;
        if (uses.repository === "actions/cache") caches = !/\/restore@/.test(uses.value);
        else if (SETUP_WITH_CACHE.has(uses.repository)) {
          const cache = withValue(step, "cache");
          if (cache !== undefined) caches = cache !== "" && cache.toLowerCase() !== "false";
          // setup-go caches by default since v4.
          else caches = uses.repository === "actions/setup-go" && (majorVersion(uses.ref) ?? 4) >= 4;
        }
        if (!caches) continue;
        report({
          message: `${uses.value} writes a cache the base branch's workflows will restore`,
          span: uses.span,
          resource: step.address,
        });
      }
  },
});

const DOWNLOAD_ACTIONS = ["actions/download-artifact", "dawidd6/action-download-artifact"];

/** A step that downloads another run's artifacts, and where it puts them ("" for the workspace). */
function artifactDownload(step: Step): { path: string } | undefined {
  if (isAction(step.uses, ...DOWNLOAD_ACTIONS)) {
    const crossRun = step.uses?.repository !== "actions/download-artifact" || step.with.has("run-id");
    return crossRun ? { path: normalize(withValue(step, "path") ?? "") } : undefined;
  }
  if (
    isAction(step.uses, "actions/github-script") &&
    /downloadArtifact|listWorkflowRunArtifacts/.test(withValue(step, "script") ?? "")
  )
    return { path: "" };
  if (step.run)
    for (const command of step.run.shell().commands) {
      const call = invocation(command);
      const args = call ? positionals(call.args).map((a) => a.value) : [];
      if (call?.program === "gh" && args[0] === "run" && args[1] === "download") {
        const dir = call.args.findIndex((a) => a.value === "-D" || a.value === "--dir");
        return { path: normalize(call.args[dir + 1]?.value ?? "") };
      }
    }
  return undefined;
}

function normalize(path: string): string {
  return path
    .replace(/^\.\/?/, "")
    .replace(/\/$/, "")
    .replace(/^\$\{\{\s*github\.workspace\s*\}\}\/?/, "");
}

const EXECUTORS = new Set([
  "bash",
  "sh",
  "source",
  ".",
  "node",
  "python",
  "python3",
  "ruby",
  "perl",
  "make",
  "npm",
  "yarn",
  "pnpm",
  "npx",
  "pip",
  "pip3",
  "docker",
]);

/** A later step that executes something the artifact provided. */
function executes(step: Step, path: string): boolean {
  if (step.uses?.kind === "local") return path === "" || step.uses.value.slice(2).startsWith(path);
  if (!step.run) return false;
  for (const command of step.run.shell().commands) {
    const call = invocation(command);
    if (!call) continue;
    const words = [call.programWord, ...call.args].map((w) => w.value);
    const mentionsPath = path !== "" && words.some((w) => w.replace(/^\.\//, "").startsWith(path));
    if (call.program.includes("/") || call.programWord.value.startsWith("./")) {
      if (path === "" || mentionsPath) return true;
      continue;
    }
    if (
      EXECUTORS.has(call.program) &&
      (path === "" ? positionals(call.args).length > 0 || !hasFlag(call.args, ["--version"]) : mentionsPath)
    )
      return true;
  }
  return false;
}

export const executedArtifact = workflowRule({
  id: "GHA-016",
  title: "A workflow_run workflow executes an artifact from the triggering run",
  severity: "high",
  rationale:
    "Artifacts of a `pull_request` run are produced by the pull request's code, so a fork controls them. workflow_run executes with the base repository's secrets and write token: running scripts, binaries or package installs from those artifacts hands both to the fork.",
  remediation:
    "Treat artifacts from the triggering run as untrusted data: extract them to a temporary directory outside the workspace, validate their content, and never execute or install them.",
  references: [
    PWN_REQUEST,
    "https://docs.github.com/en/actions/writing-workflows/choosing-when-your-workflow-runs/events-that-trigger-workflows#workflow_run",
  ],
  check(workflow, report) {
    if (!hasTrigger(workflow, "workflow_run")) return;
    for (const job of workflow.jobs)
      job.steps.forEach((step, index) => {
        const download = artifactDownload(step);
        if (!download) return;
        const runner = job.steps.slice(index + 1).find((later) => executes(later, download.path));
        if (!runner) return;
        report({
          message: `${step.address} downloads the triggering run's artifacts and ${runner.address} (line ${runner.span.line}) executes them`,
          span: step.uses?.span ?? step.span,
          resource: step.address,
          provenance: [{ description: `${runner.address} executes the downloaded files`, span: runner.span }],
        });
      });
  },
});
