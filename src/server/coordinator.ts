import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import path from "node:path";
import { ConfigError } from "../errors/index.js";
import { ProcessExecutor } from "../executors/index.js";
import { Engine, Recorder } from "../pipeline/index.js";
import type { JobResult, JobRunner, PlannedJob, RemoteJobOutcome, RunObserver } from "../pipeline/index.js";
import { storeApprovals } from "../pipeline/approvals.js";
import { sha256 } from "../pipeline/cache.js";
import type { Checkouts } from "../pipeline/checkout.js";
import type { EngineEvent, LogLine, RunInfo } from "../pipeline/events.js";
import { planPipeline } from "../pipeline/plan.js";
import { newRunId } from "../pipeline/local-run.js";
import { discoverPipelines, loadRunSource, NotTriggered, requiredLabels } from "../pipeline/run-source.js";
import type { FrontEnd, RunSource, SourcePipeline } from "../pipeline/run-source.js";
import type { ProjectRecord, QueuedJob, Store } from "../store/index.js";
import { artifactKey } from "../store/blobs.js";
import type { Live } from "./live.js";
import { topics } from "./live.js";
import type { JobPayload, WireJobResult } from "./protocol.js";

/** How long a server's claim on the runs it coordinates lasts without renewal. */
export const OWNER_TTL_MS = 10_000;
const CLAIM_EVERY_MS = 2_000;
const REAP_EVERY_MS = 1_000;
/** How often a run's waiting jobs are checked in the store, for changes made through another server. */
const JOB_POLL_MS = 1_000;

export interface TriggerRequest {
  event: string;
  ref: string;
  /** The commit; resolved from `ref` when absent. */
  sha?: string | undefined;
  inputs: Record<string, string>;
  variables: Record<string, string>;
  actor: string;
  /** One pipeline file; default: every pipeline file of the commit that runs on the event. */
  file?: string | undefined;
  jobs: string[];
}

export interface TriggerResult {
  sha: string;
  runs: { id: string; number: number; file: string; frontEnd: FrontEnd }[];
  skipped: { file: string; reason: string }[];
}

/** A run as its coordinator drives it. */
interface DrivenRun {
  project: ProjectRecord;
  run: RunInfo;
  plan: ReturnType<typeof planPipeline>;
  loaded: SourcePipeline;
  runNumber: number;
  /** Jobs that already ended (a resumed run). */
  prior: JobResult[];
  /** A run created here now: none of its jobs can be in the queue yet. */
  fresh: boolean;
}

/** What a server run keeps in its `spec` column, to resume it anywhere. */
interface RunSpec {
  repo: string;
  source: RunSource;
}

export interface CoordinatorHooks {
  jobFinished?(project: string, job: QueuedJob, result: WireJobResult): void;
  leaseExpired?(job: QueuedJob): void;
  runFinished?(project: string, runId: string, status: string): void;
}

/**
 * Drives server runs: plans each run with the same engine as `slipway run`, but hands every job
 * to the queue for agents (the engine's JobRunner) instead of running it here. The engine's
 * state is rebuilt from the store when a run is resumed, so a coordinator can die at any moment:
 * the claim on its runs lapses and the next server to claim them (or itself, restarted) goes on.
 */
export class Coordinator {
  readonly #active = new Map<string, AbortController>();
  /** Jobs finished through this server, by run and key, until the run's waiting job takes them. */
  readonly #finished = new Map<string, QueuedJob>();
  readonly #timers: NodeJS.Timeout[] = [];
  #closed = false;

  constructor(
    private readonly options: {
      store: Store;
      dataDir: string;
      serverId: string;
      live: Live;
      checkouts: Checkouts;
      onError: (error: unknown, context: string) => void;
      hooks?: CoordinatorHooks;
    },
  ) {}

