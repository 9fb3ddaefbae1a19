import type { ControlStore } from "./control.js";
import type { DeliveryStore } from "./deliveries.js";
import type { TerraformStateStore } from "./terraform-state.js";
import type {
  EngineEvent,
  JobStatus,
  LogLine,
  RunStatus,
  StepStatus,
  TestCaseResult,
} from "../pipeline/events.js";

export interface RunRecord {
  id: string;
  /** Run number in this store, counting from 1; what the CLI shows. */
  number: number;
  pipelineName: string;
  file: string;
  frontEnd: string;
  projectDir: string;
  workspace: string;
  commit: string | undefined;
  dirty: boolean;
  trigger: string;
  actor: string;
  status: RunStatus;
  queuedAt: number;
  startedAt: number | undefined;
  finishedAt: number | undefined;
  /** The server project it belongs to; undefined for a run of `slipway run` on one machine. */
  project: string | undefined;
  /** The git ref a server run was triggered for. */
  ref: string | undefined;
}

export interface JobRecord {
  runId: string;
  key: string;
  jobId: string;
  name: string;
  needs: string[];
  matrix: Record<string, unknown> | undefined;
  status: JobStatus;
  startedAt: number | undefined;
  finishedAt: number | undefined;
  cacheHit: boolean;
  cacheKey: string | undefined;
  outputs: Record<string, string>;
  reason: string | undefined;
}

export interface StepRecord {
  runId: string;
  jobKey: string;
  index: number;
  name: string;
  /** The latest attempt's state; every attempt is in `attempts`. */
  status: StepStatus;
  attempts: StepAttemptRecord[];
}

export interface StepAttemptRecord {
  attempt: number;
  status: StepStatus;
  exitCode: number | undefined;
  startedAt: number;
  finishedAt: number | undefined;
  cacheHit: boolean;
  reason: string | undefined;
}

export interface CacheEntry {
  key: string;
  jobId: string;
  /** Directory (under the data dir) holding the saved output paths. */
  path: string;
  outputs: Record<string, string>;
  createdAt: number;
  sizeBytes: number;
}

export interface ArtifactRecord {
  runId: string;
  jobKey: string;
  /** Path relative to the workspace. */
  path: string;
  sizeBytes: number;
  /** Where the stored copy lives (under the data dir). */
  storedAt: string;
}

export interface LogQuery {
  runId: string;
  jobKey?: string;
  stepIndex?: number;
}

/**
 * The one persistence interface. Two implementations share the same Kysely queries and
 * migrations: SQLite (embedded default) and PostgreSQL. Every method is safe to call from one
 * process at a time per run; the engine serialises its writes.
 */
/** Which runs `listRuns` returns. */
export interface RunFilter {
  limit?: number;
  project?: string;
  projects?: readonly string[];
  /** A branch name: runs of `refs/heads/<branch>` (or of a ref given as the bare name). */
  branch?: string;
  status?: string;
  trigger?: string;
  actor?: string;
}

export interface Store {
  /**
   * Marks runs that were still queued or running as interrupted (the process that ran them died),
   * all of them or only those in `only`. Returns their ids.
   */
  markInterrupted(now: number, only?: readonly string[]): Promise<string[]>;
  /** Projects engine events into runs, jobs, steps and attempts, and appends them to the event log, in one transaction. */
  recordEvents(events: readonly EngineEvent[]): Promise<void>;
  appendLogs(lines: readonly LogLine[]): Promise<void>;
  recordTestResults(runId: string, jobKey: string, results: readonly TestCaseResult[]): Promise<void>;
  recordArtifacts(artifacts: readonly ArtifactRecord[]): Promise<void>;
  getCacheEntry(key: string): Promise<CacheEntry | undefined>;
  putCacheEntry(entry: CacheEntry): Promise<void>;

  /** Newest first; every filter given must hold. */
  listRuns(options?: RunFilter): Promise<RunRecord[]>;
  /** Accepts a run id or a run number. */
  getRun(idOrNumber: string): Promise<RunRecord | undefined>;
  listJobs(runId: string): Promise<JobRecord[]>;
  listSteps(runId: string, jobKey?: string): Promise<StepRecord[]>;
  readLogs(query: LogQuery): Promise<LogLine[]>;
  /** A run's log lines in arrival order after `runSeq` (a live tail's cursor), at most `limit`. */
  readLogsAfter(runId: string, runSeq: number, limit: number): Promise<(LogLine & { runSeq: number })[]>;
  listTestResults(runId: string, jobKey?: string): Promise<(TestCaseResult & { jobKey: string })[]>;
  listArtifacts(runId: string): Promise<ArtifactRecord[]>;
  /**
   * The raw event log of a run, in order; with `after`, only the events numbered after it (a live
   * stream's cursor; events are numbered 1, 2, 3... with no gap).
   */
  listEvents(runId: string, after?: number): Promise<EngineEvent[]>;

  /** The control plane's tables: projects, tokens, audit log, job queue, secrets. */
  readonly control: ControlStore;

  /** Terraform states kept for the http backend (versions and locks), and drift status. */
  readonly terraform: TerraformStateStore;

  /** Environments, releases and deployments with their history. */
  readonly deliveries: DeliveryStore;

  close(): Promise<void>;
}

export type { JobStatus, RunStatus, StepStatus };
