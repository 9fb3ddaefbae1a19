import { readFileSync, statSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import type { Executor, StepOutcome } from "../executors/index.js";
import { LineSplitter } from "../executors/index.js";
import type { ArtifactRecord, Store } from "../store/index.js";
import { publishArtifacts, placeArtifacts } from "./artifacts.js";
import { Cache, sha256 } from "./cache.js";
import type { RemoteCache } from "./cache.js";
import type { ApprovalGate } from "./approvals.js";
import { nativeDialect } from "./dialect.js";
import type { RunnerDialect, RunnerFile } from "./dialect.js";
import type {
  Annotation,
  EngineEvent,
  JobStatus,
  LogLine,
  LogStream,
  RunInfo,
  RunStatus,
  StepStatus,
} from "./events.js";
import { evaluateCondition, hasExpressions, interpolate } from "./expressions.js";
import type { EvaluationContext, ExpressionPlace, StatusState } from "./expressions.js";
import type { CacheSpec, Step } from "./ir.js";
import { SecretMasker } from "./masking.js";
import { parseOutputsFile } from "./outputs-file.js";
import type { Plan, PlannedJob } from "./plan.js";
import { WorkflowCommands } from "./workflow-commands.js";

/** Receives every event and log line of a run, in order. */
export interface RunObserver {
  event(event: EngineEvent): void;
  log(line: LogLine): void;
  /** Resolves once everything observed so far is stored; awaited before writing rows that refer to the run. */
  drain?(): Promise<void>;
}

export interface EngineOptions {
  executor: Executor;
  store: Store;
  /** Slipway's data directory (cache, run files). */
  dataDir: string;
  run: RunInfo;
  /** How many jobs may run at once. */
  concurrency: number;
  useCache: boolean;
  /**
   * Where jobs with `approval` wait for a person. Unset, they run without waiting: an agent runs
   * a job its server already had approved.
   */
  approvals?: ApprovalGate;
  /** A cache shared with other machines (an agent's server), asked on a local miss and given every new entry. */
  remoteCache?: RemoteCache;
  secrets: Readonly<Record<string, string>>;
  /** The variables every step inherits before the pipeline's own env (PATH, HOME...). */
  baseEnv: Readonly<Record<string, string>>;
  observer: RunObserver;
  /** Aborting cancels the run: running steps are stopped, queued jobs are cancelled. */
  signal: AbortSignal;
  /** Grace between SIGTERM and SIGKILL is the executor's; this is the poll for clocks in tests. */
  now?: () => number;
  /** How steps see their runner files and contexts. Default: slipway.yaml's. */
  dialect?: RunnerDialect;
  /** The number the run gets in the history, for dialects that show it (github.run_number). */
  runNumber?: number;
  /**
   * Jobs that already finished (a server resuming a run after a restart, an agent given the
   * results of the jobs its job needs): they are not run again, and their results feed
   * conditions, `needs` contexts, artifacts and cache keys as if they had just finished.
   */
  priorResults?: readonly JobResult[];
  /**
   * Runs each job elsewhere instead of through the executor (the server hands jobs to agents).
   * The engine still decides which jobs run, when, and what the run's outcome is.
   */
  jobRunner?: JobRunner;
  /** Emit run.queued, run.started and run.finished. Default true; false when someone else announces the run. */
  announce?: boolean;
}

/** Runs one job instance somewhere else and reports its result. */
export interface JobRunner {
  run(
    planned: PlannedJob,
    signal: AbortSignal,
    context: { concurrencyGroup: string | undefined },
  ): Promise<RemoteJobOutcome>;
}

export interface RemoteJobOutcome {
  result: JobResult;
  /** The job's own events (job.started ... job.finished) reached the history; false when it never ran. */
  reported: boolean;
  reason?: string | undefined;
}

/** What a finished step leaves for the steps after it in its job. */
interface StepResult {
  status: StepStatus;
  outputs: Record<string, string>;
  reason: string | undefined;
  /** Variables written to the env file: set for the job's later steps. */
  env: Record<string, string>;
  /** Directories written to the path file, in order: prepended to PATH for later steps. */
  path: string[];
  /** Values written to the state file: given to the step's post step. */
  state: Record<string, string>;
}

/** What earlier steps of a running job changed for the later ones. */
interface JobRuntime {
  env: Record<string, string>;
  /** Newest first, as each addition goes in front of PATH. */
  path: string[];
  states: Map<number, Record<string, string>>;
}

/** GitHub's limit: a larger summary is not shown. */
const MAX_SUMMARY_BYTES = 1024 * 1024;
/** A step's reports travel to a server in one batch of events, which stays under a few MiB. */
const MAX_REPORT_BYTES = 1024 * 1024;
/** Annotations of one level kept per step, as GitHub keeps them. */
const MAX_ANNOTATIONS_PER_LEVEL = 10;

export interface JobResult {
  key: string;
  status: JobStatus;
  outputs: Record<string, string>;
  /** What dependents mix into their cache keys. */
  resultHash: string;
  artifacts: ArtifactRecord[];
  cacheHit: boolean;
}

export interface RunResult {
  status: RunStatus;
  jobs: Map<string, JobResult>;
}

/** Job states after which dependents may be decided. */
const DONE: ReadonlySet<JobStatus> = new Set(["success", "failure", "cancelled", "skipped", "timed_out"]);

/**
 * Runs a plan: schedules job instances as their needs finish, under the global concurrency
 * limit, a matrix job's max-parallel and concurrency groups; runs each job's steps in order
 * through the executor; and reports every state change as an event.
 */
export class Engine {
  private readonly results = new Map<string, JobResult>();
  private readonly running = new Map<string, AbortController>();
  private readonly groupHolders = new Map<string, string>();
  private readonly cache: Cache;
  private readonly masker = new SecretMasker();
  private readonly now: () => number;
  private readonly runDir: string;
  private cancelled = false;
  private readonly logSeq = new Map<string, number>();
  /** Content digest of each job's published artifacts, for dependents' cache keys. */
  private readonly artifactDigests = new Map<string, string>();
  /** Instance keys by job id: a matrix job's children. */
  private readonly instances = new Map<string, PlannedJob[]>();
  private readonly dialect: RunnerDialect;
  private readonly secrets: Readonly<Record<string, string>>;
  /** continue-on-error of each started job instance, once decided (it may be an expression). */
  private readonly continueOnError = new Map<string, boolean>();

  constructor(
    private readonly plan: Plan,
    private readonly options: EngineOptions,
  ) {
    this.cache = new Cache(path.join(options.dataDir, "cache"), options.store, options.remoteCache);
    this.now = options.now ?? Date.now;
    this.runDir = path.join(options.dataDir, "runs", options.run.id);
    this.dialect = options.dialect ?? nativeDialect;
    this.secrets = { ...this.dialect.defaultSecrets, ...options.secrets };
    for (const value of Object.values(options.secrets)) this.masker.add(value);
    for (const result of options.priorResults ?? []) this.results.set(result.key, result);
    for (const planned of plan.jobs) {
      const list = this.instances.get(planned.job.id) ?? [];
      list.push(planned);
      this.instances.set(planned.job.id, list);
    }
  }

  /** The event that announces the run with its planned jobs. */
  queuedEvent(at: number = this.now()): EngineEvent {
    return {
      type: "run.queued",
      at,
      run: this.options.run,
      jobs: this.plan.jobs.map((p) => ({
        key: p.key,
        jobId: p.job.id,
        name: this.displayName(p),
        needs: p.needs,
        matrix: p.matrix,
        steps: p.job.steps.map((s) => ({ index: s.index, name: s.name })),
      })),
    };
  }

  async run(): Promise<RunResult> {
    const { run } = this.options;
    const announce = this.options.announce ?? true;
    const started = this.now();
    if (announce) this.emit(this.queuedEvent(started));
    await mkdir(path.join(this.runDir, "files"), { recursive: true });
    await this.dialect.prepare?.({
      run,
      runDir: this.runDir,
      dataDir: this.options.dataDir,
      runNumber: this.options.runNumber ?? 1,
      jobs: this.plan.jobs,
    });
    if (announce) this.emit({ type: "run.started", at: this.now(), runId: run.id });

    const onAbort = () => {
      this.cancelled = true;
      for (const controller of this.running.values()) controller.abort();
    };
    this.options.signal.addEventListener("abort", onAbort, { once: true });
    if (this.options.signal.aborted) onAbort();
    try {
      await this.schedule();
    } finally {
      this.options.signal.removeEventListener("abort", onAbort);
    }

    const statuses = [...this.results.values()].map((r) => r.status);
    const status: RunStatus = this.cancelled
      ? "cancelled"
      : statuses.some((s) => s === "failure" || s === "timed_out" || s === "cancelled")
        ? "failure"
        : "success";
    if (announce) {
      this.emit({
        type: "run.finished",
        at: this.now(),
        runId: run.id,
        status,
        durationMs: this.now() - started,
      });
    }
    return { status, jobs: this.results };
  }

  /** Event-driven scheduling: each finished job wakes the loop, which starts whatever became ready. */
  private schedule(): Promise<void> {
    const pending = new Set(this.plan.jobs.map((j) => j.key).filter((key) => !this.results.has(key)));
    const byKey = new Map(this.plan.jobs.map((j) => [j.key, j]));
    return new Promise<void>((resolve) => {
      const pump = () => {
        // Settling a job (skipped, cancelled) can make an earlier-declared one decidable:
        // go round until a pass changes nothing.
        while (this.pass(pending, byKey, pump));
        if (pending.size === 0 && this.running.size === 0) resolve();
      };
      pump();
    });
  }

  /** One pass over the pending jobs: settles or starts what it can. True when a job was settled. */
  private pass(pending: Set<string>, byKey: Map<string, PlannedJob>, pump: () => void): boolean {
    let settled = false;
    for (const key of [...pending]) {
      const planned = byKey.get(key);
      if (!planned) continue;
      if (!planned.needs.every((need) => DONE.has(this.results.get(need)?.status ?? "queued"))) continue;
      if (this.cancelled) {
        pending.delete(key);
        this.finishUnstarted(planned, "cancelled", "the run was cancelled");
        settled = true;
        continue;
      }
      const decision = this.decideJob(planned);
      if (decision !== "run") {
        pending.delete(key);
        this.finishUnstarted(planned, "skipped", decision);
        settled = true;
        continue;
      }
      if (this.running.size >= this.options.concurrency) break;
      if (!this.hasMatrixSlot(planned)) continue;
      const group = this.concurrencyGroup(planned);
      if (group !== undefined && !this.acquireGroup(group, planned)) continue;
      pending.delete(key);
      const controller = new AbortController();
      this.running.set(key, controller);
      void this.runJob(planned, controller.signal)
        .catch((error: unknown) => this.internalJobFailure(planned, error))
        .finally(() => {
          this.running.delete(key);
          if (group !== undefined && this.groupHolders.get(group) === key) this.groupHolders.delete(group);
          this.failFast(planned, pending, byKey);
          pump();
        });
    }
    return settled;
  }

  /**
   * A name with expressions (GitHub's `name: Node ${{ matrix.node }}`) is evaluated over what is
   * known when the run is queued; a matrix child named by the job id shows its values.
   */
  private displayName(planned: PlannedJob): string {
    const { job } = planned;
    if (hasExpressions(job.name)) {
      try {
        return interpolate(job.name, this.evaluation(planned, "job", { failed: false, cancelled: false }));
      } catch {
        return job.name;
      }
    }
    return planned.matrix ? planned.key.replace(job.id, job.name) : job.name;
  }

  private hasMatrixSlot(planned: PlannedJob): boolean {
    const max = planned.job.matrix?.maxParallel;
    if (max === undefined) return true;
    const siblings = this.instances.get(planned.job.id) ?? [];
    return siblings.filter((s) => this.running.has(s.key)).length < max;
  }

  private concurrencyGroup(planned: PlannedJob): string | undefined {
    const c = planned.job.concurrency;
    if (!c) return undefined;
    try {
      return interpolate(c.group, this.evaluation(planned, "job", { failed: false, cancelled: false }));
    } catch {
      return c.group;
    }
  }

  private acquireGroup(group: string, planned: PlannedJob): boolean {
    const holder = this.groupHolders.get(group);
    if (holder === undefined) {
      this.groupHolders.set(group, planned.key);
      return true;
    }
    // cancel-in-progress: the newcomer wins, as on GitHub; the holder's end frees the group.
    if (planned.job.concurrency?.cancelInProgress) this.running.get(holder)?.abort();
    return false;
  }

  /** fail-fast: a failed matrix child cancels its siblings that are queued or running. */
  private failFast(finished: PlannedJob, pending: Set<string>, byKey: Map<string, PlannedJob>): void {
    const result = this.results.get(finished.key);
    const matrix = finished.job.matrix;
    if (!matrix?.failFast || !result || this.continueOnError.get(finished.key)) return;
    if (result.status !== "failure" && result.status !== "timed_out") return;
    for (const key of [...pending]) {
      const sibling = byKey.get(key);
      if (sibling?.job.id !== finished.job.id) continue;
      pending.delete(key);
      this.finishUnstarted(sibling, "cancelled", `fail-fast: ${finished.key} failed`);
    }
    for (const [key, controller] of this.running) {
      if (byKey.get(key)?.job.id === finished.job.id) controller.abort();
    }
  }

  /** "run", or why the job is skipped. */
  private decideJob(planned: PlannedJob): "run" | string {
    const needResults = planned.needs.map((need) => this.results.get(need));
    const failed = needResults.some((r) => r?.status === "failure" || r?.status === "timed_out");
    const blocked = needResults.some((r) => r?.status === "skipped" || r?.status === "cancelled");
    const status: StatusState = { failed: failed || blocked, cancelled: this.cancelled };
    let ok: boolean;
    try {
      ok = evaluateCondition(planned.job.if, () => this.evaluation(planned, "job", status), status);
    } catch (error) {
      return `if: ${(error as Error).message}`;
    }
    if (ok) return "run";
    if (failed || blocked) return "a needed job did not succeed";
    return `if: ${planned.job.if} was false`;
  }

  private finishUnstarted(planned: PlannedJob, status: JobStatus, reason: string): void {
    this.results.set(planned.key, {
      key: planned.key,
      status,
      outputs: {},
      resultHash: sha256(`${planned.key}:${status}`),
      artifacts: [],
      cacheHit: false,
    });
    this.emit({
      type: "job.finished",
      at: this.now(),
      runId: this.options.run.id,
      jobKey: planned.key,
      status,
      durationMs: 0,
      cacheHit: false,
      cacheKey: undefined,
      outputs: {},
      reason,
    });
  }

  private internalJobFailure(planned: PlannedJob, error: unknown): void {
    if (this.results.has(planned.key)) return;
    this.systemLog(planned.key, -1, 1, `internal error: ${(error as Error).stack ?? String(error)}`);
    this.finishUnstarted(planned, "failure", `internal error: ${(error as Error).message}`);
  }

  private evaluation(
    planned: PlannedJob,
    place: ExpressionPlace,
    status: StatusState,
    extra: Record<string, unknown> = {},
    step?: Step,
  ): EvaluationContext {
    const needs: Record<string, unknown> = {};
    for (const need of planned.job.needs) {
      // A matrix job's outputs are those of its children, the last one winning, as on GitHub.
      const children = (this.instances.get(need) ?? []).map((j) => this.results.get(j.key));
      const outputs = Object.assign({}, ...children.map((c) => c?.outputs ?? {})) as Record<string, string>;
      const statuses = children.map((c) => c?.status);
      const result = statuses.every((s) => s === "success")
        ? "success"
        : statuses.includes("failure") || statuses.includes("timed_out")
          ? "failure"
          : statuses.includes("cancelled")
            ? "cancelled"
            : "skipped";
      needs[need] = { outputs, result };
    }
    return {
      place,
      status,
      workspace: this.options.run.workspace,
      contexts: {
        env: extra.env ?? this.options.baseEnv,
        secrets: this.secrets,
        matrix: planned.matrix ?? {},
        needs,
        ...this.dialect.contexts({ run: this.options.run, planned, step }),
        ...extra,
      },
    };
  }

  /**
   * Waits, before the job starts, for a person to approve what it names (a plan's checksum).
   * False when the job ended instead: rejected (a failure, with who and why) or cancelled.
   */
  private async approved(planned: PlannedJob, signal: AbortSignal): Promise<boolean> {
    const approval = planned.job.approval;
    const gate = this.options.approvals;
    if (approval === undefined || gate === undefined) return true;
    const { run } = this.options;
    let subject: string;
    try {
      subject = interpolate(
        approval.subject,
        this.evaluation(planned, "job", { failed: false, cancelled: false }),
      );
    } catch (error) {
      this.finishUnstarted(planned, "failure", `approval subject: ${(error as Error).message}`);
      return false;
    }
    const number = this.options.runNumber ?? run.id;
    // The request refers to the run's row: what was observed so far must be stored first.
    await this.options.observer.drain?.();
    const decision = await gate.wait(
      { runId: run.id, jobKey: planned.key, subject, role: approval.role },
      signal,
      () => {
        this.emit({
          type: "job.waiting",
          at: this.now(),
          runId: run.id,
          jobKey: planned.key,
          subject,
          role: approval.role,
        });
        this.systemLog(
          planned.key,
          0,
          BEFORE_ATTEMPTS,
          `waiting for an ${approval.role} to approve${subject ? ` ${subject}` : ""}: slipway approve ${number} ${planned.key}${subject ? ` --subject ${subject}` : ""}`,
        );
      },
    );
    if (decision === undefined) {
      this.finishUnstarted(planned, "cancelled", "cancelled while waiting for approval");
      return false;
    }
    const why = decision.comment ? `: ${decision.comment}` : "";
    if (!decision.approved) {
      this.systemLog(planned.key, 0, BEFORE_ATTEMPTS, `rejected by ${decision.by}${why}`);
      this.finishUnstarted(planned, "failure", `rejected by ${decision.by}${why}`);
      return false;
    }
    this.systemLog(planned.key, 0, BEFORE_ATTEMPTS, `approved by ${decision.by}${why}`);
    return true;
  }

  /** A flag that may be an expression (`continue-on-error: ${{ matrix.experimental }}`). */
  private flag(value: boolean | string, ctx: () => EvaluationContext): boolean {
    if (typeof value === "boolean") return value;
    return interpolate(value, ctx()).trim() === "true";
  }

  private async runJob(planned: PlannedJob, signal: AbortSignal): Promise<void> {
    if (planned.job.approval && this.options.approvals && !(await this.approved(planned, signal))) return;
    if (this.options.jobRunner) return this.runJobElsewhere(planned, signal, this.options.jobRunner);
    const { run } = this.options;
    const { job } = planned;
    const started = this.now();
    this.emit({ type: "job.started", at: started, runId: run.id, jobKey: planned.key });

    const jobTimeout = AbortSignal.timeout(job.timeoutMinutes * 60_000);
    const jobSignal = AbortSignal.any([signal, jobTimeout]);
    const ok: StatusState = { failed: false, cancelled: false };
    let continueOnError = false;
    try {
      continueOnError = this.flag(job.continueOnError, () => this.evaluation(planned, "job", ok));
    } catch (error) {
      this.systemLog(planned.key, 0, 1, `continue-on-error: ${(error as Error).message}; taken as false`);
    }
    this.continueOnError.set(planned.key, continueOnError);
    const env = this.interpolateEnv(
      { ...this.plan.pipeline.env, ...job.env },
      this.evaluation(planned, "job", ok, { env: { ...this.options.baseEnv } }),
      { ...this.options.baseEnv },
    );

    for (const need of planned.needs) {
      const artifacts = this.results.get(need)?.artifacts ?? [];
      if (artifacts.length > 0) await placeArtifacts(artifacts, run.workspace);
    }

    const upstream = planned.needs.map((need) => this.results.get(need)?.resultHash ?? "");
    const jobCtx = this.evaluation(planned, "job", ok, { env });
    const jobCache = job.cache ? this.resolveCacheSpec(job.cache, jobCtx) : undefined;
    let cacheKey: string | undefined;
    if (jobCache && this.options.useCache) {
      cacheKey = await this.cacheKeyFor(
        `job:${job.id}`,
        jobCache,
        [...job.steps.map(stepFingerprint), JSON.stringify(job.outputs)],
        env,
        planned,
        upstream,
      );
      const entry = await this.cache.lookup(cacheKey, (text) => this.systemLog(planned.key, 0, 1, text));
      if (entry) {
        const restored = await this.cache.restore(entry, jobCache, run.workspace);
        for (const step of job.steps) {
          this.emit(this.stepStarted(planned.key, step.index, 1));
          this.emit(
            this.stepFinished(planned.key, step.index, 1, "success", undefined, 0, true, "cache hit"),
          );
        }
        this.systemLog(
          planned.key,
          0,
          1,
          `cache hit ${cacheKey.slice(0, 12)}: restored ${restored} path(s), steps skipped`,
        );
        await this.collectReports(planned);
        const artifacts = await this.publish(planned);
        this.finishJob(planned, "success", started, entry.outputs, cacheKey, true, artifacts, "cache hit");
        return;
      }
    }

    const stepContexts: Record<
      string,
      { outputs: Record<string, string>; outcome: string; conclusion: string }
    > = {};
    const runtime: JobRuntime = { env: {}, path: [], states: new Map() };
    let failed = false;
    let timedOut = false;
    /** A step was skipped because the job was cancelled before it could start. */
    let skippedByCancel = false;
    let reason: string | undefined;
    for (const step of job.steps) {
      const cancelledNow = signal.aborted && !jobTimeout.aborted;
      const status: StatusState = { failed, cancelled: cancelledNow || this.cancelled };
      const stepBaseEnv = { ...env, ...runtime.env };
      const ctx = this.evaluation(
        planned,
        "step",
        status,
        {
          env: stepBaseEnv,
          steps: stepContexts,
          job: { status: status.cancelled ? "cancelled" : failed ? "failure" : "success" },
        },
        step,
      );
      let runIt: boolean;
      try {
        runIt = evaluateCondition(step.if, ctx, status);
      } catch (error) {
        runIt = false;
        failed = true;
        reason = `step ${step.index + 1} if: ${(error as Error).message}`;
      }
      if (!runIt || (jobSignal.aborted && step.if === "success()")) {
        if (runIt) skippedByCancel = true;
        this.emit(this.stepStarted(planned.key, step.index, 1));
        this.emit(this.stepFinished(planned.key, step.index, 1, "skipped", undefined, 0, false, undefined));
        if (step.id) stepContexts[step.id] = { outputs: {}, outcome: "skipped", conclusion: "skipped" };
        continue;
      }
      // A step that asked to run after a cancellation (always(), cancelled()) must not be killed
      // by that cancellation at once: it is a cleanup; only the job's timeout still bounds it.
      const stepSignal = status.cancelled ? jobTimeout : jobSignal;
      const result = await this.runStep(planned, step, ctx, stepBaseEnv, runtime, stepSignal, upstream);
      Object.assign(runtime.env, result.env);
      runtime.path.unshift(...[...result.path].reverse());
      if (Object.keys(result.state).length > 0) runtime.states.set(step.index, result.state);
      let continues = false;
      try {
        continues = this.flag(step.continueOnError, () => ctx);
      } catch (error) {
        reason ??= `step ${step.index + 1} continue-on-error: ${(error as Error).message}`;
      }
      if (step.id) {
        stepContexts[step.id] = {
          outputs: result.outputs,
          outcome: result.status,
          conclusion: result.status !== "success" && continues ? "success" : result.status,
        };
      }
      if (result.status !== "success" && !continues) {
        failed = true;
        reason ??= result.reason;
        if (jobTimeout.aborted) timedOut = true;
      }
    }

    let outputs: Record<string, string> = {};
    try {
      outputs = this.interpolateEnv(
        job.outputs,
        this.evaluation(
          planned,
          "step",
          { failed, cancelled: this.cancelled },
          { env, steps: stepContexts, job: {} },
        ),
        {},
      );
    } catch (error) {
      failed = true;
      reason ??= `outputs: ${(error as Error).message}`;
    }
    // Outputs are stored and shown like logs, so they are masked like logs: a secret never
    // leaves the step that used it through an output.
    for (const [name, value] of Object.entries(outputs)) outputs[name] = this.masker.mask(value);
    await this.collectReports(planned);

    const wasCancelled = signal.aborted && !jobTimeout.aborted;
    const status: JobStatus =
      timedOut || (jobTimeout.aborted && failed)
        ? "timed_out"
        : wasCancelled && (failed || skippedByCancel)
          ? "cancelled"
          : failed && !continueOnError
            ? "failure"
            : "success";
    const artifacts = status === "success" ? await this.publish(planned) : [];
    if (status === "success" && cacheKey && jobCache) {
      const last = job.steps.at(-1)?.index ?? 0;
      await this.cache.save(cacheKey, job.id, jobCache, run.workspace, outputs, (text) =>
        this.systemLog(planned.key, last, 1, text),
      );
    }
    this.finishJob(
      planned,
      status,
      started,
      outputs,
      cacheKey,
      false,
      artifacts,
      failed ? reason : undefined,
    );
  }

  private async runJobElsewhere(planned: PlannedJob, signal: AbortSignal, runner: JobRunner): Promise<void> {
    let continueOnError = false;
    try {
      const ok: StatusState = { failed: false, cancelled: false };
      continueOnError = this.flag(planned.job.continueOnError, () => this.evaluation(planned, "job", ok));
    } catch {
      // The job itself reports a bad continue-on-error expression where it runs.
    }
    this.continueOnError.set(planned.key, continueOnError);
    const outcome = await runner.run(planned, signal, { concurrencyGroup: this.concurrencyGroup(planned) });
    if (!outcome.reported) {
      this.finishUnstarted(planned, outcome.result.status, outcome.reason ?? outcome.result.status);
    }
    this.results.set(planned.key, outcome.result);
  }

  private finishJob(
    planned: PlannedJob,
    status: JobStatus,
    started: number,
    outputs: Record<string, string>,
    cacheKey: string | undefined,
    cacheHit: boolean,
    artifacts: ArtifactRecord[],
    reason: string | undefined,
  ): void {
    const artifactHashes = this.artifactDigests.get(planned.key) ?? "";
    this.results.set(planned.key, {
      key: planned.key,
      status,
      outputs,
      resultHash: cacheKey ?? sha256(JSON.stringify([planned.key, outputs, artifactHashes])),
      artifacts,
      cacheHit,
    });
    this.emit({
      type: "job.finished",
      at: this.now(),
      runId: this.options.run.id,
      jobKey: planned.key,
      status,
      durationMs: this.now() - started,
      cacheHit,
      cacheKey,
      outputs,
      reason,
    });
  }

  /** Paths may use expressions (`reports/junit-${{ matrix.shard }}.xml`), so matrix children keep apart. */
  private resolvePaths(paths: readonly string[], planned: PlannedJob): string[] {
    const ctx = this.evaluation(planned, "job", { failed: false, cancelled: false });
    return paths.map((p) => interpolate(p, ctx));
  }

  private resolveCacheSpec(spec: CacheSpec, ctx: EvaluationContext): CacheSpec {
    const resolved: CacheSpec = {
      inputs: spec.inputs.map((p) => interpolate(p, ctx)),
      outputs: spec.outputs.map((p) => interpolate(p, ctx)),
    };
    if (spec.key !== undefined) resolved.key = spec.key;
    return resolved;
  }

  private async publish(planned: PlannedJob): Promise<ArtifactRecord[]> {
    if (planned.job.artifacts.length === 0) return [];
    const globs = this.resolvePaths(planned.job.artifacts, planned);
    const destination = path.join(this.runDir, "artifacts", safeName(planned.key));
    const records = await publishArtifacts(
      this.options.run.id,
      planned.key,
      globs,
      this.options.run.workspace,
      destination,
    );
    if (records.length > 0) {
      const hashes = await Promise.all(
        records.map(async (r) => `${r.path}:${sha256(await readFile(r.storedAt))}`),
      );
      this.artifactDigests.set(planned.key, sha256(hashes.join("\n")));
      await this.options.observer.drain?.();
      await this.options.store.recordArtifacts(records);
    } else
      this.systemLog(
        planned.key,
        planned.job.steps.length - 1,
        1,
        `artifacts: no file matched ${planned.job.artifacts.join(", ")}`,
      );
    return records;
  }

  private async collectReports(planned: PlannedJob): Promise<void> {
    if (planned.job.reports.junit.length === 0) return;
    const globs = this.resolvePaths(planned.job.reports.junit, planned);
    const lastStep = planned.job.steps.length - 1;
    try {
      // Loaded on demand: the XML parser is only needed by jobs with reports.
      const { collectJUnit } = await import("./junit.js");
      const { results, files } = await collectJUnit(this.options.run.workspace, globs);
      if (files.length === 0)
        this.systemLog(planned.key, lastStep, 1, `reports.junit: no file matched ${globs.join(", ")}`);
      if (results.length > 0) {
        await this.options.observer.drain?.();
        await this.options.store.recordTestResults(this.options.run.id, planned.key, results);
      }
    } catch (error) {
      this.systemLog(planned.key, lastStep, 1, `reports.junit: ${(error as Error).message}`);
    }
  }

  private async cacheKeyFor(
    scope: string,
    spec: CacheSpec,
    commands: string[],
    env: Record<string, string>,
    planned: PlannedJob,
    upstream: string[],
  ): Promise<string> {
    const ok = { failed: false, cancelled: false };
    const extraKey =
      spec.key === undefined
        ? undefined
        : interpolate(spec.key, this.evaluation(planned, "step", ok, { env, steps: {}, job: {} }));
    // Only the declared env goes into the key: PATH or HOME differing between machines must not miss.
    const declared = Object.fromEntries(
      Object.entries(env).filter(([k]) => !(k in this.options.baseEnv) || this.options.baseEnv[k] !== env[k]),
    );
    return this.cache.key(this.options.run.workspace, {
      scope,
      spec,
      extraKey,
      commands,
      env: declared,
      matrix: planned.matrix,
      upstream,
    });
  }

  private async runStep(
    planned: PlannedJob,
    step: Step,
    ctx: EvaluationContext,
    jobEnv: Record<string, string>,
    runtime: JobRuntime,
    jobSignal: AbortSignal,
    upstream: string[],
  ): Promise<StepResult> {
    const { run } = this.options;
    let env: Record<string, string>;
    let script: string;
    let cwd = run.workspace;
    try {
      env = this.interpolateEnv(step.env, ctx, jobEnv);
      if (runtime.path.length > 0) env.PATH = [...runtime.path, ...(env.PATH ? [env.PATH] : [])].join(":");
      if (step.stateOf !== undefined) {
        for (const [name, value] of Object.entries(runtime.states.get(step.stateOf) ?? {}))
          env[`STATE_${name}`] = value;
      }
      const stepCtx = { ...ctx, contexts: { ...ctx.contexts, env } };
      script = interpolate(step.run, stepCtx);
      if (step.workingDirectory)
        cwd = path.resolve(run.workspace, interpolate(step.workingDirectory, stepCtx));
    } catch (error) {
      const reason = `expression failed: ${(error as Error).message}`;
      this.emit(this.stepStarted(planned.key, step.index, 1));
      this.systemLog(planned.key, step.index, 1, reason);
      this.emit(this.stepFinished(planned.key, step.index, 1, "failure", undefined, 0, false, reason));
      return { status: "failure", outputs: {}, reason, env: {}, path: [], state: {} };
    }

    let stepCacheKey: string | undefined;
    const stepCache = step.cache
      ? this.resolveCacheSpec(step.cache, { ...ctx, contexts: { ...ctx.contexts, env } })
      : undefined;
    if (stepCache && this.options.useCache) {
      stepCacheKey = await this.cacheKeyFor(
        `step:${planned.job.id}:${step.index}`,
        stepCache,
        [script],
        env,
        planned,
        upstream,
      );
      const entry = await this.cache.lookup(stepCacheKey, (text) =>
        this.systemLog(planned.key, step.index, 1, text),
      );
      if (entry) {
        this.emit(this.stepStarted(planned.key, step.index, 1));
        const restored = await this.cache.restore(entry, stepCache, run.workspace);
        this.systemLog(
          planned.key,
          step.index,
          1,
          `cache hit ${stepCacheKey.slice(0, 12)}: restored ${restored} path(s), step skipped`,
        );
        this.emit(this.stepFinished(planned.key, step.index, 1, "success", undefined, 0, true, "cache hit"));
        return { status: "success", outputs: entry.outputs, reason: undefined, env: {}, path: [], state: {} };
      }
    }

    const maxAttempts = step.retry.count + 1;
    let delay = step.retry.delaySeconds * 1000;
    let last: StepResult = {
      status: "failure",
      outputs: {},
      reason: undefined,
      env: {},
      path: [],
      state: {},
    };
    let attempts = 0;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      attempts = attempt;
      last = await this.attempt(planned, step, attempt, script, cwd, env, jobSignal);
      if (last.status === "success" || last.status === "cancelled" || jobSignal.aborted) break;
      if (attempt < maxAttempts) {
        this.systemLog(
          planned.key,
          step.index,
          attempt,
          `retrying in ${delay / 1000}s (attempt ${attempt + 1} of ${maxAttempts})`,
        );
        await sleep(delay, jobSignal);
        delay *= step.retry.factor;
      }
    }
    if (last.status === "success" && stepCacheKey && stepCache) {
      await this.cache.save(stepCacheKey, planned.job.id, stepCache, run.workspace, last.outputs, (text) =>
        this.systemLog(planned.key, step.index, attempts, text),
      );
    }
    return last;
  }

  private async attempt(
    planned: PlannedJob,
    step: Step,
    attempt: number,
    script: string,
    cwd: string,
    stepEnv: Record<string, string>,
    jobSignal: AbortSignal,
  ): Promise<StepResult> {
    const { run } = this.options;
    const fileBase = path.join(this.runDir, "files", `${safeName(planned.key)}.${step.index}.${attempt}`);
    const files: Record<RunnerFile, string> = {
      output: `${fileBase}.out`,
      env: `${fileBase}.env`,
      path: `${fileBase}.path`,
      summary: `${fileBase}.summary`,
      state: `${fileBase}.state`,
    };
    const names = this.dialect.fileVariables;
    const env: Record<string, string> = {
      ...stepEnv,
      CI: stepEnv.CI ?? "true",
      ...(this.dialect.slipwayVariables
        ? {
            SLIPWAY: "true",
            SLIPWAY_RUN_ID: run.id,
            SLIPWAY_WORKSPACE: run.workspace,
            SLIPWAY_JOB: planned.job.id,
            SLIPWAY_JOB_KEY: planned.key,
            SLIPWAY_STEP: String(step.index + 1),
            SLIPWAY_ATTEMPT: String(attempt),
            SLIPWAY_MATRIX: JSON.stringify(planned.matrix ?? {}),
            SLIPWAY_REPORT: `${fileBase}.report`,
            ...(run.commit ? { SLIPWAY_COMMIT: run.commit } : {}),
          }
        : {}),
      [names.output]: files.output,
      [names.env]: files.env,
      [names.path]: files.path,
      [names.summary]: files.summary,
      [names.state]: files.state,
    };
    this.dialect.addStepVariables({ run, planned, step, attempt, files }, env);

    const started = this.now();
    this.emit({
      type: "step.started",
      at: started,
      runId: run.id,
      jobKey: planned.key,
      stepIndex: step.index,
      attempt,
    });
    const commandOutputs: Record<string, string> = {};
    const commandState: Record<string, string> = {};
    let commandFailure: string | undefined;
    const annotationCount = new Map<string, number>();
    const commands = this.dialect.workflowCommands
      ? new WorkflowCommands(
          {
            annotation: (annotation) => {
              const count = (annotationCount.get(annotation.level) ?? 0) + 1;
              annotationCount.set(annotation.level, count);
              if (count <= MAX_ANNOTATIONS_PER_LEVEL)
                this.annotate(planned.key, step.index, attempt, annotation);
            },
            mask: (value) => this.masker.add(value),
            output: (name, value) => (commandOutputs[name] = value),
            state: (name, value) => (commandState[name] = value),
            fail: (why) => (commandFailure ??= why),
          },
          this.dialect.debug,
        )
      : undefined;
    // Commands are read before masking: `::add-mask::` must see the value, and its own line is
    // never logged. What a command leaves in the log is masked like any output.
    const transform = commands
      ? (line: string) => {
          const shown = commands.line(line);
          return shown === undefined ? DROPPED : this.masker.mask(shown);
        }
      : (line: string) => this.masker.mask(line);
    const logger = (stream: LogStream) => {
      const splitter = new LineSplitter({ transform });
      const emit = (text: string) => {
        if (text === DROPPED) return;
        if (commands && text.includes("\n")) {
          for (const part of text.split(/\r?\n/))
            this.logLine(planned.key, step.index, attempt, stream, part);
        } else this.logLine(planned.key, step.index, attempt, stream, text);
      };
      return {
        push: (chunk: Buffer) => {
          for (const text of splitter.push(chunk)) emit(text);
        },
        flush: () => {
          for (const text of splitter.flush()) emit(text);
        },
      };
    };
    const out = logger("stdout");
    const err = logger("stderr");
    const timeoutMs = step.timeoutMinutes === undefined ? undefined : step.timeoutMinutes * 60_000;
    const outcome: StepOutcome = await this.options.executor.run({
      script,
      shell: step.shell,
      cwd,
      env,
      scriptFile: `${fileBase}.script`,
      timeoutMs,
      signal: jobSignal,
      onOutput: (stream, chunk) => (stream === "stdout" ? out : err).push(chunk),
    });
    out.flush();
    err.flush();

    let status: StepStatus;
    let reason: string | undefined;
    if (outcome.startError !== undefined) {
      status = "failure";
      reason = `could not start: ${outcome.startError}`;
      this.systemLog(planned.key, step.index, attempt, reason);
    } else if (outcome.timedOut) {
      status = "timed_out";
      reason = `step ${step.index + 1} timed out after ${step.timeoutMinutes} minute(s)`;
    } else if (outcome.cancelled) {
      // The job's timeout aborts with a TimeoutError; a user's cancel or fail-fast with anything else.
      status = isTimeout(jobSignal.reason) ? "timed_out" : "cancelled";
      reason =
        status === "timed_out" ? `job timed out after ${planned.job.timeoutMinutes} minute(s)` : "cancelled";
    } else if (outcome.exitCode === 0) {
      status = commandFailure === undefined ? "success" : "failure";
      if (commandFailure !== undefined) reason = `step ${step.index + 1} (${step.name}): ${commandFailure}`;
    } else {
      status = "failure";
      reason = `step ${step.index + 1} (${step.name}) exited with ${outcome.exitCode ?? outcome.signal}`;
    }

    // Read synchronously: a thread-pool round trip per file shows in runs of short steps.
    const result: StepResult = {
      status,
      outputs: commandOutputs,
      reason,
      env: {},
      path: [],
      state: commandState,
    };
    const fail = (message: string) => {
      result.status = "failure";
      result.reason ??= message;
      this.systemLog(planned.key, step.index, attempt, message);
    };
    const read = (file: RunnerFile, parse: (text: string) => void) => {
      let text: string;
      try {
        // A stat that does not throw: most steps write none of these, and throwing ENOENT
        // five times a step shows in runs of short steps.
        if (!statSync(files[file], { throwIfNoEntry: false })) return;
        text = readFileSync(files[file], "utf8");
      } catch (error) {
        fail((error as Error).message);
        return;
      }
      try {
        parse(text);
      } catch (error) {
        fail((error as Error).message);
      }
    };
    read("output", (text) =>
      Object.assign(result.outputs, parseOutputsFile(text, `$${names.output} of step ${step.index + 1}`)),
    );
    read("env", (text) => (result.env = parseOutputsFile(text, `$${names.env} of step ${step.index + 1}`)));
    read("path", (text) => {
      result.path = text
        .split(/\r?\n/)
        .map((line) => line.trim())
        .filter((line) => line !== "");
    });
    read("state", (text) =>
      Object.assign(result.state, parseOutputsFile(text, `$${names.state} of step ${step.index + 1}`)),
    );
    read("summary", (text) => this.summary(planned.key, step.index, attempt, text));
    this.reports(planned.key, step.index, attempt, `${fileBase}.report`);
    this.emit(
      this.stepFinished(
        planned.key,
        step.index,
        attempt,
        result.status,
        outcome.exitCode,
        this.now() - started,
        false,
        result.reason,
      ),
    );
    return result;
  }

  private annotate(jobKey: string, stepIndex: number, attempt: number, annotation: Annotation): void {
    const masked: Annotation = { ...annotation, message: this.masker.mask(annotation.message) };
    if (annotation.title !== undefined) masked.title = this.masker.mask(annotation.title);
    this.emit({
      type: "step.annotation",
      at: this.now(),
      runId: this.options.run.id,
      jobKey,
      stepIndex,
      attempt,
      annotation: masked,
    });
  }

  /** A step's summary is Markdown shown after the run; masked line by line like its log. */
  private summary(jobKey: string, stepIndex: number, attempt: number, text: string): void {
    if (text.trim() === "") return;
    if (Buffer.byteLength(text) > MAX_SUMMARY_BYTES) {
      this.systemLog(jobKey, stepIndex, attempt, `the step summary is larger than 1 MiB and is not kept`);
      return;
    }
    const markdown = text
      .split("\n")
      .map((line) => this.masker.mask(line))
      .join("\n");
    this.emit({
      type: "step.summary",
      at: this.now(),
      runId: this.options.run.id,
      jobKey,
      stepIndex,
      attempt,
      markdown,
    });
  }

  /**
   * What a built-in step wrote to `$SLIPWAY_REPORT`: one `{"kind": ..., "body": ...}` JSON object
   * a line, each an event. A line that is not one is noted in the log and dropped; the step's
   * verdict stays its exit code.
   */
  private reports(jobKey: string, stepIndex: number, attempt: number, file: string): void {
    if (!statSync(file, { throwIfNoEntry: false })) return;
    const note = (message: string) => this.systemLog(jobKey, stepIndex, attempt, message);
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (error) {
      note(`cannot read the step's report: ${(error as Error).message}`);
      return;
    }
    if (Buffer.byteLength(text) > MAX_REPORT_BYTES) {
      note("the step's report is larger than 1 MiB and is not kept");
      return;
    }
    for (const line of text.split("\n")) {
      if (line.trim() === "") continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        parsed = undefined;
      }
      const { kind, body } = (typeof parsed === "object" && parsed !== null ? parsed : {}) as {
        kind?: unknown;
        body?: unknown;
      };
      if (typeof kind !== "string" || kind === "" || body === undefined) {
        note('a line of the step\'s report is not {"kind": ..., "body": ...} JSON; it is not kept');
        continue;
      }
      this.emit({
        type: "step.report",
        at: this.now(),
        runId: this.options.run.id,
        jobKey,
        stepIndex,
        attempt,
        kind,
        body: this.maskValues(body),
      });
    }
  }

  /** Every string of a JSON value masked, keys included (a resource's for_each key can be anything). */
  private maskValues(value: unknown): unknown {
    if (typeof value === "string") return this.masker.mask(value);
    if (Array.isArray(value)) return value.map((item) => this.maskValues(item));
    if (typeof value === "object" && value !== null) {
      return Object.fromEntries(
        Object.entries(value).map(([key, item]) => [this.masker.mask(key), this.maskValues(item)]),
      );
    }
    return value;
  }

  private interpolateEnv(
    values: Record<string, string>,
    ctx: EvaluationContext,
    base: Record<string, string>,
  ): Record<string, string> {
    const result = { ...base };
    for (const [key, template] of Object.entries(values)) {
      // Later variables see earlier ones of the same map, as GitHub users expect of `env:`.
      result[key] = interpolate(template, { ...ctx, contexts: { ...ctx.contexts, env: result } });
    }
    return result;
  }

  private stepStarted(jobKey: string, stepIndex: number, attempt: number): EngineEvent {
    return { type: "step.started", at: this.now(), runId: this.options.run.id, jobKey, stepIndex, attempt };
  }

  private stepFinished(
    jobKey: string,
    stepIndex: number,
    attempt: number,
    status: StepStatus,
    exitCode: number | undefined,
    durationMs: number,
    cacheHit: boolean,
    reason: string | undefined,
  ): EngineEvent {
    return {
      type: "step.finished",
      at: this.now(),
      runId: this.options.run.id,
      jobKey,
      stepIndex,
      attempt,
      status,
      exitCode,
      durationMs,
      cacheHit,
      reason,
    };
  }

  private logLine(jobKey: string, stepIndex: number, attempt: number, stream: LogStream, text: string): void {
    const counter = `${jobKey}\u0000${stepIndex}\u0000${attempt}`;
    const seq = this.logSeq.get(counter) ?? 0;
    this.logSeq.set(counter, seq + 1);
    this.options.observer.log({
      runId: this.options.run.id,
      jobKey,
      stepIndex,
      attempt,
      seq,
      at: this.now(),
      stream,
      text,
    });
  }

  /** Slipway's own notes in a step's log (cache hits, retries), masked like everything else. */
  private systemLog(jobKey: string, stepIndex: number, attempt: number, text: string): void {
    this.logLine(jobKey, Math.max(0, stepIndex), attempt, "system", this.masker.mask(text));
  }

  private emit(event: EngineEvent): void {
    this.options.observer.event(event);
  }
}

/**
 * The attempt number of a job's first step under which lines written before any attempt (the
 * wait for approval) are kept: they read first, and never share numbers with the lines of an
 * attempt, which an agent may be writing at the same time.
 */
const BEFORE_ATTEMPTS = 0;

/** What a transform returns for a line that is not logged (a consumed workflow command). */
const DROPPED = "\u0000dropped\u0000";

/** Everything about a step that changes what it does, for a job's cache key. */
function stepFingerprint(step: Step): string {
  return JSON.stringify([step.run, step.shell, step.env, step.workingDirectory ?? null, step.if]);
}

function isTimeout(reason: unknown): boolean {
  return reason instanceof Error && reason.name === "TimeoutError";
}

function safeName(key: string): string {
  return key.replace(/[^A-Za-z0-9_.-]+/g, "_");
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