  start(): void {
    const every = (ms: number, task: () => Promise<void>, name: string) => {
      let running = false;
      const timer = setInterval(() => {
        if (running || this.#closed) return;
        running = true;
        task()
          .catch((error: unknown) => this.options.onError(error, name))
          .finally(() => (running = false));
      }, ms);
      timer.unref();
      this.#timers.push(timer);
    };
    every(CLAIM_EVERY_MS, () => this.claim(), "claiming runs");
    every(REAP_EVERY_MS, () => this.reap(), "expiring leases");
    void this.claim().catch((error: unknown) => this.options.onError(error, "claiming runs"));
  }

  /** Stops coordinating. Runs stay unfinished in the store for the next server to claim. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const timer of this.#timers) clearInterval(timer);
    for (const controller of this.#active.values()) controller.abort();
    for (const id of this.#active.keys())
      await this.options.store.control.releaseRun(id, this.options.serverId);
  }

  async trigger(project: ProjectRecord, request: TriggerRequest): Promise<TriggerResult> {
    const { checkouts, dataDir } = this.options;
    const sha = request.sha || (await checkouts.resolve(project.repo, request.ref));
    const checkout = path.join(dataDir, "checkouts", randomBytes(6).toString("hex"));
    const result: TriggerResult = { sha, runs: [], skipped: [] };
    try {
      await checkouts.checkout(project.repo, sha, request.ref, checkout);
      const files = request.file
        ? [{ frontEnd: frontEndOf(request.file), file: request.file }]
        : await discoverPipelines(checkout);
      if (files.length === 0) result.skipped.push({ file: "", reason: "the commit has no pipeline file" });
      for (const { frontEnd, file } of files) {
        const source: RunSource = {
          frontEnd,
          file,
          event: request.event,
          ref: request.ref,
          sha,
          inputs: request.inputs,
          variables: request.variables,
          actor: request.actor,
          jobs: request.jobs,
        };
        let loaded: SourcePipeline;
        try {
          loaded = await loadRunSource(checkout, source);
        } catch (error) {
          // With one file asked for by name, a broken or non-triggered file is the answer.
          if (request.file) throw error;
          if (error instanceof NotTriggered || error instanceof ConfigError) {
            result.skipped.push({ file, reason: error.message });
            continue;
          }
          throw error;
        }
        const run = await this.#create(project, source, loaded);
        result.runs.push({ ...run, file, frontEnd });
      }
    } finally {
      await rm(checkout, { recursive: true, force: true });
    }
    return result;
  }

  /**
   * A job's result, recorded through this server: when this server coordinates its run, the
   * waiting job takes it from here instead of reading the queue again.
   */
  jobFinished(job: QueuedJob): void {
    if (this.#active.has(job.runId)) this.#finished.set(finishedKey(job.runId, job.jobKey), job);
  }

  /** Cancels a run wherever it is coordinated: the flag is in the store, seen within a second. */
  async cancel(runId: string): Promise<boolean> {
    const requested = await this.options.store.control.requestCancel(runId);
    this.#active.get(runId)?.abort();
    return requested;
  }

  async #create(
    project: ProjectRecord,
    source: RunSource,
    loaded: SourcePipeline,
  ): Promise<{ id: string; number: number }> {
    const { store, serverId } = this.options;
    const run: RunInfo = {
      id: newRunId(),
      pipelineName: loaded.pipeline.name,
      file: source.file,
      frontEnd: source.frontEnd,
      projectDir: project.repo,
      workspace: "",
      commit: source.sha,
      dirty: false,
      trigger: source.event,
      actor: source.actor,
    };
    const plan = planPipeline(loaded.pipeline, source.frontEnd === "gitlab" ? [] : source.jobs);
    const runNumber = ((await store.listRuns({ limit: 1 }))[0]?.number ?? 0) + 1;
    const driven: DrivenRun = { project, run, plan, loaded, runNumber, prior: [], fresh: true };
    const engine = this.#engine(driven, new AbortController());
    await store.recordEvents([engine.queuedEvent()]);
    const spec: RunSpec = { repo: project.repo, source };
    await store.control.setRunControl(run.id, {
      project: project.name,
      ref: source.ref,
      spec,
      owner: serverId,
      ownerUntil: Date.now() + OWNER_TTL_MS,
    });
    const record = await store.getRun(run.id);
    this.#drive({ ...driven, runNumber: record?.number ?? runNumber }, false);
    return { id: run.id, number: record?.number ?? runNumber };
  }

  #engine(
    { project, run, plan, loaded, runNumber, prior, fresh }: DrivenRun,
    controller: AbortController,
    observer?: RunObserver,
  ): Engine {
    return new Engine(plan, {
      executor: new ProcessExecutor(),
      store: this.options.store,
      dataDir: this.options.dataDir,
      run,
      concurrency: Number.MAX_SAFE_INTEGER,
      useCache: false,
      secrets: {},
      baseEnv: {},
      observer: observer ?? { event: () => undefined, log: () => undefined },
      signal: controller.signal,
      runNumber,
      priorResults: prior,
      approvals: storeApprovals(this.options.store),
      jobRunner: new QueueJobRunner(this.options, this.#finished, {
        project: project.name,
        runId: run.id,
        fresh,
        secrets: loaded.pipeline.secrets,
      }),
      announce: false,
      ...(loaded.dialect ? { dialect: loaded.dialect } : {}),
    });
  }

  /** Runs the engine for a run held by this server, to its end. */
  #drive(driven: DrivenRun, resumed: boolean): void {
    const { store, live } = this.options;
    const { project, run } = driven;
    const controller = new AbortController();
    this.#active.set(run.id, controller);
    const recorder = new Recorder(store, [
      { event: (e) => live.notify(topics.run(runIdOf(e))), log: () => undefined },
    ]);
    const gated = untilClosed(recorder, () => this.#closed);
    const engine = this.#engine(driven, controller, gated);
    const watch = setInterval(() => {
      // A closed server's store may be gone: the run is released, another server watches it.
      if (this.#closed) return clearInterval(watch);
      void store.control.getRunControl(run.id).then(
        (control) => {
          if (control?.cancelRequested) controller.abort();
        },
        () => undefined,
      );
    }, 1_000);
    watch.unref();
    void (async () => {
      const started = Date.now();
      if (!resumed) gated.event({ type: "run.started", at: started, runId: run.id });
      const result = await engine.run();
      if (this.#closed) return;
      const status = controller.signal.aborted ? "cancelled" : result.status;
      recorder.event({
        type: "run.finished",
        at: Date.now(),
        runId: run.id,
        status,
        durationMs: Date.now() - ((await store.getRun(run.id))?.startedAt ?? started),
      });
      await recorder.drain();
      live.notify(topics.run(run.id));
      this.options.hooks?.runFinished?.(project.name, run.id, status);
    })()
      .catch((error: unknown) => this.options.onError(error, `coordinating run ${run.id}`))
      .finally(() => {
        clearInterval(watch);
        this.#active.delete(run.id);
        for (const key of this.#finished.keys())
          if (key.startsWith(finishedKey(run.id, ""))) this.#finished.delete(key);
      });
  }

  /** Claims runs nobody coordinates (a server died) and resumes them here. */
  async claim(): Promise<void> {
    const { store, serverId } = this.options;
    const now = Date.now();
    const held = await store.control.claimRuns(serverId, now, now + OWNER_TTL_MS);
    for (const id of held) {
      if (this.#active.has(id) || this.#closed) continue;
      await this.#resume(id).catch((error: unknown) => this.options.onError(error, `resuming run ${id}`));
    }
  }

  async #resume(runId: string): Promise<void> {
    const { store, checkouts, dataDir } = this.options;
    const [record, control] = await Promise.all([store.getRun(runId), store.control.getRunControl(runId)]);
    if (!record || !control?.project || control.spec === undefined) return;
    const project = await store.control.getProject(control.project);
    if (!project) return;
    const spec = control.spec as RunSpec;
    const checkout = path.join(dataDir, "checkouts", randomBytes(6).toString("hex"));
    let loaded: SourcePipeline;
    try {
      await checkouts.checkout(spec.repo, spec.source.sha, spec.source.ref, checkout);
      loaded = await loadRunSource(checkout, spec.source);
    } finally {
      await rm(checkout, { recursive: true, force: true });
    }
    const plan = planPipeline(loaded.pipeline, spec.source.frontEnd === "gitlab" ? [] : spec.source.jobs);
    const prior = await this.#priorResults(runId);
    const run: RunInfo = {
      id: record.id,
      pipelineName: record.pipelineName,
      file: record.file,
      frontEnd: record.frontEnd,
      projectDir: record.projectDir,
      workspace: record.workspace,
      commit: record.commit,
      dirty: record.dirty,
      trigger: record.trigger,
      actor: record.actor,
    };
    this.#drive(
      { project, run, plan, loaded, runNumber: record.number, prior, fresh: false },
      record.status !== "queued",
    );
    if (control.cancelRequested) this.#active.get(runId)?.abort();
  }

  /** Results of the jobs of a run that already ended, as the engine would have kept them. */
  async #priorResults(runId: string): Promise<JobResult[]> {
    const { store } = this.options;
    const [jobs, attempts] = await Promise.all([store.listJobs(runId), store.control.jobAttempts(runId)]);
    const finished = new Map<string, WireJobResult>();
    for (const attempt of attempts) {
      if (attempt.status === "finished") finished.set(attempt.jobKey, attempt.result as WireJobResult);
    }
    const prior: JobResult[] = [];
    for (const job of jobs) {
      if (!DONE.has(job.status)) continue;
      const wire = finished.get(job.key);
      if (wire) prior.push(toJobResult(wire, runId));
      else if (!attempts.some((a) => a.jobKey === job.key && a.status !== "cancelled")) {
        prior.push({
          key: job.key,
          status: job.status,
          outputs: job.outputs,
          resultHash: sha256(`${job.key}:${job.status}`),
          artifacts: [],
          cacheHit: false,
        });
      }
    }
    return prior;
  }

  /** Leases that ran out: the attempt is lost, the next one queued. */
  async reap(): Promise<void> {
    const lost = await this.options.store.control.expireLeases(Date.now());
    for (const job of lost) {
      this.options.hooks?.leaseExpired?.(job);
      this.options.live.notify(topics.queue);
      this.options.live.notify(topics.run(job.runId));
    }
  }
}

