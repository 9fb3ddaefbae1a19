import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { SlipwayError } from "../errors/index.js";
import type { RunnerDialect } from "./dialect.js";
import type { GitFacts } from "./github/git.js";
import type { Pipeline } from "./ir.js";
import { PIPELINE_FILES } from "./locate.js";
import { nativeDialectWithInputs } from "./native/dialect.js";
import { resolveNativeInputs } from "./native/inputs.js";
import { loadNativePipeline } from "./native/load.js";
import { nativeEventOf, nativeOn } from "./native/on.js";
import { triggerExclusion } from "./native/trigger.js";
import type { TriggerFacts } from "./native/trigger.js";
import type { PlannedJob } from "./plan.js";

export type FrontEnd = "native" | "github" | "gitlab";

/**
 * Everything needed to load a server run's pipeline again from a checkout of its commit: the
 * server loads it to plan the run, each agent loads it to run one job. Both get the same IR
 * because compiling is a function of the file and these values.
 */
export interface RunSource {
  frontEnd: FrontEnd;
  /** The pipeline file, relative to the repository root, with `/` separators. */
  file: string;
  /** push, pull_request, workflow_dispatch, schedule, or api for a run started by hand (slipway.yaml's manual). */
  event: string;
  ref: string;
  sha: string;
  inputs: Record<string, string>;
  /** Run variables: over the pipeline's `env` (slipway.yaml) or the file's variables (GitLab). */
  variables: Record<string, string>;
  actor: string;
  /** Job ids asked for; empty = all. */
  jobs: string[];
}

export interface SourcePipeline {
  pipeline: Pipeline;
  dialect: RunnerDialect | undefined;
}

/** The pipeline files a repository holds at a checkout, in the order runs are created for them. */
export async function discoverPipelines(checkout: string): Promise<{ frontEnd: FrontEnd; file: string }[]> {
  const found: { frontEnd: FrontEnd; file: string }[] = [];
  const native = PIPELINE_FILES.find((f) => existsSync(path.join(checkout, f)));
  if (native) found.push({ frontEnd: "native", file: native });
  const workflows = path.join(checkout, ".github", "workflows");
  if (existsSync(workflows)) {
    for (const name of (await readdir(workflows)).sort()) {
      if (/\.ya?ml$/.test(name)) found.push({ frontEnd: "github", file: `.github/workflows/${name}` });
    }
  }
  if (existsSync(path.join(checkout, ".gitlab-ci.yml")))
    found.push({ frontEnd: "gitlab", file: ".gitlab-ci.yml" });
  return found;
}

/** GitHub events a workflow can be played for; the others map onto them. */
const GITHUB_EVENTS: Record<string, string> = {
  push: "push",
  pull_request: "pull_request",
  workflow_dispatch: "workflow_dispatch",
  schedule: "schedule",
  api: "workflow_dispatch",
  poll: "push",
  merge_request_event: "pull_request",
};

/**
 * Loads a run's pipeline from a checkout of its commit. Throws NotTriggered when the `on:` of a
 * slipway.yaml or GitHub workflow excludes the event, ConfigError for a file that does not
 * compile or refuses the run's inputs.
 */
export async function loadRunSource(checkout: string, source: RunSource): Promise<SourcePipeline> {
  const file = path.join(checkout, source.file);
  if (source.frontEnd === "native") {
    const loaded = await loadNativePipeline(file, source.file);
    const on = nativeOn(loaded.pipeline);
    const excluded = await triggerExclusion(on, triggerFacts(checkout, source));
    if (excluded !== undefined) throw new NotTriggered(excluded);
    const declared = on === undefined ? undefined : (on.manual ?? { position: on.position, inputs: {} });
    const inputs = resolveNativeInputs(declared, source.inputs, {
      required: nativeEventOf(source.event) === "manual",
    });
    const pipeline = { ...loaded.pipeline, env: { ...loaded.pipeline.env, ...source.variables } };
    return { pipeline, dialect: nativeDialectWithInputs(inputs) };
  }
  if (source.frontEnd === "gitlab") {
    const { loadGitlabPipeline } = await import("./gitlab/index.js");
    const loaded = await loadGitlabPipeline(file, source.file, {
      projectDir: checkout,
      variables: { CI_PIPELINE_SOURCE: gitlabSource(source.event), ...source.variables },
      ...(source.jobs.length > 0 ? { jobs: source.jobs } : {}),
    });
    return { pipeline: loaded.pipeline, dialect: undefined };
  }
  const { loadGithubWorkflow } = await import("./github/index.js");
  const event = GITHUB_EVENTS[source.event];
  if (event === undefined) throw new NotTriggered(`GitHub workflows do not run on ${source.event}`);
  try {
    const loaded = await loadGithubWorkflow(file, source.file, {
      projectDir: checkout,
      mode: "run",
      event,
      inputs: source.inputs,
      actor: source.actor,
      jobs: source.jobs,
    });
    return { pipeline: loaded.pipeline, dialect: loaded.dialect };
  } catch (error) {
    // For a server, filters of on: that exclude the event mean "this workflow does not run for this push".
    const { TriggerExcluded } = await import("./github/trigger.js");
    if (error instanceof TriggerExcluded) {
      throw new NotTriggered(error.diagnostics.map((d) => d.message).join("; "));
    }
    throw error;
  }
}

/**
 * The facts a slipway.yaml's filters read, from the checkout of the run's commit. As for GitHub
 * workflows on a server, a push's changes are those of its commit (against its first parent) and
 * a pull request's base is the repository's default branch, which is what the server knows.
 */
function triggerFacts(checkout: string, source: RunSource): TriggerFacts {
  let facts: Promise<GitFacts> | undefined;
  const git = () => import("./github/git.js");
  const read = () => (facts ??= git().then((g) => g.readGitFacts(checkout)));
  return {
    event: source.event,
    ref: source.ref,
    baseBranch: async () => (await read()).defaultBranch,
    changedFiles: async () => {
      const { changedFiles, mergeBase } = await git();
      const { defaultBranch, parent } = await read();
      const since =
        nativeEventOf(source.event) === "pull_request"
          ? await mergeBase(checkout, "HEAD", defaultBranch)
          : parent;
      return changedFiles(checkout, since);
    },
  };
}

function gitlabSource(event: string): string {
  if (event === "merge_request_event" || event === "pull_request") return "merge_request_event";
  if (event === "api" || event === "workflow_dispatch") return "api";
  return event === "schedule" ? "schedule" : "push";
}

/** A pipeline that exists but does not run for this event. */
export class NotTriggered extends SlipwayError {
  constructor(message: string) {
    super("NOT_TRIGGERED", message);
  }
}

/**
 * Labels an agent must carry to run a job. A GitHub job `runs-on: [self-hosted, gpu]` needs an
 * agent labelled gpu; a job on a GitHub-hosted image (ubuntu-latest) or a slipway.yaml or GitLab
 * job runs on any agent, which stands in for the hosted runner.
 */
export function requiredLabels(planned: PlannedJob): string[] {
  const runsOn = planned.job.meta?.runsOn;
  const labels = typeof runsOn === "string" ? [runsOn] : Array.isArray(runsOn) ? runsOn.map(String) : [];
  if (!labels.includes("self-hosted")) return [];
  return labels.filter((l) => l !== "self-hosted").sort();
}
