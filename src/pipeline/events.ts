/**
 * Every state change of a run is one of these events. The engine emits them; the CLI renders
 * them, the store projects them into tables, and the server will stream them. Keeping one stream
 * means the terminal, the history and (later) the UI cannot disagree about what happened.
 */

export type RunStatus = "queued" | "running" | "success" | "failure" | "cancelled" | "interrupted";
export type JobStatus =
  | "queued"
  | "waiting"
  | "running"
  | "success"
  | "failure"
  | "cancelled"
  | "skipped"
  | "timed_out"
  | "interrupted";
export type StepStatus = JobStatus;

/** A job instance after matrix expansion, as the plan scheduled it. */
export interface PlannedJobInfo {
  /** Unique in the run: the job id, plus the matrix values for matrix children, e.g. `test (linux, 20)`. */
  key: string;
  jobId: string;
  name: string;
  needs: string[];
  matrix: Record<string, unknown> | undefined;
  steps: { index: number; name: string }[];
}

export interface RunInfo {
  id: string;
  pipelineName: string;
  /** The pipeline file, relative to the project root. */
  file: string;
  frontEnd: string;
  projectDir: string;
  workspace: string;
  /** Commit of the working tree when the run started, if it is a git repository. */
  commit: string | undefined;
  /** True when the working tree had uncommitted changes (they are part of the run). */
  dirty: boolean;
  trigger: string;
  actor: string;
}

export type EngineEvent =
  | { type: "run.queued"; at: number; run: RunInfo; jobs: PlannedJobInfo[] }
  | { type: "run.started"; at: number; runId: string }
  | { type: "run.finished"; at: number; runId: string; status: RunStatus; durationMs: number }
  /** The job waits for a person to approve `subject` (with at least `role`) before it starts. */
  | { type: "job.waiting"; at: number; runId: string; jobKey: string; subject: string; role: string }
  | { type: "job.started"; at: number; runId: string; jobKey: string }
  | {
      type: "job.finished";
      at: number;
      runId: string;
      jobKey: string;
      status: JobStatus;
      durationMs: number;
      /** Set when the job's work was skipped because its cache key matched a stored entry. */
      cacheHit: boolean;
      cacheKey: string | undefined;
      outputs: Record<string, string>;
      /** Why the job ended this way, for a human: the failing step, the false `if`, the timeout... */
      reason: string | undefined;
    }
  | { type: "step.started"; at: number; runId: string; jobKey: string; stepIndex: number; attempt: number }
  | {
      type: "step.finished";
      at: number;
      runId: string;
      jobKey: string;
      stepIndex: number;
      attempt: number;
      status: StepStatus;
      /** The process exit code; undefined when no process ran (skipped, cache hit) or it was killed. */
      exitCode: number | undefined;
      durationMs: number;
      cacheHit: boolean;
      reason: string | undefined;
    }
  /** A step reported a problem (GitHub's `::error::`, `::warning::`, `::notice::`); kept in the event log. */
  | {
      type: "step.annotation";
      at: number;
      runId: string;
      jobKey: string;
      stepIndex: number;
      attempt: number;
      annotation: Annotation;
    }
  /** What a step wrote to its summary file (`$GITHUB_STEP_SUMMARY`): Markdown, masked; kept in the event log. */
  | {
      type: "step.summary";
      at: number;
      runId: string;
      jobKey: string;
      stepIndex: number;
      attempt: number;
      markdown: string;
    }
  /**
   * A machine-readable report of a built-in step, one JSON line of its `$SLIPWAY_REPORT` file (a
   * drift check's differences, a plan's counts), masked; kept in the event log, and read by a
   * server from the batches of the job's lease.
   */
  | {
      type: "step.report";
      at: number;
      runId: string;
      jobKey: string;
      stepIndex: number;
      attempt: number;
      /** What the body is, e.g. terraform-drift or terraform-plan. */
      kind: string;
      body: unknown;
    };

export interface Annotation {
  level: "error" | "warning" | "notice";
  message: string;
  title?: string;
  /** A file the annotation is about, relative to the workspace, with an optional range. */
  file?: string;
  line?: number;
  endLine?: number;
  column?: number;
  endColumn?: number;
}

export type LogStream = "stdout" | "stderr" | "system";

/** One line of a step's output, already masked for secrets. */
export interface LogLine {
  runId: string;
  jobKey: string;
  stepIndex: number;
  attempt: number;
  /** Increasing within one (run, job, step, attempt). */
  seq: number;
  at: number;
  stream: LogStream;
  text: string;
}

export interface TestCaseResult {
  suite: string;
  name: string;
  classname: string | undefined;
  file: string | undefined;
  status: "passed" | "failed" | "error" | "skipped" | "flaky";
  durationMs: number;
  message: string | undefined;
  /** Stack trace or failure body. */
  details: string | undefined;
  /** How many times the test ran (more than 1 when a runner retried it: flakyFailure/rerunFailure). */
  attempts: number;
}