function finishedKey(runId: string, jobKey: string): string {
  return `${runId}\u0000${jobKey}`;
}

const DONE = new Set(["success", "failure", "cancelled", "skipped", "timed_out"]);

/** Hands a job to the queue and waits for an agent's result. */
class QueueJobRunner implements JobRunner {
  /** Jobs of the run waiting for an agent's result, and the status each was last seen in. */
  readonly #waiting = new Map<string, string>();
  #watching = false;

  constructor(
    private readonly options: {
      store: Store;
      dataDir: string;
      live: Live;
      hooks?: CoordinatorHooks;
    },
    private readonly finished: Map<string, QueuedJob>,
    private readonly facts: {
      project: string;
      runId: string;
      /** Created by this server just now: no attempt of its jobs can be queued already. */
      fresh: boolean;
      /** The secrets the pipeline declares: a lease carries these only. */
      secrets: readonly string[];
    },
  ) {}

  async run(
    planned: PlannedJob,
    signal: AbortSignal,
    context: { concurrencyGroup: string | undefined },
  ): Promise<RemoteJobOutcome> {
    const { store, live } = this.options;
    const { project, runId } = this.facts;
    const control = store.control;
    const key = finishedKey(runId, planned.key);
    const latest = async () => (await control.jobAttempts(runId, planned.key)).at(-1);
    // A resumed run may have queued or finished this job already; a fresh one cannot have.
    let job = this.facts.fresh ? undefined : await latest();
    if (job === undefined) {
      const touched = await control.enqueue({
        runId,
        jobKey: planned.key,
        attempt: 1,
        project,
        labels: requiredLabels(planned),
        payload: { needs: planned.needs, secrets: this.facts.secrets } satisfies JobPayload,
        now: Date.now(),
        // Groups are per project, as GitHub's are per repository.
        concurrencyGroup:
          context.concurrencyGroup === undefined ? undefined : `${project}/${context.concurrencyGroup}`,
        cancelInProgress: planned.job.concurrency?.cancelInProgress,
      });
      for (const other of touched) live.notify(topics.job(other.runId, other.jobKey));
      live.notify(topics.queue);
    }
    let cancelSent = false;
    this.#waiting.set(planned.key, "");
    this.#watch();
    try {
      for (;;) {
        if (job?.status === "finished") {
          const wire = job.result as WireJobResult;
          this.options.hooks?.jobFinished?.(project, job, wire);
          return { result: toJobResult(wire, runId), reported: true };
        }
        if (job?.status === "cancelled") {
          return {
            result: unstarted(planned.key, "cancelled"),
            reported: false,
            reason: job.reason ?? "cancelled",
          };
        }
        if (signal.aborted && !cancelSent) {
          cancelSent = true;
          await control.cancelJob(runId, planned.key, Date.now());
        } else {
          // Woken by a finish through this server, or by the run's watcher for one through another.
          await live.wait(topics.job(runId, planned.key), 30_000, cancelSent ? undefined : signal);
        }
        const delivered = this.finished.get(key);
        this.finished.delete(key);
        job = delivered ?? (await latest());
      }
    } finally {
      this.#waiting.delete(planned.key);
    }
  }

