import { readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { EnvironmentError } from "../../errors/index.js";
import type { Pipeline } from "../ir.js";
import { compileWithCache, type CompileCache } from "../compile-cache.js";
import type { LoadedPipeline } from "../native/load.js";
import { parseOutputsFile } from "../outputs-file.js";
import { readPipelineSource } from "../read-source.js";
import type { PlanOptions } from "../plan.js";
import { actionSources, expandDeferredActions } from "./actions-expand.js";
import { GithubDialect } from "./dialect.js";
import { expandWorkflowCalls } from "./reusable.js";
import { eventPayload, parseRemote, repositoryOf } from "./event.js";
import { readGitFacts } from "./git.js";
import { resolveInputs } from "./inputs.js";
import { workflowMeta } from "./meta.js";
import { preparePipeline } from "./prepare.js";
import { resolveTrigger } from "./trigger.js";
import type { Trigger } from "./trigger.js";

export interface GithubLoadOptions {
  projectDir: string;
  /** "run" checks the event's filters, required inputs and this machine; "inspect" (validate, graph) does not. */
  mode: "run" | "inspect";
  /** push, pull_request, workflow_dispatch or schedule; default: the first of them the workflow declares. */
  event?: string | undefined;
  /** Run even when the event's filters exclude the current state of the repository. */
  forceTrigger?: boolean | undefined;
  inputs?: Readonly<Record<string, string>> | undefined;
  /** `vars` context: a NAME=value file, then single values (which win). */
  varsFile?: string | undefined;
  vars?: Readonly<Record<string, string>> | undefined;
  /** Keep `::debug::` lines (as ACTIONS_STEP_DEBUG does). */
  debug?: boolean | undefined;
  jobs?: readonly string[] | undefined;
  plan?: PlanOptions | undefined;
  cache?: CompileCache | undefined;
  /** Who runs it: github.actor. Default: the OS user. */
  actor?: string | undefined;
  /** Where `uses: owner/repo@ref` actions are fetched from. Default: SLIPWAY_ACTIONS_BASE_URL, else https://github.com. */
  actionsBaseUrl?: string | undefined;
  /** Where fetched actions are kept. Default: SLIPWAY_ACTIONS_CACHE, else ~/.cache/slipway/actions. */
  actionsCacheDir?: string | undefined;
}

export interface LoadedWorkflow extends LoadedPipeline {
  dialect: GithubDialect;
  trigger: Trigger;
  /** The `github` context as the run starts (without run_id, workspace, job and action). */
  github: Record<string, unknown>;
}

/**
 * Loads a GitHub Actions workflow for a run on this machine: compiles it (cached like
 * slipway.yaml, since compiling depends on the file only), then plays the event against the
 * local repository — filters, inputs, the `github` context and payload — and checks what the run
 * needs from this machine. Throws ConfigError with positions for every problem found.
 */
export async function loadGithubWorkflow(
  file: string,
  displayPath: string,
  options: GithubLoadOptions,
): Promise<LoadedWorkflow> {
  const text = await readPipelineSource(
    file,
    displayPath,
    "pass the workflow file with --workflow, e.g. .github/workflows/ci.yml",
  );
  const sources = new Map([[displayPath, text]]);
  const [compiled, facts, varsFromFile] = await Promise.all([
    // Not cached with the compile: called workflows and actions are not part of the workflow's text.
    compileWithCache("github", text, displayPath, options.cache, compile).then(async (pipeline) => {
      const sources = actionSources(options.projectDir, {
        baseUrl: options.actionsBaseUrl,
        cacheDir: options.actionsCacheDir,
      });
      return expandDeferredActions(await expandWorkflowCalls(pipeline, sources), sources);
    }),
    readGitFacts(options.projectDir),
    options.varsFile ? readVarsFile(options.varsFile) : Promise.resolve({}),
  ]);
  const meta = workflowMeta(compiled);
  const check = options.mode === "run";
  const trigger = await resolveTrigger(meta, facts, options.projectDir, {
    event: options.event,
    force: options.forceTrigger,
    check,
  });
  const inputs = resolveInputs(meta, options.inputs ?? {}, trigger.event, check);
  const vars: Record<string, string> = { ...varsFromFile, ...options.vars };
  const actor = options.actor ?? process.env.USER ?? os.userInfo().username;
  const repo = repositoryOf(facts, options.projectDir, actor);
  const workflowPath = path.relative(options.projectDir, file).split(path.sep).join("/");
  const event = eventPayload(trigger, facts, repo, actor, inputs.event, workflowPath);
  const sha = facts.sha ?? "";
  const host = facts.remoteUrl ? (parseRemote(facts.remoteUrl)?.host ?? "github.com") : "github.com";
  const github: Record<string, unknown> = {
    action_path: "",
    action_ref: "",
    action_repository: "",
    action_status: "",
    actor,
    actor_id: "0",
    api_url: repo.apiUrl,
    base_ref: trigger.baseRef,
    env: "",
    event,
    event_name: trigger.event,
    graphql_url: repo.graphqlUrl,
    head_ref: trigger.headRef,
    path: "",
    ref: trigger.ref,
    ref_name: trigger.refName,
    ref_protected: false,
    ref_type: trigger.refType,
    repository: repo.fullName,
    repository_id: "0",
    repository_owner: repo.owner,
    repository_owner_id: "0",
    repositoryUrl: `git://${host}/${repo.fullName}.git`,
    retention_days: "90",
    secret_source: "None",
    server_url: repo.serverUrl,
    sha,
    token: "",
    triggering_actor: actor,
    workflow: compiled.name,
    workflow_ref: `${repo.fullName}/${workflowPath}@${trigger.ref}`,
    workflow_sha: sha,
  };
  const pipeline = preparePipeline(
    compiled,
    { github, inputs: inputs.context, vars },
    { mode: options.mode, projectDir: options.projectDir, jobs: options.jobs, plan: options.plan },
  );
  const dialect = new GithubDialect({
    github,
    inputs: inputs.context,
    vars,
    event,
    debug: options.debug === true || vars.ACTIONS_STEP_DEBUG === "true",
  });
  return { pipeline, sources, dialect, trigger, github };
}

async function readVarsFile(file: string): Promise<Record<string, string>> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new EnvironmentError(`cannot read vars file ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return parseOutputsFile(text, file);
}

/** GitHub's parser and schema are loaded only when a workflow must be compiled. */
async function compile(text: string, file: string): Promise<Pipeline> {
  const { compileWorkflow } = await import("./compile.js");
  return compileWorkflow(text, file);
}
