import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { DialectScope, DialectSetup, RunnerDialect, StepScope } from "../dialect.js";
import type { Step } from "../ir.js";
import type { PlannedJob } from "../plan.js";

/** What a workflow run knows before it starts: decided by the event, the repository and the flags. */
export interface GithubRunFacts {
  /** The `github` context without what only the run knows (run_id, workspace, job, action). */
  github: Record<string, unknown>;
  inputs: Record<string, unknown>;
  vars: Record<string, string>;
  /** The webhook payload, written to GITHUB_EVENT_PATH. */
  event: Record<string, unknown>;
  /** ACTIONS_STEP_DEBUG or --debug: `::debug::` lines are kept and RUNNER_DEBUG is 1. */
  debug: boolean;
}

/**
 * GitHub's runner as steps see it: `$GITHUB_OUTPUT`, `$GITHUB_ENV` and the other files, workflow
 * commands on stdout, the default variables (GITHUB_SHA, RUNNER_OS...) and the contexts of
 * https://docs.github.com/actions/reference/workflows-and-actions/contexts.
 */
export class GithubDialect implements RunnerDialect {
  readonly fileVariables = {
    output: "GITHUB_OUTPUT",
    env: "GITHUB_ENV",
    path: "GITHUB_PATH",
    summary: "GITHUB_STEP_SUMMARY",
    state: "GITHUB_STATE",
  } as const;
  // GitHub's own variables name the same things; fewer variables make each step cheaper to start.
  readonly slipwayVariables = false;
  readonly workflowCommands = true;
  readonly defaultSecrets = { GITHUB_TOKEN: "" };
  readonly debug: boolean;
  private setup: DialectSetup | undefined;
  private eventPath = "";
  private readonly jobVariables = new Map<string, Record<string, string>>();
  private readonly actionIds = new WeakMap<Step, string>();
  private readonly temps = new Map<string, string>();
  /** Contexts by job instance and step: built once, as the engine asks for them several times a step. */
  private readonly built = new Map<string, Record<string, unknown>>();

  constructor(private readonly facts: GithubRunFacts) {
    this.debug = facts.debug;
  }

  async prepare(setup: DialectSetup): Promise<void> {
    this.setup = setup;
    this.eventPath = path.join(setup.runDir, "event.json");
    await mkdir(path.join(setup.runDir, "tmp"), { recursive: true });
    // Every job's RUNNER_TEMP at once, on the thread pool: made one by one as jobs start, they
    // would cost the engine's thread a system call per job.
    await Promise.all([
      writeFile(this.eventPath, JSON.stringify(this.facts.event, null, 2)),
      mkdir(this.toolCache(), { recursive: true }),
      ...setup.jobs.map((planned) => mkdir(this.runnerTemp(planned), { recursive: true })),
    ]);
  }

  contexts({ run, planned, step }: DialectScope): Record<string, unknown> {
    // Before the run starts (job names), runner.temp is not known yet: nothing is kept.
    const key = this.setup ? `${planned.key}\0${step?.index ?? -1}` : undefined;
    const known = key === undefined ? undefined : this.built.get(key);
    if (known) return known;
    const matrix = planned.job.matrix;
    const total = planned.matrixTotal ?? 1;
    const contexts = {
      github: {
        ...this.facts.github,
        workspace: run.workspace,
        run_id: run.id,
        run_number: String(this.setup?.runNumber ?? 1),
        run_attempt: "1",
        job: planned.job.id,
        action: step ? this.actionId(planned, step) : "",
        event_path: this.eventPath,
      },
      inputs: this.facts.inputs,
      vars: this.facts.vars,
      runner: {
        name: HOSTNAME,
        os: runnerOs(),
        arch: runnerArch(),
        temp: this.runnerTemp(planned),
        tool_cache: this.toolCache(),
        debug: this.debug ? "1" : "",
        environment: "self-hosted",
      },
      strategy: {
        "fail-fast": matrix?.failFast ?? true,
        "job-index": planned.matrixIndex ?? 0,
        "job-total": total,
        "max-parallel": matrix?.maxParallel ?? total,
      },
    };
    if (key !== undefined) this.built.set(key, contexts);
    return contexts;
  }