  /**
   * One query per interval for the whole run, however many of its jobs wait: it wakes the jobs
   * whose latest attempt changed (finished, cancelled, lost and re-queued) through another server.
   */
  #watch(): void {
    if (this.#watching) return;
    this.#watching = true;
    const { store, live } = this.options;
    const tick = async () => {
      while (this.#waiting.size > 0) {
        await new Promise((resolve) => setTimeout(resolve, JOB_POLL_MS).unref());
        const latest = new Map<string, string>();
        // Only an end wakes a waiting job: a lease or a lost attempt asks nothing of it.
        for (const attempt of await store.control.attemptStates(this.facts.runId)) {
          const ended = attempt.status === "finished" || attempt.status === "cancelled";
          latest.set(attempt.jobKey, ended ? `${attempt.attempt}:${attempt.status}` : "");
        }
        for (const [key, seen] of this.#waiting) {
          const now = latest.get(key) ?? "";
          if (now === seen) continue;
          this.#waiting.set(key, now);
          live.notify(topics.job(this.facts.runId, key));
        }
      }
    };
    void tick()
      .catch(() => undefined)
      .finally(() => {
        this.#watching = false;
        if (this.#waiting.size > 0) this.#watch();
      });
  }
}

function unstarted(key: string, status: JobResult["status"]): JobResult {
  return { key, status, outputs: {}, resultHash: sha256(`${key}:${status}`), artifacts: [], cacheHit: false };
}

export function toJobResult(wire: WireJobResult, runId: string): JobResult {
  return {
    key: wire.key,
    status: wire.status,
    outputs: wire.outputs,
    resultHash: wire.resultHash,
    cacheHit: wire.cacheHit,
    artifacts: wire.artifacts.map((a) => ({
      runId,
      jobKey: wire.key,
      path: a.path,
      sizeBytes: a.sizeBytes,
      // On a server, artifacts are blobs: the engine there never opens them, agents download them.
      storedAt: artifactKey(runId, wire.key, a.path),
    })),
  };
}

function frontEndOf(file: string): FrontEnd {
  if (file.startsWith(".github/workflows/")) return "github";
  if (file.endsWith(".gitlab-ci.yml")) return "gitlab";
  return "native";
}

function runIdOf(event: EngineEvent): string {
  return event.type === "run.queued" ? event.run.id : event.runId;
}

/**
 * Once the coordinator closes, nothing more of its runs is written: a run it let go of is
 * resumed from the store by the next server, which must not find half an ending written here.
 */
function untilClosed(observer: RunObserver, closed: () => boolean): RunObserver {
  return {
    event: (event: EngineEvent) => {
      if (!closed()) observer.event(event);
    },
    log: (line: LogLine) => {
      if (!closed()) observer.log(line);
    },
    drain: () => observer.drain?.() ?? Promise.resolve(),
  };
}