  addStepVariables({ run, planned, step }: StepScope, env: Record<string, string>): void {
    let job = this.jobVariables.get(planned.key);
    if (!job) {
      const g = this.facts.github;
      const text = (key: string) => String(g[key] ?? "");
      job = {
        CI: "true",
        GITHUB_ACTIONS: "true",
        GITHUB_ACTOR: text("actor"),
        GITHUB_API_URL: text("api_url"),
        GITHUB_EVENT_NAME: text("event_name"),
        GITHUB_EVENT_PATH: this.eventPath,
        GITHUB_GRAPHQL_URL: text("graphql_url"),
        GITHUB_JOB: planned.job.id,
        GITHUB_REF: text("ref"),
        GITHUB_REF_NAME: text("ref_name"),
        GITHUB_REF_PROTECTED: "false",
        GITHUB_REF_TYPE: text("ref_type"),
        GITHUB_REPOSITORY: text("repository"),
        GITHUB_REPOSITORY_OWNER: text("repository_owner"),
        GITHUB_RETENTION_DAYS: text("retention_days"),
        GITHUB_RUN_ATTEMPT: "1",
        GITHUB_RUN_ID: run.id,
        GITHUB_RUN_NUMBER: String(this.setup?.runNumber ?? 1),
        GITHUB_SERVER_URL: text("server_url"),
        GITHUB_SHA: text("sha"),
        GITHUB_TRIGGERING_ACTOR: text("triggering_actor"),
        GITHUB_WORKFLOW: text("workflow"),
        GITHUB_WORKFLOW_REF: text("workflow_ref"),
        GITHUB_WORKFLOW_SHA: text("workflow_sha"),
        GITHUB_WORKSPACE: run.workspace,
        RUNNER_ARCH: runnerArch(),
        RUNNER_ENVIRONMENT: "self-hosted",
        RUNNER_NAME: HOSTNAME,
        RUNNER_OS: runnerOs(),
        RUNNER_TEMP: this.runnerTemp(planned),
        RUNNER_TOOL_CACHE: this.toolCache(),
        // checkout reads the repository being run from here.
        SLIPWAY_PROJECT_DIR: run.projectDir,
        // As on GitHub, only pull requests have head and base refs. The ids GitHub assigns
        // (GITHUB_ACTOR_ID, GITHUB_REPOSITORY_ID...) have no local value and are not set.
        ...(g.head_ref ? { GITHUB_HEAD_REF: text("head_ref"), GITHUB_BASE_REF: text("base_ref") } : {}),
        ...(this.debug ? { RUNNER_DEBUG: "1" } : {}),
      };
      this.jobVariables.set(planned.key, job);
    }
    Object.assign(env, job);
    env.GITHUB_ACTION = this.actionId(planned, step);
  }

  /** A step's id, or the one GitHub generates for steps without one: __run, __run_2... */
  private actionId(planned: PlannedJob, step: Step): string {
    const known = this.actionIds.get(step);
    if (known !== undefined) return known;
    let unnamed = 0;
    for (const s of planned.job.steps) {
      if (s.id === undefined) unnamed++;
      if (s === step) break;
    }
    const id = step.id ?? (unnamed <= 1 ? "__run" : `__run_${unnamed}`);
    this.actionIds.set(step, id);
    return id;
  }

  /** GitHub empties RUNNER_TEMP for each job; one directory per job instance (made by prepare) gives the same. */
  private runnerTemp(planned: PlannedJob): string {
    // Job names are evaluated when the run is queued, before the run's directory exists.
    if (!this.setup) return "";
    let dir = this.temps.get(planned.key);
    if (dir === undefined) {
      dir = path.join(this.setup.runDir, "tmp", planned.key.replace(/[^A-Za-z0-9_.-]+/g, "_"));
      this.temps.set(planned.key, dir);
    }
    return dir;
  }

  private toolCache(): string {
    return path.join(this.setup?.dataDir ?? os.tmpdir(), "tool-cache");
  }
}

const HOSTNAME = os.hostname();

export function runnerOs(): string {
  return process.platform === "darwin" ? "macOS" : process.platform === "win32" ? "Windows" : "Linux";
}

export function runnerArch(): string {
  switch (process.arch) {
    case "x64":
      return "X64";
    case "arm64":
      return "ARM64";
    case "arm":
      return "ARM";
    case "ia32":
      return "X86";
    default:
      return process.arch.toUpperCase();
  }
}
